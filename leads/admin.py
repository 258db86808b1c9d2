from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import transaction
from django.template.response import TemplateResponse

from core.admin import ViewOnlyAdmin

from .models import (
    TRACKING_FIELDS,
    EbookRequest,
    ErasureRecord,
    Lead,
    LeadMatch,
    OutboundMessage,
    Subscriber,
    email_normalize,
)
from .newsletter import newsletter_unsubscribe
from .outbox import outbox_retry
from .privacy import person_forget
from .services import lead_release, lead_status_set

MESSAGE_PERMISSION = "leads.view_lead_message"


class ForgetPeopleMixin:
    """The erasure action for rows that name a person (leads, subscribers, e-book
    requests): after a confirmation page, ``person_forget`` for each person selected."""

    def has_forget_permission(self, request):
        return request.user.has_perm("leads.delete_lead")

    @admin.action(
        description="Erase these people's data everywhere (cannot be undone)",
        permissions=["forget"],
    )
    def forget_people(self, request, queryset):
        people = {
            (email_normalize(row.email), getattr(row, "phone", "")) for row in queryset if row.email
        }
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "admin/leads/forget_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Erase these people's data?",
                    "opts": self.opts,
                    "people": len(people),
                    "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
                    "action_checkbox_name": ACTION_CHECKBOX_NAME,
                },
            )
        for email, phone in sorted(people):
            person_forget(
                email=email,
                phone=phone,
                actor=request.user.get_username(),
                channel=ErasureRecord.Channel.ADMIN,
            )
        self.message_user(request, f"Erased the data of {len(people)} person(s).")


class RecordInline(admin.TabularInline):
    """Rows the lead's processing wrote: shown as they are, never added or removed by hand."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


class LeadMatchInline(RecordInline):
    model = LeadMatch
    fields = ["rank", "specialist", "distance", "chosen_by_patient"]
    ordering = ["rank"]


class OutboundMessageInline(RecordInline):
    """The emails this lead owes or owed: sent, pending (with when), cancelled or dead."""

    model = OutboundMessage
    fields = ["kind", "status", "specialist", "due_at", "attempts", "sent_at", "last_error"]
    ordering = ["due_at", "id"]
    show_change_link = True


@admin.register(Lead)
class LeadAdmin(ForgetPeopleMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "status",
        "zip",
        "state",
        "treatment",
        "needs_network_attention",
        "held_for_review",
        "language",
        "utm_source",
    ]
    list_editable = ["status"]
    list_filter = [
        "status",
        "needs_network_attention",
        "held_for_review",
        "language",
        "treatment",
        "state",
        "created_at",
    ]
    search_fields = ["=id", "=zip", "=email", "=phone", "last_name"]
    date_hierarchy = "created_at"
    list_select_related = ["treatment"]
    actions = ["release", "forget_people"]
    inlines = [LeadMatchInline, OutboundMessageInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "id",
                    "status",
                    "status_changed_at",
                    "needs_network_attention",
                    "held_for_review",
                ]
            },
        ),
        (
            "Patient",
            {
                "fields": [
                    "first_name",
                    "last_name",
                    "email",
                    ("phone", "phone_extension"),
                    "language",
                    "message",
                ]
            },
        ),
        (
            "Where and what",
            {"fields": ["zip", "city", "state", "treatment", "chosen_specialists"]},
        ),
        (
            "Consent",
            {
                "fields": [
                    "consent",
                    "consent_version",
                    "consented_at",
                    "consent_ip",
                    "consent_text",
                ]
            },
        ),
        (
            "Campaign",
            {"fields": list(TRACKING_FIELDS)},
        ),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        if request.user.has_perm(MESSAGE_PERMISSION):
            return self.fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "message"]})
            for name, options in self.fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        # The status and the network team's flag are edited by hand; the rest is what the
        # patient sent.
        editable = {"status", "needs_network_attention"}
        return [
            *(f.name for f in Lead._meta.fields if f.name not in editable),
            "chosen_specialists",
        ]

    def has_add_permission(self, request):
        return False

    def has_release_permission(self, request):
        return request.user.has_perm("leads.change_lead")

    @admin.action(
        description="Release the selected held leads: notify their specialists",
        permissions=["release"],
    )
    def release(self, request, queryset):
        released = sum(lead_release(lead=lead) for lead in queryset.exclude(held_for_review=""))
        level = messages.SUCCESS if released else messages.WARNING
        self.message_user(request, f"{released} held lead(s) released.", level)

    def save_model(self, request, obj, form, change):
        if "status" in form.changed_data:
            status = obj.status
            obj.status = form.initial["status"]
            lead_status_set(lead=obj, status=status)
        else:
            super().save_model(request, obj, form, change)


@admin.register(Subscriber)
class SubscriberAdmin(ForgetPeopleMixin, admin.ModelAdmin):
    list_display = [
        "email",
        "status",
        "language",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
    ]
    list_filter = ["status", "language", "created_at"]
    search_fields = ["email"]
    readonly_fields = ["created_at", "requested_at", "confirmed_at", "unsubscribed_at"]
    actions = ["unsubscribe", "forget_people"]

    @admin.action(description="Unsubscribe the selected addresses")
    def unsubscribe(self, request, queryset):
        for subscriber in queryset:
            newsletter_unsubscribe(subscriber=subscriber)
        self.message_user(request, f"Unsubscribed {queryset.count()} address(es).")


@admin.register(EbookRequest)
class EbookRequestAdmin(ForgetPeopleMixin, admin.ModelAdmin):
    list_display = [
        "email",
        "first_name",
        "language",
        "requested_on",
        "downloads",
        "last_downloaded_at",
    ]
    list_filter = ["requested_on", "language"]
    actions = ["forget_people"]
    search_fields = ["email"]
    readonly_fields = ["created_at", "downloads", "last_downloaded_at"]


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "status",
        "due_at",
        "attempts",
        "max_attempts",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "kind", "due_at"]
    search_fields = ["=id", "=lead__id", "idempotency_key"]
    date_hierarchy = "due_at"
    actions = ["retry"]
    readonly_fields = [f.name for f in OutboundMessage._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The outbox is a record; the retry action is the one way to change it.
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("leads.change_outboundmessage")

    @admin.action(
        description="Retry the selected dead or cancelled messages", permissions=["retry"]
    )
    def retry(self, request, queryset):
        with transaction.atomic():
            count = outbox_retry(message_ids=queryset.values_list("pk", flat=True))
        level = messages.SUCCESS if count else messages.WARNING
        self.message_user(request, f"{count} message(s) queued again.", level)


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ViewOnlyAdmin):
    """The erasure audit trail: written by code only, never changed or removed here."""

    list_display = ["erased_at", "actor", "channel", "counts"]
    list_filter = ["channel", "erased_at"]
    search_fields = ["actor", "=email_digest", "=phone_digest"]
    readonly_fields = [f.name for f in ErasureRecord._meta.fields]
