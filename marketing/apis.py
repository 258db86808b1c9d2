from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import authentication, permissions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.views import APIView

from core.api_tokens import TokenAuthentication
from leads.models import Lead
from marketing.exporting import lead_csv_download, user_may_export
from marketing.filters import US_STATE_CODES, export_filters_validate
from marketing.models import ExportRecord
from marketing.selectors import lead_export_list
from marketing.services import export_record_start

BLANK_OR_DATE = {
    "oneOf": [{"type": "string", "format": "date"}, {"type": "string", "enum": [""]}]
}


class CanExportLeads(permissions.BasePermission):
    message = "You need the permission to export leads (the Marketing group has it)."

    def has_permission(self, request, view):
        return user_may_export(request.user)


class JSONErrorsCSVBody(BaseContentNegotiation):
    """Errors are always JSON and the body always CSV, whatever Accept says, so a
    spreadsheet tool sending ``Accept: text/csv`` is not refused with 406."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None


class LeadExportApi(APIView):
    # Token first: an anonymous caller then gets 401 with WWW-Authenticate, not 403.
    authentication_classes = [TokenAuthentication, authentication.SessionAuthentication]
    permission_classes = [CanExportLeads]
    content_negotiation_class = JSONErrorsCSVBody

    @extend_schema(
        operation_id="leads_export",
        summary="Export leads as CSV (marketing)",
        description=(
            "Streams one CSV row per lead, oldest first, columns in a fixed order. Needs "
            "the leads.export_lead permission (session or `Authorization: Token <key>`). "
            "Dates are inclusive days in the site time zone. Cells that a spreadsheet "
            "would evaluate get a leading apostrophe."
        ),
        # Every filter may be sent blank (``?state=``), which counts as absent.
        parameters=[
            OpenApiParameter("created_after", BLANK_OR_DATE, description="YYYY-MM-DD"),
            OpenApiParameter("created_before", BLANK_OR_DATE, description="YYYY-MM-DD"),
            OpenApiParameter("treatment", OpenApiTypes.STR, description="treatment slug"),
            OpenApiParameter(
                "state",
                OpenApiTypes.STR,
                description="USPS code, any case",
                enum=["", *sorted(US_STATE_CODES)],
            ),
            OpenApiParameter("status", OpenApiTypes.STR, enum=["", *Lead.Status.values]),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="the CSV"),
            400: OpenApiResponse(description="a filter is invalid; the body names it"),
            401: OpenApiResponse(description="not authenticated"),
            403: OpenApiResponse(description="no export permission"),
        },
    )
    def get(self, request):
        filters = export_filters_validate(data=request.query_params)
        leads = lead_export_list(filters=filters)
        record = export_record_start(
            user=request.user,
            actor=request.user.get_username(),
            channel=ExportRecord.Channel.API,
            filters=filters.as_json(),
        )
        return lead_csv_download(leads=leads, record=record)
