from django.urls import path

from . import apis

urlpatterns = [
    path("match/", apis.SpecialistMatchApi.as_view(), name="api-match"),
    path("institutes/nearest/", apis.InstituteNearestApi.as_view(), name="api-institutes-nearest"),
    path("treatments/", apis.TreatmentListApi.as_view(), name="api-treatments"),
    path("ping/", apis.PingApi.as_view(), name="api-ping"),
]
