"""The browser's receipt for the leads it sent: a signed cookie listing their ids.

Only the browser (or API client keeping cookies) that stored a lead holds its receipt, so
only it sees the lead's details on ``/thanks/<id>/`` and only its resubmission counts as
"the same request again" (``leads.services.lead_submit``). A lead id learned any other
way (an access log, a shared link, a duplicate post) opens nothing.
"""

import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .services import LEAD_WINDOW

COOKIE_NAME = "lead_receipt"
SALT = "leads.receipt"
# A patient sends a handful at most; the limits hold everything beyond.
REMEMBERED = 10


def _receipt(request: HttpRequest) -> list[uuid.UUID]:
    value = request.get_signed_cookie(
        COOKIE_NAME, default="", salt=SALT, max_age=LEAD_WINDOW.total_seconds()
    )
    ids = []
    for text in value.split(","):
        try:
            ids.append(uuid.UUID(hex=text))
        except ValueError:
            continue
    return ids


def lead_receipt_ids(request: HttpRequest) -> frozenset[uuid.UUID]:
    """Ids of the leads this client stored in the last 24 hours; empty for a missing,
    expired or tampered cookie."""
    return frozenset(_receipt(request))


def lead_receipt_add(response: HttpResponse, *, request: HttpRequest, lead_id: uuid.UUID) -> None:
    """Add ``lead_id`` to the receipt ``response`` sets (the newest ids kept)."""
    kept = [lead.hex for lead in _receipt(request) if lead != lead_id][-(REMEMBERED - 1) :]
    response.set_signed_cookie(
        COOKIE_NAME,
        ",".join([*kept, lead_id.hex]),
        salt=SALT,
        max_age=int(LEAD_WINDOW.total_seconds()),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
