"""Whatever JSON a client sends, the lead, newsletter and e-book endpoints answer 2xx or a
400 naming what is wrong, never 500, and a 400 stores nothing."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leads.models import EbookRequest, Lead, OutboundMessage, Subscriber

pytestmark = pytest.mark.django_db

FIELDS = [
    "zip",
    "treatment",
    "first_name",
    "last_name",
    "email",
    "phone",
    "consent",
    "message",
    "utm_source",
    "referrer",
    "website",
]
GOOD = {
    "zip": "10001",
    "treatment": "nerve-block",
    "first_name": "Pat",
    "last_name": "Example",
    "email": "pat@example.com",
    "phone": "212-555-0142",
    "consent": True,
}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(), children, max_size=3)
    ),
    max_leaves=6,
)
# Mostly-valid bodies with some fields replaced or dropped, plus arbitrary JSON.
bodies = st.one_of(
    st.builds(
        lambda replaced, dropped: {
            key: value for key, value in {**GOOD, **replaced}.items() if key not in dropped
        },
        st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=3),
        st.sets(st.sampled_from(FIELDS), max_size=2),
    ),
    json_values,
)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies)
def test_any_json_body_is_answered_without_a_500(api, body):
    stored_before = (Lead.objects.count(), Subscriber.objects.count(), EbookRequest.objects.count())
    owed_before = OutboundMessage.objects.count()
    statuses = []
    for path in ("/api/v1/leads/", "/api/v1/newsletter/", "/api/v1/ebook/"):
        response = api.post(path, json.dumps(body), content_type="application/json")

        assert response.status_code in (200, 201, 202, 400), (path, body, response.content)
        if response.status_code == 400:
            assert response.json() and all(
                isinstance(messages, list) for messages in response.json().values()
            )
        statuses.append(response.status_code)
    if statuses == [400, 400, 400]:
        stored_after = (
            Lead.objects.count(),
            Subscriber.objects.count(),
            EbookRequest.objects.count(),
        )
        assert stored_after == stored_before
        assert OutboundMessage.objects.count() == owed_before
