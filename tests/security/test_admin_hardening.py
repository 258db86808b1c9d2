"""The admin sign-in under attack: password guessing is locked out and logged, superusers
(and anyone who set one up) need an authenticator code, sessions are short, and the admin
can live at a path of its own."""

import importlib
import io
import logging

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import clear_url_caches
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from .test_headers import inline_code

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def boss():
    return User.objects.create_superuser("boss", "boss@example.com", PASSWORD)


def sign_in(client, username="boss", password=PASSWORD, code=None, **extra):
    form = {"username": username, "password": password}
    if code is not None:
        form["otp_token"] = code
    return client.post(LOGIN, form, **extra)


def current_code(device: TOTPDevice) -> str:
    number = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{number:0{device.digits}d}"


def signed_in(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_100_wrong_passwords_lock_the_account_out_for_that_address_and_are_logged(
    boss, client, settings, caplog
):
    caplog.set_level(logging.INFO, logger="axes")
    answers = [
        # A forged X-Forwarded-For (no trusted proxy) must not buy fresh attempts.
        sign_in(client, password=f"guess-{n}", HTTP_X_FORWARDED_FOR=f"192.0.2.{n % 250}")
        for n in range(100)
    ]

    limit = settings.AXES_FAILURE_LIMIT
    assert [a.status_code for a in answers[: limit - 1]] == [200] * (limit - 1)
    assert {a.status_code for a in answers[limit - 1 :]} == {429}
    assert int(answers[-1]["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    # The right password is refused too while the lock holds.
    right = sign_in(client)
    assert right.status_code == 429
    assert not signed_in(client)
    # Failures are recorded and logged, keyed by username and address.
    attempt = AccessAttempt.objects.get()
    assert (attempt.username, attempt.ip_address) == ("boss", "127.0.0.1")
    assert attempt.failures_since_start >= limit
    assert AccessFailureLog.objects.filter(username="boss").count() >= limit
    assert any("AXES" in record.getMessage() for record in caplog.records)
    assert PASSWORD not in caplog.text
    # The lock is per username and address: the owner elsewhere still gets in.
    elsewhere = Client(REMOTE_ADDR="198.51.100.20")
    assert sign_in(elsewhere).status_code == 302
    assert signed_in(elsewhere)


def test_the_sign_in_asks_a_superuser_for_the_authenticator_code(boss, client, settings):
    settings.ADMIN_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=boss, name="phone", confirmed=True)

    page = client.get(LOGIN).content.decode()
    assert 'name="otp_token"' in page
    assert "Authenticator code" in page

    without = sign_in(client)
    assert without.status_code == 200
    assert "current code from your authenticator" in without.content.decode()
    assert not signed_in(client)

    with_code = sign_in(client, code=current_code(device))
    assert with_code.status_code == 302
    assert signed_in(client)


def test_a_wrong_code_is_refused_and_counted_like_a_wrong_password(boss, client, settings):
    TOTPDevice.objects.create(user=boss, name="phone", confirmed=True)

    answers = [sign_in(client, code="000000") for _ in range(settings.AXES_FAILURE_LIMIT)]

    assert answers[0].status_code == 200
    assert answers[-1].status_code == 429
    assert not signed_in(client)


def test_a_superuser_without_an_authenticator_cannot_sign_in_when_2fa_is_required(
    boss, client, settings
):
    settings.ADMIN_REQUIRE_2FA = True

    refused = sign_in(client)

    assert refused.status_code == 200
    assert "add_totp_device" in refused.content.decode()
    assert not signed_in(client)
    # A session that was never verified (signed in before the switch) is sent back too.
    client.force_login(boss)
    assert client.get("/admin/").status_code == 302


def test_staff_without_an_authenticator_may_still_sign_in(client, settings):
    settings.ADMIN_REQUIRE_2FA = True
    User.objects.create_user("clerk", password=PASSWORD, is_staff=True)

    assert sign_in(client, username="clerk").status_code == 302
    assert signed_in(client)


def test_add_totp_device_prints_the_authenticator_address(boss):
    out = io.StringIO()

    call_command("add_totp_device", "boss", stdout=out, stderr=io.StringIO())

    device = TOTPDevice.objects.get(user=boss)
    assert device.confirmed
    assert out.getvalue().startswith("otpauth://totp/")
    assert "secret=" in out.getvalue()


def test_the_admin_shows_a_new_authenticator_as_a_qr_code(boss, admin_client):
    device = TOTPDevice.objects.create(user=boss, name="phone", confirmed=False)

    page = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/")
    image = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/")

    assert page.status_code == 200
    assert inline_code(page.content.decode()) == []
    assert (image.status_code, image["Content-Type"]) == (200, "image/svg+xml")


def test_staff_sessions_end_after_staff_session_seconds_idle(boss, client, settings):
    sign_in(client)

    assert client.session.get_expiry_age() == settings.STAFF_SESSION_SECONDS == 3600
    assert client.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 3600


@pytest.fixture
def admin_at_back_office(settings):
    import config.urls

    settings.ADMIN_URL = "back-office/"
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.ADMIN_URL = "admin/"
    importlib.reload(config.urls)
    clear_url_caches()


def test_the_admin_path_is_a_setting(admin_at_back_office, admin_client):
    assert admin_client.get("/back-office/").status_code == 200
    assert admin_client.get("/admin/").status_code == 404
