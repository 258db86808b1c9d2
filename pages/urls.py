"""The patient pages, served in every language (config.urls mounts them under /es/ too)."""

from django.urls import path

from .views import content, links, providers, search

urlpatterns = [
    path("", search.home, name="home"),
    path("find/", search.find, name="find"),
    path("treatments/<slug:slug>/", content.treatment_detail, name="treatment-detail"),
    path("conditions/<slug:slug>/", content.condition_detail, name="condition-detail"),
    path("specialists/<slug:slug>/", content.specialist_detail, name="specialist-detail"),
    path("institutes/<slug:slug>/", content.institute_detail, name="institute-detail"),
    path("thanks/", links.lead_received, name="lead-received"),
    path("thanks/<uuid:lead_id>/", links.lead_thanks, name="lead-thanks"),
    path("newsletter/confirm/<str:token>/", links.newsletter_confirm, name="newsletter-confirm"),
    path(
        "newsletter/unsubscribe/<str:token>/",
        links.newsletter_unsubscribe,
        name="newsletter-unsubscribe",
    ),
    path("ebook/download/<str:token>/", links.ebook_download, name="ebook-download"),
    path("provider/lead/<str:token>/", providers.provider_lead, name="provider-lead"),
    path("provider/listing/<str:token>/", providers.provider_listing, name="provider-listing"),
]
