from django.contrib.sitemaps import views as sitemap_views
from django.urls import path

from . import views
from .sitemaps import SITEMAPS

urlpatterns = [
    path("treatments/<slug:slug>/", views.treatment_detail, name="treatment-detail"),
    path("conditions/<slug:slug>/", views.condition_detail, name="condition-detail"),
    path("specialists/<slug:slug>/", views.specialist_detail, name="specialist-detail"),
    path("institutes/<slug:slug>/", views.institute_detail, name="institute-detail"),
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
    path("robots.txt", views.robots_txt, name="robots-txt"),
]
