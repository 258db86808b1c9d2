"""A canary: a patient's marker values go through every way in (the lead API, the /find/
form, newsletter and e-book) and every email is sent, and not one log line at DEBUG from
any logger, nor one Celery message as published to the broker, carries them."""

import json
import logging

import pytest
from celery import current_app
from django.core import mail

from leads.models import OutboundMessage
from leads.outbox import outbox_dispatch_due
from tests.leads.conftest import specialist_at

pytestmark = pytest.mark.django_db

MARKERS = {
    "first_name": "Zzcanaryfirst",
    "last_name": "Zzcanarylast",
    "email": "zz.canary.mail@example.com",
    "phone": "212-555-0176",
    "message": "zzcanary message about my L5 fusion",
}
MARKER_FORMS = [*MARKERS.values(), "+12125550176", "(212) 555-0176", "2125550176"]


@pytest.fixture
def broker_queue():
    """Celery publishing for real, to kombu's in-memory broker instead of running tasks in
    process: yields a function returning every message published so far (body, headers
    and properties as the broker holds them, and the decoded arguments)."""
    app = current_app._get_current_object()
    conf = app.conf
    saved = (conf.task_always_eager, conf.broker_url, app._pool, app.amqp._producer_pool)
    conf.task_always_eager, conf.broker_url = False, "memory://"
    # Pools made earlier point at the default broker URL (a local AMQP server, if one
    # runs): drop them so every connection from here on is the in-memory one.
    app._pool = app.amqp._producer_pool = None
    assert app.amqp.producer_pool.connections.connection.transport_cls == "memory"
    received = []

    def published() -> list[dict]:
        with app.connection_for_read() as connection:
            queue = connection.SimpleQueue(conf.task_default_queue)
            while True:
                try:
                    message = queue.get(block=False)
                except queue.Empty:
                    break
                received.append(
                    {
                        "body": message.body,
                        "headers": message.headers,
                        "properties": message.properties,
                        "args": message.decode()[0],
                    }
                )
                message.ack()
            queue.close()
        return received

    yield published
    conf.task_always_eager, conf.broker_url, app._pool, app.amqp._producer_pool = saved


def test_no_log_line_or_celery_message_carries_a_patients_details(
    api, client, caplog, broker_queue, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    specialist_at(1, email="office@clinic.example")
    lead = {**MARKERS, "zip": "10001", "treatment": "spinal-cord-stimulation", "consent": True}

    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/api/v1/leads/", lead, format="json").status_code == 201
        form = {**lead, "consent": "on", "email": "zz.canary.form@example.com", "website": ""}
        assert client.post("/find/", form).status_code == 302
        api.post("/api/v1/newsletter/", {"email": MARKERS["email"]}, format="json")
        api.post(
            "/api/v1/ebook/",
            {"email": MARKERS["email"], "first_name": MARKERS["first_name"]},
            format="json",
        )
    outbox_dispatch_due()  # the relay's pass: the requests published nothing
    messages = broker_queue()
    # What a worker does with each: run the task (with its own logging) and send.
    for message in messages:
        current_app.tasks[message["headers"]["task"]].apply(args=message["args"])
    current_app.tasks["leads.tasks.outbox_dispatch_due"].apply()

    sent = {m.to[0] for m in mail.outbox}
    assert {MARKERS["email"], "office@clinic.example"} <= sent
    handed_over = [message_id for message in messages for message_id in message["args"][0]]
    assert len(handed_over) == OutboundMessage.objects.filter(status="sent").count() >= 6
    published = json.dumps(messages, default=str).lower()
    assert [form for form in MARKER_FORMS if form.lower() in published] == []
    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in caplog.records
    ).lower()
    assert "outbox: sent message" in logged  # the loggers did speak
    assert [form for form in MARKER_FORMS if form.lower() in logged] == []
