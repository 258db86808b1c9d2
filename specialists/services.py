from django.db.models import F

from .models import DirectoryVersion


def directory_changed() -> None:
    """Record that search results may have changed, for every process that caches them."""
    updated = DirectoryVersion.objects.filter(pk=1).update(number=F("number") + 1)
    if not updated:
        DirectoryVersion.objects.get_or_create(pk=1)
