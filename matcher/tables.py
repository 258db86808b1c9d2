"""Specialists and institutes as the index holds them: one numpy array per column, bitsets
for the many-valued facts, and each result card's text already escaped for JSON.

A table is read from the database in a few queries (all qualifying specialists, or those
among given ids), whatever its size, and renders a specialist's result card as the bytes
the API's JSON renderer writes for ``matcher.selectors.specialist_cards``'s dict, without a
query: the card's own text comes from the row, the parts many rows share (boards,
treatments, the institute) from the catalog and the institutes at serve time, so renaming
a board or an institute changes no specialist's row.
"""

from __future__ import annotations

import datetime
import itertools
import json
import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from django.db import connection
from django.urls import reverse

from core.api import json_float
from core.i18n import in_default_language
from geo.distance import unit_vectors
from specialists.facts import Gender, SpecialtyGroup, language_codes, specialty_group
from specialists.models import (
    Board,
    BoardCertification,
    Institute,
    InsurancePlan,
    Specialist,
    Treatment,
)

# The "until" of a certificate that never expires: a specialist qualifies on a day when
# they are active and their latest "until" is that day or later.
NEVER = np.iinfo(np.int32).max


@dataclass(frozen=True, slots=True)
class SpecialistFilter:
    """What a search narrows the qualifying specialists to beside the treatment; the default
    narrows nothing. ``language`` is an ISO 639-1 code, ``gender`` a ``Gender`` value,
    ``insurance_id`` an InsurancePlan's id and ``specialty`` a ``SpecialtyGroup`` value."""

    accepting: bool = False
    telehealth: bool = False
    language: str | None = None
    gender: str | None = None
    insurance_id: int | None = None
    specialty: str | None = None


NO_FILTER = SpecialistFilter()

GENDER_CODES = {choice.value: position for position, choice in enumerate(Gender, start=1)}
GROUP_CODES = {choice.value: position for position, choice in enumerate(SpecialtyGroup, start=1)}

# A card's own text, JSON-escaped, in this order, joined by a byte escaped JSON never holds.
CARD_FIELDS = (
    "slug",
    "npi",
    "first_name",
    "last_name",
    "credentials",
    "specialty",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip",
)
_FIELD = {name: position for position, name in enumerate(CARD_FIELDS)}
_SEPARATOR = b"\x1f"
# What a specialist's row holds beside the card text, read in the same query.
_ROW_FIELDS = (
    "id",
    "latitude",
    "longitude",
    "institute_id",
    "accepting_new_patients",
    "telehealth",
    "gender",
    "languages",
)
_READ_CHUNK = 900  # ids per query: any SQLite build binds 999 values at most
_PLAIN_SLUG = re.compile(rb"[-a-zA-Z0-9_]+")


_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\u2028\u2029]')


def json_escaped(values: Sequence[str]) -> list[str]:
    """Each value as the API's renderer (DRF's JSONRenderer) writes a string, without its
    quotes: escaped by the standard library in one call for the whole list, with U+2028 and
    U+2029 escaped as DRF does."""
    values = list(values)
    if not _NEEDS_ESCAPE.search("".join(values)):
        return values
    text = json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    # Inside an escaped string every quote follows a backslash, so '","' only separates.
    return text[2:-2].split('","')


def json_unescaped(raw: bytes) -> str:
    """The text a JSON-escaped value stands for."""
    if b"\\" not in raw:
        return raw.decode()
    return json.loads(b'"' + raw + b'"')


class Records:
    """Variable-length byte strings, one per row: one blob and the offsets into it."""

    __slots__ = ("blob", "offsets")

    def __init__(self, offsets: np.ndarray, blob: np.ndarray):
        self.offsets = offsets
        self.blob = blob

    @classmethod
    def from_bytes(cls, values: Iterable[bytes]) -> Records:
        values = list(values)
        lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
        offsets = np.zeros(len(values) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return cls(offsets, np.frombuffer(b"".join(values), dtype=np.uint8))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, row: int) -> bytes:
        start, end = self.offsets[row : row + 2].tolist()
        return self.blob[start:end].tobytes()

    def take(self, rows: np.ndarray) -> Records:
        """The records of ``rows``, in that order (array operations over their bytes: an
        overlay is rebuilt this way on every change applied)."""
        rows = np.asarray(rows, dtype=np.int64)
        starts = self.offsets[rows]
        lengths = self.offsets[rows + 1] - starts
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        positions = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
        return Records(offsets, self.blob[positions])

    @classmethod
    def concat(cls, parts: list[Records]) -> Records:
        """The records of every part, in order."""
        offsets, blobs, end = [np.zeros(1, dtype=np.int64)], [], 0
        for part in parts:
            first, last = int(part.offsets[0]), int(part.offsets[-1])
            offsets.append(part.offsets[1:] - first + end)
            blobs.append(part.blob[first:last])
            end += last - first
        blob = np.concatenate(blobs) if blobs else np.zeros(0, dtype=np.uint8)
        return cls(np.concatenate(offsets).astype(np.int64), blob)

    def columns(self, prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}.offsets": self.offsets, f"{prefix}.blob": self.blob}

    @classmethod
    def from_columns(cls, columns: dict, prefix: str) -> Records:
        return cls(columns[f"{prefix}.offsets"], columns[f"{prefix}.blob"])


