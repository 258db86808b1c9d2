"""/find/'s result cards, step 2's choices and the nearby institutes from the index's
snapshot, without a query and without a template.

``includes/specialist_card.html`` is the definition of a card's HTML; ``card_html`` writes
the same bytes from a ``SpecialistListing`` (the API's card plus the facts it leaves out) in
the active language, because rendering the template took most of a search's CPU. The
choices and institutes are written as the template loops they replace wrote them (tests
hold each equal to its template over random directories in both languages). ``Listing``
answers what the map and step 2 read of a specialist, under the model's names.
"""

from __future__ import annotations

import datetime
import re
from html import escape
from urllib.parse import quote_plus

from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.formats import localize
from django.utils.translation import gettext, ngettext, pgettext

from core.i18n import Language, language_current
from core.phones import phone_display
from matcher.index import directory_index
from matcher.selectors import SpecialistListing
from specialists.facts import SPINE_SPECIALIST, specialty_group
from specialists.models import Board

from .templatetags.results import DIRECTIONS_URL, languages_to_mention

_PLAIN_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
# quote_plus for ASCII text in one str.translate: the characters it leaves alone map to
# themselves, a space to "+", every other one to its %XX (a third of quote_plus's time).
_QUERY_ESCAPES = {
    code: "+" if code == 0x20 else f"%{code:02X}"
    for code in range(128)
    if not (chr(code).isalnum() or chr(code) in "_.-~")
}


def query_value(text: str) -> str:
    """``quote_plus(text)``, as a value in a link's query string."""
    return text.translate(_QUERY_ESCAPES) if text.isascii() else quote_plus(text)


class _Url:
    """A page's address for any plain slug in the active language: reversed once per
    language, then filled in; anything else is reversed."""

    def __init__(self, view: str):
        self.view = view
        self.parts: dict[str, tuple[str, str]] = {}

    def __call__(self, slug: str, *, language: str | None = None) -> str:
        """The address for ``slug`` in ``language`` (a ``Language`` value, the active one
        when None; a caller that knows it saves looking it up per link)."""
        if not _PLAIN_SLUG.fullmatch(slug):
            return reverse(self.view, args=[slug])
        language = language or language_current()
        parts = self.parts.get(language)
        if parts is None:
            prefix, suffix = reverse(self.view, args=["SLUG"]).split("SLUG")
            parts = self.parts[language] = (prefix, suffix)
        return parts[0] + slug + parts[1]


_specialist_url = _Url("specialist-detail")
institute_url = _Url("institute-detail")
_treatment_url = _Url("treatment-detail")


