import json

import pytest
from rest_framework.test import APIClient

from tests.factories import make_specialist

# Degrees of latitude per mile, near enough for placing test specialists.
MILE = 1 / 69.0
ORIGIN = (40.7484, -73.9967)  # the centroid of ZIP 10001


def specialist_at(miles_north: float, **fields):
    return make_specialist(latitude=ORIGIN[0] + miles_north * MILE, longitude=ORIGIN[1], **fields)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def lead_payload():
    return {
        "zip": "10001",
        "treatment": "spinal-cord-stimulation",
        "first_name": "Pat",
        "last_name": "Example",
        "email": "pat@example.com",
        "phone": "(212) 555-0142",
        "consent": True,
        "message": "Pain in my lower back since my fusion.",
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "fbss",
        "utm_term": "back pain after surgery",
        "utm_content": "ad-1",
        "referrer": "https://www.google.com/",
    }


@pytest.fixture
def post_lead(api, django_capture_on_commit_callbacks):
    """POST a lead as JSON text and run what the commit triggers (eager Celery sends the
    email). ``json.dumps`` escapes every non-ASCII character, so even a lone surrogate
    travels exactly as a client could send it."""

    def post(payload, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return api.post(
                "/api/v1/leads/", json.dumps(payload), content_type="application/json", **extra
            )

    return post
