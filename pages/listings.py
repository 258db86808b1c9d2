"""/find/'s result cards from the index's snapshot, without a query and without a template.

``includes/specialist_card.html`` is the definition of a card's HTML; ``card_html`` writes
the same bytes from a ``SpecialistListing`` (the API's card plus the facts it leaves out) in
the active language, because rendering the template took most of a search's CPU (tests
hold the two equal over random directories in both languages). ``Listing`` answers what the
map and step 2 read of a specialist, under the model's names.
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext, pgettext

from core.i18n import Language, language_current
from core.phones import phone_display
from matcher.index import directory_index
from matcher.selectors import SpecialistListing
from specialists.facts import SPINE_SPECIALIST, specialty_group
from specialists.models import Board

from .templatetags.results import DIRECTIONS_URL, languages_to_mention

_PLAIN_SLUG = re.compile(r"[-a-zA-Z0-9_]+")


class _Url:
    """A page's address for any plain slug in the active language: reversed once per
    language, then filled in; anything else is reversed."""

    def __init__(self, view: str):
        self.view = view
        self.parts: dict[str, tuple[str, str]] = {}

    def __call__(self, slug: str) -> str:
        if not _PLAIN_SLUG.fullmatch(slug):
            return reverse(self.view, args=[slug])
        language = language_current()
        parts = self.parts.get(language)
        if parts is None:
            prefix, suffix = reverse(self.view, args=["SLUG"]).split("SLUG")
            parts = self.parts[language] = (prefix, suffix)
        return parts[0] + slug + parts[1]


_specialist_url = _Url("specialist-detail")
_institute_url = _Url("institute-detail")
_treatment_url = _Url("treatment-detail")


@dataclass(frozen=True)
class _Catalog:
    """The snapshot's catalog as the cards show it in one language: each treatment's link
    and each plan's name in catalog order, each board's name by code."""

    treatments: dict[str, tuple[int, str]]
    plans: dict[int, tuple[int, str]]
    boards: dict[str, str]


_catalogs: dict[str, tuple[object, _Catalog]] = {}


def _catalog() -> _Catalog:
    """The active language's ``_Catalog`` of the snapshot in use, built once per snapshot
    catalog (boards' Spanish names are one query: the snapshot keeps the English ones)."""
    catalog = directory_index().catalog
    language = language_current()
    kept = _catalogs.get(language)
    if kept is not None and kept[0] is catalog:
        return kept[1]
    boards = {code: name for _, code, name in catalog.boards}
    if language != Language.ENGLISH:
        boards.update(
            (board.code, board.name_in(language))
            for board in Board.objects.filter(code__in=list(boards)).only("code", "name", "name_es")
        )
    built = _Catalog(
        treatments={
            treatment.slug: (
                position,
                f'<a href="{escape(_treatment_url(treatment.slug))}">'
                f"{escape(treatment.local_name)}</a>",
            )
            for position, treatment in enumerate(catalog.treatments)
        },
        plans={
            plan.pk: (position, escape(plan.local_name))
            for position, plan in enumerate(catalog.insurance_plans)
        },
        boards={code: escape(name) for code, name in boards.items()},
    )
    _catalogs[language] = (catalog, built)
    return built


@functools.lru_cache(maxsize=100_000)
def _phone_shown(e164: str) -> str:
    return phone_display(e164)


class Listing:
    """A specialist as the map and step 2 read one (``Specialist``'s names), from a
    ``SpecialistListing``."""

    __slots__ = ("accepting_new_patients", "card", "city", "display_name", "pk", "state")

    def __init__(self, card: dict):
        self.card = card
        self.pk = card["id"]
        self.display_name = card["name"]
        self.city = card["address"]["city"]
        self.state = card["address"]["state"]
        self.accepting_new_patients = card["accepting_new_patients"]

    @property
    def latitude(self) -> float:
        return self.card["address"]["latitude"]

    @property
    def longitude(self) -> float:
        return self.card["address"]["longitude"]

    def get_absolute_url(self) -> str:
        return _specialist_url(self.card["slug"])


def _local_specialty(specialty: str) -> str:
    """``Specialist.local_specialty`` for a card's English specialty."""
    if language_current() == Language.ENGLISH:
        return specialty
    group = specialty_group(specialty)
    return str(group.label if group else SPINE_SPECIALIST)


def card_html(listing: SpecialistListing, *, distance: float | None, number: int | None) -> str:
    """``includes/specialist_card.html`` for the listing, in the active language."""
    card = listing.card
    address = card["address"]
    catalog = _catalog()
    pk = card["id"]
    name = escape(card["name"])
    city, state = escape(address["city"]), escape(address["state"])
    out = [
        f'\n<article class="card result" id="result-{pk}" aria-labelledby="specialist-{pk}">\n'
        '  <div class="result-head">\n    '
    ]
    if number:
        out.append(f'<span class="result-number" aria-hidden="true">{number}</span>')
    out.append(f'\n    <h3 id="specialist-{pk}"><a href="{escape(_specialist_url(card["slug"]))}">')
    if number:
        out.append(f'<span class="visually-hidden">{number}. </span>')
    out.append(f'{name}</a></h3>\n  </div>\n  <p class="specialty">')
    if distance is not None:
        shown = escape(floatformat(distance, "1g"))
        out.append(
            '<span class="distance">'
            + gettext("<strong>%(distance)s mi</strong> away") % {"distance": shown}
            + "</span> · "
        )
    out.append(escape(_local_specialty(card["specialty"])))
    institute = card["institute"]
    if institute:
        out.append(
            f' · <a href="{escape(_institute_url(institute["slug"]))}">'
            f"{escape(institute['name'])}</a>"
        )
    out.append(f' · {city}, {state}</p>\n  <ul class="badges">\n    <li>')
    if card["accepting_new_patients"]:
        out.append(f'<span class="badge ok">{gettext("Accepting new patients")}</span>')
    else:
        out.append(f'<span class="badge">{gettext("Not accepting new patients")}</span>')
    out.append("</li>\n    ")
    if listing.telehealth:
        out.append(f'<li><span class="badge">{gettext("Telehealth visits")}</span></li>')
    out.append("\n    ")
    languages = languages_to_mention(";".join(listing.languages))
    if languages:
        spoken = gettext("Speaks %(languages)s") % {"languages": escape(", ".join(languages))}
        out.append(f'<li><span class="badge">{spoken}</span></li>')
    out.append(
        '\n  </ul>\n  <div class="certifications">\n    '
        f'<span class="label">{gettext("Board certification")}</span>\n    \n    '
    )
    certifications = card["board_certifications"]
    if certifications:
        short_date = pgettext("short date", "M j, Y")
        out.append('<ul class="plain">')
        for certification in certifications:
            expires = certification["expires_on"]
            if expires:
                shown = escape(date_filter(datetime.date.fromisoformat(expires), short_date))
                validity = gettext("Valid through %(date)s") % {"date": shown}
            else:
                validity = gettext("No expiry date")
            code = certification["board"]
            out.append(
                f"<li>{catalog.boards.get(code) or escape(certification['board_name'])} "
                f'({escape(code)}) <span class="muted">· {validity}</span></li>'
            )
        out.append("</ul>\n    ")
    else:
        out.append(f"<p>{gettext('No current board certification on file')}</p>")
    lines = [escape(line) for line in (address["line1"], address["line2"]) if line]
    treatments = sorted(
        catalog.treatments[slug] for slug in card["treatments"] if slug in catalog.treatments
    )
    plans = sorted(catalog.plans[pk] for pk in listing.plan_ids if pk in catalog.plans)
    out.append(
        '\n    \n  </div>\n  <details class="more">\n    '
        f"<summary>{gettext('Address, treatments, insurance')}"
        '<span class="visually-hidden"> '
        f"{gettext('of %(name)s') % {'name': name}}</span></summary>\n"
        '    <dl class="facts">\n'
        f"      <div><dt>{gettext('Practice')}</dt><dd>{', '.join(lines)}, {city}, {state} "
        f"{escape(address['zip'])}</dd></div>\n"
        f"      <div><dt>{gettext('Treatments')}</dt><dd>"
        + (", ".join(link for _, link in treatments) or gettext("Not listed"))
        + "</dd></div>\n"
        f"      <div><dt>{gettext('Insurance accepted')}</dt><dd>"
        + (
            ", ".join(plan for _, plan in plans)
            or gettext("Not listed: ask the office when you call.")
        )
        + "</dd></div>\n    </dl>\n  </details>\n"
    )
    phone = card["phone"]
    directions = DIRECTIONS_URL + urlencode(
        {
            "api": "1",
            "destination": ", ".join(
                [
                    *(line for line in (address["line1"], address["line2"]) if line),
                    address["city"],
                    f"{address['state']} {address['zip']}",
                ]
            ),
        }
    )
    call = gettext("Call %(phone)s") % {"phone": escape(_phone_shown(phone))}
    out.append(
        '  <p class="result-actions">\n'
        f'    <a class="button secondary call" href="tel:{escape(phone)}">{call}</a>\n'
        f'    <a class="text-link" href="{escape(directions)}" rel="noopener noreferrer" '
        f'data-directions>{gettext("Directions")}<span class="visually-hidden"> '
        f"{gettext('to %(name)s') % {'name': name}}</span></a>\n  </p>\n</article>\n"
    )
    return "".join(out)