class BlockRecords:
    """Records compressed with zlib in blocks of BLOCK_ROWS consecutive rows, for a base's
    cards: neighbours in the base's spatial order share cities, streets and names, so a
    block shrinks about fourfold, and a search's cards come from a block or two. The last
    KEPT blocks decompressed are kept (a few MB), so the cards of busy places cost a
    dictionary lookup."""

    BLOCK_ROWS = 16
    KEPT = 2048
    _SEPARATOR = b"\x1e"  # between a block's records; escaped JSON never holds it

    __slots__ = ("blob", "count", "kept", "offsets")

    def __init__(self, offsets: np.ndarray, blob: np.ndarray, count: int):
        self.offsets = offsets
        self.blob = blob
        self.count = count
        self.kept: dict[int, list[bytes]] = {}

    @classmethod
    def from_bytes(cls, values: Sequence[bytes]) -> BlockRecords:
        blocks = [
            zlib.compress(cls._SEPARATOR.join(values[start : start + cls.BLOCK_ROWS]))
            for start in range(0, len(values), cls.BLOCK_ROWS)
        ]
        plain = Records.from_bytes(blocks)
        return cls(plain.offsets, plain.blob, len(values))

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, row: int) -> bytes:
        block, position = divmod(row, self.BLOCK_ROWS)
        records = self.kept.get(block)
        if records is None:
            start, end = self.offsets[block : block + 2].tolist()
            records = zlib.decompress(self.blob[start:end]).split(self._SEPARATOR)
            if len(self.kept) >= self.KEPT:
                self.kept.clear()  # cheaper than ordering them; hot blocks come back at once
            self.kept[block] = records
        return records[position]

    def columns(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}.blocks.offsets": self.offsets,
            f"{prefix}.blocks.blob": self.blob,
            f"{prefix}.blocks.count": np.array([self.count], dtype=np.int64),
        }

    @classmethod
    def from_columns(cls, columns: dict, prefix: str) -> BlockRecords | Records:
        """The records stored under ``prefix``, in blocks or plain."""
        if f"{prefix}.blocks.blob" not in columns:
            return Records.from_columns(columns, prefix)
        return cls(
            columns[f"{prefix}.blocks.offsets"],
            columns[f"{prefix}.blocks.blob"],
            int(columns[f"{prefix}.blocks.count"][0]),
        )


