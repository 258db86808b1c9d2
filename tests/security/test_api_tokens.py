"""API tokens were stored in clear and never expired. Now only a digest is stored, every
token expires, and scripts still send ``Authorization: Token <key>``."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from core.api_tokens import api_token_create
from core.models import ApiToken
from tests.marketing.conftest import EXPORT_URL

pytestmark = pytest.mark.django_db


def export_with(key: str):
    return APIClient().get(EXPORT_URL, HTTP_AUTHORIZATION=f"Token {key}")


def test_no_table_holds_the_key(marketing_user):
    token, key = api_token_create(user=marketing_user)

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert key not in stored
    assert len(key) == 40
    assert export_with(key).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_an_expired_token_or_an_inactive_user_gets_401(marketing_user):
    token, key = api_token_create(user=marketing_user, days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())

    expired = export_with(key)

    assert expired.status_code == 401
    assert expired["WWW-Authenticate"] == "Token"
    _, fresh = api_token_create(user=marketing_user)
    User.objects.filter(pk=marketing_user.pk).update(is_active=False)
    assert export_with(fresh).status_code == 401


def test_tokens_expire_after_api_token_days_by_default(marketing_user, settings):
    token, _ = api_token_create(user=marketing_user)

    lifetime = token.expires_at - token.created_at
    assert abs(lifetime - datetime.timedelta(days=settings.API_TOKEN_DAYS)) < datetime.timedelta(
        seconds=5
    )


def test_the_admin_can_expire_a_token_at_once(admin_client, marketing_user):
    token, key = api_token_create(user=marketing_user)

    admin_client.post(
        "/admin/core/apitoken/", {"action": "expire_now", "_selected_action": [token.pk]}
    )

    assert export_with(key).status_code == 401


def test_keys_stored_in_clear_by_the_old_token_table_are_carried_over_hashed(marketing_user):
    migration = importlib.import_module("core.migrations.0002_hash_existing_api_tokens")
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            # A database that ran the old token app has it already (rolled back after).
            'CREATE TABLE IF NOT EXISTS authtoken_token ("key" varchar(40) PRIMARY KEY, '
            '"created" timestamp NOT NULL, "user_id" integer NOT NULL)'
        )
        cursor.execute(
            'INSERT INTO authtoken_token ("key", "created", "user_id") VALUES (%s, %s, %s)',
            [old_key, "2024-01-02 03:04:05", marketing_user.pk],
        )

    migration.hash_clear_keys(apps, connection.schema_editor())

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone() == (0,)
    carried = ApiToken.objects.get()
    assert carried.created_at == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    assert export_with(old_key).status_code == 200
