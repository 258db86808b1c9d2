import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from core.i18n import Language, language_current
from core.phones import validate_us_phone

from .facts import (
    SPINE_SPECIALIST,
    Gender,
    specialty_group,
    validate_language_codes,
    validate_opening_hours,
)
from .validators import validate_npi


class LoadedFromFile(models.Model):
    """A built-in catalog row that ``specialists.catalog.catalog_load`` keeps in step with
    its content file until someone edits it here."""

    content_hash = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Fingerprint of what the content loader last wrote; once the row differs "
        "from it, an admin owns the row and the loader leaves it alone.",
    )

    class Meta:
        abstract = True


class TranslatedFromFile(LoadedFromFile):
    """A built-in catalog row with Spanish fields, which the loader owns apart from the
    English ones (``content_hash_es``): an admin's Spanish edit stops only the Spanish
    file."""

    content_hash_es = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="As content_hash, for the Spanish fields: an admin owns each language apart.",
    )

    class Meta:
        abstract = True


class NamedInEachLanguage:
    """A row with a ``name`` and its Spanish version ``name_es``."""

    def name_in(self, language: str) -> str:
        """The name in ``language``; the English one where the Spanish is empty."""
        if language == Language.SPANISH and self.name_es:
            return self.name_es
        return self.name

    @property
    def local_name(self) -> str:
        """The name in the active language."""
        return self.name_in(language_current())


@dataclass(frozen=True)
class PageText:
    """A content page's words in one language. ``description`` is the meta description,
    or the summary where there is none; ``body_language`` is the language the body is
    actually in (English where the Spanish body is empty)."""

    name: str
    summary: str
    description: str
    body: str
    body_language: str


class ContentPage(NamedInEachLanguage, TranslatedFromFile):
    """Patient-facing copy shared by treatments and conditions, edited in the admin, in
    English and Spanish. An empty Spanish field shows the English one."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    summary = models.CharField(
        max_length=300, help_text="One or two sentences for lists and search results."
    )
    meta_description = models.CharField(max_length=170, blank=True)
    body = models.TextField(
        blank=True,
        help_text="Markdown. Use ## headings for sections; HTML is stripped on display.",
    )
    name_es = models.CharField("name (Spanish)", max_length=120, blank=True)
    summary_es = models.CharField("summary (Spanish)", max_length=300, blank=True)
    meta_description_es = models.CharField("meta description (Spanish)", max_length=170, blank=True)
    body_es = models.TextField(
        "body (Spanish)",
        blank=True,
        help_text="Markdown, as the English body. Link to other pages under /es/.",
    )
    last_reviewed = models.DateField(null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=100)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name

    @property
    def text(self) -> PageText:
        """The page's words in the active language."""
        return self.text_in(language_current())

    def text_in(self, language: str) -> PageText:
        if language != Language.SPANISH:
            return PageText(
                name=self.name_in(language),
                summary=self.summary,
                description=self.meta_description or self.summary,
                body=self.body,
                body_language=Language.ENGLISH,
            )
        return PageText(
            name=self.name_in(language),
            summary=self.summary_es or self.summary,
            description=self.meta_description_es
            or self.summary_es
            or self.meta_description
            or self.summary,
            body=self.body_es or self.body,
            body_language=Language.SPANISH if self.body_es else Language.ENGLISH,
        )


class Treatment(ContentPage):
    class Meta(ContentPage.Meta):
        pass

    def get_absolute_url(self):
        return reverse("treatment-detail", args=[self.slug])


def unknown_treatment_message(slug: str) -> str:
    """What every form, API and command says about a treatment slug not in the catalog,
    in the active language."""
    return gettext("Unknown treatment '%(slug)s'.") % {"slug": slug}


class Condition(ContentPage):
    treatments = models.ManyToManyField(Treatment, related_name="conditions", blank=True)

    class Meta(ContentPage.Meta):
        pass

    def get_absolute_url(self):
        return reverse("condition-detail", args=[self.slug])


class Board(NamedInEachLanguage, TranslatedFromFile):
    code = models.CharField(max_length=12, unique=True)
    name = models.CharField(max_length=120, help_text="The board's own name.")
    name_es = models.CharField(
        "name (Spanish)",
        max_length=120,
        blank=True,
        help_text="What the /es/ pages call it; the English name where empty.",
    )

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} ({self.name})"


