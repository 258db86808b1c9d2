"""What Prometheus reads about leads: routes by pattern, leads accepted, searches, the
match index, the outbox and the emails sent, without any personal data."""

import re

import pytest
from django.test import Client

from leads.models import OutboundMessage

from .conftest import specialist_at

pytestmark = pytest.mark.django_db


def _metrics(client) -> str:
    return client.get(
        "/metrics", headers={"authorization": "Bearer scrape-secret"}
    ).content.decode()


def _value(text: str, sample: str) -> float:
    match = re.search(rf"^{re.escape(sample)} ([0-9.e+-]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_metrics_report_routes_leads_searches_index_and_outbox(settings, post_lead, lead_payload):
    settings.METRICS_TOKEN = "scrape-secret"
    specialist_at(1, email="doc@clinic.example")
    client = Client()
    before = _metrics(client)

    lead_id = post_lead(lead_payload).json()["id"]
    client.get(f"/thanks/{lead_id}/")
    client.get("/api/v1/match/", {"zip": "10001"})
    text = _metrics(client)

    thanks = (
        "spine_http_request_duration_seconds_count"
        '{method="GET",route="/thanks/<uuid:lead_id>/",status="200"}'
    )
    assert _value(text, thanks) == _value(before, thanks) + 1
    assert str(lead_id) not in text and "pat@example.com" not in text
    leads = "spine_leads_accepted_total"
    assert _value(text, leads) == _value(before, leads) + 1
    searches = "spine_match_search_duration_seconds_count"
    assert _value(text, searches) >= _value(before, searches) + 2  # routing and the API
    assert _value(text, "spine_match_index_build_duration_seconds_count") >= 1
    assert re.search(r"^spine_match_index_age_seconds \d", text, re.M)
    assert _value(text, "spine_match_index_age_seconds") < 60
    sent = OutboundMessage.objects.filter(status="sent").count()
    assert _value(text, 'spine_outbox_messages{status="sent"}') == sent
    assert _value(text, 'spine_outbox_messages{status="pending"}') == 2  # the follow-ups
    assert _value(text, "spine_outbox_oldest_due_age_seconds") == 0
    assert (
        _value(text, 'spine_emails_sent_total{kind="patient_confirmation"}')
        == _value(before, 'spine_emails_sent_total{kind="patient_confirmation"}') + 1
    )
