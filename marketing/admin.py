"""Marketing in the admin: the lead CSV action, API tokens, the export audit and the funnel.

The "Export selected leads as CSV" action is added onto the Lead admin that the leads app
registers; admin autodiscovery imports app admin modules in INSTALLED_APPS order, and
marketing comes after leads and rest_framework.authtoken.
"""

import datetime

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from leads.models import Lead
from marketing.exporting import (
    EXPORT_PERMISSION,
    FUNNEL_COLUMNS,
    csv_lines,
    export_filename,
    funnel_csv_rows,
    lead_csv_stream,
)
from marketing.filters import US_STATE_CODES
from marketing.models import ExportRecord, Funnel
from marketing.selectors import funnel_report, lead_export_list
from marketing.services import export_record_start, search_tally_flush
from specialists.models import Treatment

FUNNEL_DEFAULT_DAYS = 30
FUNNEL_MAX_DAYS = 366
# Changelist parameters that are not filters: search text may be a patient's name.
_NOT_FILTERS = {"q", "p", "o", "e", "_changelist_filters"}


@admin.action(description="Export selected leads as CSV", permissions=["export"])
def export_selected_leads(modeladmin, request, queryset):
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
    response = StreamingHttpResponse(
        lead_csv_stream(leads=lead_export_list(queryset=queryset), record=record),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename()}"'
    response["Cache-Control"] = "no-store"
    return response


def has_export_permission(request) -> bool:
    return request.user.has_perm(EXPORT_PERMISSION)


def lead_admin_add_export_action() -> None:
    """Put the export action on whatever Lead admin the leads app registered."""
    if not admin.site.is_registered(Lead):
        return
    lead_admin = admin.site.get_model_admin(Lead)
    if export_selected_leads not in (lead_admin.actions or ()):
        lead_admin.actions = [*(lead_admin.actions or ()), export_selected_leads]
    lead_admin.has_export_permission = has_export_permission


lead_admin_add_export_action()


if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class ApiTokenAdmin(TokenAdmin):
    """DRF's token admin, with a searchable user picker and a filter by group, so an
    admin can give a Marketing user a token for the export API in two clicks."""

    autocomplete_fields = ("user",)
    list_filter = ("created", "user__groups")


@admin.register(ExportRecord)
class ExportRecordAdmin(admin.ModelAdmin):
    """The audit trail is read-only for everyone, superusers included."""

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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FunnelFilterForm(forms.Form):
    start = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    treatment = forms.ModelChoiceField(
        Treatment.objects.all(), to_field_name="slug", required=False, empty_label="All"
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                self.add_error("start", "The start must not be after the end.")
            elif (end - start).days >= FUNNEL_MAX_DAYS:
                self.add_error("start", f"Pick at most {FUNNEL_MAX_DAYS} days.")
        return cleaned


def rate_display(rate: float | None) -> str:
    """A conversion rate as a percentage; a dash when there were no searches to divide by."""
    return "–" if rate is None else f"{rate:.1%}"


def funnel_chart(rows, start: datetime.date, end: datetime.date) -> dict:
    """Bar geometry for the inline SVG: searches and leads per day, scaled to the peak."""
    days = [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]
    totals = {day: [0, 0] for day in days}
    for row in rows:
        totals[row.day][0] += row.searches
        totals[row.day][1] += row.leads
    peak = max([1, *(searches for searches, _ in totals.values())])
    peak = max([peak, *(leads for _, leads in totals.values())])
    plot_height, slot = 160, max(8, min(40, 720 // len(days)))
    bar = max(3, slot // 2 - 1)
    bars = []
    for index, day in enumerate(days):
        searches, leads = totals[day]
        x = 40 + index * slot
        for offset, value, kind in ((0, searches, "searches"), (bar, leads, "leads")):
            height = round(plot_height * value / peak)
            bars.append(
                {
                    "x": x + offset,
                    "y": 10 + plot_height - height,
                    "width": bar,
                    "height": height,
                    "kind": kind,
                    "title": f"{day.isoformat()}: {value} {kind}",
                }
            )
    return {
        "width": 40 + len(days) * slot + 10,
        "height": plot_height + 40,
        "baseline": 10 + plot_height,
        "peak": peak,
        "bars": bars,
        "first_day": days[0],
        "last_day": days[-1],
    }


@admin.register(Funnel)
class FunnelAdmin(admin.ModelAdmin):
    """/admin/marketing/funnel/: searches (step 1) against leads (step 2).

    Anyone who may export leads may see it; it shows counts only.
    """

    def has_module_permission(self, request):
        return request.user.has_perm(EXPORT_PERMISSION) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(EXPORT_PERMISSION) or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        initial = {"start": today - datetime.timedelta(days=FUNNEL_DEFAULT_DAYS - 1), "end": today}
        form = FunnelFilterForm(request.GET or initial)
        context = {
            **self.admin_site.each_context(request),
            "title": "Funnel: searches to leads",
            "opts": self.model._meta,
            "form": form,
            "export_url": reverse("lead-export"),
            "treatments": Treatment.objects.all(),
            "states": sorted(US_STATE_CODES),
            "statuses": Lead.Status.choices,
            **(extra_context or {}),
        }
        if form.is_valid():
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
            search_tally_flush()
            rows = funnel_report(start=start, end=end, treatment=form.cleaned_data["treatment"])
            if request.GET.get("download") == "csv":
                response = StreamingHttpResponse(
                    csv_lines(FUNNEL_COLUMNS, funnel_csv_rows(rows)),
                    content_type="text/csv; charset=utf-8",
                )
                response["Content-Disposition"] = (
                    f'attachment; filename="funnel-{start:%Y%m%d}-{end:%Y%m%d}.csv"'
                )
                return response
            searches = sum(row.searches for row in rows)
            leads = sum(row.leads for row in rows)
            context.update(
                rows=[(row, rate_display(row.conversion_rate)) for row in rows],
                total_searches=searches,
                total_leads=leads,
                total_rate=rate_display(leads / searches if searches else None),
                chart=funnel_chart(rows, start, end),
                start=start,
                end=end,
            )
        return TemplateResponse(request, "admin/marketing/funnel.html", context)
