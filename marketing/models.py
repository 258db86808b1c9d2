"""The export audit trail, the anonymous search tally behind the funnel report, and the
admin's places for the reports.

Neither table holds personal data: an ExportRecord says who exported what filters and how
many rows, never the rows; a SearchTally is a bare counter per day, treatment and
utm_source, with no ZIP, address, IP or user.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from leads.models import LeadMatch


class ExportRecord(models.Model):
    """One lead export, written when it starts and completed when its stream ends."""

    class Channel(models.TextChoices):
        API = "api", "API"
        COMMAND = "command", "Management command"
        ADMIN = "admin", "Admin action"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lead_exports",
    )
    actor = models.CharField(
        max_length=150,
        help_text="Username, or the operating-system login for the command; kept if the "
        "user is deleted.",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    filters = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    row_count = models.PositiveIntegerField(
        default=0, help_text="Lead rows written (the header not counted)."
    )
    completed = models.BooleanField(
        default=False,
        help_text="False while streaming, or when the download was cut short.",
    )

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"Export #{self.pk} by {self.actor} via {self.get_channel_display()}"


class SearchTally(models.Model):
    """How many step-1 ZIP searches ran on a day for a treatment and utm_source."""

    day = models.DateField(help_text="In the site time zone.")
    treatment = models.ForeignKey(
        "specialists.Treatment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="search_tallies",
    )
    utm_source = models.CharField(max_length=200, blank=True)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-day", "treatment_id", "utm_source"]
        verbose_name_plural = "search tallies"
        # NULL is distinct in a plain unique constraint, so "no treatment" gets its own.
        constraints = [
            models.UniqueConstraint(
                fields=["day", "treatment", "utm_source"],
                condition=Q(treatment__isnull=False),
                name="search_tally_unique_with_treatment",
            ),
            models.UniqueConstraint(
                fields=["day", "utm_source"],
                condition=Q(treatment__isnull=True),
                name="search_tally_unique_without_treatment",
            ),
        ]

    def __str__(self):
        return f"{self.day} {self.treatment_id or '-'} {self.utm_source or '-'}: {self.count}"


class Funnel(SearchTally):
    """The funnel report's place in the admin: /admin/marketing/funnel/."""

    class Meta:
        proxy = True
        verbose_name = "funnel report"
        verbose_name_plural = "funnel report"


class ProviderResponse(LeadMatch):
    """The provider response table's place in the admin: /admin/marketing/providerresponse/."""

    class Meta:
        proxy = True
        verbose_name = "provider response table"
        verbose_name_plural = "provider response table"
