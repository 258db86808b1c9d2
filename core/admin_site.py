"""The admin site: its sign-in asks for an authenticator code (TOTP) from anyone who set
one up, and from every superuser once ``ADMIN_REQUIRE_2FA`` is on.

Failed sign-ins, wrong codes included, are counted per username and client address by
django-axes (settings), which locks the pair out for a while after too many.
"""

import datetime

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django_otp import devices_for_user, match_token

OTP_HELP = "The 6-digit code from your authenticator app, if your account has one."


def user_has_totp(user) -> bool:
    return any(devices_for_user(user, confirmed=True))


def second_factor_satisfied(user) -> bool:
    """Whether ``user``'s session may use the admin as far as the second factor goes: it
    was verified with a code, or the account needs none."""
    if user_has_totp(user):
        return user.is_verified()
    return not (user.is_superuser and settings.ADMIN_REQUIRE_2FA)


class AdminLoginForm(AdminAuthenticationForm):
    """Username, password and, for accounts with an authenticator, its current code."""

    otp_token = forms.CharField(
        label="Authenticator code",
        required=False,
        max_length=10,
        help_text=OTP_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "otp_invalid": "Enter the current code from your authenticator app.",
        "otp_required": (
            "This account needs an authenticator app before it can sign in. Ask an "
            "administrator to run: manage.py add_totp_device <username>."
        ),
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user_has_totp(user):
            token = self.cleaned_data.get("otp_token", "").strip()
            device = match_token(user, token) if token else None
            if device is None:
                # Counted like a wrong password, so guessing codes locks out too.
                user_login_failed.send(
                    sender=__name__,
                    credentials={"username": user.get_username()},
                    request=self.request,
                )
                raise ValidationError(self.error_messages["otp_invalid"], code="otp_invalid")
            # django_otp marks the session verified when the login completes.
            user.otp_device = device
        elif user.is_superuser and settings.ADMIN_REQUIRE_2FA:
            raise ValidationError(self.error_messages["otp_required"], code="otp_required")


class AdminSite(admin.AdminSite):
    login_form = AdminLoginForm

    def has_permission(self, request):
        return super().has_permission(request) and second_factor_satisfied(request.user)


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out sign-in: 429 with Retry-After, no detail about
    the account."""
    wait: datetime.timedelta = settings.AXES_COOLOFF_TIME
    response = render(
        request,
        "admin/locked_out.html",
        {"wait_minutes": max(1, round(wait.total_seconds() / 60))},
        status=429,
    )
    response["Retry-After"] = str(int(wait.total_seconds()))
    return response
