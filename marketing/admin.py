"""Marketing in the admin: the lead CSV action, the export audit, the funnel and the
provider response table."""

import datetime

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from core.admin import ViewOnlyAdmin
from leads.admin import LeadAdmin
from leads.models import Lead, LeadMatch
from marketing.exporting import (
    FUNNEL_COLUMNS,
    csv_download,
    csv_lines,
    funnel_csv_rows,
    lead_csv_download,
    user_may_export,
)
from marketing.filters import US_STATE_CODES
from marketing.funnel_chart import funnel_chart
from marketing.models import ExportRecord, Funnel, ProviderResponse
from marketing.selectors import (
    conversion_rate,
    funnel_report,
    lead_export_list,
    provider_response_report,
)
from marketing.services import export_record_start, search_tally_flush
from specialists.models import Treatment

FUNNEL_DEFAULT_DAYS = 30
FUNNEL_MAX_DAYS = 366
# Changelist parameters that are not filters: search text may be a patient's name.
_NOT_FILTERS = {"q", "p", "o", "e", "_changelist_filters"}

# The leads app registers its own Lead admin and knows nothing of marketing; marketing
# replaces it with a subclass. Importing leads.admin above has registered it whatever
# order the admin modules are discovered in.
admin.site.unregister(Lead)


@admin.register(Lead)
class MarketingLeadAdmin(LeadAdmin):
    """The leads app's Lead admin, plus the CSV export for those who may export."""

    actions = [*LeadAdmin.actions, "export_selected_leads"]

    def has_export_permission(self, request) -> bool:
        return user_may_export(request.user)

    @admin.action(description="Export selected leads as CSV", permissions=["export"])
    def export_selected_leads(self, request, queryset):
        selected = (
            "all matching"
            if request.POST.get("select_across") == "1"
            else len(request.POST.getlist(ACTION_CHECKBOX_NAME))
        )
        filters = {
            "admin_selection": selected,
            "admin_changelist_filters": {
                name: value for name, value in request.GET.items() if name not in _NOT_FILTERS
            },
            "admin_search_used": bool(request.GET.get("q")),
        }
        record = export_record_start(
            user=request.user,
            actor=request.user.get_username(),
            channel=ExportRecord.Channel.ADMIN,
            filters=filters,
        )
        return lead_csv_download(leads=lead_export_list(queryset=queryset), record=record)


@admin.register(ExportRecord)
class ExportRecordAdmin(ViewOnlyAdmin):
    """The audit trail: one row per lead export, from any channel."""

    list_display = ("started_at", "actor", "channel", "row_count", "completed", "filters")
    list_filter = ("channel", "completed", "started_at")
    search_fields = ("actor",)
    date_hierarchy = "started_at"
    readonly_fields = (
        "user",
        "actor",
        "channel",
        "filters",
        "started_at",
        "finished_at",
        "row_count",
        "completed",
    )


class ReportPeriodForm(forms.Form):
    """The days a report covers, at most FUNNEL_MAX_DAYS."""

    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    @classmethod
    def from_request(cls, request):
        """Bound to the request's query, or to the last FUNNEL_DEFAULT_DAYS days."""
        today = timezone.localdate()
        initial = {"start": today - datetime.timedelta(days=FUNNEL_DEFAULT_DAYS - 1), "end": today}
        return cls(request.GET or initial)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                self.add_error("start", "The start must not be after the end.")
            elif (end - start).days >= FUNNEL_MAX_DAYS:
                self.add_error("start", f"Pick at most {FUNNEL_MAX_DAYS} days.")
        return cleaned


class FunnelFilterForm(ReportPeriodForm):
    treatment = forms.ModelChoiceField(
        Treatment.objects.all(), to_field_name="slug", required=False, empty_label="All"
    )


def rate_display(rate: float | None) -> str:
    """A conversion rate as a percentage; a dash when there were no searches to divide by."""
    return "–" if rate is None else f"{rate:.1%}"


class ReportAdmin(ViewOnlyAdmin):
    """A report's page in the admin: a period form, and the report for a valid one.
    Anyone who may export leads may see it; it shows counts, never a patient."""

    title = ""
    template = ""
    form_class = ReportPeriodForm

    def has_module_permission(self, request):
        return user_may_export(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return user_may_export(request.user) or super().has_view_permission(request, obj)

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = self.form_class.from_request(request)
        context = {
            **self.admin_site.each_context(request),
            "title": self.title,
            "opts": self.model._meta,
            "form": form,
            **self.page_context(),
            **(extra_context or {}),
        }
        if form.is_valid():
            download = self.report(request, form.cleaned_data, context)
            if download is not None:
                return download
        return TemplateResponse(request, self.template, context)

    def page_context(self) -> dict:
        """What the page shows whatever the period."""
        return {}

    def report(self, request, period: dict, context: dict):
        """Add the report for the valid ``period`` to ``context``, or answer with a file."""
        raise NotImplementedError


@admin.register(Funnel)
class FunnelAdmin(ReportAdmin):
    """/admin/marketing/funnel/: searches (step 1) against leads (step 2)."""

    title = "Funnel: searches to leads"
    template = "admin/marketing/funnel.html"
    form_class = FunnelFilterForm

    def page_context(self):
        return {
            "export_url": reverse("lead-export"),
            "treatments": Treatment.objects.all(),
            "states": sorted(US_STATE_CODES),
            "statuses": Lead.Status.choices,
        }

    def report(self, request, period, context):
        start, end = period["start"], period["end"]
        search_tally_flush()
        rows = funnel_report(start=start, end=end, treatment=period["treatment"])
        if request.GET.get("download") == "csv":
            return csv_download(
                csv_lines(FUNNEL_COLUMNS, funnel_csv_rows(rows)),
                filename=f"funnel-{start:%Y%m%d}-{end:%Y%m%d}.csv",
            )
        searches = sum(row.searches for row in rows)
        leads = sum(row.leads for row in rows)
        context.update(
            rows=[(row, rate_display(row.conversion_rate)) for row in rows],
            total_searches=searches,
            total_leads=leads,
            total_rate=rate_display(conversion_rate(searches=searches, leads=leads)),
            chart=funnel_chart(rows=rows, start=start, end=end),
            start=start,
            end=end,
        )
        return None


@admin.register(ProviderResponse)
class ProviderResponseAdmin(ReportAdmin):
    """/admin/marketing/providerresponse/: per specialist, the requests routed to them in
    a period and how they answered (``provider_response_report``)."""

    title = "Provider responses"
    template = "admin/marketing/provider_responses.html"

    def page_context(self):
        return {
            "reasons": LeadMatch.Reason.choices,
            "response_hours": settings.PROVIDER_RESPONSE_HOURS,
        }

    def report(self, request, period, context):
        rows = provider_response_report(start=period["start"], end=period["end"])
        context["rows"] = [
            (
                row,
                rate_display(row.in_window_rate),
                [row.cant_help[reason] for reason, _ in LeadMatch.Reason.choices],
            )
            for row in rows
        ]
        return None