class InsurancePlan(NamedInEachLanguage, TranslatedFromFile):
    """A way of paying a specialist accepts: a public programme, a commercial plan, workers'
    compensation or self-pay. The built-in ones come from ``content/insurance.toml`` (and
    their Spanish names from ``insurance.es.toml``)."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    name_es = models.CharField(
        "name (Spanish)",
        max_length=120,
        blank=True,
        help_text="What the /es/ pages call it; a brand name stays as it is. The English "
        "name where empty.",
    )
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


def unknown_insurance_message(slug: str) -> str:
    """What the search says about an insurance slug not in the catalog, in the active
    language."""
    return gettext("Unknown insurance plan '%(slug)s'.") % {"slug": slug}


class PracticeLocation(models.Model):
    """A US street address with the coordinates the matcher searches on."""

    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=2)
    zip = models.CharField("ZIP", max_length=5)
    latitude = models.FloatField()
    longitude = models.FloatField()
    location_source = models.CharField(
        max_length=12,
        choices=[("explicit", "Given"), ("geocoder", "Geocoded"), ("zip", "ZIP centroid")],
        default="explicit",
    )

    class Meta:
        abstract = True

    @property
    def address_lines(self):
        return [line for line in (self.address_line1, self.address_line2) if line]


class Audited(models.Model):
    """Who last changed a listing, and when; the admin history holds the full trail."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    source = models.CharField(
        max_length=10,
        choices=[
            ("admin", "Admin"),
            ("import", "CSV import"),
            ("demo", "Demo data"),
            ("nppes", "NPPES"),
        ],
        default="admin",
        editable=False,
        help_text="Demo rows come from `manage.py seed_demo` and are not real providers.",
    )

    class Meta:
        abstract = True


