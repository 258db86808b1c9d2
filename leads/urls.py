from django.urls import path

from . import views

urlpatterns = [
    path("thanks/", views.lead_received, name="lead-received"),
    path("thanks/<uuid:lead_id>/", views.lead_thanks, name="lead-thanks"),
    path("newsletter/confirm/<str:token>/", views.newsletter_confirm, name="newsletter-confirm"),
    path(
        "newsletter/unsubscribe/<str:token>/",
        views.newsletter_unsubscribe,
        name="newsletter-unsubscribe",
    ),
    path("ebook/download/<str:token>/", views.ebook_download, name="ebook-download"),
]
