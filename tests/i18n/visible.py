"""What a reader sees of a page or an email, and a check that the Spanish one says none of
it in English.

A page rendered in Spanish and in English is split into text nodes (plus the attributes a
reader meets: alt, title, aria-label, placeholder and the meta description). A Spanish
node that also appears, identical, in the English rendering was not translated, unless
nothing but names, numbers (with their unit, "1.5 mi", and clock times, "8 a.m.", which
US Spanish writes the same) and punctuation is left of it once the strings both
languages share (``shared``: the site's name, phone numbers, people, places) are taken
out. A link to the page in another language (``hreflang``) names that language in its
own words, and is left out.
"""

import re
from html.parser import HTMLParser

READ_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder"}
_SPACE = re.compile(r"\s+")
_LETTER = re.compile(r"[^\W\d_]")
_URL = re.compile(r"https?://\S+")
_MEASURE = re.compile(r"\d[\d.,]*\s?(?:mi|km)\b|\b\d{1,2}(?::\d\d)?\s?[ap]\.m\.")


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        # The open elements whose text nobody reads in the page's language.
        self._hidden: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style") or (tag == "a" and "hreflang" in attrs):
            self._hidden.append(tag)
        for name in READ_ATTRIBUTES & attrs.keys():
            self._add(attrs[name])
        if tag == "meta" and attrs.get("name") == "description":
            self._add(attrs.get("content"))

    def handle_endtag(self, tag):
        if self._hidden and self._hidden[-1] == tag:
            self._hidden.pop()

    def handle_data(self, data):
        if not self._hidden:
            self._add(data)

    def _add(self, text):
        text = _SPACE.sub(" ", text or "").strip()
        if text:
            self.nodes.append(text)


def html_nodes(html: str) -> list[str]:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.nodes


def text_nodes(text: str) -> list[str]:
    """A plain-text email's lines, as nodes."""
    return [line for line in (_SPACE.sub(" ", raw).strip() for raw in text.splitlines()) if line]


def _says_nothing(node: str, shared: set[str]) -> bool:
    rest = _MEASURE.sub(" ", _URL.sub(" ", node))
    for value in sorted(shared, key=len, reverse=True):
        rest = rest.replace(value, " ")
    return not _LETTER.search(rest)


def untranslated(spanish: list[str], english: list[str], *, shared=frozenset()) -> list[str]:
    """The Spanish nodes that are English: also in the English rendering, and more than
    names, numbers and punctuation."""
    said_in_english = set(english)
    return [
        node for node in spanish if node in said_in_english and not _says_nothing(node, set(shared))
    ]
