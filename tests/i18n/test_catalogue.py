"""The Spanish catalogue: complete, every translation keeps its message's placeholders and
markup, gettext compiles it, and the compiled file in use is the current one."""

import gettext
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from .po import po_read

PO = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

# %(name)s and %s, {name} and {}, and every HTML tag with its attributes.
_PERCENT = re.compile(r"%(?:\(\w+\))?[sdif]")
_BRACES = re.compile(r"\{\w*\}")
_TAG = re.compile(r"<[^>]+>")


def _fixed_parts(text: str) -> Counter:
    return Counter([*_PERCENT.findall(text), *_BRACES.findall(text), *_TAG.findall(text)])


def catalogue_problems(text: str) -> list[str]:
    """What is wrong with a .po file's entries, one line per problem."""
    problems = []
    for entry in po_read(text):
        if not entry.msgid:
            continue
        name = repr(entry.msgid[:60])
        if entry.obsolete:
            problems.append(f"{name}: obsolete (run makemessages and drop it)")
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"{name}: marked fuzzy")
        sources = (
            [entry.msgid]
            if entry.msgid_plural is None
            else [
                entry.msgid,
                entry.msgid_plural,
            ]
        )
        translations = entry.translations
        if len(translations) != len(sources) or not all(translations):
            problems.append(f"{name}: not translated")
            continue
        for source, translation in zip(sources, translations, strict=True):
            if _fixed_parts(source) != _fixed_parts(translation):
                problems.append(
                    f"{name}: placeholders or markup differ: "
                    f"{sorted(_fixed_parts(source).elements())} vs "
                    f"{sorted(_fixed_parts(translation).elements())}"
                )
    return problems


def test_every_message_is_translated_keeping_its_placeholders_and_markup():
    assert catalogue_problems(PO.read_text(encoding="utf-8")) == []


BROKEN = {
    "a placeholder dropped": (
        'msgid "Unknown ZIP code %(zip)s."\nmsgstr "Código postal desconocido."'
    ),
    "a placeholder renamed": (
        'msgid "Unknown ZIP code %(zip)s."\nmsgstr "Código postal %(codigo)s desconocido."'
    ),
    "a format spec changed": (
        'msgid "Unknown ZIP code %(zip)s."\nmsgstr "Código postal %(zip)d desconocido."'
    ),
    "a brace placeholder translated": (
        'msgid "Welcome to the {site_name} newsletter"\n'
        'msgstr "Le damos la bienvenida al boletín de {nombre}"'
    ),
    "markup changed": (
        'msgid "Call <a href=\\"tel:%(e164)s\\">%(phone)s</a>."\n'
        'msgstr "Llame al <a href=\\"tel:%(phone)s\\">%(phone)s</a>."'
    ),
    "a plural form broken": (
        'msgid "%(days)s day"\nmsgid_plural "%(days)s days"\n'
        'msgstr[0] "%(days)s día"\nmsgstr[1] "días"'
    ),
    "left empty": 'msgid "Find a specialist"\nmsgstr ""',
    "fuzzy": '#, fuzzy\nmsgid "Find a specialist"\nmsgstr "Buscar un especialista"',
}


@pytest.mark.parametrize("entry", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_entry_fails_the_check(entry):
    header = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    assert len(catalogue_problems(header + entry + "\n")) == 1


def _msgfmt() -> str:
    found = shutil.which("msgfmt")
    assert found, "GNU gettext's msgfmt is missing: run scripts/gettext-up (make install does)"
    return found


def test_gettext_compiles_the_catalogue_with_its_format_checks(tmp_path):
    result = subprocess.run(
        [_msgfmt(), "--check", "-o", str(tmp_path / "django.mo"), str(PO)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_the_compiled_catalogue_in_use_is_the_current_one(tmp_path):
    assert MO.exists(), "no compiled Spanish catalogue: run make install"
    fresh = tmp_path / "django.mo"
    subprocess.run([_msgfmt(), "-o", str(fresh), str(PO)], check=True)
    with MO.open("rb") as used, fresh.open("rb") as current:
        assert gettext.GNUTranslations(used)._catalog == (
            gettext.GNUTranslations(current)._catalog
        ), "the .po changed since it was compiled: run make install"


def test_spanish_has_two_plural_forms_like_english():
    (header,) = [entry for entry in po_read(PO.read_text(encoding="utf-8")) if not entry.msgid]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header.msgstr[0]
    assert "Language: es" in header.msgstr[0]
