"""Request middleware every page and API shares: timing and access log, the security
headers (Content-Security-Policy, Permissions-Policy), a database outage answered as "try
again" rather than as a crash, and the short way for cookieless reads (the public APIs, the
search page)."""

import functools
import logging
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.template.loader import render_to_string
from django.urls import ResolverMatch, URLResolver, get_resolver
from django.urls.resolvers import LocalePrefixPattern, RoutePattern
from django.utils import translation

from .logs import redact
from .metrics import REQUEST_SECONDS

access_logger = logging.getLogger("spine_match.access")
logger = logging.getLogger(__name__)

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
# Probes and scrapes arrive every few seconds from the balancer and Prometheus: counted in
# the metrics, left out of the access log.
UNLOGGED_ROUTES = {"/healthz", "/readyz", "/metrics"}
# How long a client should wait before retrying while the database is unreachable.
DATABASE_RETRY_AFTER_SECONDS = 5
# Django's technical error pages (DEBUG only) are built from inline script and style.
DEBUG_PAGE_STATUSES = (404, 500)


def _route(request) -> str:
    """The URL pattern that answered (``thanks/<uuid:lead_id>/``), never the path itself."""
    match = request.resolver_match
    if match is not None:
        return "/" + match.route
    if request.path_info.startswith(settings.STATIC_URL):
        return settings.STATIC_URL
    return "unmatched"


class RequestLogMiddleware:
    """Observes each request's latency by route pattern and, with ACCESS_LOG on, writes one
    access-log line: method, path (link tokens and lead ids masked, no query string),
    status and milliseconds. No client address, no user agent, no probes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        method = request.method if request.method in METHODS else "other"
        route = _route(request)
        REQUEST_SECONDS.labels(route=route, method=method, status=response.status_code).observe(
            seconds
        )
        if (
            settings.ACCESS_LOG
            and route not in UNLOGGED_ROUTES
            and access_logger.isEnabledFor(logging.INFO)
        ):
            path = redact(request.path)
            access_logger.info(
                "%s %s %s %.1fms",
                method,
                path,
                response.status_code,
                seconds * 1000,
                extra={
                    "method": method,
                    "path": path,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 1),
                },
            )
        return response


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


class DatabaseOutageMiddleware:
    """A database that cannot be reached (restarting, failing over) answers 503 with
    Retry-After instead of 500: nothing was stored, and the client may send it again
    (a repeated lead is recognised as the same lead)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return database_outage_response(request, exception)


def database_outage_response(request, exception) -> HttpResponse | None:
    """503 with Retry-After for a database that cannot be reached; None for any other
    exception."""
    if not isinstance(exception, OperationalError | InterfaceError):
        return None
    logger.warning(
        "database unavailable (%s) on %s %s",
        type(exception).__name__,
        request.method,
        _route(request),
    )
    headers = {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}
    if request.path_info.startswith("/api/"):
        return JsonResponse(
            {"detail": "Temporarily unavailable, please try again in a few seconds."},
            status=503,
            headers=headers,
        )
    # Rendered without the request: context processors would query the database.
    return HttpResponse(render_to_string("503.html"), status=503, headers=headers)


def sessionless(view):
    """Mark a view whose GETs use nothing of the session, authentication, messages and
    sign-in lockout middlewares (an anonymous read API, the search page): see
    ``SessionlessGetMiddleware``."""
    view.sessionless = True
    return view


@functools.lru_cache(maxsize=4)
def _sessionless_routes(resolver: URLResolver) -> dict[str, ResolverMatch]:
    """Path -> Django's own match, for each ``@sessionless`` view at a fixed address (a
    route without converters, in each language under ``i18n_patterns``) that resolves to
    it; read once per URL configuration."""
    paths = []

    def walk(patterns, prefix, language):
        for pattern in patterns:
            if isinstance(pattern.pattern, LocalePrefixPattern):
                for code, _ in settings.LANGUAGES:
                    with translation.override(code):
                        walk(pattern.url_patterns, prefix + pattern.pattern.language_prefix, code)
                continue
            if not isinstance(pattern.pattern, RoutePattern) or pattern.pattern.converters:
                continue
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route, language)
            elif getattr(pattern.callback, "sessionless", False):
                paths.append(("/" + route, language))

    walk(resolver.url_patterns, "", settings.LANGUAGE_CODE)
    matches = {}
    for path, language in paths:
        with translation.override(language):
            matches[path] = resolver.resolve(path)
    return {
        path: match for path, match in matches.items() if getattr(match.func, "sessionless", False)
    }


class SessionlessGetMiddleware:
    """Answers a GET without cookies to a ``@sessionless`` view directly, skipping the
    middlewares after it in MIDDLEWARE (session, CSRF, authentication, OTP, messages,
    django-axes) and the handler's URL resolution: about a fifth of a search's cost.

    Without cookies those middlewares add nothing to such a response: no session to load,
    renew or expire, no message cookie, no user, no sign-in; a GET passes CSRF's check,
    and a page whose form asked for a token gets its CSRF cookie here as CSRF's middleware
    would set it. Everything before this one in MIDDLEWARE (security headers, locale,
    Content-Length, X-Frame-Options, metrics and access log) still runs, and a database
    outage is still a 503.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request):
        if request.method != "GET" or request.COOKIES:
            return self.get_response(request)
        match = _sessionless_routes(get_resolver()).get(request.path_info)
        if match is None:
            return self.get_response(request)
        request.resolver_match = match
        try:
            response = match.func(request, *match.args, **match.kwargs)
        except Exception as error:
            response = database_outage_response(request, error)
            if response is None:
                raise
            return response
        # A DRF answer (an error's) is rendered as Django's handler would.
        if callable(getattr(response, "render", None)):
            response = response.render()
        return self.csrf.process_response(request, response)
