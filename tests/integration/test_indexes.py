"""The lookups that replaced indexes written for every row still find an index on
PostgreSQL: the partial indexes of the outbox's rarer subjects and the composite indexes
that lead with a match's lead and specialist (a cascade or a PROTECT check would scan the
whole table otherwise)."""

import uuid

import pytest
from django.db import connection

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


@pytest.mark.parametrize(
    ("table", "column", "value", "index"),
    [
        ("leads_outboundmessage", "subscriber_id", 7, "outbox_subscriber_idx"),
        ("leads_outboundmessage", "ebook_request_id", 7, "outbox_ebook_request_idx"),
        ("leads_outboundmessage", "directory_digest_id", 7, "outbox_directory_digest_idx"),
        ("leads_outboundmessage", "specialist_id", 7, "outbox_specialist_idx"),
        ("leads_outboundmessage", "idempotency_key", "lead:1:x", "outbox_idempotency_key_unique"),
        ("leads_leadmatch", "lead_id", uuid.uuid4(), "lead_match_unique_"),
        ("leads_leadmatch", "specialist_id", 7, "lead_match_capacity_idx"),
    ],
)
def test_a_lookup_by_one_value_uses_an_index(table, column, value, index):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            f"EXPLAIN SELECT id FROM {table} WHERE {column} = %s",
            [value],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert index in plan, plan
