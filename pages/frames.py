"""A page's template rendered once per language, directory snapshot and shape, then filled
in for each request: ``frame_render``.

For /find/'s results: with the cards, map, pager and institutes already written in Python,
Django's template engine walking find.html, base.html and their includes was still a third
of a search's CPU, though for most searches the page differs only in a few values (the
place, the counts, those written parts, the CSRF token, the page's own addresses). The
caller renders the template with each such value replaced by ``slot(name)``, a marker that
escaping leaves alone, and names the rest of what the template reads as the ``shape``; the
output is kept split at the markers, and each request joins the kept text with its own
values (``fill``), written as the template would have written them (``as_text``).

So the template stays the one definition of the page. What the caller must hold to: a
slotted value is only printed, never tested, filtered or counted by the template (what
decides the page's layout belongs in the shape, with its real value); a value read by the
template and missing from both is a bug that ``tests/pages/test_find_frames.py`` catches
by comparing framed pages with plainly rendered ones.
"""

from __future__ import annotations

import functools
import html
import re

from django.db.models import Model
from django.template import Context
from django.template.base import render_value_in_context
from django.template.loader import render_to_string
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from matcher.index import pinned_index

# Kept per process and snapshot; a frame is the page less its slotted parts (20-30 KB),
# and most searches share a handful of shapes.
FRAMES_KEPT = 200
_SLOT = re.compile("\x00([a-z0-9_]+)\x00")
# How a template prints a plain variable ({{ value }}): localised, then escaped.
_PRINTED = Context(autoescape=True)

_PLAIN = frozenset({str, int, float, bool})

_kept: tuple[object, dict[tuple, list[str]]] = (None, {})


@functools.cache
def slot(name: str) -> SafeString:
    """The marker standing for the value ``name`` in a frame (escaping leaves it alone)."""
    return mark_safe(f"\x00{name}\x00")


def as_text(value) -> str:
    """``value`` as ``{{ value }}`` prints it (already-safe HTML as it is)."""
    if type(value) is str:  # what localising leaves alone, escaped as the template would
        return html.escape(value)
    return render_value_in_context(value, _PRINTED)


def shape_key(value):
    """A hashable stand-in for ``value``, equal for values the template prints alike.
    Functions stand for what they compute from the rest of the shape; a model instance is
    its class and primary key."""
    kind = type(value)
    if kind in _PLAIN or value is None:
        return value
    if kind is dict:
        return tuple([(key, shape_key(item)) for key, item in value.items()])
    if kind is list or kind is tuple:
        return tuple([shape_key(item) for item in value])
    if kind is SafeString:  # printed as it is, where a str would be escaped
        return ("safe", str(value))
    if isinstance(value, Model):
        return (kind.__name__, value.pk)
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, dict):
        return tuple([(key, shape_key(item)) for key, item in value.items()])
    if isinstance(value, list | tuple):
        return tuple([shape_key(item) for item in value])
    if isinstance(value, str | int | float):  # enumerations and the like
        return (kind.__name__, value)
    if callable(value):
        return "callable"
    raise TypeError(f"no shape key for {kind.__name__}")


def frame_render(request, template_name: str, *, context: dict, fill: dict[str, str]) -> str:
    """``template_name`` rendered with ``context`` (whose slots ``fill`` gives), from the
    frame kept for this language, snapshot and ``context``'s shape when there is one.
    Outside ``pinned_snapshot`` the frame is rendered each time."""
    global _kept
    index = pinned_index()
    kept = {}
    if index is not None:
        kept_index, kept = _kept
        if kept_index is not index:
            kept = {}
            _kept = (index, kept)
    key = (template_name, get_language(), shape_key(context))
    parts = kept.get(key)
    if parts is None:
        parts = _SLOT.split(render_to_string(template_name, context, request))
        if len(kept) >= FRAMES_KEPT:
            kept.clear()
        kept[key] = parts
    pieces = parts.copy()
    pieces[1::2] = [fill[name] for name in parts[1::2]]
    return "".join(pieces)
