"""The export on the production database: PostgreSQL's server-side cursor across chunks."""

import io

import pytest
from django.core.management import call_command

from leads.models import Lead, LeadMatch
from marketing.exporting import CHUNK_SIZE
from marketing.models import ExportRecord
from tests.factories import make_specialist
from tests.marketing.conftest import EXPORT_URL, body_text, local_datetime, make_lead, parse_csv

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_a_multi_chunk_export_streams_every_lead_once_in_order(marketing_client):
    specialist = make_specialist()
    template = make_lead(created_at=local_datetime(2024, 12, 31))
    total = CHUNK_SIZE + 501
    leads = Lead.objects.bulk_create(
        Lead(
            **{
                field.attname: getattr(template, field.attname)
                for field in Lead._meta.concrete_fields
                if field.attname not in ("id", "created_at", "first_name")
            },
            first_name=f"Nº{n} José",
            created_at=local_datetime(2025, 1, 1 + n % 28, n % 24, n % 60),
        )
        for n in range(total - 1)
    )
    LeadMatch.objects.bulk_create(
        LeadMatch(lead=lead, specialist=specialist, rank=1, distance=2.0) for lead in leads
    )

    api_text = body_text(marketing_client.get(EXPORT_URL, {"created_after": "2025-01-01"}))
    stdout = io.StringIO()
    call_command(
        "export_leads", "--created-after", "2025-01-01", stdout=stdout, stderr=io.StringIO()
    )

    assert stdout.getvalue() == api_text
    _header, *rows = parse_csv(api_text)
    assert len(rows) == total - 1
    assert len({row[0] for row in rows}) == total - 1
    assert [row[1] for row in rows] == sorted(row[1] for row in rows)
    assert all(
        row[10] == f"{specialist.display_name} (NPI {specialist.npi}, 2.0 mi)" for row in rows
    )
    assert {record.row_count for record in ExportRecord.objects.all()} == {total - 1}
