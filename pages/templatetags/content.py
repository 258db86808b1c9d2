"""Template helpers for patient-facing content: safe Markdown and schema.org JSON-LD."""

import html
import json
from dataclasses import dataclass

import markdown
import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe

from core.phones import phone_display

register = template.Library()

ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "b", "i", "a",
    "blockquote", "table", "thead", "tbody", "tr", "th", "td", "hr", "abbr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "h2": {"id"},
    "h3": {"id"},
    "abbr": {"title"},
    "th": {"scope"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}


@dataclass(frozen=True)
class RenderedMarkdown:
    html: SafeString
    sections: list[dict]


def render_markdown(text: str) -> RenderedMarkdown:
    """Admin-edited Markdown as sanitised HTML, plus its ``##`` sections for an "On this page" list.

    Whatever HTML an editor types is reduced to the allow-list above: no scripts, styles,
    event handlers, images or iframes can reach a patient's browser.
    """
    converter = markdown.Markdown(
        extensions=["toc", "sane_lists", "tables"],
        extension_configs={"toc": {"toc_depth": "2-3"}},
    )
    raw = converter.convert(text or "")
    clean = nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener",
    )
    sections = [
        {"id": token["id"], "name": html.unescape(token["name"])}
        for token in converter.toc_tokens
        if token["level"] == 2
    ]
    # Safe: nh3 reduced it to the allow-list above.
    return RenderedMarkdown(html=mark_safe(clean), sections=sections)


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    return render_markdown(text).html


_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.simple_tag
def json_ld(data) -> SafeString:
    """A ``<script type="application/ld+json">`` block that no data value can break out of."""
    payload = json.dumps(data, ensure_ascii=False, sort_keys=False).translate(_JSON_SCRIPT_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{payload}</script>')


@register.filter
def us_phone(e164: str) -> str:
    """+12125550100 the way patients dial it (``core.phones.phone_display``)."""
    return phone_display(e164)
