"""The built-in catalog, kept as files under ``specialists/content/``.

- ``treatments/<slug>.md`` and ``conditions/<slug>.md``: one patient page each, TOML front
  matter between two ``+++`` lines, then the Markdown body;
- ``treatments/<slug>.es.md`` and ``conditions/<slug>.es.md``: the same page in Spanish
  (``name``, ``summary`` and ``meta_description`` in the front matter, then the body),
  written to the ``*_es`` fields; a page without one shows its English words in Spanish;
- ``boards.toml``: the certifying boards, ``CODE = "Name"``;
- ``insurance.toml``: the insurance plans specialists accept, ``slug = "Name"`` in the order
  patients see them;
- ``boards.es.toml`` and ``insurance.es.toml``: their names in Spanish, the same keys,
  written to ``name_es``; a board or plan without one shows its English name in Spanish.

``catalog_load`` writes them to the database after every ``migrate`` (a ``post_migrate``
handler, see ``specialists/management/__init__.py``) and on ``manage.py load_content``.
Admins own the rows afterwards, each language apart: a row keeps the fingerprint of what
the loader last wrote in English (with the fields both languages share) and in Spanish,
and the fields of a language that no longer match theirs were edited in the admin and are
left alone.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, transaction

from .models import Board, Condition, InsurancePlan
from .services import directory_changed, directory_changes_batched

CONTENT_DIR = Path(__file__).resolve().parent / "content"

# Front matter key -> type, for both kinds of page; conditions add their treatments.
PAGE_KEYS: dict[str, type] = {
    "name": str,
    "summary": str,
    "meta_description": str,
    "sort_order": int,
    "last_reviewed": datetime.date,
}
CONDITION_KEYS = {**PAGE_KEYS, "treatments": list}
SPANISH_KEYS: dict[str, type] = {"name": str, "summary": str, "meta_description": str}
SPANISH_SUFFIX = ".es.md"
SPANISH_NAMES_SUFFIX = ".es.toml"

_KIND_NAMES = {
    str: "text in quotes",
    int: "a whole number",
    datetime.date: "a date (YYYY-MM-DD)",
    list: "a list",
}
_FRONT_MATTER = re.compile(r"\+\+\+\n(.*?)^\+\+\+\n", re.DOTALL | re.MULTILINE)
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class ContentError(ValueError):
    """A content file that cannot be loaded; the message names the file and the key."""


@dataclass(frozen=True)
class Entry:
    """One row the files define: its key (slug or board code), the fields they own and,
    for a page with a Spanish file, its Spanish fields (``name_es`` ...)."""

    key: str
    values: dict
    source: Path
    spanish: dict | None = None

    def parts(self) -> list[tuple[dict, str]]:
        """The fields each fingerprint covers, with the name of the field that holds it."""
        parts = [(self.values, "content_hash")]
        if self.spanish is not None:
            parts.append((self.spanish, "content_hash_es"))
        return parts


@dataclass(frozen=True)
class Catalog:
    boards: list[Entry]
    treatments: list[Entry]
    conditions: list[Entry]
    insurance: list[Entry]


def _fingerprint(values: dict) -> str:
    """SHA-256 of a row's loader-owned fields; related slugs count as a set."""
    canonical = {
        name: sorted(value) if isinstance(value, list) else value
        for name, value in values.items()
    }
    text = json.dumps(canonical, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def catalog_read(directory: Path = CONTENT_DIR) -> Catalog:
    """Parse every content file, or raise ``ContentError`` naming the first bad one."""
    treatments = _pages_read(directory / "treatments", PAGE_KEYS)
    conditions = _pages_read(directory / "conditions", CONDITION_KEYS)
    slugs = {entry.key for entry in treatments}
    for entry in conditions:
        unknown = [slug for slug in entry.values["treatments"] if slug not in slugs]
        if unknown:
            raise ContentError(f"{entry.source}: 'treatments' names no treatment file: {unknown}")
    boards = _spanish_names_add(
        _boards_read(directory / "boards.toml"), directory / f"boards{SPANISH_NAMES_SUFFIX}", Board
    )
    insurance = _spanish_names_add(
        _insurance_read(directory / "insurance.toml"),
        directory / f"insurance{SPANISH_NAMES_SUFFIX}",
        InsurancePlan,
    )
    return Catalog(
        boards=boards, treatments=treatments, conditions=conditions, insurance=insurance
    )


def catalog_load(
    *, directory: Path = CONTENT_DIR, apps=global_apps, using: str = DEFAULT_DB_ALIAS
) -> int:
    """Create the catalog rows the files define and update the ones nobody edited since.

    Returns how many rows were written; a second run writes none. A row whose fields differ
    from what the loader last wrote (an admin's edit) is never touched, and rows that no
    file names are never deleted. Every file is parsed before anything is written, so a
    malformed one (``ContentError``) changes nothing. ``apps`` is the app registry to take
    the models from: ``post_migrate`` passes the migrated state's.
    """
    catalog = catalog_read(directory)

    def rows(model_name: str):
        return apps.get_model("specialists", model_name).objects.using(using)

    with transaction.atomic(using=using), directory_changes_batched():
        written = _rows_sync(rows("Board"), "code", catalog.boards)
        written += _rows_sync(rows("Treatment"), "slug", catalog.treatments)
        written += _rows_sync(
            rows("Condition").prefetch_related("treatments"),
            "slug",
            catalog.conditions,
            related=rows("Treatment"),
        )
        try:
            plans = rows("InsurancePlan")
        except LookupError:
            plans = None  # migrated back past the migration that adds insurance plans
        if plans is not None:
            written += _rows_sync(plans, "slug", catalog.insurance)
        if written:
            # The migrated state's models send no listing signals of their own.
            directory_changed(catalog=True)
    return written


def _rows_sync(queryset, key_field: str, entries: list[Entry], related=None) -> int:
    rows = {
        getattr(row, key_field): row
        for row in queryset.filter(**{f"{key_field}__in": [entry.key for entry in entries]})
    }
    written = 0
    for entry in entries:
        row = rows.get(entry.key) or queryset.model(**{key_field: entry.key})
        parts = [part for part in entry.parts() if _needs_writing(row, *part)]
        if not parts:
            continue
        for values, hash_field in parts:
            for name, value in values.items():
                if name != "treatments":
                    setattr(row, name, value)
            setattr(row, hash_field, _fingerprint(values))
        row.save(using=queryset.db)
        if related is not None and any(values is entry.values for values, _ in parts):
            row.treatments.set(related.filter(slug__in=entry.values["treatments"]))
        written += 1
    return written


def _needs_writing(row, values: dict, hash_field: str) -> bool:
    """New rows, and fields whose file changed while they still hold what the loader last
    wrote. Fields that already say what their file says (as the former data migrations
    left them) are adopted, their fingerprint recorded, and so are fields never written
    and still empty (a language added later); any other fields are an admin's."""
    if row.pk is None:
        return True
    stored = getattr(row, hash_field)
    wanted = _fingerprint(values)
    if stored == wanted:
        return False
    current = _row_values(row, values)
    if not stored and not any(current.values()):
        return True
    return _fingerprint(current) in (stored, wanted)


def _row_values(row, owned: dict) -> dict:
    return {
        name: [treatment.slug for treatment in row.treatments.all()]
        if name == "treatments"
        else getattr(row, name)
        for name in owned
    }


def _pages_read(folder: Path, keys: dict[str, type]) -> list[Entry]:
    """Every page in ``folder``, each with its Spanish file when there is one."""
    spanish = {path.name.removesuffix(SPANISH_SUFFIX): path for path in folder.glob("*.es.md")}
    entries = []
    for path in sorted(folder.glob("*.md")):
        if path.name.endswith(SPANISH_SUFFIX):
            continue
        entry = _page_read(path, keys)
        if path.stem in spanish:
            values = _page_read(spanish.pop(path.stem), SPANISH_KEYS).values
            entry = replace(entry, spanish={f"{name}_es": value for name, value in values.items()})
        entries.append(entry)
    if spanish:
        slug, orphan = min(spanish.items())
        raise ContentError(f"{orphan}: there is no English page {slug}.md")
    return entries


def _page_read(path: Path, keys: dict[str, type]) -> Entry:
    slug = path.name.removesuffix(SPANISH_SUFFIX).removesuffix(".md")
    if not _SLUG.fullmatch(slug):
        raise ContentError(f"{path}: the file name must be a slug (a-z, 0-9 and hyphens)")
    _length_check(path, Condition, "slug", slug)
    text = path.read_text(encoding="utf-8")
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise ContentError(f"{path}: must open with front matter between two '+++' lines")
    body = text[match.end() :]
    if not body.strip():
        raise ContentError(f"{path}: no Markdown body below the front matter")
    values = _front_matter_check(path, _toml_parse(path, match.group(1)), keys)
    return Entry(key=slug, values={**values, "body": body}, source=path)


def _boards_read(path: Path) -> list[Entry]:
    boards = _toml_parse(path, path.read_text(encoding="utf-8"))
    for code, name in boards.items():
        if not isinstance(name, str) or not name:
            raise ContentError(f"{path}: '{code}' must be a board name in quotes")
        _length_check(path, Board, "code", code)
        _length_check(path, Board, "name", name)
    return [Entry(key=code, values={"name": name}, source=path) for code, name in boards.items()]


def _insurance_read(path: Path) -> list[Entry]:
    plans = _toml_parse(path, path.read_text(encoding="utf-8"))
    entries = []
    for position, (slug, name) in enumerate(plans.items(), start=1):
        if not isinstance(name, str) or not name:
            raise ContentError(f"{path}: '{slug}' must be a plan name in quotes")
        if not _SLUG.fullmatch(slug):
            raise ContentError(f"{path}: '{slug}' must be a slug (a-z, 0-9 and hyphens)")
        _length_check(path, InsurancePlan, "slug", slug)
        _length_check(path, InsurancePlan, "name", name)
        entries.append(
            Entry(key=slug, values={"name": name, "sort_order": position * 10}, source=path)
        )
    return entries


def _spanish_names_add(entries: list[Entry], path: Path, model) -> list[Entry]:
    """``entries`` with the Spanish names ``path`` gives them (``key = "Nombre"``); every
    key it names must be one of theirs."""
    if not path.exists():
        return entries
    names = _toml_parse(path, path.read_text(encoding="utf-8"))
    keys = {entry.key for entry in entries}
    for key, name in names.items():
        if key not in keys:
            raise ContentError(f"{path}: '{key}' is not in {path.name.replace('.es', '')}")
        if not isinstance(name, str) or not name:
            raise ContentError(f"{path}: '{key}' must be a name in quotes")
        _length_check(path, model, "name_es", name)
    return [
        replace(entry, spanish={"name_es": names[entry.key]}) if entry.key in names else entry
        for entry in entries
    ]


def _toml_parse(path: Path, text: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ContentError(f"{path}: not valid TOML: {error}") from error


def _front_matter_check(path: Path, values: dict, keys: dict[str, type]) -> dict:
    unknown = sorted(values.keys() - keys.keys())
    if unknown:
        raise ContentError(f"{path}: unknown front matter key '{unknown[0]}'")
    for key, kind in keys.items():
        if key not in values:
            raise ContentError(f"{path}: front matter lacks '{key}'")
        value = values[key]
        # TOML dates parse as ``datetime.date``, date-times as its subclass; allow neither
        # a date-time for a date nor a bool for an int.
        if type(value) is not kind:
            raise ContentError(f"{path}: '{key}' must be {_KIND_NAMES[kind]}, not {value!r}")
        if kind is list and not all(isinstance(item, str) for item in value):
            raise ContentError(f"{path}: '{key}' must list slugs in quotes")
        _length_check(path, Condition, key, value)
    return values


def _length_check(path: Path, model, key: str, value) -> None:
    """The column's limit, which SQLite would not enforce and PostgreSQL would report
    without naming the file."""
    limit = getattr(model._meta.get_field(key), "max_length", None)
    if limit is not None and len(value) > limit:
        raise ContentError(f"{path}: '{key}' is {len(value)} characters, over {limit}")
