from django.urls import path

from . import apis

urlpatterns = [
    path("leads/", apis.LeadCreateApi.as_view(), name="api-lead-create"),
    path("newsletter/", apis.NewsletterSubscribeApi.as_view(), name="api-newsletter-subscribe"),
    path("ebook/", apis.EbookRequestApi.as_view(), name="api-ebook-request"),
]
