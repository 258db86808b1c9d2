from django.urls import path

from . import views

urlpatterns = [
    path("treatments/<slug:slug>/", views.treatment_detail, name="treatment-detail"),
    path("conditions/<slug:slug>/", views.condition_detail, name="condition-detail"),
    path("specialists/<slug:slug>/", views.specialist_detail, name="specialist-detail"),
    path("institutes/<slug:slug>/", views.institute_detail, name="institute-detail"),
]