class Institute(PracticeLocation, Audited):
    slug = models.SlugField(max_length=140, unique=True)
    name = models.CharField(max_length=160, unique=True)
    phone = models.CharField(max_length=16, blank=True, validators=[validate_us_phone])
    website = models.URLField(blank=True)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    # Issue 13 (patients choose): what a patient reads before calling.
    opening_hours = models.TextField(
        blank=True,
        validators=[validate_opening_hours],
        help_text="One line per rule, for example “Mo-Fr 08:00-17:00” and “Sa 09:00-12:00”.",
    )

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["state", "city"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("institute-detail", args=[self.slug])


# Listing facts: each carries the day it was last confirmed and who confirmed it -------

# A certificate this many days or fewer from its expiry is flagged for renewal.
CERTIFICATION_WARNING_DAYS = 90


class FactSource(models.TextChoices):
    IMPORT = "import", "CSV import"
    NPPES = "nppes", "NPPES"
    ADMIN = "admin", "Admin"
    PROVIDER = "provider", "Provider"


# The dated facts of a specialist's listing and the fields each one covers. A fact's date
# and source live in ``<fact>_verified_on`` and ``<fact>_verified_source``; certificates
# carry their own (``BoardCertification.verified_on`` and ``verified_source``).
LISTING_FACTS = {
    "accepting": ("accepting_new_patients",),
    "treatments": ("treatments",),
    "address": ("address_line1", "address_line2", "city", "state", "zip"),
}
FACT_LABELS = {
    "certifications": "Board certification",
    "accepting": "Accepting new patients",
    "treatments": "Treatments offered",
    "address": "Address",
}


def fact_stamp(fact: str, *, source: str, on: datetime.date) -> dict:
    """The field values that record ``fact`` as confirmed by ``source`` on ``on``."""
    return {f"{fact}_verified_on": on, f"{fact}_verified_source": source}


def stale_before(on: datetime.date | None = None) -> datetime.date:
    """Facts last confirmed before this day (or never) are stale (LISTING_STALE_DAYS)."""
    on = on or timezone.localdate()
    return on - datetime.timedelta(days=settings.LISTING_STALE_DAYS)


class DatedListingFacts(models.Model):
    """When each of a specialist's LISTING_FACTS was last confirmed, and by which source."""

    accepting_verified_on = models.DateField(null=True, blank=True, editable=False)
    accepting_verified_source = models.CharField(
        max_length=10, choices=FactSource.choices, blank=True, db_default="", editable=False
    )
    treatments_verified_on = models.DateField(null=True, blank=True, editable=False)
    treatments_verified_source = models.CharField(
        max_length=10, choices=FactSource.choices, blank=True, db_default="", editable=False
    )
    address_verified_on = models.DateField(null=True, blank=True, editable=False)
    address_verified_source = models.CharField(
        max_length=10, choices=FactSource.choices, blank=True, db_default="", editable=False
    )

    class Meta:
        abstract = True


class RegistryRecord(models.Model):
    """What the NPPES registry says about a listing beyond its name and address."""

    taxonomy_code = models.CharField(
        "NPPES taxonomy",
        max_length=10,
        blank=True,
        db_default="",
        help_text="NUCC code from NPPES, for example 207XS0117X (orthopaedic surgery of the "
        "spine).",
    )

    class Meta:
        abstract = True


# --------------------------------------------------------------------------------------

# More new patient requests a week than any practice takes: a larger number is a typing slip.
MAX_WEEKLY_CAPACITY = 500


class SpecialistQuerySet(models.QuerySet):
    def board_certified(self, on: datetime.date | None = None):
        """Specialists holding at least one certification that is current on ``on`` (today)."""
        current = BoardCertification.objects.current(on).filter(specialist=OuterRef("pk"))
        return self.filter(Exists(current))

    def qualifying(self, *, treatment=None, on: datetime.date | None = None):
        """The matcher's rule: active, currently board-certified, offering ``treatment``."""
        queryset = self.filter(active=True).board_certified(on)
        if treatment is not None:
            queryset = queryset.filter(
                Exists(
                    Specialist.treatments.through.objects.filter(
                        specialist=OuterRef("pk"), treatment=treatment
                    )
                )
            )
        return queryset

    def facts_stale(self, *, fact: str | None = None, on: datetime.date | None = None):
        """Specialists with a listing fact (``fact``, a LISTING_FACTS key or
        ``"certifications"``; default any) not confirmed since ``stale_before(on)``.

        A certificate counts while it is current; facts never confirmed are stale.
        """
        cutoff = stale_before(on)
        conditions = {
            name: Q(**{f"{name}_verified_on__isnull": True})
            | Q(**{f"{name}_verified_on__lt": cutoff})
            for name in LISTING_FACTS
        }
        conditions["certifications"] = Exists(
            BoardCertification.objects.current(on).stale(on).filter(specialist=OuterRef("pk"))
        )
        if fact is not None:
            return self.filter(conditions[fact])
        any_stale = Q()
        for condition in conditions.values():
            any_stale |= condition
        return self.filter(any_stale)

    def with_profile(self):
        """Everything a result card shows, in a fixed number of queries."""
        return self.select_related("institute").prefetch_related(
            models.Prefetch(
                "certifications",
                queryset=BoardCertification.objects.select_related("board").order_by("board__code"),
            ),
            models.Prefetch(
                "treatments",
                queryset=Treatment.objects.only("id", "slug", "name", "name_es", "sort_order"),
            ),
            "insurance",
        )


class Specialist(PracticeLocation, Audited, DatedListingFacts, RegistryRecord):
    npi = models.CharField("NPI", max_length=10, unique=True, validators=[validate_npi])
    slug = models.SlugField(max_length=160, unique=True)
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    credentials = models.CharField(
        max_length=40, blank=True, help_text="For example MD, DO, MD PhD."
    )
    specialty = models.CharField(max_length=120)
    institute = models.ForeignKey(
        Institute, null=True, blank=True, on_delete=models.SET_NULL, related_name="specialists"
    )
    phone = models.CharField(
        max_length=16, validators=[validate_us_phone], help_text="Stored as E.164."
    )
    email = models.EmailField(
        blank=True,
        help_text="Where new patient requests go; the institute's address is used when empty.",
    )
    accepting_new_patients = models.BooleanField(default=True)
    weekly_capacity = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_WEEKLY_CAPACITY)],
        help_text="New patient requests a week at most; empty means no limit, 0 none this week.",
    )
    active = models.BooleanField(default=True)
    treatments = models.ManyToManyField(Treatment, related_name="specialists", blank=True)
    boards = models.ManyToManyField(Board, through="BoardCertification", related_name="specialists")
    # Issue 13 (patients choose): the facts patients filter on.
    languages = models.CharField(
        max_length=200,
        blank=True,
        validators=[validate_language_codes],
        help_text="ISO 639-1 codes, lower case, sorted, separated by ';' (en;es).",
    )
    gender = models.CharField(
        max_length=1, choices=Gender.choices, blank=True, help_text="As listed in NPPES."
    )
    telehealth = models.BooleanField("offers telehealth visits", default=False)
    insurance = models.ManyToManyField(
        InsurancePlan, related_name="specialists", blank=True, verbose_name="insurance accepted"
    )

    objects = SpecialistQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["state", "city"]),
        ]

    def __str__(self):
        return self.display_name

    def get_absolute_url(self):
        return reverse("specialist-detail", args=[self.slug])

    @property
    def display_name(self):
        name = f"{self.first_name} {self.last_name}"
        return f"{name}, {self.credentials}" if self.credentials else name

    @property
    def local_specialty(self) -> str:
        """The specialty in the active language. The listing's own words are English (as
        NPPES and admins write them), so in Spanish it is named by its group
        (``specialty_group``), or called a spine specialist when it fits none."""
        if language_current() == Language.ENGLISH:
            return self.specialty
        group = specialty_group(self.specialty)
        return str(group.label if group else SPINE_SPECIALIST)

    def current_certifications(self, on: datetime.date | None = None):
        """Certifications current on ``on``; uses prefetched rows when present."""
        return [c for c in self.certifications.all() if c.is_current(on)]

    def is_board_certified(self, on: datetime.date | None = None) -> bool:
        return bool(self.current_certifications(on))

    def search_hidden_reasons(self, on: datetime.date | None = None) -> list[str]:
        """Why search and routing leave this specialist out; empty when they qualify.

        Mirrors ``SpecialistQuerySet.qualifying`` (active, a current certificate) in words.
        """
        reasons = []
        if not self.active:
            reasons.append(
                "inactive: a draft from NPPES waiting for review"
                if self.source == "nppes"
                else "inactive"
            )
        if not self.is_board_certified(on):
            expired = [c for c in self.certifications.all() if not c.is_current(on)]
            last = max((c.expires_on for c in expired), default=None)
            reasons.append(
                f"no current board certification (the last one expired on {last:%B} "
                f"{last.day}, {last.year})"
                if last
                else "no board certification on file"
            )
        return reasons

    def stale_facts(self, on: datetime.date | None = None) -> list[str]:
        """The facts (FACT_LABELS keys) not confirmed since ``stale_before(on)``; mirrors
        ``SpecialistQuerySet.facts_stale``."""
        cutoff = stale_before(on)
        stale = [
            fact
            for fact in LISTING_FACTS
            if (verified := getattr(self, f"{fact}_verified_on")) is None or verified < cutoff
        ]
        if any(
            c.verified_on is None or c.verified_on < cutoff for c in self.current_certifications(on)
        ):
            stale.insert(0, "certifications")
        return stale

    @property
    def certifications_verified_on(self) -> datetime.date | None:
        """When the current certificates were last confirmed, the oldest of them; None
        while any of them never was."""
        dates = [c.verified_on for c in self.current_certifications()]
        if not dates or None in dates:
            return None
        return min(dates)


