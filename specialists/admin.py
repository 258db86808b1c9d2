"""The directory admin: listings, their certifications, the catalog and the CSV upload."""

import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from .forms import InstituteAdminForm, ProviderUploadForm, SpecialistAdminForm
from .importing import COLUMNS, ImportFileError, providers_import, utf8_lines
from .models import (
    Board,
    BoardCertification,
    Condition,
    Institute,
    InsurancePlan,
    Specialist,
    Treatment,
)
from .services import listings_set_active

EXPIRY_WARNING_DAYS = 90
REJECTIONS_SHOWN = 1000

# Specialists and institutes are both listings at a practice address; their change forms
# lay these fields out the same way.
PRACTICE_ADDRESS_FIELDSET = (
    "Practice address",
    {
        "fields": [
            "address_line1",
            "address_line2",
            ("city", "state", "zip"),
            ("latitude", "longitude", "location_source"),
        ]
    },
)
LISTING_HISTORY_FIELDSET = (
    "History",
    {"fields": [("source", "created_at"), ("updated_at", "updated_by")]},
)


class CertificationStatusFilter(admin.SimpleListFilter):
    """Board certification as operations see it; "current" is the matcher's own rule."""

    title = "certification status"
    parameter_name = "certification"

    def lookups(self, request, model_admin):
        return [
            ("current", "Current"),
            ("expiring", f"Current, lapsing within {EXPIRY_WARNING_DAYS} days"),
            ("expired", "Expired (no current certificate)"),
            ("none", "No certificate on file"),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "current":
            return queryset.board_certified(today)
        if self.value() == "expiring":
            later = today + datetime.timedelta(days=EXPIRY_WARNING_DAYS)
            return queryset.board_certified(today).exclude(
                pk__in=Specialist.objects.board_certified(later).values("pk")
            )
        if self.value() == "expired":
            expired = BoardCertification.objects.expired(today).filter(specialist=OuterRef("pk"))
            return queryset.filter(Exists(expired)).exclude(
                pk__in=Specialist.objects.board_certified(today).values("pk")
            )
        if self.value() == "none":
            return queryset.filter(certifications__isnull=True)
        return queryset


class StateFilter(admin.SimpleListFilter):
    """States that have listings, rather than every value ever typed."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        states = (
            model_admin.model.objects.order_by("state").values_list("state", flat=True).distinct()
        )
        return [(state, state) for state in states]

    def queryset(self, request, queryset):
        return queryset.filter(state=self.value()) if self.value() else queryset


class BoardCertificationInline(admin.TabularInline):
    model = BoardCertification
    extra = 0
    fields = ["board", "certified_since", "expires_on", "verified_on"]


class SpecialistCountMixin:
    """A sortable list column: how many specialists the row has."""

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(specialist_total=Count("specialists"))

    @admin.display(description="Specialists", ordering="specialist_total")
    def specialist_count(self, obj):
        return obj.specialist_total


class ListingAdmin(admin.ModelAdmin):
    """What specialists and institutes share: a practice address placed on the map, an
    import source, who changed the listing last, and bulk (de)activation with a history
    entry per row."""

    actions = ["activate", "deactivate"]
    readonly_fields = ["location_source", "source", "created_at", "updated_at", "updated_by"]

    def save_model(self, request, obj, form, change):
        # Django saves the parent on every change-form submit, so inline-only edits
        # (certifications) are attributed too.
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Activate selected %(verbose_name_plural)s", permissions=["change"])
    def activate(self, request, queryset):
        changed = listings_set_active(queryset=queryset, active=True, user=request.user)
        self.message_user(request, f"Activated {changed}.", messages.SUCCESS)

    @admin.action(description="Deactivate selected %(verbose_name_plural)s", permissions=["change"])
    def deactivate(self, request, queryset):
        changed = listings_set_active(queryset=queryset, active=False, user=request.user)
        self.message_user(request, f"Deactivated {changed}.", messages.SUCCESS)


@admin.register(Specialist)
class SpecialistAdmin(ListingAdmin):
    form = SpecialistAdminForm
    change_list_template = "admin/specialists/specialist/change_list.html"
    list_display = [
        "display_name",
        "npi",
        "specialty",
        "institute",
        "city_state",
        "certification_status",
        "accepting_new_patients",
        "active",
        "updated_at",
        "updated_by",
    ]
    list_select_related = ["institute", "updated_by"]
    search_fields = ["first_name", "last_name", "=npi", "city", "=zip"]
    list_filter = [
        StateFilter,
        "specialty",
        "treatments",
        ("certifications__board", admin.RelatedOnlyFieldListFilter),
        CertificationStatusFilter,
        "active",
        "accepting_new_patients",
        "telehealth",
        "gender",
        "insurance",
        "source",
    ]
    autocomplete_fields = ["institute"]
    filter_horizontal = ["treatments", "insurance"]
    inlines = [BoardCertificationInline]
    prepopulated_fields = {"slug": ["first_name", "last_name", "credentials", "npi"]}
    list_per_page = 50
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("first_name", "last_name", "credentials"),
                    ("npi", "slug"),
                    "specialty",
                    "institute",
                    ("active", "accepting_new_patients"),
                ]
            },
        ),
        ("Contact", {"fields": ["phone", "email"]}),
        PRACTICE_ADDRESS_FIELDSET,
        ("Treatments offered", {"fields": ["treatments"]}),
        (
            "What patients filter on",
            {"fields": ["languages", ("gender", "telehealth"), "insurance"]},
        ),
        LISTING_HISTORY_FIELDSET,
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("certifications")

    @admin.display(description="Name", ordering="last_name")
    def display_name(self, obj):
        return obj.display_name

    @admin.display(description="City", ordering="city")
    def city_state(self, obj):
        return f"{obj.city}, {obj.state}"

    @admin.display(description="Certification")
    def certification_status(self, obj):
        today = timezone.localdate()
        if obj.is_board_certified(today):
            later = today + datetime.timedelta(days=EXPIRY_WARNING_DAYS)
            return "Current" if obj.is_board_certified(later) else "Lapsing soon"
        return "Expired" if obj.certifications.all() else "None"

    def get_urls(self):
        upload = path(
            "upload-csv/",
            self.admin_site.admin_view(self.upload_view),
            name="specialists_specialist_upload",
        )
        return [upload, *super().get_urls()]

    def has_upload_permission(self, request) -> bool:
        return request.user.has_perms(
            ["specialists.add_specialist", "specialists.change_specialist"]
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_upload": self.has_upload_permission(request)}
        return super().changelist_view(request, extra_context)

    def upload_view(self, request):
        """Runs the same import as `manage.py import_providers` on an uploaded file."""
        if not self.has_upload_permission(request):
            raise PermissionDenied
        report, file_error = None, None
        form = ProviderUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                report = providers_import(
                    csv_file=utf8_lines(form.cleaned_data["file"]),
                    dry_run=form.cleaned_data["dry_run"],
                    user=request.user,
                    source="import",
                )
            except ImportFileError as error:
                file_error, report = str(error), error.report
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Upload provider CSV",
            "form": form,
            "report": report,
            "file_error": file_error,
            "rejections": report.rejections[:REJECTIONS_SHOWN] if report else [],
            "rejections_hidden": max(report.rejected - REJECTIONS_SHOWN, 0) if report else 0,
            "columns": COLUMNS,
            "changelist_url": reverse("admin:specialists_specialist_changelist"),
        }
        return TemplateResponse(request, "admin/specialists/specialist/upload_csv.html", context)


@admin.register(Institute)
class InstituteAdmin(SpecialistCountMixin, ListingAdmin):
    form = InstituteAdminForm
    list_display = [
        "name",
        "city",
        "state",
        "phone",
        "specialist_count",
        "active",
        "source",
        "updated_at",
        "updated_by",
    ]
    list_select_related = ["updated_by"]
    search_fields = ["name", "city", "=zip"]
    list_filter = [StateFilter, "active", "source"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "active", "description", "opening_hours"]}),
        ("Contact", {"fields": ["phone", "website"]}),
        PRACTICE_ADDRESS_FIELDSET,
        LISTING_HISTORY_FIELDSET,
    ]


class ContentPageAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "sort_order", "last_reviewed", "updated_at"]
    list_editable = ["sort_order"]
    search_fields = ["name", "slug", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["updated_at"]


@admin.register(Treatment)
class TreatmentAdmin(ContentPageAdmin):
    pass


@admin.register(Condition)
class ConditionAdmin(ContentPageAdmin):
    filter_horizontal = ["treatments"]


@admin.register(InsurancePlan)
class InsurancePlanAdmin(SpecialistCountMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "sort_order", "specialist_count"]
    list_editable = ["sort_order"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "certification_count"]
    search_fields = ["code", "name"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(certification_total=Count("certifications"))

    @admin.display(description="Certifications", ordering="certification_total")
    def certification_count(self, obj):
        return obj.certification_total
