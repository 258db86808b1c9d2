"""The directory admin: listings, their certifications, the catalog and the CSV upload."""

import datetime

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Subquery
from django.http import FileResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from core.admin import ViewOnlyAdmin

from .corrections import (
    CorrectionNotPending,
    correction_approve,
    correction_diff,
    correction_reject,
)
from .forms import InstituteAdminForm, ProviderUploadForm, SpecialistAdminForm
from .importing import COLUMNS, ImportFileError, providers_import, utf8_lines
from .models import (
    CERTIFICATION_WARNING_DAYS,
    FACT_LABELS,
    LISTING_FACTS,
    Board,
    BoardCertification,
    Condition,
    FactSource,
    Institute,
    InsurancePlan,
    ListingChange,
    ListingCorrection,
    Specialist,
    Treatment,
    fact_stamp,
)
from .services import listing_facts_confirm, listings_set_active
from .staging import StagedFileGone, staged_delete, staged_open, staged_save

EXPIRY_WARNING_DAYS = CERTIFICATION_WARNING_DAYS
REJECTIONS_SHOWN = 1000
REGISTRY_CHANGES_SHOWN = 20
# What a staged file is kept for (``staging``): the checked upload and its rejected rows.
STAGED_UPLOAD = "dry-run-upload"
STAGED_REJECTIONS = "rejected-rows"

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


class StaleFactsFilter(admin.SimpleListFilter):
    """Listing facts nobody has confirmed for LISTING_STALE_DAYS (or ever)."""

    title = "listing facts not confirmed"
    parameter_name = "stale"

    def lookups(self, request, model_admin):
        return [("any", f"Any, {settings.LISTING_STALE_DAYS}+ days or never"), *FACT_LABELS.items()]

    def queryset(self, request, queryset):
        if self.value() not in dict(self.lookup_choices):
            return queryset
        return queryset.facts_stale(fact=None if self.value() == "any" else self.value())