class BoardCertificationQuerySet(models.QuerySet):
    def current(self, on: datetime.date | None = None):
        on = on or timezone.localdate()
        return self.filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))

    def expired(self, on: datetime.date | None = None):
        on = on or timezone.localdate()
        return self.filter(expires_on__lt=on)

    def expiring(self, on: datetime.date | None = None):
        """Current certificates that lapse within CERTIFICATION_WARNING_DAYS of ``on``."""
        on = on or timezone.localdate()
        return self.filter(
            expires_on__gte=on,
            expires_on__lte=on + datetime.timedelta(days=CERTIFICATION_WARNING_DAYS),
        )

    def stale(self, on: datetime.date | None = None):
        """Certificates not confirmed since ``stale_before(on)``, or never."""
        return self.filter(Q(verified_on__isnull=True) | Q(verified_on__lt=stale_before(on)))


class BoardCertification(models.Model):
    specialist = models.ForeignKey(
        Specialist, on_delete=models.CASCADE, related_name="certifications"
    )
    board = models.ForeignKey(Board, on_delete=models.PROTECT, related_name="certifications")
    certified_since = models.DateField(null=True, blank=True)
    expires_on = models.DateField(
        null=True, blank=True, help_text="Empty for a lifetime certificate."
    )
    verified_on = models.DateField(null=True, blank=True)
    verified_source = models.CharField(
        max_length=10, choices=FactSource.choices, blank=True, db_default="", editable=False
    )

    objects = BoardCertificationQuerySet.as_manager()

    class Meta:
        ordering = ["board__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["specialist", "board"], name="one_certification_per_board"
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(certified_since__isnull=True)
                | Q(expires_on__gte=models.F("certified_since")),
                name="certification_expires_after_it_starts",
            ),
        ]

    def __str__(self):
        return f"{self.board.code} until {self.expires_on or 'no expiry'}"

    def is_current(self, on: datetime.date | None = None) -> bool:
        """The single definition of a current certificate (mirrors the queryset's ``current``)."""
        on = on or timezone.localdate()
        return self.expires_on is None or self.expires_on >= on


