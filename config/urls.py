from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from core import views as operations

# The admin is the site's own, not "Django administration".
admin.site.site_header = f"{settings.SITE_NAME} administration"
admin.site.site_title = f"{settings.SITE_NAME} admin"
admin.site.index_title = "Directory, leads and marketing"

urlpatterns = [
    path("healthz", operations.healthz, name="healthz"),
    path("readyz", operations.readyz, name="readyz"),
    path("metrics", operations.metrics, name="metrics"),
    path(settings.ADMIN_URL, admin.site.urls),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/", include("matcher.api_urls")),
    path("api/v1/", include("marketing.api_urls")),
    path("api/v1/", include("leads.api_urls")),
    path("", include("pages.site_file_urls")),
    # The patient pages: English at the addresses they always had, Spanish under /es/.
    *i18n_patterns(path("", include("pages.urls")), prefix_default_language=False),
]
