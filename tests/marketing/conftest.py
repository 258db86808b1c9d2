import csv
import datetime
import io
import itertools

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from rest_framework.test import APIClient

from core.api_tokens import api_token_create
from leads.models import Lead, LeadMatch
from specialists.models import Treatment

# The browser stage's Chromium fixtures, for the marketing journey test, and its session
# guard that restores the migrated rows after live-server tests flush the database.
from tests.browser.conftest import (  # noqa: F401
    _leave_the_test_database_as_migrated,
    browser,
    page_at,
)

_sequence = itertools.count(1)

EXPORT_URL = "/api/v1/leads/export/"


def make_lead(*, created_at=None, treatment="spinal-cord-stimulation", matches=(), **fields):
    """A stored lead as the lead form would leave it; ``matches`` are (specialist, miles)."""
    n = next(_sequence)
    values = {
        "first_name": "Pat",
        "last_name": f"Patient{n:05d}",
        "email": f"patient{n}@example.com",
        "phone": "+12125550100",
        "zip": "10001",
        "state": "NY",
        "city": "New York",
        "consent": True,
        "consent_text": "You may contact me by phone, text and email.",
        "consent_version": "test",
        "consented_at": timezone.now(),
        "dedupe_key": f"{n:064d}",
    }
    values.update(fields)
    if treatment:
        values["treatment"] = Treatment.objects.get(slug=treatment)
    if created_at is not None:
        values["created_at"] = created_at
    lead = Lead.objects.create(**values)
    for rank, (specialist, miles) in enumerate(matches, start=1):
        LeadMatch.objects.create(lead=lead, specialist=specialist, rank=rank, distance=miles)
    return lead


def local_datetime(year, month, day, hour=12, minute=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=timezone.get_current_timezone())


def parse_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def body_text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.fixture
def marketing_user(db):
    user = User.objects.create_user("marketer", password="pw-marketing-123")
    user.groups.add(Group.objects.get(name="Marketing"))
    return user


@pytest.fixture
def marketing_client(marketing_user):
    client = APIClient()
    client.force_login(marketing_user)
    return client


@pytest.fixture
def marketing_token(marketing_user):
    token, key = api_token_create(user=marketing_user)
    # Only a digest is stored: the key lives here, as it would in the script holding it.
    token.key = key
    return token
