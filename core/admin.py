"""Admin pieces every app's admin may use, and the API tokens' admin (a token is made here
for a user, its key shown once, never again)."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils import timezone

from .api_tokens import api_token_issue
from .models import ApiToken


class ViewOnlyAdmin(admin.ModelAdmin):
    """Rows only code writes: nobody adds, changes or deletes them here, superusers included."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ApiTokenAddForm(forms.ModelForm):
    days = forms.IntegerField(
        min_value=1,
        max_value=3660,
        initial=settings.API_TOKEN_DAYS,
        help_text="The token stops working after this many days; make a new one then.",
    )

    class Meta:
        model = ApiToken
        fields = ["user", "name"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens for scripts (the marketing export). The list shows who holds which token
    (by its first characters), when it expires and when it was last used."""

    list_display = ["prefix", "user", "name", "created_at", "expires_at", "last_used_at"]
    list_filter = ["created_at", "expires_at", "user__groups"]
    search_fields = ["user__username", "name", "=prefix"]
    autocomplete_fields = ["user"]
    actions = ["expire_now"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name", "days"]
        return ["user", "name", "prefix", "created_at", "expires_at", "last_used_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["user", "prefix", "created_at", "last_used_at"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            # Handed to response_add, the one page that shows it.
            request.new_api_token_key = api_token_issue(obj, days=form.cleaned_data["days"])

    def response_add(self, request, obj, post_url_continue=None):
        """The key, on this one page: it is not stored and cannot be shown again."""
        response = TemplateResponse(
            request,
            "admin/core/apitoken/created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "New API token",
                "token": obj,
                "key": request.new_api_token_key,
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Expire the selected tokens now")
    def expire_now(self, request, queryset):
        count = queryset.filter(expires_at__gt=timezone.now()).update(expires_at=timezone.now())
        self.message_user(request, f"{count} token(s) expired.")
