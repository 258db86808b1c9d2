"""A lead's rows written in one statement (core.db.rows_insert, PostgreSQL) are the rows
the ORM writes, keys and all."""

import datetime
import uuid

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.utils import timezone

from core.db import rows_insert
from leads.models import Lead, LeadMatch, OutboundMessage
from leads.outbox import outbox_message
from specialists.models import Treatment

from .conftest import specialist_at

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

Chosen = Lead.chosen_specialists.through


def lead_rows(specialists, *, email: str):
    now = timezone.now().replace(microsecond=123456)
    lead = Lead(
        zip="10001",
        state="NY",
        city="New York",
        treatment=Treatment.objects.first(),
        first_name="José 'Pepe'",
        last_name='Núñez "\\" 𝄞',
        email=email,
        phone="+12125550142",
        phone_extension="12",
        message="Line one\nline two; DROP TABLE leads_lead; -- ½",
        consent=True,
        consent_text="I agree.",
        consent_version="2026-11-01",
        consented_at=now,
        consent_ip="2001:db8::1",
        utm_source="google",
        language="es",
        held_for_review=Lead.Hold.IP_LIMIT,
        dedupe_key="k" * 64,
        created_at=now,
    )
    chosen = [Chosen(lead=lead, specialist=s) for s in specialists]
    matches = [
        LeadMatch(
            lead=lead,
            specialist=s,
            rank=rank,
            distance=0.1 + 0.2 * rank,
            chosen_by_patient=True,
            created_at=now,
            respond_by=now + datetime.timedelta(hours=rank),
        )
        for rank, s in enumerate(specialists, start=1)
    ]
    messages = [
        outbox_message(kind=OutboundMessage.Kind.PATIENT_CONFIRMATION, lead=lead, due_at=now),
        *(
            outbox_message(
                kind=OutboundMessage.Kind.PROVIDER_NOTIFICATION,
                lead=lead,
                specialist_id=s.pk,
                due_at=now,
            )
            for s in specialists
        ),
    ]
    return lead, chosen, matches, messages


def stored(lead: Lead) -> dict:
    """Every value stored for ``lead`` and its rows, less what differs by nature between
    two leads (ids, keys naming the lead, update times)."""

    def values(rows, *, drop=()):
        return [
            {
                name: value
                for name, value in model_to_dict(row).items()
                if name not in {"id", "lead", "public_id", *drop}
            }
            for row in rows
        ]

    lead = Lead.objects.get(pk=lead.pk)
    return {
        "lead": values([lead], drop={"email", "updated_at", "chosen_specialists"}),
        "chosen": sorted(lead.chosen_specialists.values_list("pk", flat=True)),
        "matches": values(lead.matches.order_by("rank")),
        "messages": values(
            lead.messages.order_by("pk"), drop={"idempotency_key", "created_at", "updated_at"}
        ),
    }


def test_one_statement_stores_what_the_orm_stores_and_sets_the_new_keys():
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement path is PostgreSQL's")
    specialists = [specialist_at(1), specialist_at(2)]
    by_orm = lead_rows(specialists, email="orm@example.com")
    by_statement = lead_rows(specialists, email="one@example.com")
    lead, chosen, matches, messages = by_orm
    lead.save()
    Chosen.objects.bulk_create(chosen)
    LeadMatch.objects.bulk_create(matches)
    OutboundMessage.objects.bulk_create(messages)

    lead, chosen, matches, messages = by_statement
    rows_insert([lead], chosen, matches, messages)

    assert stored(lead) == stored(by_orm[0])
    assert stored(lead)["lead"][0]["first_name"] == "José 'Pepe'"
    assert [m.pk for m in matches] == list(
        lead.matches.order_by("rank").values_list("pk", flat=True)
    )
    assert [m.pk for m in messages] == list(
        lead.messages.order_by("pk").values_list("pk", flat=True)
    )
    assert all(isinstance(row.pk, int) for row in [*chosen, *matches, *messages])
    assert not any(row._state.adding for row in [lead, *chosen, *matches, *messages])
    assert isinstance(lead.pk, uuid.UUID)
