"""Listing facts patients filter on, and their vocabularies: languages (ISO 639-1), gender as
NPPES lists it, specialty groups, and an institute's opening hours.

One definition each, shared by the models, the admin, the import, the search and the pages.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import translation
from django.utils.dates import WEEKDAYS
from django.utils.formats import time_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# ISO 639-1, every two-letter code, with its English name (translated like any other text).
LANGUAGES = {
    "aa": _("Afar"), "ab": _("Abkhazian"), "ae": _("Avestan"), "af": _("Afrikaans"),
    "ak": _("Akan"), "am": _("Amharic"), "an": _("Aragonese"), "ar": _("Arabic"),
    "as": _("Assamese"), "av": _("Avaric"), "ay": _("Aymara"), "az": _("Azerbaijani"),
    "ba": _("Bashkir"), "be": _("Belarusian"), "bg": _("Bulgarian"), "bi": _("Bislama"),
    "bm": _("Bambara"), "bn": _("Bengali"), "bo": _("Tibetan"), "br": _("Breton"),
    "bs": _("Bosnian"), "ca": _("Catalan"), "ce": _("Chechen"), "ch": _("Chamorro"),
    "co": _("Corsican"), "cr": _("Cree"), "cs": _("Czech"), "cu": _("Church Slavic"),
    "cv": _("Chuvash"), "cy": _("Welsh"), "da": _("Danish"), "de": _("German"),
    "dv": _("Divehi"), "dz": _("Dzongkha"), "ee": _("Ewe"), "el": _("Greek"),
    "en": _("English"), "eo": _("Esperanto"), "es": _("Spanish"), "et": _("Estonian"),
    "eu": _("Basque"), "fa": _("Persian"), "ff": _("Fulah"), "fi": _("Finnish"),
    "fj": _("Fijian"), "fo": _("Faroese"), "fr": _("French"), "fy": _("Western Frisian"),
    "ga": _("Irish"), "gd": _("Scottish Gaelic"), "gl": _("Galician"), "gn": _("Guarani"),
    "gu": _("Gujarati"), "gv": _("Manx"), "ha": _("Hausa"), "he": _("Hebrew"),
    "hi": _("Hindi"), "ho": _("Hiri Motu"), "hr": _("Croatian"), "ht": _("Haitian Creole"),
    "hu": _("Hungarian"), "hy": _("Armenian"), "hz": _("Herero"), "ia": _("Interlingua"),
    "id": _("Indonesian"), "ie": _("Interlingue"), "ig": _("Igbo"), "ii": _("Sichuan Yi"),
    "ik": _("Inupiaq"), "io": _("Ido"), "is": _("Icelandic"), "it": _("Italian"),
    "iu": _("Inuktitut"), "ja": _("Japanese"), "jv": _("Javanese"), "ka": _("Georgian"),
    "kg": _("Kongo"), "ki": _("Kikuyu"), "kj": _("Kuanyama"), "kk": _("Kazakh"),
    "kl": _("Kalaallisut"), "km": _("Khmer"), "kn": _("Kannada"), "ko": _("Korean"),
    "kr": _("Kanuri"), "ks": _("Kashmiri"), "ku": _("Kurdish"), "kv": _("Komi"),
    "kw": _("Cornish"), "ky": _("Kyrgyz"), "la": _("Latin"), "lb": _("Luxembourgish"),
    "lg": _("Ganda"), "li": _("Limburgish"), "ln": _("Lingala"), "lo": _("Lao"),
    "lt": _("Lithuanian"), "lu": _("Luba-Katanga"), "lv": _("Latvian"), "mg": _("Malagasy"),
    "mh": _("Marshallese"), "mi": _("Maori"), "mk": _("Macedonian"), "ml": _("Malayalam"),
    "mn": _("Mongolian"), "mr": _("Marathi"), "ms": _("Malay"), "mt": _("Maltese"),
    "my": _("Burmese"), "na": _("Nauru"), "nb": _("Norwegian Bokmål"),
    "nd": _("North Ndebele"), "ne": _("Nepali"), "ng": _("Ndonga"), "nl": _("Dutch"),
    "nn": _("Norwegian Nynorsk"), "no": _("Norwegian"), "nr": _("South Ndebele"),
    "nv": _("Navajo"), "ny": _("Chichewa"), "oc": _("Occitan"), "oj": _("Ojibwa"),
    "om": _("Oromo"), "or": _("Odia"), "os": _("Ossetian"), "pa": _("Punjabi"),
    "pi": _("Pali"), "pl": _("Polish"), "ps": _("Pashto"), "pt": _("Portuguese"),
    "qu": _("Quechua"), "rm": _("Romansh"), "rn": _("Rundi"), "ro": _("Romanian"),
    "ru": _("Russian"), "rw": _("Kinyarwanda"), "sa": _("Sanskrit"), "sc": _("Sardinian"),
    "sd": _("Sindhi"), "se": _("Northern Sami"), "sg": _("Sango"), "si": _("Sinhala"),
    "sk": _("Slovak"), "sl": _("Slovenian"), "sm": _("Samoan"), "sn": _("Shona"),
    "so": _("Somali"), "sq": _("Albanian"), "sr": _("Serbian"), "ss": _("Swati"),
    "st": _("Southern Sotho"), "su": _("Sundanese"), "sv": _("Swedish"), "sw": _("Swahili"),
    "ta": _("Tamil"), "te": _("Telugu"), "tg": _("Tajik"), "th": _("Thai"),
    "ti": _("Tigrinya"), "tk": _("Turkmen"), "tl": _("Tagalog"), "tn": _("Tswana"),
    "to": _("Tongan"), "tr": _("Turkish"), "ts": _("Tsonga"), "tt": _("Tatar"),
    "tw": _("Twi"), "ty": _("Tahitian"), "ug": _("Uyghur"), "uk": _("Ukrainian"),
    "ur": _("Urdu"), "uz": _("Uzbek"), "ve": _("Venda"), "vi": _("Vietnamese"),
    "vo": _("Volapük"), "wa": _("Walloon"), "wo": _("Wolof"), "xh": _("Xhosa"),
    "yi": _("Yiddish"), "yo": _("Yoruba"), "za": _("Zhuang"), "zh": _("Chinese"),
    "zu": _("Zulu"),
}  # fmt: skip
LANGUAGE_SEPARATOR = ";"


class LanguageCodeError(ValueError):
    """A language code that is not ISO 639-1; the message names it."""


def language_codes_parse(raw: str) -> str:
    """``;``-separated ISO 639-1 codes (any case, spaces and repeats allowed) as stored:
    lower case, sorted, each once, joined by ``;``. "" for none.

    Raises LanguageCodeError naming the first unknown code.
    """
    codes = {code.strip().lower() for code in raw.split(LANGUAGE_SEPARATOR) if code.strip()}
    unknown = sorted(codes - LANGUAGES.keys())
    if unknown:
        raise LanguageCodeError(
            gettext("%(code)r is not an ISO 639-1 language code") % {"code": unknown[0]}
        )
    return LANGUAGE_SEPARATOR.join(sorted(codes))


def language_codes_from_names(text: str) -> str:
    """Languages typed by English name or ISO 639-1 code, separated by commas or ``;``, in
    any case ("English, Spanish", "en; vi"), as stored (see ``language_codes_parse``).

    Raises LanguageCodeError naming the first one it does not know.
    """
    with translation.override("en"):
        by_name = {str(name).casefold(): code for code, name in LANGUAGES.items()}
    codes = []
    for typed in text.replace(LANGUAGE_SEPARATOR, ",").split(","):
        word = " ".join(typed.split()).casefold()
        if not word:
            continue
        code = word if word in LANGUAGES else by_name.get(word)
        if code is None:
            # Only providers type language names (their pages are English): not translated.
            raise LanguageCodeError(
                f"Unknown language '{' '.join(typed.split())}': write languages by name, "
                "for example English, Spanish."
            )
        codes.append(code)
    return language_codes_parse(LANGUAGE_SEPARATOR.join(codes))


def language_codes(stored: str) -> list[str]:
    """The codes of a stored ``languages`` value."""
    return [code for code in stored.split(LANGUAGE_SEPARATOR) if code]


def language_names(stored: str) -> list[str]:
    """The languages of a stored value by name, English first, then alphabetically."""
    codes = language_codes(stored)
    return [
        str(LANGUAGES[code])
        for code in sorted(codes, key=lambda code: (code != "en", str(LANGUAGES[code])))
    ]


def validate_language_codes(value: str) -> None:
    try:
        stored = language_codes_parse(value)
    except LanguageCodeError as error:
        raise ValidationError(str(error), code="invalid_language") from None
    if stored != value:
        raise ValidationError(
            gettext("Store language codes in lower case, sorted, separated by ';'."),
            code="unnormalised_languages",
        )


class Gender(models.TextChoices):
    """As NPPES lists a provider (its "Provider Sex Code"); blank when not listed."""

    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


# How the search and the import name them: the API takes the word, NPPES files the letter.
GENDER_WORDS = {"female": Gender.FEMALE, "male": Gender.MALE}


class SpecialtyGroup(models.TextChoices):
    """What patients choose between: surgeons, pain doctors, rehabilitation physicians."""

    SURGERY = "surgery", _("Spine surgery")
    PAIN = "pain-medicine", _("Pain medicine")
    REHABILITATION = "rehabilitation", _("Physical medicine and rehabilitation")


# Checked in this order against a listing's specialty text (NPPES taxonomy descriptions
# and what admins type): "Neurosurgery" is a surgeon, "Anesthesiology, Pain Medicine" a
# pain doctor.
_SPECIALTY_KEYWORDS = (
    (SpecialtyGroup.SURGERY, ("surg",)),
    (SpecialtyGroup.PAIN, ("pain", "anesthes", "anaesthes")),
    (SpecialtyGroup.REHABILITATION, ("rehab", "physical medicine", "physiatr")),
)


# What a specialty that fits no group is called where the listing's own words cannot be.
SPINE_SPECIALIST = _("Spine specialist")


def specialty_group(specialty: str) -> SpecialtyGroup | None:
    """The group a specialty belongs to, or None when it fits none of them."""
    text = specialty.casefold()
    for group, keywords in _SPECIALTY_KEYWORDS:
        if any(keyword in text for keyword in keywords):
            return group
    return None


# --- Opening hours ------------------------------------------------------------------------
# One line per rule in schema.org's openingHours syntax: "Mo-Fr 08:00-17:00", "Sa 09:00-12:00",
# "Mo,We 13:00-18:00". The same text feeds the page and the JSON-LD.
DAY_CODES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAY = "(?:" + "|".join(DAY_CODES) + ")"
_DAYS = rf"{_DAY}(?:-{_DAY})?(?:,{_DAY}(?:-{_DAY})?)*"
_HOURS_LINE = re.compile(rf"({_DAYS}) ([0-2]\d:[0-5]\d)-([0-2]\d:[0-5]\d)")


@dataclass(frozen=True)
class OpeningHours:
    """One rule: the days it covers (0 = Monday) and its opening and closing time."""

    days: tuple[int, ...]
    opens: datetime.time
    closes: datetime.time
    line: str

    @property
    def days_text(self) -> str:
        """ "Monday to Friday", "Saturday", "Monday, Wednesday"."""
        runs, start = [], None
        for position, day in enumerate(self.days):
            if start is None:
                start = day
            following = self.days[position + 1] if position + 1 < len(self.days) else None
            if following != day + 1:
                runs.append((start, day))
                start = None
        parts = []
        for first, last in runs:
            if first == last:
                parts.append(str(WEEKDAYS[first]))
            elif last == first + 1:
                parts.append(f"{WEEKDAYS[first]}, {WEEKDAYS[last]}")
            else:
                parts.append(
                    gettext("%(first)s to %(last)s")
                    % {"first": WEEKDAYS[first], "last": WEEKDAYS[last]}
                )
        return ", ".join(parts)

    @property
    def hours_text(self) -> str:
        return f"{time_format(self.opens)}–{time_format(self.closes)}"


def opening_hours_parse(text: str) -> list[OpeningHours]:
    """Every rule in ``text``; raises ValidationError naming the first line it cannot read."""
    rules = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = " ".join(raw.split())
        if not line:
            continue
        match = _HOURS_LINE.fullmatch(line)
        try:
            if match is None:
                raise ValueError
            opens = datetime.time.fromisoformat(match.group(2))
            closes = datetime.time.fromisoformat(match.group(3))
        except ValueError:
            raise ValidationError(
                gettext(
                    "Line %(number)d: write days and hours like “Mo-Fr 08:00-17:00” "
                    "or “Sa 09:00-12:00”."
                )
                % {"number": number},
                code="invalid_opening_hours",
            ) from None
        if closes <= opens:
            raise ValidationError(
                gettext("Line %(number)d: closing time must be after opening time.")
                % {"number": number},
                code="invalid_opening_hours",
            )
        rules.append(OpeningHours(_days(match.group(1)), opens, closes, line))
    return rules


def _days(text: str) -> tuple[int, ...]:
    days: list[int] = []
    for part in text.split(","):
        first, _dash, last = part.partition("-")
        start, end = DAY_CODES.index(first), DAY_CODES.index(last or first)
        span = range(start, end + 1) if end >= start else [*range(start, 7), *range(0, end + 1)]
        days += [day for day in span if day not in days]
    return tuple(sorted(days))


def validate_opening_hours(value: str) -> None:
    opening_hours_parse(value)