class CardWriter:
    """``includes/specialist_card.html`` in one language for one snapshot catalog: its
    words translated once, each treatment's link, plan's and board's name, and the
    distances, dates, language lists and institutes' member counts already formatted as
    they come up."""

    def __init__(self, catalog, language: str):
        self.catalog = catalog
        self.language = language
        boards = {code: name for _, code, name in catalog.boards}
        if language != Language.ENGLISH:
            boards.update(
                (board.code, board.name_in(language))
                for board in Board.objects.filter(code__in=list(boards)).only(
                    "code", "name", "name_es"
                )
            )
        self.boards = {code: escape(name) for code, name in boards.items()}
        self.treatments = {
            treatment.slug: (
                position,
                f'<a href="{escape(_treatment_url(treatment.slug))}">'
                f"{escape(treatment.local_name)}</a>",
            )
            for position, treatment in enumerate(catalog.treatments)
        }
        self.plans = {
            plan.pk: (position, escape(plan.local_name))
            for position, plan in enumerate(catalog.insurance_plans)
        }
        self.words = {
            name: gettext(message)
            for name, message in (
                ("away", "<strong>%(distance)s mi</strong> away"),
                ("accepting", "Accepting new patients"),
                ("not_accepting", "Not accepting new patients"),
                ("telehealth", "Telehealth visits"),
                ("speaks", "Speaks %(languages)s"),
                ("certification", "Board certification"),
                ("valid", "Valid through %(date)s"),
                ("no_expiry", "No expiry date"),
                ("no_certification", "No current board certification on file"),
                ("details", "Address, treatments, insurance"),
                ("of", "of %(name)s"),
                ("practice", "Practice"),
                ("treatments", "Treatments"),
                ("not_listed", "Not listed"),
                ("insurance", "Insurance accepted"),
                ("plans_not_listed", "Not listed: ask the office when you call."),
                ("call", "Call %(phone)s"),
                ("directions", "Directions"),
                ("to", "to %(name)s"),
                ("miles", "%(miles)s&nbsp;mi"),
            )
        }
        self.short_date = pgettext("short date", "M j, Y")
        self.specialties: dict[str, str] = {}
        self.numbers: dict[float, str] = {}
        self.distances: dict[float, str] = {}
        self.dates: dict[str, str] = {}
        self.languages: dict[tuple, str] = {}
        self.members: dict[tuple[int, bool], str] = {}

    def specialty(self, specialty: str) -> str:
        """``Specialist.local_specialty`` for a card's English specialty, escaped."""
        found = self.specialties.get(specialty)
        if found is None:
            if self.language == Language.ENGLISH:
                local = specialty
            else:
                group = specialty_group(specialty)
                local = str(group.label if group else SPINE_SPECIALIST)
            found = self.specialties[specialty] = escape(local)
        return found

    def number(self, value: float) -> str:
        """``value|floatformat:"1g"``, escaped."""
        found = self.numbers.get(value)
        if found is None:
            found = self.numbers[value] = escape(floatformat(value, "1g"))
        return found

    def distance(self, distance: float) -> str:
        found = self.distances.get(distance)
        if found is None:
            found = self.distances[distance] = self.words["away"] % {
                "distance": self.number(distance)
            }
        return found

    def chooser_option(self, specialist, *, distance: float | None, checked: bool) -> str:
        """One of step 2's choices, as ``includes/step_two.html`` wrote it per option."""
        pk, name = specialist.pk, escape(specialist.display_name)
        miles = (
            self.words["miles"] % {"miles": self.number(distance)} + ", "
            if distance is not None
            else ""
        )
        return (
            '\n      <li class="check">\n'
            f'        <input id="choose-{pk}" name="specialists" type="checkbox" value="{pk}" '
            f'data-name="{name}"{" checked" if checked else ""}>\n'
            f'        <label for="choose-{pk}">{name} <span class="muted">· {miles}'
            f"{escape(specialist.city)}, {escape(specialist.state)}</span></label>\n"
            "      </li>\n      "
        )

    def institute_item(self, institute, *, url: str, distance: float, count: int, treatment) -> str:
        """One of the nearby institutes, as ``pages/find.html`` wrote it per institute."""
        members = self.members.get((count, bool(treatment)))
        if members is None:
            if treatment:
                members = ngettext(
                    "%(counter)s specialist offering this treatment",
                    "%(counter)s specialists offering this treatment",
                    count,
                )
            else:
                members = ngettext("%(counter)s specialist", "%(counter)s specialists", count)
            members %= {"counter": escape(str(localize(count)))}
            self.members[count, bool(treatment)] = members
        phone = ""
        if institute.phone:
            call = self.words["call"] % {"phone": escape(phone_display(institute.phone))}
            phone = f'<a href="tel:{escape(institute.phone)}">{call}</a>'
        return (
            '\n          <li class="card">\n'
            f'            <a class="institute-name" href="{escape(url)}">'
            f"{escape(institute.name)}</a>\n"
            f'            <span class="distance">{self.distance(distance)}</span>\n'
            f'            <span class="muted">{escape(institute.city)}, '
            f"{escape(institute.state)} · {members}</span>\n"
            f"            {phone}\n          </li>\n          "
        )

    def validity(self, expires: str | None) -> str:
        if not expires:
            return self.words["no_expiry"]
        found = self.dates.get(expires)
        if found is None:
            shown = escape(date_filter(datetime.date.fromisoformat(expires), self.short_date))
            found = self.dates[expires] = self.words["valid"] % {"date": shown}
        return found

    def spoken(self, codes: list[str]) -> str:
        key = tuple(codes)
        found = self.languages.get(key)
        if found is None:
            names = languages_to_mention(";".join(codes))
            found = self.languages[key] = (
                '<li><span class="badge">'
                + self.words["speaks"] % {"languages": escape(", ".join(names))}
                + "</span></li>"
                if names
                else ""
            )
        return found


_writers: dict[str, CardWriter] = {}


def card_writer() -> CardWriter:
    """The active language's ``CardWriter`` for the snapshot in use; a new catalog (a
    treatment, plan or board edited) makes a new one."""
    catalog = directory_index().catalog
    language = language_current()
    writer = _writers.get(language)
    if writer is None or writer.catalog is not catalog:
        writer = _writers[language] = CardWriter(catalog, language)
    return writer


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