class CodeSets:
    """Which codes (languages, insurance plan ids, treatment ids) each row holds, as bitsets
    of the narrowest unsigned type that holds one bit per distinct code."""

    __slots__ = ("bits", "codes", "positions")

    def __init__(self, codes: list, bits: np.ndarray):
        self.codes = codes
        self.positions = {code: position for position, code in enumerate(codes)}
        self.bits = bits

    @staticmethod
    def _dtype(count: int) -> tuple[np.dtype, int]:
        for dtype in (np.uint8, np.uint16, np.uint32):
            if count <= np.dtype(dtype).itemsize * 8:
                return np.dtype(dtype), 1
        return np.dtype(np.uint64), max(1, -(-count // 64))

    @classmethod
    def from_pairs(cls, rows: int, link_rows: np.ndarray, link_codes: Sequence) -> CodeSets:
        """From (row, code) pairs."""
        codes = sorted(set(link_codes))
        sets = cls(codes, np.zeros(0))
        dtype, words = cls._dtype(len(codes))
        sets.bits = np.zeros((rows, words), dtype=dtype)
        if len(link_rows):
            positions = np.fromiter(
                (sets.positions[code] for code in link_codes), np.int64, len(link_codes)
            )
            width = dtype.itemsize * 8
            shifted = np.left_shift(dtype.type(1), (positions % width).astype(dtype))
            np.bitwise_or.at(sets.bits, (link_rows, positions // width), shifted)
        return sets

    def _word_bit(self, code):
        position = self.positions.get(code)
        if position is None:
            return None
        width = self.bits.dtype.itemsize * 8
        return position // width, self.bits.dtype.type(1 << (position % width))

    def rows_with(self, code, rows: np.ndarray | None = None) -> np.ndarray:
        """A mask of the rows (all, or ``rows``) holding ``code``."""
        found = self._word_bit(code)
        count = len(self.bits) if rows is None else len(rows)
        if found is None:
            return np.zeros(count, dtype=bool)
        word, bit = found
        column = self.bits[:, word] if rows is None else self.bits[rows, word]
        return (column & bit) != 0

    def texts(self) -> list[str]:
        """Each row's codes as text ("3,5"), sorted."""
        if not len(self.bits):
            return []
        distinct, inverse = np.unique(self.bits, axis=0, return_inverse=True)
        width = self.bits.dtype.itemsize * 8
        ordered = sorted(self.positions.items())
        texts = [
            ",".join(
                str(code)
                for code, position in ordered
                if int(values[position // width]) >> (position % width) & 1
            )
            for values in distinct
        ]
        return [texts[position] for position in inverse.reshape(-1).tolist()]

    def row_codes(self, row: int) -> list:
        """The codes one row holds, sorted (as ``codes`` is)."""
        # The row's words as little-endian bytes make one integer whose bit n is code n's
        # (a no-op view on little-endian machines); reading it a set bit at a time costs a
        # fifth of testing every code in numpy.
        words = self.bits[row]
        words = words.astype(words.dtype.newbyteorder("<"), copy=False)
        bits = int.from_bytes(words.tobytes(), "little")
        codes = self.codes
        found = []
        while bits:
            lowest = bits & -bits
            found.append(codes[lowest.bit_length() - 1])
            bits ^= lowest
        return found

    def counts(self) -> dict:
        """How many rows hold each code."""
        return {code: int(self.rows_with(code).sum()) for code in self.codes}

    def take(self, rows: np.ndarray) -> CodeSets:
        return CodeSets(self.codes, self.bits[rows])

    def columns(self, prefix: str) -> tuple[dict[str, np.ndarray], list]:
        return {f"{prefix}.bits": self.bits}, self.codes

    @classmethod
    def concat(cls, parts: list[CodeSets]) -> CodeSets:
        """The rows of every part, in order: their bitsets as they are when the parts hold
        the same codes, else each code's column moved to its place among all the codes."""
        codes = sorted({code for part in parts for code in part.codes})
        if parts and all(part.codes == codes for part in parts):
            return cls(codes, np.concatenate([part.bits for part in parts]))
        dtype, words = cls._dtype(len(codes))
        merged = cls(codes, np.zeros((sum(len(part.bits) for part in parts), words), dtype=dtype))
        start = 0
        for part in parts:
            end = start + len(part.bits)
            for code in part.codes:
                word, bit = merged._word_bit(code)
                merged.bits[start:end, word] |= np.where(part.rows_with(code), bit, dtype.type(0))
            start = end
        return merged


@dataclass(frozen=True)
class Catalog:
    """The treatments, insurance plans and boards as searches and cards name them, read in
    three queries. Treatments and plans are in catalog order, boards by code: the orders
    the database gives a card's lists."""

    treatments: list = field(default_factory=list)
    insurance_plans: list = field(default_factory=list)
    boards: list[tuple[int, str, str]] = field(default_factory=list)

    @classmethod
    def read(cls) -> Catalog:
        return cls(
            treatments=list(Treatment.objects.order_by("sort_order", "name")),
            insurance_plans=list(InsurancePlan.objects.order_by("sort_order", "name")),
            boards=list(Board.objects.order_by("code").values_list("id", "code", "name")),
        )

    @property
    def treatments_by_slug(self) -> dict:
        return {treatment.slug: treatment for treatment in self.treatments}

    @property
    def insurance_by_slug(self) -> dict:
        return {plan.slug: plan for plan in self.insurance_plans}

    def card_parts(self) -> CardParts:
        slugs = json_escaped([treatment.slug for treatment in self.treatments])
        codes = json_escaped([code for _, code, _ in self.boards])
        names = json_escaped([name for _, _, name in self.boards])
        return CardParts(
            treatments={
                treatment.pk: (position, f'"{slug}"'.encode())
                for position, (treatment, slug) in enumerate(
                    zip(self.treatments, slugs, strict=True)
                )
            },
            boards={
                pk: (position, f'{{"board":"{code}","board_name":"{name}","expires_on":'.encode())
                for position, ((pk, _, _), code, name) in enumerate(
                    zip(self.boards, codes, names, strict=True)
                )
            },
        )


@dataclass
class CardParts:
    """The catalog's pieces of card JSON: each treatment's slug and each board's opening,
    with their positions in the card's order; the treatment lists already joined, by the
    set of treatments a row holds."""

    treatments: dict[int, tuple[int, bytes]]
    boards: dict[int, tuple[int, bytes]]
    joined: dict[bytes, bytes] = field(default_factory=dict)

    def treatment_list(self, treatment_ids: bytes) -> bytes:
        """The card's treatment slugs, in catalog order, for a record's "3,5"."""
        found = self.joined.get(treatment_ids)
        if found is None:
            parts = sorted(
                self.treatments[int(pk)]
                for pk in treatment_ids.split(b",")
                if pk and int(pk) in self.treatments
            )
            found = self.joined[treatment_ids] = b",".join(slug for _, slug in parts)
        return found


_ISO_DATES: dict[int, bytes] = {NEVER: b"null"}


def _expiry(until: int) -> bytes:
    """A certificate's ``expires_on`` in a card, from its "until" ordinal."""
    found = _ISO_DATES.get(until)
    if found is None:
        found = _ISO_DATES[until] = b'"%s"' % datetime.date.fromordinal(until).isoformat().encode()
    return found


_CARD = (
    b'{"id":%s,"slug":"%s","npi":"%s","name":"%s","first_name":"%s","last_name":"%s",'
    b'"credentials":"%s","specialty":"%s","accepting_new_patients":%s,"phone":"%s",'
    b'"address":{"line1":"%s","line2":"%s","city":"%s","state":"%s","zip":"%s",'
    b'"latitude":%s,"longitude":%s},"board_certifications":[%s],"treatments":[%s],'
    b'"institute":%s,"distance":null,"url":"%s"}'
)


class SpecialistUrl:
    """A specialist's page as ``Specialist.get_absolute_url`` gives it in the default
    language: reversed once, then filled in for every slug that needs no quoting."""

    def __init__(self):
        with in_default_language():
            prefix, suffix = reverse("specialist-detail", args=["SLUG"]).split("SLUG")
        self.prefix, self.suffix = prefix.encode(), suffix.encode()

    def __call__(self, slug: bytes) -> bytes:
        if _PLAIN_SLUG.fullmatch(slug):
            return self.prefix + slug + self.suffix
        with in_default_language():
            url = Specialist(slug=json_unescaped(slug)).get_absolute_url()
        return json_escaped([url])[0].encode()


# What each row of a specialist table keeps as an array, beside its card record.
_ARRAYS = ("id", "lat", "lon", "until", "institute", "accepting", "telehealth", "gender", "group")
_CODE_SETS = ("languages", "plans", "treatments")
# A card record: the card's own text (JSON-escaped), then what the card needs beside it as
# text, so rendering reads one record and few arrays: the id, "true" or "false", the
# certificates ("board:until;..."), the treatment ids ("3,5") and the institute's id ("" for
# none).
_RECORD = (*CARD_FIELDS, "id", "accepting", "certificates", "treatments", "institute")
_AT = {name: position for position, name in enumerate(_RECORD)}


def _narrowest(ids: np.ndarray) -> np.ndarray:
    """Ids as 32-bit integers when they fit, which they do until two billion rows."""
    return ids.astype(np.int32) if not len(ids) or ids.max() < 2**31 else ids


def _ordinal(expires) -> int:
    """An expiry as its proleptic ordinal; SQLite's plain SQL gives dates as ISO strings."""
    if isinstance(expires, str):
        expires = datetime.date.fromisoformat(expires)
    return expires.toordinal()


def _row_lookup(ids: np.ndarray) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """A function giving, for specialist ids, their rows and whether each is in ``ids``: a
    direct index when the ids are dense enough, else a binary search."""
    n = len(ids)
    if not n:
        return lambda wanted: (np.zeros(len(wanted), np.int64), np.zeros(len(wanted), bool))
    largest = int(ids.max())
    if largest <= 4 * n + 1024:
        index = np.full(largest + 1, -1, dtype=np.int64)
        index[ids] = np.arange(n)

        def lookup(wanted: np.ndarray):
            inside = (wanted >= 0) & (wanted <= largest)
            rows = np.full(len(wanted), -1, dtype=np.int64)
            rows[inside] = index[wanted[inside]]
            return np.maximum(rows, 0), rows >= 0

        return lookup
    by_id = np.argsort(ids, kind="stable")

    def search(wanted: np.ndarray):
        rows = by_id[np.minimum(np.searchsorted(ids, wanted, sorter=by_id), n - 1)]
        return rows, ids[rows] == wanted

    return search


class _Located:
    """Rows with positions, and their unit vectors (stored, or computed on first use)."""

    latitudes: np.ndarray
    longitudes: np.ndarray
    _vectors: np.ndarray | None

    def __len__(self) -> int:
        return len(self.latitudes)

    @property
    def vectors(self) -> np.ndarray:
        if self._vectors is None:
            self._vectors = unit_vectors(self.latitudes, self.longitudes)
        return self._vectors


class SpecialistTable(_Located):
    """Rows of qualifying specialists: position, the date their qualification ends
    (``until``, a proleptic ordinal; NEVER), institute id (0 for none), the listing facts
    filters read, the treatments, and each card's record."""

    def __init__(self, columns: dict[str, np.ndarray], codes: dict[str, list]):
        self.ids = columns["spec.id"]
        self.latitudes = columns["spec.lat"]
        self.longitudes = columns["spec.lon"]
        self.until = columns["spec.until"]
        self.institutes = columns["spec.institute"]
        self.accepting = columns["spec.accepting"]
        self.telehealth = columns["spec.telehealth"]
        self.genders = columns["spec.gender"]
        self.groups = columns["spec.group"]
        self.languages = CodeSets(codes["languages"], columns["spec.languages.bits"])
        self.plans = CodeSets(codes["plans"], columns["spec.plans.bits"])
        self.treatments = CodeSets(codes["treatments"], columns["spec.treatments.bits"])
        self.cards = BlockRecords.from_columns(columns, "spec.card")
        self._vectors = columns.get("spec.vectors")

    def _arrays(self) -> tuple[np.ndarray, ...]:
        return (
            self.ids,
            self.latitudes,
            self.longitudes,
            self.until,
            self.institutes,
            self.accepting,
            self.telehealth,
            self.genders,
            self.groups,
        )

    def columns(self) -> tuple[dict[str, np.ndarray], dict[str, list]]:
        """The table as named arrays and code lists (what a snapshot file stores)."""
        columns = {
            f"spec.{name}": array for name, array in zip(_ARRAYS, self._arrays(), strict=True)
        }
        columns.update(self.cards.columns("spec.card"))
        codes = {}
        for name in _CODE_SETS:
            arrays, codes[name] = getattr(self, name).columns(f"spec.{name}")
            columns.update(arrays)
        return columns, codes

    @classmethod
    def from_rows(
        cls,
        rows: Sequence[tuple],
        *,
        certifications: Iterable[tuple[int, int, datetime.date | None]] = (),
        treatment_links: Iterable[tuple[int, int]] = (),
        plan_links: Iterable[tuple[int, int]] = (),
        always_qualify: bool = False,
        blocks: bool = False,
    ) -> SpecialistTable:
        """From rows of ``_ROW_FIELDS + CARD_FIELDS`` (in the table's order, each id once),
        certificates as (specialist id, board id, expiry as a date, an ISO date string or
        None), links as (treatment or plan id, specialist id); links and certificates of
        other specialists are ignored. With ``always_qualify`` every row qualifies forever
        whatever its certificates; with ``blocks`` the cards are kept compressed."""
        n = len(rows)
        columns_in = list(zip(*rows, strict=True)) if n else [()] * 20
        (ids, lats, lons, institutes, accepting, telehealth, genders, languages) = columns_in[:8]
        card_text = columns_in[8:]
        ids = _narrowest(np.array(ids, dtype=np.int64))
        if len(np.unique(ids)) != n:
            raise ValueError("each specialist must come once")
        rows_of = _row_lookup(ids)
        ordinals: dict = {None: NEVER}
        certs = np.array(
            [
                (
                    pk,
                    board,
                    ordinals.get(expires) or ordinals.setdefault(expires, _ordinal(expires)),
                )
                for pk, board, expires in certifications
            ],
            dtype=np.int64,
        ).reshape(-1, 3)
        cert_rows, known = rows_of(certs[:, 0])
        cert_rows, certs = cert_rows[known], certs[known]
        if always_qualify:
            until = np.full(n, NEVER, dtype=np.int32)
        else:
            until = np.full(n, -1, dtype=np.int64)
            np.maximum.at(until, cert_rows, certs[:, 2])
            until = until.astype(np.int32)
        certificates = [""] * n
        for row, board, ends in zip(
            cert_rows.tolist(), certs[:, 1].tolist(), certs[:, 2].tolist(), strict=True
        ):
            entry = f"{board}:{ends}"
            certificates[row] = f"{certificates[row]};{entry}" if certificates[row] else entry

        def code_sets(links) -> CodeSets:
            pairs = np.asarray(links, dtype=np.int64).reshape(-1, 2)
            link_rows, known = rows_of(pairs[:, 1])
            return CodeSets.from_pairs(n, link_rows[known], pairs[known, 0].tolist())

        spoken: dict[str, list[str]] = {}
        language_pairs = [
            (row, code)
            for row, text in enumerate(languages)
            for code in spoken.setdefault(text, language_codes(text))
        ]
        groups: dict[str, int] = {}
        for specialty in card_text[_FIELD["specialty"]]:
            if specialty not in groups:
                group = specialty_group(specialty)
                groups[specialty] = GROUP_CODES[group.value] if group else 0
        treatments = code_sets(treatment_links)
        institute_ids = _narrowest(np.array([i or 0 for i in institutes], dtype=np.int64))
        accepting = np.array(accepting, dtype=bool)
        record = [
            *(json_escaped(column) for column in card_text),
            list(map(str, ids.tolist())),
            ["true" if value else "false" for value in accepting.tolist()],
            certificates,
            treatments.texts(),
            [str(pk) if pk else "" for pk in institute_ids.tolist()],
        ]
        separator = _SEPARATOR.decode()
        texts = list(map(str.encode, map(separator.join, zip(*record, strict=True)))) if n else []
        cards = BlockRecords.from_bytes(texts) if blocks else Records.from_bytes(texts)
        columns = {
            "spec.id": ids,
            "spec.lat": np.array(lats, dtype=np.float64),
            "spec.lon": np.array(lons, dtype=np.float64),
            "spec.until": until,
            "spec.institute": institute_ids,
            "spec.accepting": accepting,
            "spec.telehealth": np.array(telehealth, dtype=bool),
            "spec.gender": np.array([GENDER_CODES.get(g, 0) for g in genders], dtype=np.int8),
            "spec.group": np.array(
                [groups[s] for s in card_text[_FIELD["specialty"]]], dtype=np.int8
            ),
            **cards.columns("spec.card"),
        }
        codes = {}
        for name, sets in (
            (
                "languages",
                CodeSets.from_pairs(
                    n,
                    np.fromiter((r for r, _ in language_pairs), np.int64, len(language_pairs)),
                    [c for _, c in language_pairs],
                ),
            ),
            ("plans", code_sets(plan_links)),
            ("treatments", treatments),
        ):
            arrays, codes[name] = sets.columns(f"spec.{name}")
            columns.update(arrays)
        return cls(columns, codes)

    def take(self, rows: np.ndarray) -> SpecialistTable:
        """The table of ``rows``, in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        columns = {
            f"spec.{name}": array[rows] for name, array in zip(_ARRAYS, self._arrays(), strict=True)
        }
        columns.update(self.cards.take(rows).columns("spec.card"))
        codes = {}
        for name in _CODE_SETS:
            arrays, codes[name] = getattr(self, name).take(rows).columns(f"spec.{name}")
            columns.update(arrays)
        return SpecialistTable(columns, codes)

    @classmethod
    def concat(cls, tables: list[SpecialistTable]) -> SpecialistTable:
        """The rows of every table, in order (code lists merged)."""
        columns = {
            f"spec.{name}": np.concatenate([table._arrays()[position] for table in tables])
            for position, name in enumerate(_ARRAYS)
        }
        columns.update(Records.concat([table.cards for table in tables]).columns("spec.card"))
        codes = {}
        for name in _CODE_SETS:
            merged = CodeSets.concat([getattr(table, name) for table in tables])
            arrays, codes[name] = merged.columns(f"spec.{name}")
            columns.update(arrays)
        return cls(columns, codes)

    def listing_facts(self, row: int) -> tuple[bool, list[str], list[int]]:
        """What the patient pages show beside a row's card: telehealth, the language codes
        (sorted) and the insurance plan ids."""
        return bool(self.telehealth[row]), self.languages.row_codes(row), self.plans.row_codes(row)

    def field(self, row: int, name: str) -> bytes:
        """One field of a card record."""
        return self.cards[row].split(_SEPARATOR)[_AT[name]]

    def last_name(self, row: int) -> str:
        return json_unescaped(self.field(row, "last_name"))

    def name_key(self, row: int) -> tuple[str, str, int]:
        """The order of a name sort: last name, first name (case-insensitive), id."""
        fields = self.cards[row].split(_SEPARATOR)
        return (
            json_unescaped(fields[_AT["last_name"]]).casefold(),
            json_unescaped(fields[_AT["first_name"]]).casefold(),
            int(fields[_AT["id"]]),
        )

    def matching(
        self,
        treatment_id: int | None,
        filters,
        rows: np.ndarray | None = None,
    ) -> np.ndarray:
        """A mask of the rows (all, or ``rows``) offering the treatment (None: any) and
        holding every fact ``filters`` (a ``SpecialistFilter``) asks for."""
        count = len(self.ids) if rows is None else len(rows)

        def column(values):
            return values if rows is None else values[rows]

        mask = (
            np.ones(count, dtype=bool)
            if treatment_id is None
            else self.treatments.rows_with(treatment_id, rows)
        )
        if filters.accepting:
            mask &= column(self.accepting)
        if filters.telehealth:
            mask &= column(self.telehealth)
        if filters.language is not None:
            mask &= self.languages.rows_with(filters.language, rows)
        if filters.gender is not None:
            mask &= column(self.genders) == GENDER_CODES.get(filters.gender, -1)
        if filters.insurance_id is not None:
            mask &= self.plans.rows_with(filters.insurance_id, rows)
        if filters.specialty is not None:
            mask &= column(self.groups) == GROUP_CODES.get(filters.specialty, -1)
        return mask

    def card(
        self,
        row: int,
        *,
        on: datetime.date,
        parts: CardParts,
        institute: Callable[[bytes], bytes | None],
        url: SpecialistUrl,
    ) -> bytes:
        """The row's result card as the API writes it, ``"distance":null``: the
        certificates current on ``on``, the institute's part from ``institute(id)``."""
        (slug, npi, first, last, credentials, specialty, phone, line1, line2, city, state,
         zip_code, pk, accepting, certificates, treatments,
         institute_id) = self.cards[row].split(_SEPARATOR)  # fmt: skip
        name = first + b" " + last
        if credentials:
            name += b", " + credentials
        current = []
        if certificates:
            today = on.toordinal()
            for certificate in certificates.split(b";"):
                board, until = certificate.split(b":")
                board, until = int(board), int(until)
                if until >= today and board in parts.boards:
                    position, opening = parts.boards[board]
                    current.append((position, opening + _expiry(until) + b"}"))
            current.sort()
        return _CARD % (
            pk,
            slug,
            npi,
            name,
            first,
            last,
            credentials,
            specialty,
            accepting,
            phone,
            line1,
            line2,
            city,
            state,
            zip_code,
            json_float(self.latitudes.item(row)),
            json_float(self.longitudes.item(row)),
            b",".join(card for _, card in current),
            parts.treatment_list(treatments),
            (institute(institute_id) or b"null") if institute_id else b"null",
            url(slug),
        )


def _executed(sql: str, params) -> list[tuple]:
    found: list[tuple] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while chunk := cursor.fetchmany(50_000):
            found += chunk
    return found


def _fetched(queryset, fields: Sequence[str]) -> list[tuple]:
    """``queryset.values_list(*fields)`` in plain SQL, as the database driver gives the
    values: the ORM's converters cost more than the query on a million rows. (Booleans may
    come as 0 and 1, dates from SQLite as ISO strings.)"""
    return _executed(*queryset.values_list(*fields).query.sql_with_params())


def _int_pairs(found: list[tuple]) -> np.ndarray:
    """Rows of two integer columns as an array."""
    return np.fromiter(
        itertools.chain.from_iterable(found), dtype=np.int64, count=2 * len(found)
    ).reshape(-1, 2)


# The reads of ``specialist_rows``: for given ids (None: every qualifying specialist) and a
# day, a queryset and the columns read from it.
_READS: dict[str, Callable[[list[int] | None, datetime.date], tuple]] = {
    "rows": lambda ids, on: (
        (
            Specialist.objects.qualifying(on=on)
            if ids is None
            else Specialist.objects.qualifying(on=on).filter(pk__in=ids)
        ).order_by("id"),
        (*_ROW_FIELDS, *CARD_FIELDS),
    ),
    "certifications": lambda ids, on: (
        BoardCertification.objects.current(on)
        if ids is None
        else BoardCertification.objects.current(on).filter(specialist_id__in=ids),
        ("specialist_id", "board_id", "expires_on"),
    ),
    "treatments": lambda ids, on: (
        Specialist.treatments.through.objects.all()
        if ids is None
        else Specialist.treatments.through.objects.filter(specialist_id__in=ids),
        ("treatment_id", "specialist_id"),
    ),
    "plans": lambda ids, on: (
        Specialist.insurance.through.objects.all()
        if ids is None
        else Specialist.insurance.through.objects.filter(specialist_id__in=ids),
        ("insuranceplan_id", "specialist_id"),
    ),
}

# What stands for the ids and the day while a read's SQL is compiled: found again among the
# compiled parameters, where the real ones are put.
_ID_MARK = -(2**53)
_DAY_MARK = datetime.date(1, 1, 2)
# (database alias, read, number of ids) -> (SQL, each parameter: an id's position, None for
# the day, or (constant,)); None when the marks could not all be found again.
_statements: dict[tuple, tuple[str, list] | None] = {}


def _statement(name: str, count: int) -> tuple[str, list] | None:
    """The SQL of read ``name`` for ``count`` ids, compiled by the ORM on first use."""
    key = (connection.alias, name, count)
    if key in _statements:
        return _statements[key]
    marks = [_ID_MARK + position for position in range(count)]
    queryset, fields = _READS[name](marks, _DAY_MARK)
    sql, params = queryset.values_list(*fields).query.sql_with_params()
    day = connection.ops.adapt_datefield_value(_DAY_MARK)
    positions = {mark: position for position, mark in enumerate(marks)}
    recipe = []
    for param in params:
        if type(param) is type(day) and param == day:
            recipe.append(None)
        elif type(param) is int and param in positions:
            recipe.append(positions.pop(param))
        else:
            recipe.append((param,))
    _statements[key] = None if positions else (sql, recipe)
    return _statements[key]


def _read_some(name: str, ids: list[int], on: datetime.date) -> list[tuple]:
    """Read ``name`` for ``ids`` (at most _READ_CHUNK): its SQL compiled once per number of
    ids, the ids padded to a power of two with repeats, so a change applied costs the
    queries' time and not the ORM's (several milliseconds for these four)."""
    count = min(_READ_CHUNK, 1 << (len(ids) - 1).bit_length())
    padded = ids + [ids[-1]] * (count - len(ids))
    compiled = _statement(name, count)
    if compiled is None:  # a compiler that rewrote the marks: no cached SQL for it
        return _fetched(*_READS[name](padded, on))
    sql, recipe = compiled
    day = connection.ops.adapt_datefield_value(on)
    return _executed(
        sql,
        [
            day if slot is None else padded[slot] if type(slot) is int else slot[0]
            for slot in recipe
        ],
    )


@dataclass
class SpecialistRows:
    """What ``specialist_rows`` read, as ``SpecialistTable.from_rows`` takes it."""

    rows: list[tuple]
    certifications: list[tuple]
    treatment_links: np.ndarray
    plan_links: np.ndarray
    always_qualify: bool = False

    def reordered(self, order: np.ndarray) -> SpecialistRows:
        rows = self.rows
        return replace(self, rows=[rows[row] for row in order.tolist()])

    def positions(self) -> tuple[np.ndarray, np.ndarray]:
        """The rows' latitudes and longitudes."""
        count = len(self.rows)
        return (
            np.fromiter((row[1] for row in self.rows), dtype=np.float64, count=count),
            np.fromiter((row[2] for row in self.rows), dtype=np.float64, count=count),
        )

    def first_names(self) -> list[str]:
        return [row[len(_ROW_FIELDS) + _FIELD["first_name"]] for row in self.rows]

    def last_names(self) -> list[str]:
        return [row[len(_ROW_FIELDS) + _FIELD["last_name"]] for row in self.rows]

    def table(self, *, blocks: bool = False) -> SpecialistTable:
        return SpecialistTable.from_rows(
            self.rows,
            certifications=self.certifications,
            treatment_links=self.treatment_links,
            plan_links=self.plan_links,
            always_qualify=self.always_qualify,
            blocks=blocks,
        )


def specialist_rows(*, on: datetime.date, ids: Sequence[int] | None = None) -> SpecialistRows:
    """The specialists qualifying on ``on`` (``Specialist.objects.qualifying``), all of them
    or those among ``ids``, ordered by id, with their current certificates and links: four
    queries (per 900 ids), whatever their number."""
    if ids is None:
        reads = [{name: _fetched(*read(None, on)) for name, read in _READS.items()}]
    else:
        ids = list(ids)
        reads = [
            {name: _read_some(name, ids[start : start + _READ_CHUNK], on) for name in _READS}
            for start in range(0, len(ids), _READ_CHUNK)
        ]
    rows = [row for read in reads for row in read["rows"]]
    rows.sort(key=lambda row: row[0])
    return SpecialistRows(
        rows,
        [row for read in reads for row in read["certifications"]],
        *(
            np.concatenate([_int_pairs(read[name]) for read in reads] or [_int_pairs([])])
            for name in ("treatments", "plans")
        ),
    )


def specialists_read(*, on: datetime.date, ids: Sequence[int] | None = None) -> SpecialistTable:
    """``specialist_rows`` as a table."""
    return specialist_rows(on=on, ids=ids).table()


class InstituteTable(_Located):
    """Rows of institutes ordered by id: position, whether active, the name (raw, for the
    order) and the card's ``institute`` part."""

    def __init__(self, columns: dict[str, np.ndarray]):
        self.ids = columns["inst.id"]
        self.latitudes = columns["inst.lat"]
        self.longitudes = columns["inst.lon"]
        self.active = columns["inst.active"]
        self.names = Records.from_columns(columns, "inst.name")
        self.fragments = Records.from_columns(columns, "inst.fragment")
        self._vectors = columns.get("inst.vectors")

    def columns(self) -> dict[str, np.ndarray]:
        return {
            "inst.id": self.ids,
            "inst.lat": self.latitudes,
            "inst.lon": self.longitudes,
            "inst.active": self.active,
            **self.names.columns("inst.name"),
            **self.fragments.columns("inst.fragment"),
        }

    @classmethod
    def from_rows(cls, rows: Sequence[tuple]) -> InstituteTable:
        """From (id, latitude, longitude, active, name, slug) ordered by id."""
        n = len(rows)
        ids, lats, lons, active, names, slugs = zip(*rows, strict=True) if n else [()] * 6
        names_escaped, slugs_escaped = json_escaped(names), json_escaped(slugs)
        return cls(
            {
                "inst.id": np.fromiter(ids, dtype=np.int64, count=n),
                "inst.lat": np.fromiter(lats, dtype=np.float64, count=n),
                "inst.lon": np.fromiter(lons, dtype=np.float64, count=n),
                "inst.active": np.fromiter(active, dtype=bool, count=n),
                **Records.from_bytes(name.encode() for name in names).columns("inst.name"),
                **Records.from_bytes(
                    f'{{"id":{pk},"slug":"{slug}","name":"{name}"}}'.encode()
                    for pk, slug, name in zip(ids, slugs_escaped, names_escaped, strict=True)
                ).columns("inst.fragment"),
            }
        )

    def take(self, rows: np.ndarray) -> InstituteTable:
        rows = np.asarray(rows, dtype=np.int64)
        return InstituteTable(
            {
                "inst.id": self.ids[rows],
                "inst.lat": self.latitudes[rows],
                "inst.lon": self.longitudes[rows],
                "inst.active": self.active[rows],
                **self.names.take(rows).columns("inst.name"),
                **self.fragments.take(rows).columns("inst.fragment"),
            }
        )

    @classmethod
    def concat(cls, tables: list[InstituteTable]) -> InstituteTable:
        """The rows of every table, in order."""
        return cls(
            {
                "inst.id": np.concatenate([t.ids for t in tables]),
                "inst.lat": np.concatenate([t.latitudes for t in tables]),
                "inst.lon": np.concatenate([t.longitudes for t in tables]),
                "inst.active": np.concatenate([t.active for t in tables]),
                **Records.concat([t.names for t in tables]).columns("inst.name"),
                **Records.concat([t.fragments for t in tables]).columns("inst.fragment"),
            }
        )

    def position(self, pk: int) -> int:
        """The row of institute ``pk``, or -1."""
        ids = self.ids
        row = int(ids.searchsorted(pk))
        return row if row < len(ids) and ids.item(row) == pk else -1

    def name(self, row: int) -> str:
        return self.names[row].decode()

    def name_key(self, row: int) -> tuple[str, int]:
        """The order of a name sort: the name (case-insensitive), then id."""
        return self.name(row).casefold(), int(self.ids[row])


def institutes_read(ids: Sequence[int] | None = None) -> InstituteTable:
    """Every institute, or those among ``ids``: one query per 900 ids."""
    fields = ("id", "latitude", "longitude", "active", "name", "slug")
    if ids is None:
        return InstituteTable.from_rows(list(Institute.objects.order_by("id").values_list(*fields)))
    ids = list(ids)
    rows = []
    for start in range(0, len(ids), _READ_CHUNK):
        rows += Institute.objects.filter(pk__in=ids[start : start + _READ_CHUNK]).values_list(
            *fields
        )
    rows.sort()
    return InstituteTable.from_rows(rows)
