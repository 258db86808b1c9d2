"""Small pieces of patient-facing wording shared by several apps."""

from django.utils.translation import gettext


def joined_with_and(items: list[str]) -> str:
    """ "A", "A and B", "A, B and C" (in the active language)."""
    if len(items) <= 1:
        return "".join(items)
    return gettext("%(first)s and %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}