def card_html(
    listing: SpecialistListing, *, distance: float | None, number: int | None, writer: CardWriter
) -> str:
    """``includes/specialist_card.html`` for the listing, in ``writer``'s language."""
    card = listing.card
    address = card["address"]
    words = writer.words
    pk = card["id"]
    name = escape(card["name"])
    city, state = escape(address["city"]), escape(address["state"])
    out = [
        f'\n<article class="card result" id="result-{pk}" aria-labelledby="specialist-{pk}">\n'
        '  <div class="result-head">\n    '
    ]
    if number:
        out.append(f'<span class="result-number" aria-hidden="true">{number}</span>')
    url = _specialist_url(card["slug"], language=writer.language)
    out.append(f'\n    <h3 id="specialist-{pk}"><a href="{escape(url)}">')
    if number:
        out.append(f'<span class="visually-hidden">{number}. </span>')
    out.append(f'{name}</a></h3>\n  </div>\n  <p class="specialty">')
    if distance is not None:
        out.append(f'<span class="distance">{writer.distance(distance)}</span> · ')
    out.append(writer.specialty(card["specialty"]))
    institute = card["institute"]
    if institute:
        out.append(
            f' · <a href="{escape(institute_url(institute["slug"], language=writer.language))}">'
            f"{escape(institute['name'])}</a>"
        )
    out.append(f' · {city}, {state}</p>\n  <ul class="badges">\n    <li>')
    if card["accepting_new_patients"]:
        out.append(f'<span class="badge ok">{words["accepting"]}</span>')
    else:
        out.append(f'<span class="badge">{words["not_accepting"]}</span>')
    out.append("</li>\n    ")
    if listing.telehealth:
        out.append(f'<li><span class="badge">{words["telehealth"]}</span></li>')
    out.append("\n    ")
    out.append(writer.spoken(listing.languages))
    out.append(
        '\n  </ul>\n  <div class="certifications">\n    '
        f'<span class="label">{words["certification"]}</span>\n    \n    '
    )
    certifications = card["board_certifications"]
    if certifications:
        out.append('<ul class="plain">')
        for certification in certifications:
            code = certification["board"]
            board = writer.boards.get(code) or escape(certification["board_name"])
            out.append(
                f'<li>{board} ({escape(code)}) <span class="muted">· '
                f"{writer.validity(certification['expires_on'])}</span></li>"
            )
        out.append("</ul>\n    ")
    else:
        out.append(f"<p>{words['no_certification']}</p>")
    raw_lines = [line for line in (address["line1"], address["line2"]) if line]
    treatments = sorted(
        writer.treatments[slug] for slug in card["treatments"] if slug in writer.treatments
    )
    plans = sorted(writer.plans[pk] for pk in listing.plan_ids if pk in writer.plans)
    out.append(
        '\n    \n  </div>\n  <details class="more">\n    '
        f"<summary>{words['details']}"
        '<span class="visually-hidden"> '
        f"{words['of'] % {'name': name}}</span></summary>\n"
        '    <dl class="facts">\n'
        f"      <div><dt>{words['practice']}</dt><dd>"
        f"{', '.join(escape(line) for line in raw_lines)}, {city}, {state} "
        f"{escape(address['zip'])}</dd></div>\n"
        f"      <div><dt>{words['treatments']}</dt><dd>"
        + (", ".join(link for _, link in treatments) or words["not_listed"])
        + "</dd></div>\n"
        f"      <div><dt>{words['insurance']}</dt><dd>"
        + (", ".join(plan for _, plan in plans) or words["plans_not_listed"])
        + "</dd></div>\n    </dl>\n  </details>\n"
    )
    phone = card["phone"]
    destination = ", ".join([*raw_lines, address["city"], f"{address['state']} {address['zip']}"])
    # urlencode({"api": "1", "destination": destination})'s bytes, without its generality.
    directions = f"{DIRECTIONS_URL}api=1&destination={query_value(destination)}"
    call = words["call"] % {"phone": escape(phone_display(phone))}
    out.append(
        '  <p class="result-actions">\n'
        f'    <a class="button secondary call" href="tel:{escape(phone)}">{call}</a>\n'
        f'    <a class="text-link" href="{escape(directions)}" rel="noopener noreferrer" '
        f'data-directions>{words["directions"]}<span class="visually-hidden"> '
        f"{words['to'] % {'name': name}}</span></a>\n  </p>\n</article>\n"
    )
    return "".join(out)
