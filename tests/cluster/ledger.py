"""What a run through the cluster owed and what reached the SMTP sink, by Message-ID (the
outbox fixes it from the idempotency key). Shared by tests/cluster/ and benchmarks/chaos.py.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass

from deploy.cluster import Cluster

METROS = ["10001", "60601", "90012", "77002", "33602", "85004", "98101", "30303"]
_MESSAGE_ID = re.compile(r"<outbox\.([0-9a-f]{32})@")


def lead_payload(n: int, prefix: str) -> dict:
    """A distinct lead; ``prefix`` keeps one test's patients apart from another's."""
    return {
        "zip": METROS[n % len(METROS)],
        "first_name": "Chaos",
        "last_name": f"Patient{n}",
        "email": f"{prefix}{n}@example.com",
        "phone": f"+1212555{n % 10000:04d}",
        "consent": True,
        "message": "Pain since my fusion.",
    }


def digest(idempotency_key: str) -> str:
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


@dataclass
class Owed:
    id: int
    kind: str
    status: str
    attempts: int
    recipient_is_patient: bool
    lead_id: str


def owed_now(cluster: Cluster, lead_ids: list[str]) -> dict[str, Owed]:
    """The messages the leads owed at once (not the follow-ups), by Message-ID digest."""
    rows = cluster.sql(
        """
        SELECT m.id, m.idempotency_key, m.kind, m.status, m.attempts, m.lead_id::text
        FROM leads_outboundmessage m JOIN leads_lead l ON l.id = m.lead_id
        WHERE m.lead_id = ANY(%s) AND m.due_at <= l.created_at + interval '1 minute'
        """,
        [[uuid.UUID(pk) for pk in lead_ids]],
    )
    return {
        digest(key): Owed(pk, kind, status, attempts, kind == "patient_confirmation", lead)
        for pk, key, kind, status, attempts, lead in rows
    }


def received(sink) -> Counter:
    """How many times the sink got each outbox Message-ID."""
    return Counter(
        match.group(1)
        for message in list(sink.received)
        if (match := _MESSAGE_ID.search(message.message_id or ""))
    )


@dataclass
class Ledger:
    owed: int
    delivered: int
    lost: list[Owed]
    twice: list[Owed]

    @property
    def twice_unexplained(self) -> list[Owed]:
        """Sent twice although no sender's lease ever ran out on it: the claim failed."""
        return [message for message in self.twice if message.attempts < 2]


def settle(owed: dict[str, Owed], got: Counter) -> Ledger:
    return Ledger(
        owed=len(owed),
        delivered=sum(1 for key in owed if got[key]),
        lost=[message for key, message in owed.items() if not got[key]],
        twice=[message for key, message in owed.items() if got[key] > 1],
    )


def wait_for_delivery(cluster: Cluster, sink, lead_ids: list[str], *, timeout: float) -> Ledger:
    """Waits until every message the leads owed at once is in the sink (or the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        ledger = settle(owed_now(cluster, lead_ids), received(sink))
        if not ledger.lost or time.monotonic() > deadline:
            return ledger
        time.sleep(0.5)
