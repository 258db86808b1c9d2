"""Providers correct their own listing: the signed link in a provider email opens a form
(``pages``) whose proposal waits in the admin, where approving applies it like an edit.

- A link (``correction_link_token``) names the specialist by NPI and carries a random
  ``link_id``; it works for PROVIDER_CORRECTION_LINK_MAX_AGE_DAYS. **One link sends one
  proposal**: a second post from it (a double click, the back button, a forwarded email)
  records nothing, whatever became of the first.
- A specialist has at most one proposal waiting: a newer one (from another email's link)
  replaces it, since it says what they think now.
- Approving writes the proposed values in one transaction, through the model's signals
  (one directory version bump, so searches and routing see them at once): the listing's
  ``updated_by`` and the admin history name the approver, each changed field gets a
  ListingChange (source provider), and the facts a proposal states (accepting new
  patients, treatments) are dated the day the specialist confirmed them, changed or not.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core import signing
from django.db import transaction
from django.utils import timezone

from core.phones import phone_display
from core.signed_links import TokenInvalid, signed_value

from .facts import language_names
from .models import (
    FactSource,
    InsurancePlan,
    ListingChange,
    ListingCorrection,
    Specialist,
    Treatment,
    fact_stamp,
)
from .services import directory_changes_batched

CORRECTION_SALT = "specialists.listing.correction"
Status = ListingCorrection.Status


@dataclass(frozen=True)
class CorrectableField:
    name: str
    label: str
    # The dated listing fact (``LISTING_FACTS`` key) a proposal confirms, if any.
    fact: str | None = None


CORRECTABLE_FIELDS = (
    CorrectableField("accepting_new_patients", "Accepting new patients", fact="accepting"),
    CorrectableField("phone", "Phone"),
    CorrectableField("treatments", "Treatments offered", fact="treatments"),
    CorrectableField("languages", "Languages spoken"),
    CorrectableField("insurance", "Insurance accepted"),
    CorrectableField("weekly_capacity", "New patient requests a week, at most"),
)
# Many-to-many fields, stored in a proposal as sorted slugs.
CATALOG_FIELDS = {"treatments": Treatment, "insurance": InsurancePlan}


class CorrectionNotPending(Exception):
    """The proposal was already approved, rejected or replaced."""


@dataclass(frozen=True)
class CorrectionLink:
    """What a correction link opens: whose listing, and which link it is."""

    specialist: Specialist
    link_id: uuid.UUID


def correction_link_token(specialist: Specialist) -> str:
    """A new link for ``specialist`` to send one proposal through."""
    return signing.dumps(f"{specialist.npi}.{uuid.uuid4().hex}", salt=CORRECTION_SALT)


def correction_link_open(token: str) -> CorrectionLink:
    """The listing a link opens. Raises TokenExpired after
    PROVIDER_CORRECTION_LINK_MAX_AGE_DAYS, TokenInvalid for anything we did not sign or a
    specialist no longer listed."""
    max_age = datetime.timedelta(days=settings.PROVIDER_CORRECTION_LINK_MAX_AGE_DAYS)
    value = signed_value(token, salt=CORRECTION_SALT, max_age=max_age)
    npi, _, link = value.partition(".") if isinstance(value, str) else ("", "", "")
    try:
        link_id = uuid.UUID(hex=link)
    except ValueError:
        raise TokenInvalid from None
    specialist = Specialist.objects.filter(npi=npi).first()
    if specialist is None:
        raise TokenInvalid
    return CorrectionLink(specialist=specialist, link_id=link_id)


def listing_values(specialist: Specialist) -> dict:
    """The specialist's correctable fields as a proposal stores them."""
    values = {field.name: getattr(specialist, field.name) for field in CORRECTABLE_FIELDS}
    for name in CATALOG_FIELDS:
        values[name] = sorted(getattr(specialist, name).values_list("slug", flat=True))
    return values


def value_display(name: str, value) -> str:
    """A field's value as the admin and the specialist read it."""
    if name == "accepting_new_patients":
        return "Yes" if value else "No"
    if name == "phone":
        return phone_display(value)
    if name == "languages":
        return ", ".join(language_names(value)) or "none listed"
    if name == "weekly_capacity":
        return "no limit" if value is None else str(value)
    names = dict(CATALOG_FIELDS[name].objects.filter(slug__in=value).values_list("slug", "name"))
    return ", ".join(names.get(slug, slug) for slug in value) or "none listed"


@dataclass(frozen=True)
class FieldDiff:
    name: str
    label: str
    current: str
    proposed: str

    @property
    def changed(self) -> bool:
        return self.current != self.proposed


def correction_diff(correction: ListingCorrection) -> list[FieldDiff]:
    """Each correctable field as the listing reads now and as the specialist proposed."""
    current = listing_values(correction.specialist)
    proposed = {**current, **correction.proposed}
    return [
        FieldDiff(
            name=field.name,
            label=field.label,
            current=value_display(field.name, current[field.name]),
            proposed=value_display(field.name, proposed[field.name]),
        )
        for field in CORRECTABLE_FIELDS
    ]


