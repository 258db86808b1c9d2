"""Leads, their routing, newsletter subscribers, e-book requests and the email outbox.

Personal data (names, emails, phones, messages) lives only in Lead, Subscriber and
EbookRequest (a DirectoryDigest holds none). The outbox refers to those rows by id and
never copies their contents, so a task, a log line or an outbox error can never leak it.
"""

import datetime
import uuid

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from core.i18n import Language

# Campaign tags and the outside referrer a lead carries from the page it started on: the
# one list the form, the API, the admin and the export share.
# Where a lead is sent: the nearest qualifying specialists within this radius of its ZIP.
ROUTING_RADIUS_MILES = 50
ROUTING_LIMIT = 3
# How many specialists a patient may choose to send one request to.
MAX_CHOSEN_SPECIALISTS = 5


def email_normalize(email: str) -> str:
    """An address as every comparison sees it (duplicates, daily limits, subscriptions,
    e-book requests, erasure): trimmed and lower-cased."""
    return email.strip().lower()


UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
TRACKING_FIELDS = (*UTM_FIELDS, "referrer")


class Lead(models.Model):
    """A patient's request to be contacted by the nearest matched specialists."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        SCHEDULED = "scheduled", "Appointment scheduled"
        CLOSED = "closed", "Closed"

    class Hold(models.TextChoices):
        """Why a lead was stored without notifying anyone (``leads.services``)."""

        EMAIL_LIMIT = "email_limit", "Over the daily limit for its email address"
        PHONE_LIMIT = "phone_limit", "Over the daily limit for its phone number"
        IP_LIMIT = "ip_limit", "Over the daily limit for its IP address"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    zip = models.CharField("ZIP", max_length=5)
    state = models.CharField(max_length=2, help_text="From the ZIP code.")
    city = models.CharField(max_length=100, help_text="From the ZIP code.")
    treatment = models.ForeignKey(
        "specialists.Treatment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=16, help_text="E.164, for example +12125550100.")
    phone_extension = models.CharField(
        max_length=10, blank=True, help_text="Digits dialled after the number, if any."
    )
    message = models.TextField(max_length=2000, blank=True)
    consent = models.BooleanField(
        help_text="Agreed to be contacted by phone, text and email (always true when stored)."
    )
    consent_text = models.TextField(help_text="The exact wording the patient agreed to.")
    consent_version = models.CharField(max_length=20)
    consented_at = models.DateTimeField()
    consent_ip = models.GenericIPAddressField(
        null=True, blank=True, help_text="Where the consent came from, as evidence of it."
    )
    utm_source = models.CharField(max_length=200, blank=True)
    utm_medium = models.CharField(max_length=200, blank=True)
    utm_campaign = models.CharField(max_length=200, blank=True)
    utm_term = models.CharField(max_length=200, blank=True)
    utm_content = models.CharField(max_length=200, blank=True)
    referrer = models.CharField(max_length=500, blank=True)
    language = models.CharField(
        max_length=5,
        choices=Language.choices,
        default=Language.ENGLISH,
        help_text="The language the patient used; their emails are in it.",
    )
    needs_network_attention = models.BooleanField(
        default=False,
        help_text=(
            f"No qualifying specialist within {ROUTING_RADIUS_MILES} miles: "
            "the network team must find one."
        ),
    )
    held_for_review = models.CharField(
        max_length=16,
        choices=Hold.choices,
        blank=True,
        help_text=(
            "Stored but nobody was emailed, for this reason. After checking, the admin "
            "action 'Release' notifies its specialists."
        ),
    )
    chosen_specialists = models.ManyToManyField(
        "specialists.Specialist",
        blank=True,
        related_name="+",
        help_text="The specialists the patient chose, by name, whether or not the request "
        "has gone to each yet (one at capacity waits for a re-route).",
    )
    dedupe_key = models.CharField(
        max_length=64,
        editable=False,
        help_text="SHA-256 of email, phone, ZIP and treatment; same key within 24 h = duplicate.",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    first_contacted_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When someone first reached the patient (a provider's answer or the admin).",
    )
    anonymised_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the patient's details were erased (on request or past retention); "
        "what the funnel counts is kept.",
    )

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("export_lead", "Can export leads as CSV"),
            # The message can hold health details: a permission of its own, which the
            # Marketing group does not hold.
            ("view_lead_message", "Can read a lead's free-text message"),
        ]
        indexes = [
            models.Index(fields=["dedupe_key", "-created_at"], name="lead_dedupe_idx"),
            models.Index(fields=["status", "-created_at"], name="lead_status_idx"),
            models.Index(fields=["state", "-created_at"], name="lead_state_idx"),
            # The daily limits count recent leads per address, phone and IP.
            models.Index(Lower("email"), "created_at", name="lead_email_idx"),
            models.Index(fields=["phone", "created_at"], name="lead_phone_idx"),
            models.Index(fields=["consent_ip", "created_at"], name="lead_ip_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(consent=True), name="lead_has_consent"),
        ]

    def __str__(self):
        return f"Lead {self.id} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("lead-thanks", args=[self.id])

    @property
    def awaits_contact(self) -> bool:
        """Follow-ups go out only while nobody has reached the patient yet."""
        return self.status == self.Status.NEW


class LeadMatchQuerySet(models.QuerySet):
    def overdue(self, *, now: datetime.datetime):
        """Routings nobody answered by their ``respond_by`` that have not gone on yet, on
        leads still waiting for a call. A held lead's specialists have not been told yet,
        and an erased lead is closed: both are left alone."""
        return self.filter(
            outcome="",
            rerouted_at__isnull=True,
            respond_by__lte=now,
            lead__status=Lead.Status.NEW,
            lead__held_for_review="",
            lead__anonymised_at__isnull=True,
        )


class LeadMatch(models.Model):
    """One specialist a lead was sent to (nearest first, re-routes after them), and how that
    specialist answered through the link in their email. Chosen by the patient (up to
    MAX_CHOSEN_SPECIALISTS) or, when they chose none, filled in by routing (up to
    ROUTING_LIMIT, then one per re-route)."""

    class Outcome(models.TextChoices):
        CONTACTED = "contacted", "Contacted the patient"
        SCHEDULED = "scheduled", "Appointment scheduled"
        CANT_HELP = "cant_help", "Can't help"

    class Reason(models.TextChoices):
        NOT_ACCEPTING = "not_accepting", "Not accepting new patients"
        WRONG_TREATMENT = "wrong_treatment", "We don't offer this treatment"
        OUT_OF_NETWORK = "out_of_network", "Out of network for the patient"
        OTHER = "other", "Other"

    # No index of their own: the unique (lead, rank) and the capacity index (specialist,
    # created_at) lead with these columns and serve every lookup by either.
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="matches", db_index=False)
    specialist = models.ForeignKey(
        "specialists.Specialist",
        on_delete=models.PROTECT,
        related_name="lead_matches",
        db_index=False,
    )
    rank = models.PositiveSmallIntegerField(help_text="1 is the nearest.")
    distance = models.FloatField(help_text="Miles from the lead's ZIP centroid.")
    chosen_by_patient = models.BooleanField(
        default=False,
        help_text="The patient picked this specialist; otherwise routing filled the place in.",
    )
    public_id = models.UUIDField(
        unique=True,
        default=uuid.uuid4,
        editable=False,
        help_text="What the provider's signed link names, so the link carries no row id.",
    )
    created_at = models.DateTimeField(
        default=timezone.now,
        editable=False,
        help_text="When the request went to this specialist; the routings one re-route made "
        "share it.",
    )
    respond_by = models.DateTimeField(
        null=True,
        blank=True,
        help_text="No answer by then sends the request on to the next specialist.",
    )
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True)
    cant_help_reason = models.CharField(max_length=16, choices=Reason.choices, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    rerouted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the request went on to another specialist instead of this one.",
    )

    objects = LeadMatchQuerySet.as_manager()

    class Meta:
        ordering = ["lead_id", "rank"]
        indexes = [
            models.Index(
                fields=["respond_by"],
                condition=Q(outcome="", rerouted_at__isnull=True, respond_by__isnull=False),
                name="lead_match_awaiting_idx",
            ),
            models.Index(fields=["specialist", "created_at"], name="lead_match_capacity_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["lead", "rank"], name="lead_match_unique_rank"),
            models.UniqueConstraint(
                fields=["lead", "specialist"], name="lead_match_unique_specialist"
            ),
            models.CheckConstraint(condition=Q(rank__gte=1), name="lead_match_rank_positive"),
            models.CheckConstraint(
                condition=Q(outcome="cant_help") | Q(cant_help_reason=""),
                name="lead_match_reason_only_when_cant_help",
            ),
            models.CheckConstraint(
                condition=Q(outcome="", answered_at__isnull=True)
                | (~Q(outcome="") & Q(answered_at__isnull=False)),
                name="lead_match_answered_with_outcome",
            ),
        ]
        verbose_name_plural = "lead matches"

    def __str__(self):
        return f"#{self.rank} {self.specialist} ({self.distance} mi)"


class Subscriber(models.Model):
    """A newsletter address moving through double opt-in."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"

    email = models.EmailField(max_length=254, unique=True, help_text="Stored lower-cased.")
    # Links in email name the row by this random id, not the sequential primary key.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    requested_at = models.DateTimeField(
        default=timezone.now, help_text="Last time the address asked to subscribe."
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(
        max_length=5,
        choices=Language.choices,
        default=Language.ENGLISH,
        help_text="The language of the last sign-up; the newsletter's emails are in it.",
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"], name="subscriber_status_idx")]

    def __str__(self):
        return f"Subscriber {self.pk} ({self.get_status_display()})"


class EbookRequest(models.Model):
    """A request for the free e-book; one per address per day, so repeats send one email."""

    email = models.EmailField(max_length=254, help_text="Stored lower-cased.")
    # Links in email name the row by this random id, not the sequential primary key.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    first_name = models.CharField(max_length=80)
    requested_on = models.DateField(default=timezone.localdate)
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    language = models.CharField(
        max_length=5,
        choices=Language.choices,
        default=Language.ENGLISH,
        help_text="The language asked in; the email and the e-book are in it.",
    )
    downloads = models.PositiveIntegerField(default=0)
    last_downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["email", "requested_on"], name="ebook_request_once_a_day"
            ),
        ]

    def __str__(self):
        return f"E-book request {self.pk}"


