"""Phone numbers in templates, through ``core.phones``: ``{{ number|phone }}`` as people
read it and ``{{ number|tel }}`` as a link dials it, each with an optional extension
(``{{ lead.phone|phone:lead.phone_extension }}``)."""

from django import template

from core.phones import phone_display, phone_tel_uri

register = template.Library()


@register.filter
def phone(e164: str, extension: str = "") -> str:
    return phone_display(e164, extension or "")


@register.filter
def tel(e164: str, extension: str = "") -> str:
    return phone_tel_uri(e164, extension or "")
