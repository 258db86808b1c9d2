"""Files the admin keeps between two requests for a short time: the CSV a dry run checked,
so the import can be confirmed without choosing the file again, and a run's rejected rows
as a CSV to download.

Each file is a ``StagedFile`` row under a random name, in the database rather than on a
disk, so the request that confirms or downloads may reach any web instance on any host.
The browser gets a token signed for the user who uploaded it and for one purpose, valid
for IMPORT_STAGING_MAX_AGE_SECONDS. Older files are deleted whenever a new one is stored.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile, File
from django.utils import timezone

from .models import StagedFile

_SALT = "specialists.staging"


class StagedFileGone(Exception):
    """The token is not ours, was made for someone else or another purpose, is too old,
    or its file was already used or swept away."""


def staged_save(*, content: File | Iterable[bytes], user, purpose: str) -> str:
    """Store ``content`` (an uploaded file or byte chunks); the token that opens it."""
    _sweep()
    chunks = content.chunks() if isinstance(content, File) else content
    name = secrets.token_hex(16)
    StagedFile.objects.create(name=name, content=b"".join(chunks))
    return signing.dumps({"name": name, "user": user.pk, "purpose": purpose}, salt=_SALT)


def staged_open(*, token: str, user, purpose: str) -> File:
    """The staged file for ``token``, opened for binary reading; raises StagedFileGone."""
    name = _name(token, user=user, purpose=purpose)
    content = StagedFile.objects.filter(name=name).values_list("content", flat=True).first()
    if content is None:
        raise StagedFileGone
    return ContentFile(bytes(content), name=f"{name}.csv")


def staged_delete(*, token: str, user, purpose: str) -> None:
    StagedFile.objects.filter(name=_name(token, user=user, purpose=purpose)).delete()


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
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.IMPORT_STAGING_MAX_AGE_SECONDS)
    StagedFile.objects.filter(created_at__lt=cutoff).delete()
