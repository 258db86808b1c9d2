"""The files crawlers read at fixed addresses, one per site whatever the language."""

from django.contrib.sitemaps import views as sitemap_views
from django.urls import path

from .sitemaps import SITEMAPS
from .views import content

urlpatterns = [
    # An index, so a directory past 50,000 specialists still lists every page.
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap-index",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    path("robots.txt", content.robots_txt, name="robots-txt"),
]
