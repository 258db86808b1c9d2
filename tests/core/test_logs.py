"""Logs carry no personal data: one JSON object per line with LOG_FORMAT=json, link
tokens and lead ids masked in access-log paths, addresses and phone numbers redacted
whoever logs them."""

import io
import json
import logging

import pytest

from core.logs import JsonFormatter, RedactingFormatter, logging_config, redact
from leads.models import Subscriber
from leads.tokens import newsletter_confirm_token
from tests.factories import make_specialist

LEAD_ID = "0b7c6a2e-8d5f-4c1e-9a3b-2f6e1d4c5b7a"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sent to pat.o'neil+x@example.co.uk today", "sent to <email> today"),
        (f"GET /thanks/{LEAD_ID}/ 200", "GET /thanks/<uuid>/ 200"),
        ("GET /newsletter/confirm/MQ:1uPq7z:Qm9vZ2xlX3NpZ25hdHVyZV9oZXJl/", None),
        ("GET /ebook/download/Mg%3A1uPq7z%3AQm9vZ2xlX3NpZ25hdHVyZV9oZXJl/ 410", None),
        ("call +12125550142 back", "call <phone> back"),
        ("connected to 127.0.0.1:6379 at 10:15:00", "connected to 127.0.0.1:6379 at 10:15:00"),
        ("message 42 (patient_confirmation)", "message 42 (patient_confirmation)"),
    ],
)
def test_redaction(text, expected):
    if expected is None:
        assert "<token>" in redact(text)
        assert "Qm9vZ2xl" not in redact(text)
    else:
        assert redact(text) == expected


def test_a_bad_log_format_names_the_variable():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT"):
        logging_config(format="yaml", level="INFO")


def test_plain_lines_are_redacted_too():
    record = logging.makeLogRecord(
        {"msg": "bounce from %s", "args": ("pat@example.com",), "levelname": "INFO"}
    )
    assert "pat@example.com" not in RedactingFormatter("%(message)s").format(record)


@pytest.fixture
def json_log(settings):
    """Everything logged during the test, as JSON lines, the way LOG_FORMAT=json writes it."""
    settings.ACCESS_LOG = True
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.mark.django_db
def test_a_lead_and_its_links_leave_no_personal_data_in_the_json_log(
    json_log, client, settings, django_capture_on_commit_callbacks
):
    make_specialist(latitude=40.75, longitude=-73.99, email="doc@clinic.example")
    lead = {
        "zip": "10001",
        "first_name": "Zebulon",
        "last_name": "Quackenbush",
        "email": "zebulon.q@example.com",
        "phone": "(212) 555-0187",
        "message": "Numbness in my left leg since the revision",
        "consent": True,
    }
    settings.EMAIL_BACKEND = "tests.core.test_logs.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/api/v1/leads/", lead, content_type="application/json")
    assert answer.status_code == 201
    lead_id = answer.json()["id"]
    client.get(f"/thanks/{lead_id}/")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/newsletter/", {"email": "zebulon.q@example.com"}, "application/json")
    token = newsletter_confirm_token(Subscriber.objects.get())
    client.get(f"/newsletter/confirm/{token}/")
    client.get(f"/newsletter/confirm/{token[:-3]}xyz/")  # a forged link: 400, logged

    lines = json_log.getvalue().splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    access = [e for e in entries if e["logger"] == "spine_match.access"]
    assert {(e["method"], e["route"], e["status"]) for e in access} >= {
        ("POST", "/api/v1/leads/", 201),
        ("GET", "/thanks/<uuid:lead_id>/", 200),
        ("GET", "/newsletter/confirm/<str:token>/", 200),
        ("GET", "/newsletter/confirm/<str:token>/", 400),
    }
    assert {e["path"] for e in access} >= {"/thanks/<uuid>/", "/newsletter/confirm/<token>/"}
    assert any("attempt 1 failed" in e["message"] for e in entries)  # the outbox spoke too
    text = json_log.getvalue()
    for secret in [
        "Zebulon",
        "Quackenbush",
        "zebulon.q@example.com",
        "555-0187",
        "2125550187",
        "Numbness",
        str(lead_id),
        token,
        token.split(":")[-1],
    ]:
        assert secret not in text, secret


class FailingBackend:
    """An SMTP server that answers with the recipient's address in its refusal."""

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        raise OSError(f"550 mailbox {messages[0].to[0]} unavailable")
