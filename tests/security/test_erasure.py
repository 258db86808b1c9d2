"""Erasure on request and retention: after ``forget_person`` no database row and no file
under var/ holds the person's address or phone, in any format; the funnel keeps its counts."""

import datetime
import io
import os
import re
import shutil
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from leads.models import ErasureRecord, Lead, OutboundMessage, Subscriber
from leads.privacy import person_digest
from leads.tasks import lead_retention_apply, sent_mail_prune
from marketing.selectors import funnel_report
from tests.leads.conftest import specialist_at

pytestmark = pytest.mark.django_db

PHONE_DIGITS = "2125550187"
PHONE_FORMS = ("+12125550187", "(212) 555-0187", "212-555-0187", PHONE_DIGITS)
# Database files hold deleted rows in free pages until VACUUM; the database is searched
# through its rows instead (see the README's retention section).
DATABASE_FILES = re.compile(r"\.sqlite3(-wal|-shm|-journal)?$")


@pytest.fixture
def mail_files(settings):
    """Mail written by Django's file backend into a folder under var/, as `make run` does."""
    folder = django_settings.VAR_DIR / f"sent-mail-test-{uuid.uuid4().hex[:8]}"
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(folder)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def canary():
    return f"canary.{uuid.uuid4().hex[:10]}@example.com"


def database_dump() -> list[str]:
    """Every value of every row of every table, as text."""
    cells = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            cells.extend(str(value) for row in cursor.fetchall() for value in row)
    return cells


def mentions(text: str, *, email: str) -> list[str]:
    found = [email] if email.lower() in text.lower() else []
    found += [form for form in PHONE_FORMS if form in text]
    if PHONE_DIGITS in re.sub(r"\D", "", text):
        found.append("phone digits")
    return found


def var_files_mentioning(email: str) -> list[str]:
    hits = []
    for root, _, names in os.walk(django_settings.VAR_DIR):
        for name in names:
            if DATABASE_FILES.search(name):
                continue
            path = os.path.join(root, name)
            with open(path, "rb") as file:
                text = file.read().decode("utf-8", "replace")
            if any(form in text for form in (email, *PHONE_FORMS[:3])):
                hits.append(path)
    return hits


def test_forget_person_leaves_no_row_and_no_file_with_the_address_or_phone(
    api, lead_payload, mail_files, canary, django_capture_on_commit_callbacks, settings
):
    settings.PROVIDER_EMAIL_INCLUDES_MESSAGE = True
    specialist_at(1, email="office@clinic.example")
    person = {
        **lead_payload,
        "email": canary,
        "phone": "212-555-0187",
        "message": f"Call me on (212) 555-0187 or write to {canary}",
    }
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/leads/", person, format="json")
        # The same phone with another address: found through --phone.
        api.post(
            "/api/v1/leads/",
            {**person, "email": "other.box@example.com", "treatment": "nerve-block"},
            format="json",
        )
        api.post("/api/v1/newsletter/", {"email": canary.upper()}, format="json")
        api.post("/api/v1/ebook/", {"email": canary, "first_name": "Pat"}, format="json")
        api.post(
            "/api/v1/leads/",
            {**lead_payload, "email": "someone.else@example.com", "phone": "212-555-0111"},
            format="json",
        )
    today = timezone.localdate()
    funnel_before = funnel_report(start=today, end=today)
    assert any(mentions(cell, email=canary) for cell in database_dump())
    assert var_files_mentioning(canary)

    out = io.StringIO()
    call_command(
        "forget_person", "--email", canary.upper(), "--phone", "(212) 555-0187", stdout=out
    )

    assert [cell for cell in database_dump() if mentions(cell, email=canary)] == []
    assert var_files_mentioning(canary) == []
    record = ErasureRecord.objects.get()
    assert record.counts["leads"] == 2
    assert record.counts["subscribers"] == record.counts["ebook_requests"] == 1
    # Confirmation, the office's notification, newsletter confirmation, e-book link.
    assert record.counts["mail_files"] == 4
    assert record.email_digest == person_digest(canary)
    assert record.channel == "command" and record.actor
    assert "Erased: 2 leads" in out.getvalue()
    # What the funnel counts is kept; the other person is untouched.
    assert funnel_report(start=today, end=today) == funnel_before
    assert Lead.objects.filter(anonymised_at__isnull=False).count() == 2
    untouched = Lead.objects.get(email="someone.else@example.com")
    assert untouched.anonymised_at is None
    assert untouched.messages.exists()
    assert not Subscriber.objects.exists()


def test_forget_person_refuses_a_bad_phone_and_changes_nothing(post_lead, lead_payload):
    post_lead(lead_payload)

    with pytest.raises(Exception, match="--phone"):
        call_command("forget_person", "--email", "pat@example.com", "--phone", "12")

    assert not ErasureRecord.objects.exists()
    assert Lead.objects.get().anonymised_at is None


def test_the_admin_action_asks_then_erases(admin_client, post_lead, lead_payload):
    post_lead(lead_payload)
    lead = Lead.objects.get()
    form = {"action": "forget_people", "_selected_action": [lead.pk]}

    asked = admin_client.post("/admin/leads/lead/", form)
    assert asked.status_code == 200
    assert "cannot be undone" in asked.content.decode()
    assert Lead.objects.get().anonymised_at is None

    done = admin_client.post("/admin/leads/lead/", {**form, "confirmed": "yes"})

    assert done.status_code == 302
    lead.refresh_from_db()
    assert (lead.email, lead.phone, lead.first_name, lead.message) == ("", "", "", "")
    assert not OutboundMessage.objects.filter(lead=lead).exists()
    assert ErasureRecord.objects.get().channel == "admin"
    assert admin_client.get("/admin/leads/erasurerecord/").status_code == 200


def test_leads_past_retention_are_anonymised_and_still_counted(post_lead, lead_payload, settings):
    post_lead(lead_payload)
    post_lead({**lead_payload, "email": "recent@example.com"})
    old = Lead.objects.get(email=lead_payload["email"])
    long_ago = timezone.now() - datetime.timedelta(days=settings.LEAD_RETENTION_DAYS + 1)
    Lead.objects.filter(pk=old.pk).update(created_at=long_ago)
    day = timezone.localdate(long_ago)
    before = funnel_report(start=day, end=day)

    assert lead_retention_apply() == 1

    old.refresh_from_db()
    assert old.anonymised_at is not None
    assert (old.email, old.phone, old.zip, old.consent_ip) == ("", "", "", None)
    assert (old.state, old.treatment.slug, old.utm_source) == (
        "NY",
        "spinal-cord-stimulation",
        "google",
    )
    assert funnel_report(start=day, end=day) == before
    assert Lead.objects.get(email="recent@example.com").anonymised_at is None
    assert lead_retention_apply() == 0


def test_stored_mail_is_pruned_after_sent_mail_retention_days(mail_files, settings):
    mail_files.mkdir()
    old, recent = mail_files / "old.log", mail_files / "recent.log"
    old.write_text("To: someone@example.com\n")
    recent.write_text("To: someone@example.com\n")
    stale = (
        timezone.now() - datetime.timedelta(days=settings.SENT_MAIL_RETENTION_DAYS + 1)
    ).timestamp()
    os.utime(old, (stale, stale))

    assert sent_mail_prune() == 1

    assert not old.exists()
    assert recent.exists()


def test_both_retention_tasks_run_from_celery_beat():
    tasks = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"leads.tasks.lead_retention_apply", "leads.tasks.sent_mail_prune"} <= tasks