def correction_for_link(link: CorrectionLink) -> ListingCorrection | None:
    """The proposal sent through ``link``, if one was."""
    return ListingCorrection.objects.filter(link_id=link.link_id).first()


def correction_propose(
    *, link: CorrectionLink, proposed: dict, note: str = "", now: datetime.datetime | None = None
) -> ListingCorrection | None:
    """Keep a specialist's proposal (``proposed``: every CORRECTABLE_FIELDS value, as
    ``listing_values`` shapes them, already validated) for review, replacing the one they
    had waiting. Returns None, recording nothing, when the link already sent one."""
    with transaction.atomic():
        # Serializes proposals for one listing: the link check and the one-waiting rule
        # each see the other's row.
        Specialist.objects.select_for_update().filter(pk=link.specialist.pk).exists()
        if ListingCorrection.objects.filter(link_id=link.link_id).exists():
            return None
        ListingCorrection.objects.filter(specialist=link.specialist, status=Status.PENDING).update(
            status=Status.SUPERSEDED
        )
        return ListingCorrection.objects.create(
            specialist=link.specialist,
            link_id=link.link_id,
            proposed={field.name: proposed[field.name] for field in CORRECTABLE_FIELDS},
            note=note,
            submitted_at=now or timezone.now(),
        )


def correction_approve(
    *, correction: ListingCorrection, user, note: str = "", now: datetime.datetime | None = None
) -> list[str]:
    """Apply a waiting proposal as ``user`` (see the module's docstring); returns the
    labels of the fields it changed. Raises CorrectionNotPending when it was reviewed or
    replaced already. Treatments or plans deleted from the catalog since are left out."""
    now = now or timezone.now()
    with transaction.atomic(), directory_changes_batched():
        correction = _pending(correction)
        specialist = Specialist.objects.select_for_update().get(pk=correction.specialist_id)
        before = listing_values(specialist)
        after = {**before, **correction.proposed}
        changed = [f for f in CORRECTABLE_FIELDS if after[f.name] != before[f.name]]
        confirmed_on = timezone.localdate(correction.submitted_at)
        for field in CORRECTABLE_FIELDS:
            if field.fact:
                for name, value in fact_stamp(
                    field.fact, source=FactSource.PROVIDER, on=confirmed_on
                ).items():
                    setattr(specialist, name, value)
            if field.name not in CATALOG_FIELDS:
                setattr(specialist, field.name, after[field.name])
        specialist.updated_by = user
        specialist.save()
        for name, model in CATALOG_FIELDS.items():
            if after[name] != before[name]:
                getattr(specialist, name).set(model.objects.filter(slug__in=after[name]))
        ListingChange.objects.bulk_create(
            ListingChange(
                specialist=specialist,
                field=field.name,
                old_value=_cut(value_display(field.name, before[field.name])),
                new_value=_cut(value_display(field.name, after[field.name])),
                source=FactSource.PROVIDER,
                changed_at=now,
            )
            for field in changed
        )
        what = ", ".join(f.label.lower() for f in changed) or "nothing changed, facts confirmed"
        _review(correction, user=user, status=Status.APPROVED, note=note, now=now)
        _history(
            specialist,
            user=user,
            message=f"Approved the provider's correction #{correction.pk}: {what}.",
        )
    return [field.label for field in changed]


def correction_reject(
    *, correction: ListingCorrection, user, note: str = "", now: datetime.datetime | None = None
) -> None:
    """Close a waiting proposal without applying it, as ``user``, with ``note`` saying
    why. Raises CorrectionNotPending when it was reviewed or replaced already."""
    with transaction.atomic():
        correction = _pending(correction)
        _review(correction, user=user, status=Status.REJECTED, note=note, now=now or timezone.now())
        _history(
            correction.specialist,
            user=user,
            message=f"Rejected the provider's correction #{correction.pk}.",
        )


def _pending(correction: ListingCorrection) -> ListingCorrection:
    locked = ListingCorrection.objects.select_for_update().get(pk=correction.pk)
    if locked.status != Status.PENDING:
        raise CorrectionNotPending(locked.get_status_display())
    return locked


def _review(correction, *, user, status: str, note: str, now: datetime.datetime) -> None:
    correction.status = status
    correction.reviewed_by = user
    correction.reviewed_at = now
    correction.review_note = note
    correction.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])


def _history(specialist: Specialist, *, user, message: str) -> None:
    """The entry on the listing's admin history page, under the reviewer's name."""
    LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=Specialist.objects.filter(pk=specialist.pk),
        action_flag=CHANGE,
        change_message=message,
    )


def _cut(text: str) -> str:
    limit = ListingChange._meta.get_field("new_value").max_length
    return text if len(text) <= limit else text[: limit - 1] + "…"
