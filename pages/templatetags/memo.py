"""``{% memo value ... %}...{% endmemo %}``: a part of a page rendered once per process for
each language, directory snapshot and set of ``value``s, then reused.

For the parts of /find/ that are the same for most searches (the header and footer, the
search form's controls, step 2's fields): rendering them was most of the page's CPU. The
values named must be everything the part reads that is not fixed by the language and the
snapshot (the treatment menu, the insurance plans and languages offered are the
snapshot's); a part reading the request (CSRF token, query string) must not be memoised.
The snapshot in the key means a directory change is shown as soon as searches show it;
outside ``pinned_snapshot`` (pages that search nothing) the part is simply rendered.
"""

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from matcher.index import pinned_index

register = template.Library()

# Parts kept per process: a few per distinct filter or error combination; emptied when full
# rather than ordered, since a new snapshot makes every kept part useless anyway.
MEMO_KEPT = 2_000

# The parts kept for the snapshot they were rendered with: a new snapshot (after any
# directory change) starts afresh, and a thread still answering from the old one fills
# only the old one's.
_kept: tuple[object, dict[tuple, str]] = (None, {})


def _hashable(value):
    if isinstance(value, list | tuple):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict):
        return tuple((key, _hashable(item)) for key, item in value.items())
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return (type(value).__name__, str(value))


class MemoNode(template.Node):
    def __init__(self, nodelist, values):
        self.nodelist = nodelist
        self.values = values

    def render(self, context):
        global _kept
        index = pinned_index()
        if index is None:
            return self.nodelist.render(context)
        kept_index, kept = _kept
        if kept_index is not index:
            kept = {}
            _kept = (index, kept)
        key = (
            id(self),
            get_language(),
            *(_hashable(value.resolve(context)) for value in self.values),
        )
        found = kept.get(key)
        if found is None:
            found = self.nodelist.render(context)
            if len(kept) >= MEMO_KEPT:
                kept.clear()
            kept[key] = found
        return mark_safe(found)


@register.tag
def memo(parser, token):
    values = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endmemo",))
    parser.delete_first_token()
    return MemoNode(nodelist, values)
