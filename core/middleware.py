"""Response headers every page carries: Content-Security-Policy and Permissions-Policy."""

from django.conf import settings

# Django's technical error pages (DEBUG only) are built from inline script and style.
DEBUG_PAGE_STATUSES = (404, 500)


class SecurityHeadersMiddleware:
    """Adds ``CONTENT_SECURITY_POLICY`` and ``PERMISSIONS_POLICY`` (settings) to every
    response that does not set its own.

    The policy allows scripts and styles from this site only, never inline ones: templates
    keep their CSS and JavaScript in static files. ``<script type="application/ld+json">``
    blocks are data, not scripts, and a CSP does not apply to them.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = "; ".join(
            f"{name} {sources}" for name, sources in settings.CONTENT_SECURITY_POLICY.items()
        )
        self.permissions = ", ".join(
            f"{name}={allow}" for name, allow in settings.PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if settings.DEBUG and response.status_code in DEBUG_PAGE_STATUSES:
            return response
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Permissions-Policy", self.permissions)
        return response
