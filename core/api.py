"""API plumbing shared by every app: the error shape and the public POST throttle."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, throttling
from rest_framework.views import exception_handler as drf_exception_handler

from .http import client_ip


def exception_handler(exc, context):
    """DRF's handler, plus Django's own ValidationError mapped to the contract's 400 shape."""
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)


class PublicPostThrottle(throttling.AnonRateThrottle):
    """One budget per client shared by every public POST endpoint (leads, newsletter, e-book).

    The rate comes from PUBLIC_POST_RATE; GETs are never throttled.
    """

    scope = "public_post"

    def get_ident(self, request):
        # DRF's own reading trusts any X-Forwarded-For; ours only the configured proxies.
        return client_ip(request) or "unknown"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def allow_request(self, request, view):
        if request.method != "POST":
            return True
        return super().allow_request(request, view)
