from django.shortcuts import get_object_or_404, render

from .models import Condition, Institute, Specialist, Treatment


def treatment_detail(request, slug):
    treatment = get_object_or_404(Treatment, slug=slug)
    return render(request, "specialists/treatment_detail.html", {"treatment": treatment})


def condition_detail(request, slug):
    condition = get_object_or_404(Condition, slug=slug)
    return render(request, "specialists/condition_detail.html", {"condition": condition})


def specialist_detail(request, slug):
    specialist = get_object_or_404(Specialist.objects.with_profile(), slug=slug)
    return render(request, "specialists/specialist_detail.html", {"specialist": specialist})


def institute_detail(request, slug):
    institute = get_object_or_404(Institute, slug=slug)
    return render(request, "specialists/institute_detail.html", {"institute": institute})