class CertificateExpiringFilter(admin.SimpleListFilter):
    """Certificates to renew: current, expiring within CERTIFICATION_WARNING_DAYS."""

    title = "expiry"
    parameter_name = "expiring"

    def lookups(self, request, model_admin):
        return [("soon", f"Within {CERTIFICATION_WARNING_DAYS} days")]

    def queryset(self, request, queryset):
        return queryset.expiring() if self.value() == "soon" else queryset


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
    fields = ["board", "certified_since", "expires_on", "verified_on", "verified_source"]
    readonly_fields = ["verified_source"]


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
        "certification_expiry",
        "accepting_new_patients",
        "active",
        "updated_at",
        "updated_by",
    ]
    list_select_related = ["institute", "updated_by"]
    search_fields = ["first_name", "last_name", "=npi", "city", "=zip"]
    # Short, often-used filters first; the long state list last.
    list_filter = [
        CertificationStatusFilter,
        StaleFactsFilter,
        "active",
        "accepting_new_patients",
        "telehealth",
        "gender",
        "insurance",
        "source",
        "specialty",
        "treatments",
        ("certifications__board", admin.RelatedOnlyFieldListFilter),
        StateFilter,
    ]
    actions = [*ListingAdmin.actions, "confirm_facts"]
    autocomplete_fields = ["institute"]
    filter_horizontal = ["treatments", "insurance"]
    inlines = [BoardCertificationInline]
    change_form_template = "admin/specialists/specialist/change_form.html"
    prepopulated_fields = {"slug": ["first_name", "last_name", "credentials", "npi"]}
    list_per_page = 50
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("first_name", "last_name", "credentials"),
                    ("npi", "slug"),
                    ("specialty", "taxonomy_code"),
                    "institute",
                    ("active", "accepting_new_patients", "weekly_capacity"),
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
        (
            "Listing facts confirmed",
            {
                "fields": ["facts_confirmed", "registry_changes"],
                "description": "Saving a changed fact here dates it today. Facts not "
                f"confirmed for {settings.LISTING_STALE_DAYS} days are listed as stale.",
            },
        ),
        LISTING_HISTORY_FIELDSET,
    ]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "facts_confirmed", "registry_changes"]

    def get_queryset(self, request):
        # The next expiry among current certificates, so the column sorts in the database.
        next_expiry = (
            BoardCertification.objects.filter(
                specialist=OuterRef("pk"), expires_on__gte=timezone.localdate()
            )
            .order_by("expires_on")
            .values("expires_on")[:1]
        )
        return (
            super()
            .get_queryset(request)
            .prefetch_related("certifications")
            .annotate(next_expiry=Subquery(next_expiry))
        )

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

    # Lifetime certificates never expire: last going up, first going down.
    @admin.display(
        description="Certification expiry", ordering=F("next_expiry").asc(nulls_last=True)
    )
    def certification_expiry(self, obj):
        if obj.next_expiry is not None:
            return obj.next_expiry
        return "No expiry" if obj.is_board_certified() else None

    @admin.display(description="Confirmed")
    def facts_confirmed(self, obj):
        if obj.pk is None:
            return "never: each fact is dated when the listing is saved"
        dates = {
            "certifications": (obj.certifications_verified_on, ""),
            **{
                fact: (
                    getattr(obj, f"{fact}_verified_on"),
                    getattr(obj, f"get_{fact}_verified_source_display")(),
                )
                for fact in LISTING_FACTS
            },
        }
        return format_html_join(
            "",
            "<div>{}: {}</div>",
            (
                (
                    label,
                    (date_format(on) + (f" ({source})" if source else "")) if on else "never",
                )
                for fact, label in FACT_LABELS.items()
                for on, source in [dates[fact]]
            ),
        )

    @admin.display(description="Changed by NPPES or the provider")
    def registry_changes(self, obj):
        changes = list(obj.changes.all()[:REGISTRY_CHANGES_SHOWN]) if obj.pk else []
        if not changes:
            return "none"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    date_format(timezone.localtime(c.changed_at), "SHORT_DATETIME_FORMAT"),
                    c.field,
                    c.old_value,
                    c.new_value,
                    c.get_source_display(),
                )
                for c in changes
            ),
        )
        all_url = reverse("admin:specialists_listingchange_changelist")
        return format_html(
            "<table><thead><tr><th>When</th><th>Field</th><th>Was</th><th>Now</th>"
            '<th>Source</th></tr></thead><tbody>{}</tbody></table><a href="{}?{}">All changes</a>',
            rows,
            all_url,
            f"specialist__id__exact={obj.pk}",
        )

    @admin.action(
        description="Mark the selected listings' facts confirmed today", permissions=["change"]
    )
    def confirm_facts(self, request, queryset):
        count = listing_facts_confirm(queryset=queryset, user=request.user)
        self.message_user(request, f"Confirmed the facts of {count} listings.", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        # A fact saved with a new value is confirmed today by whoever typed it.
        today = timezone.localdate()
        for fact, fields in LISTING_FACTS.items():
            if not change or set(fields) & set(form.changed_data):
                for name, value in fact_stamp(fact, source=FactSource.ADMIN, on=today).items():
                    setattr(obj, name, value)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is not BoardCertification:
            return super().save_formset(request, form, formset, change)
        # A certificate added or edited is confirmed today, unless a date was typed in.
        for inline in formset.forms:
            if inline.has_changed() and inline not in formset.deleted_forms:
                inline.instance.verified_source = FactSource.ADMIN
                if "verified_on" not in inline.changed_data:
                    inline.instance.verified_on = timezone.localdate()
        return super().save_formset(request, form, formset, change)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["hidden_reasons"] = obj.search_hidden_reasons() if obj is not None else []
        context["pending_correction"] = (
            obj.corrections.filter(status=ListingCorrection.Status.PENDING).first()
            if obj is not None
            else None
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("upload-csv/", view(self.upload_view), name="specialists_specialist_upload"),
            path(
                "upload-csv/rejected/<str:token>/",
                view(self.rejections_view),
                name="specialists_specialist_upload_rejections",
            ),
            *super().get_urls(),
        ]

    def has_upload_permission(self, request) -> bool:
        return request.user.has_perms(
            ["specialists.add_specialist", "specialists.change_specialist"]
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_upload": self.has_upload_permission(request)}
        return super().changelist_view(request, extra_context)

    def upload_view(self, request):
        """Runs the same import as `manage.py import_providers` on an uploaded file.

        A dry run keeps the file on the server (``staging``) so the import can be confirmed
        without choosing it again; any run with rejected rows offers them as a CSV.
        """
        if not self.has_upload_permission(request):
            raise PermissionDenied
        report, file_error, confirm_token = None, None, None
        form = ProviderUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and "staged" in request.POST:
            form = ProviderUploadForm()
            report, file_error = self._staged_import(request, request.POST["staged"])
        elif request.method == "POST" and form.is_valid():
            upload, dry_run = form.cleaned_data["file"], form.cleaned_data["dry_run"]
            report, file_error = _import(request, upload, dry_run=dry_run)
            if dry_run and file_error is None:
                upload.seek(0)
                confirm_token = staged_save(
                    content=upload, user=request.user, purpose=STAGED_UPLOAD
                )
        rejections_token = (
            staged_save(
                content=[report.rejections_csv()], user=request.user, purpose=STAGED_REJECTIONS
            )
            if report and report.rejected
            else None
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Upload provider CSV",
            "form": form,
            "report": report,
            "file_error": file_error,
            "confirm_token": confirm_token,
            "staging_minutes": settings.IMPORT_STAGING_MAX_AGE_SECONDS // 60,
            "rejections": report.rejections[:REJECTIONS_SHOWN] if report else [],
            "rejections_hidden": max(report.rejected - REJECTIONS_SHOWN, 0) if report else 0,
            "rejections_token": rejections_token,
            "columns": COLUMNS,
            "changelist_url": reverse("admin:specialists_specialist_changelist"),
        }
        return TemplateResponse(request, "admin/specialists/specialist/upload_csv.html", context)

    def _staged_import(self, request, token: str):
        """Import the file a dry run checked; it is used once, then deleted."""
        try:
            with staged_open(token=token, user=request.user, purpose=STAGED_UPLOAD) as staged:
                outcome = _import(request, staged, dry_run=False)
            staged_delete(token=token, user=request.user, purpose=STAGED_UPLOAD)
        except StagedFileGone:
            return None, (
                "That dry run is no longer available: it was imported already, or more than "
                f"{settings.IMPORT_STAGING_MAX_AGE_SECONDS // 60} minutes have passed. Choose "
                "the file again."
            )
        return outcome

    def rejections_view(self, request, token):
        """The rejected rows of an upload as CSV: line, npi, name, reason."""
        if not self.has_upload_permission(request):
            raise PermissionDenied
        try:
            staged = staged_open(token=token, user=request.user, purpose=STAGED_REJECTIONS)
        except StagedFileGone:
            self.message_user(
                request,
                "That list of rejected rows is no longer available; upload the file again "
                "(with Dry run ticked) to get a new one.",
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:specialists_specialist_upload"))
        return FileResponse(
            staged,
            as_attachment=True,
            filename="rejected-rows.csv",
            content_type="text/csv; charset=utf-8",
        )


def _import(request, binary, *, dry_run: bool):
    """The report of importing ``binary`` and the file's error, if it had one."""
    try:
        report = providers_import(
            csv_file=utf8_lines(binary), dry_run=dry_run, user=request.user, source="import"
        )
    except ImportFileError as error:
        return error.report, str(error)
    return report, None


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
    list_display = ["name", "name_es", "slug", "sort_order", "last_reviewed", "updated_at"]
    list_editable = ["sort_order"]
    search_fields = ["name", "name_es", "slug", "summary"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["updated_at"]
    fieldsets = [
        (None, {"fields": ["slug", "sort_order", "last_reviewed", "updated_at"]}),
        ("English", {"fields": ["name", "summary", "meta_description", "body"]}),
        (
            "Spanish (the /es/ page; an empty field shows the English one)",
            {"fields": ["name_es", "summary_es", "meta_description_es", "body_es"]},
        ),
    ]


@admin.register(Treatment)
class TreatmentAdmin(ContentPageAdmin):
    pass


@admin.register(Condition)
class ConditionAdmin(ContentPageAdmin):
    filter_horizontal = ["treatments"]
    fieldsets = [
        *ContentPageAdmin.fieldsets,
        ("Treatments to read about", {"fields": ["treatments"]}),
    ]


@admin.register(InsurancePlan)
class InsurancePlanAdmin(SpecialistCountMixin, admin.ModelAdmin):
    list_display = ["name", "name_es", "slug", "sort_order", "specialist_count"]
    list_editable = ["sort_order"]
    search_fields = ["name", "name_es", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_es", "certification_count"]
    search_fields = ["code", "name", "name_es"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(certification_total=Count("certifications"))

    @admin.display(description="Certifications", ordering="certification_total")
    def certification_count(self, obj):
        return obj.certification_total


class CertificateStaleFilter(admin.SimpleListFilter):
    title = "confirmed"
    parameter_name = "stale"

    def lookups(self, request, model_admin):
        return [("yes", f"Not for {settings.LISTING_STALE_DAYS}+ days, or never")]

    def queryset(self, request, queryset):
        return queryset.stale() if self.value() == "yes" else queryset


class RecordAdmin(ViewOnlyAdmin):
    """A list to read and filter; the rows are changed elsewhere (on the specialist's
    page, or by an import)."""

    @admin.display(description="Specialist", ordering="specialist__last_name")
    def specialist_link(self, obj):
        url = reverse("admin:specialists_specialist_change", args=[obj.specialist_id])
        return format_html('<a href="{}">{}</a>', url, obj.specialist.display_name)


@admin.register(BoardCertification)
class BoardCertificationAdmin(RecordAdmin):
    """Every certificate on file, to renew and to confirm again."""

    list_display = [
        "specialist_link",
        "board",
        "certified_since",
        "expires_on",
        "verified_on",
        "verified_source",
    ]
    list_select_related = ["specialist", "board"]
    list_filter = [CertificateExpiringFilter, CertificateStaleFilter, "board", "specialist__active"]
    search_fields = ["specialist__last_name", "=specialist__npi"]
    ordering = [F("expires_on").asc(nulls_last=True), "id"]


@admin.register(ListingChange)
class ListingChangeAdmin(RecordAdmin):
    """What NPPES and providers changed on listings, field by field."""

    list_display = ["changed_at", "specialist_link", "field", "old_value", "new_value", "source"]
    list_select_related = ["specialist"]
    list_filter = ["source", "field", "changed_at"]
    search_fields = ["specialist__last_name", "=specialist__npi"]
    date_hierarchy = "changed_at"


@admin.register(ListingCorrection)
class ListingCorrectionAdmin(admin.ModelAdmin):
    """Specialists' own corrections, to approve or reject one at a time, each with its
    diff. Approving applies it as an edit by the reviewer (``correction_approve``), so it
    needs the right to change specialists too."""

    list_display = ["submitted_at", "specialist_link", "status", "reviewed_by", "reviewed_at"]
    list_select_related = ["specialist", "reviewed_by"]
    list_filter = ["status", "submitted_at"]
    search_fields = ["specialist__last_name", "=specialist__npi"]
    date_hierarchy = "submitted_at"
    fields = [
        "specialist_link",
        ("status", "submitted_at"),
        "diff",
        "note",
        "review_note",
        ("reviewed_by", "reviewed_at"),
    ]
    readonly_fields = [
        "specialist_link",
        "status",
        "submitted_at",
        "diff",
        "note",
        "reviewed_by",
        "reviewed_at",
    ]
    change_form_template = "admin/specialists/listingcorrection/change_form.html"
    # A text area, so Enter in the note adds a line rather than pressing the first button.
    formfield_overrides = {models.CharField: {"widget": forms.Textarea(attrs={"rows": 3})}}

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Only a waiting proposal is decided on; a decided one is a record.
        return (
            super().has_change_permission(request, obj)
            and request.user.has_perm("specialists.change_specialist")
            and (obj is None or obj.status == ListingCorrection.Status.PENDING)
        )

    @admin.display(description="Specialist", ordering="specialist__last_name")
    def specialist_link(self, obj):
        url = reverse("admin:specialists_specialist_change", args=[obj.specialist_id])
        return format_html('<a href="{}">{}</a> (NPI {})', url, obj.specialist, obj.specialist.npi)

    @admin.display(description="Listing now and as proposed")
    def diff(self, obj):
        rows = format_html_join(
            "",
            '<tr><th scope="row">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    field.label,
                    field.current,
                    format_html("<strong>{}</strong>", field.proposed)
                    if field.changed
                    else field.proposed,
                    "changed" if field.changed else "same",
                )
                for field in correction_diff(obj)
            ),
        )
        return format_html(
            '<table class="correction-diff"><thead><tr><th scope="col">Field</th>'
            '<th scope="col">Listing now</th><th scope="col">Proposed</th>'
            '<th scope="col"></th></tr></thead><tbody>{}</tbody></table>',
            rows,
        )

    def save_model(self, request, obj, form, change):
        """The form's buttons decide; nothing else on a proposal is saved by hand."""
        note = form.cleaned_data.get("review_note", "")
        try:
            if "_approve" in request.POST:
                changed = correction_approve(correction=obj, user=request.user, note=note)
                self.message_user(
                    request,
                    f"Applied to {obj.specialist}: {', '.join(changed)}."
                    if changed
                    else f"Nothing differed on {obj.specialist}'s listing: its facts are "
                    "confirmed as of the proposal.",
                    messages.SUCCESS,
                )
            elif "_reject" in request.POST:
                correction_reject(correction=obj, user=request.user, note=note)
                self.message_user(request, "Rejected; the listing is unchanged.", messages.SUCCESS)
            else:
                self.message_user(
                    request, "Nothing decided: press Approve or Reject.", messages.WARNING
                )
        except CorrectionNotPending as decided:
            self.message_user(
                request, f"Nothing done: this proposal is already {decided}.", messages.ERROR
            )

    def log_change(self, request, obj, message):
        # The decision is in the specialist's history (``correction_approve``/``_reject``).
        return None

    def response_change(self, request, obj):
        return HttpResponseRedirect(reverse("admin:specialists_listingcorrection_changelist"))