class ErasureRecord(models.Model):
    """One erasure of a person's data (``leads.privacy.person_forget``): when, who asked
    for it, how many rows and files went. The address and phone are never stored, only
    their keyed hashes (HMAC with SECRET_KEY), so a later request can be checked against
    it without the record itself identifying anyone."""

    class Channel(models.TextChoices):
        COMMAND = "command", "Management command"
        ADMIN = "admin", "Admin action"

    erased_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    actor = models.CharField(
        max_length=150, help_text="Username, or the operating-system login for the command."
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    email_digest = models.CharField(max_length=64, blank=True, db_index=True)
    phone_digest = models.CharField(max_length=64, blank=True, db_index=True)
    counts = models.JSONField(
        default=dict, help_text="Leads, subscriptions, e-book requests, messages, mail files."
    )

    class Meta:
        ordering = ["-erased_at", "-id"]

    def __str__(self):
        return f"Erasure #{self.pk} by {self.actor}"


class DirectoryDigest(models.Model):
    """A week's digest of the directory for the network team: the subject its email is
    owed about, once per week. The email reads the directory when it is sent."""

    week = models.DateField(unique=True, help_text="The Monday the week starts on.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-week"]

    def __str__(self):
        return f"Directory digest, week of {self.week}"


class OutboundMessageQuerySet(models.QuerySet):
    def claimable(self, *, now):
        """Rows a sender may take now: pending and due, or claimed by a sender whose lease
        expired (it died or hung mid-send)."""
        return self.filter(
            Q(status=OutboundMessage.Status.PENDING, due_at__lte=now)
            | Q(status=OutboundMessage.Status.SENDING, claimed_until__lt=now)
        )


class OutboundMessage(models.Model):
    """The transactional outbox: one row per email the system owes, written in the same
    transaction as the lead or subscription that owes it.

    ``idempotency_key`` is unique per (subject, kind[, recipient]) so an email is owed, and
    therefore sent, at most once. The row says who the email is about by id; the address is
    looked up when it is sent. ``last_error`` holds exception class names, never content.
    """

    class Kind(models.TextChoices):
        PROVIDER_NOTIFICATION = "provider_notification", "Provider: new patient request"
        NETWORK_ALERT = "network_alert", "Network team: lead without a match"
        PATIENT_CONFIRMATION = "patient_confirmation", "Patient: confirmation"
        PATIENT_FOLLOWUP_2D = "patient_followup_2d", "Patient: follow-up after 2 days"
        PATIENT_FOLLOWUP_7D = "patient_followup_7d", "Patient: follow-up after 7 days"
        NEWSLETTER_CONFIRMATION = "newsletter_confirmation", "Newsletter: confirm address"
        NEWSLETTER_WELCOME = "newsletter_welcome", "Newsletter: welcome"
        EBOOK_LINK = "ebook_link", "E-book: download link"
        DIRECTORY_DIGEST = "directory_digest", "Network team: weekly directory digest"
        PATIENT_REROUTED = "patient_rerouted", "Patient: another specialist will call"

    # Reminders to the patient, each due this long after the lead: wanted only while nobody
    # has reached them (``Lead.awaits_contact``).
    FOLLOWUPS = (
        (Kind.PATIENT_FOLLOWUP_2D, datetime.timedelta(days=2)),
        (Kind.PATIENT_FOLLOWUP_7D, datetime.timedelta(days=7)),
    )
    FOLLOWUP_KINDS = tuple(kind for kind, _ in FOLLOWUPS)

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DEAD = "dead", "Dead (gave up)"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Unique through Meta.constraints: a unique=True field gets a second index for LIKE
    # that nothing here queries, written for every row.
    idempotency_key = models.CharField(max_length=200, editable=False)
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    # Each row is about one subject and most about a lead: the other subjects' columns are
    # indexed only where set (Meta.indexes), so a lead's six rows skip those indexes.
    subscriber = models.ForeignKey(
        Subscriber,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,
    )
    ebook_request = models.ForeignKey(
        EbookRequest,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,
    )
    directory_digest = models.ForeignKey(
        DirectoryDigest,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
        db_index=False,
    )
    specialist = models.ForeignKey(
        "specialists.Specialist",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        help_text="The recipient of a provider notification.",
    )
    due_at = models.DateTimeField(default=timezone.now, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=6)
    claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A sending worker's lease; expired means it died."
    )
    enqueued_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Last handed to the broker; empty until the relay hands it over.",
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OutboundMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="outbox_status_due_idx"),
            models.Index(fields=["status", "claimed_until"], name="outbox_status_lease_idx"),
            *(
                models.Index(
                    fields=[subject], condition=Q(**{f"{subject}__isnull": False}), name=name
                )
                for subject, name in [
                    ("subscriber", "outbox_subscriber_idx"),
                    ("ebook_request", "outbox_ebook_request_idx"),
                    ("directory_digest", "outbox_directory_digest_idx"),
                    ("specialist", "outbox_specialist_idx"),
                ]
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"], name="outbox_idempotency_key_unique"
            ),
            models.CheckConstraint(
                condition=Q(lead__isnull=False)
                | Q(subscriber__isnull=False)
                | Q(ebook_request__isnull=False)
                | Q(directory_digest__isnull=False),
                name="outbox_message_has_subject",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"


TRACKING_MAX_LENGTH = {name: Lead._meta.get_field(name).max_length for name in TRACKING_FIELDS}
