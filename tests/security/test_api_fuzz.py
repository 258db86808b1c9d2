"""Schemathesis over /api/v1/schema/: every operation, schema-valid and schema-violating
requests alike, against the WSGI app in process. Fails on any 5xx, any status code, content
type, header or body the schema does not document, and any schema-violating request that is
accepted.

Bounded and repeatable: EXAMPLES per operation and per generation mode, with Hypothesis
derandomized (a fixed seed), so a run is a few thousand requests and the same every time.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from core.api import PublicPostThrottle
from core.api_tokens import api_token_create

EXAMPLES = 400

# The API checks more than OpenAPI can say (a ZIP must exist, a phone must be a real US
# number, a treatment slug must be known): a schema-valid request may be refused with a 400
# naming the field, never with anything else.
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ["2XX", "400"]}}}
)

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application(), config=CONFIG)


@pytest.fixture
def app_in_test_transaction(db, monkeypatch):
    """Requests go straight to the WSGI app, not through Django's test client, so keep the
    test's database connection open across them as the test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    # Thousands of public posts from one address: the shared throttle is tested elsewhere.
    monkeypatch.setitem(PublicPostThrottle.THROTTLE_RATES, "public_post", "1000000/minute")
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_schema_says(case, app_in_test_transaction, marketing_user):
    _, key = api_token_create(user=marketing_user)
    # The export needs a token: with one, its filters are exercised, not only its 401.
    case.call_and_validate(headers={"Authorization": f"Token {key}", "Accept-Encoding": "identity"})
