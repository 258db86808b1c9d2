from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.db import connection
from django.http import JsonResponse
from django.urls import include, path
from django.views.decorators.cache import never_cache
from drf_spectacular.views import SpectacularAPIView


@never_cache
def healthz(request):
    """200 when the database answers; 503 otherwise, so a load balancer drops the node."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any driver failure means "not healthy", whatever its class
        return JsonResponse({"status": "error", "database": type(error).__name__}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


# The admin is the site's own, not "Django administration".
admin.site.site_header = f"{settings.SITE_NAME} administration"
admin.site.site_title = f"{settings.SITE_NAME} admin"
admin.site.index_title = "Directory, leads and marketing"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/", include("matcher.api_urls")),
    path("api/v1/", include("marketing.api_urls")),
    path("api/v1/", include("leads.api_urls")),
    path("", include("pages.site_file_urls")),
    # The patient pages: English at the addresses they always had, Spanish under /es/.
    *i18n_patterns(path("", include("pages.urls")), prefix_default_language=False),
]