class ListingChange(models.Model):
    """One field of a listing changed by a source outside the admin (NPPES, a provider),
    with the value before and after; the admin's own edits are in its history."""

    specialist = models.ForeignKey(Specialist, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(max_length=40)
    old_value = models.CharField(max_length=255, blank=True)
    new_value = models.CharField(max_length=255, blank=True)
    source = models.CharField(max_length=10, choices=FactSource.choices)
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["specialist", "-changed_at"], name="listing_change_idx")]

    def __str__(self):
        return f"{self.field}: {self.old_value!r} → {self.new_value!r}"


class ListingCorrection(models.Model):
    """A specialist's own corrections to their listing, sent through the signed link in a
    provider email (``specialists.corrections``), waiting for an admin's review.

    ``proposed`` holds every correctable field as the specialist stated it (changed or
    not: an unchanged value confirms the fact). One link sends one proposal (``link_id``
    is the link's); a specialist has at most one proposal waiting, a newer one replacing
    it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Approved and applied"
        REJECTED = "rejected", "Rejected"
        SUPERSEDED = "superseded", "Replaced by a later proposal"

    specialist = models.ForeignKey(Specialist, on_delete=models.CASCADE, related_name="corrections")
    link_id = models.UUIDField(
        unique=True,
        editable=False,
        help_text="The random id in the link it came through: one link, one proposal.",
    )
    proposed = models.JSONField(help_text="The listing as the specialist says it should read.")
    note = models.TextField("note from the specialist", max_length=1000, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    submitted_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    review_note = models.CharField(
        max_length=500, blank=True, help_text="Why it was rejected, or anything worth keeping."
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["specialist"],
                condition=Q(status="pending"),
                name="one_pending_correction_per_specialist",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "superseded"]) | Q(reviewed_at__isnull=False),
                name="reviewed_correction_has_review_time",
            ),
        ]

    def __str__(self):
        return f"Correction #{self.pk} to {self.specialist} ({self.get_status_display()})"


class DirectoryVersion(models.Model):
    """A counter bumped by every change that can alter search results or result cards.

    Search processes keep an in-memory index; when this number moves they read what changed
    from ``DirectoryChange`` and apply it (``matcher.index``).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    number = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"directory version {self.number}"


class DirectoryChange(models.Model):
    """What one bump of ``DirectoryVersion`` changed, written in the same transaction.

    Versions commit in order (the bump holds the version row until commit), so the rows a
    process reads past its own version have no gaps unless old rows were pruned.
    ``everything`` marks a change whose scope its writer did not name: processes then
    rebuild their index from the database. ``token`` tells this row apart from a row with
    the same number in a restored or recreated database (a snapshot file names it).
    """

    version = models.PositiveBigIntegerField(primary_key=True)
    token = models.CharField(max_length=32)
    specialist_ids = models.JSONField(default=list, blank=True)
    institute_ids = models.JSONField(default=list, blank=True)
    catalog = models.BooleanField(
        default=False, help_text="Treatments, insurance plans or boards changed."
    )
    everything = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version"]
        indexes = [models.Index(fields=["created_at"], name="directory_change_created_idx")]

    def __str__(self):
        return f"directory change {self.version}"


class StagedFile(models.Model):
    """A file the admin keeps between two requests for a short time (``staging``): in the
    database, so the request that confirms an upload may reach any web host."""

    name = models.CharField(max_length=64, unique=True)
    content = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"staged file {self.name}"
