"""Files the admin keeps between two requests for a short time: the CSV a dry run checked,
so the import can be confirmed without choosing the file again, and a run's rejected rows
as a CSV to download.

Each file is stored under a random name in the default storage and handed to the browser
as a token signed for the user who uploaded it and for one purpose, valid for
IMPORT_STAGING_MAX_AGE_SECONDS. Older files are deleted whenever a new one is stored.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.utils import timezone

STAGING_DIR = "import-staging"
_SALT = "specialists.staging"


class StagedFileGone(Exception):
    """The token is not ours, was made for someone else or another purpose, is too old,
    or its file was already used or swept away."""


def staged_save(*, content: File | Iterable[bytes], user, purpose: str) -> str:
    """Store ``content`` (an uploaded file or byte chunks); the token that opens it."""
    _sweep()
    name = f"{STAGING_DIR}/{secrets.token_hex(16)}.csv"
    if not isinstance(content, File):
        content = ContentFile(b"".join(content))
    name = default_storage.save(name, content)
    return signing.dumps({"name": name, "user": user.pk, "purpose": purpose}, salt=_SALT)


def staged_open(*, token: str, user, purpose: str) -> File:
    """The staged file for ``token``, opened for binary reading; raises StagedFileGone."""
    name = _name(token, user=user, purpose=purpose)
    try:
        return default_storage.open(name, "rb")
    except FileNotFoundError:
        raise StagedFileGone from None


def staged_delete(*, token: str, user, purpose: str) -> None:
    default_storage.delete(_name(token, user=user, purpose=purpose))


def _name(token: str, *, user, purpose: str) -> str:
    try:
        value = signing.loads(token, salt=_SALT, max_age=settings.IMPORT_STAGING_MAX_AGE_SECONDS)
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        raise StagedFileGone from None
    if value.get("user") != user.pk or value.get("purpose") != purpose:
        raise StagedFileGone
    return value["name"]


def _sweep() -> None:
    """Delete staged files older than their tokens can be."""
    try:
        _, names = default_storage.listdir(STAGING_DIR)
    except FileNotFoundError:
        return
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.IMPORT_STAGING_MAX_AGE_SECONDS)
    for name in names:
        path = f"{STAGING_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except FileNotFoundError:
            continue
