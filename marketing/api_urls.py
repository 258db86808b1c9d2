from django.urls import path

from marketing.apis import LeadExportApi

urlpatterns = [
    path("leads/export/", LeadExportApi.as_view(), name="lead-export"),
]
