"""NPPES data dissemination files in the real layout, for tests and the benchmark.

The monthly CMS file (``npidata_pfile_*.csv``) has one header row and 330 columns, every
value double-quoted. ``nppes_header`` spells out that header; ``nppes_row`` fills one
provider's row in it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

_BEFORE_TAXONOMIES = [
    "NPI",
    "Entity Type Code",
    "Replacement NPI",
    "Employer Identification Number (EIN)",
    "Provider Organization Name (Legal Business Name)",
    "Provider Last Name (Legal Name)",
    "Provider First Name",
    "Provider Middle Name",
    "Provider Name Prefix Text",
    "Provider Name Suffix Text",
    "Provider Credential Text",
    "Provider Other Organization Name",
    "Provider Other Organization Name Type Code",
    "Provider Other Last Name",
    "Provider Other First Name",
    "Provider Other Middle Name",
    "Provider Other Name Prefix Text",
    "Provider Other Name Suffix Text",
    "Provider Other Credential Text",
    "Provider Other Last Name Type Code",
    "Provider First Line Business Mailing Address",
    "Provider Second Line Business Mailing Address",
    "Provider Business Mailing Address City Name",
    "Provider Business Mailing Address State Name",
    "Provider Business Mailing Address Postal Code",
    "Provider Business Mailing Address Country Code (If outside U.S.)",
    "Provider Business Mailing Address Telephone Number",
    "Provider Business Mailing Address Fax Number",
    "Provider First Line Business Practice Location Address",
    "Provider Second Line Business Practice Location Address",
    "Provider Business Practice Location Address City Name",
    "Provider Business Practice Location Address State Name",
    "Provider Business Practice Location Address Postal Code",
    "Provider Business Practice Location Address Country Code (If outside U.S.)",
    "Provider Business Practice Location Address Telephone Number",
    "Provider Business Practice Location Address Fax Number",
    "Provider Enumeration Date",
    "Last Update Date",
    "NPI Deactivation Reason Code",
    "NPI Deactivation Date",
    "NPI Reactivation Date",
    "Provider Sex Code",
    "Authorized Official Last Name",
    "Authorized Official First Name",
    "Authorized Official Middle Name",
    "Authorized Official Title or Position",
    "Authorized Official Telephone Number",
]
_AFTER_IDENTIFIERS = [
    "Is Sole Proprietor",
    "Is Organization Subpart",
    "Parent Organization LBN",
    "Parent Organization TIN",
    "Authorized Official Name Prefix Text",
    "Authorized Official Name Suffix Text",
    "Authorized Official Credential Text",
]


def nppes_header(*, sex_column: str = "Provider Sex Code", certification_date=True) -> list[str]:
    """The header of the monthly file. Files before 2024 name the sex column
    ``Provider Gender Code``; files before 2023 end at ``Healthcare Provider Taxonomy
    Group_15``, without ``Certification Date``."""
    header = [sex_column if name == "Provider Sex Code" else name for name in _BEFORE_TAXONOMIES]
    for n in range(1, 16):
        header += [
            f"Healthcare Provider Taxonomy Code_{n}",
            f"Provider License Number_{n}",
            f"Provider License Number State Code_{n}",
            f"Healthcare Provider Primary Taxonomy Switch_{n}",
        ]
    for n in range(1, 51):
        header += [
            f"Other Provider Identifier_{n}",
            f"Other Provider Identifier Type Code_{n}",
            f"Other Provider Identifier State_{n}",
            f"Other Provider Identifier Issuer_{n}",
        ]
    header += _AFTER_IDENTIFIERS
    header += [f"Healthcare Provider Taxonomy Group_{n}" for n in range(1, 16)]
    if certification_date:
        header.append("Certification Date")
    return header


def nppes_row(
    npi: str,
    *,
    header: list[str] | None = None,
    entity_type: str = "1",
    last_name: str = "SMITH",
    first_name: str = "JANE",
    credential: str = "M.D.",
    line1: str = "100 MAIN ST",
    line2: str = "",
    city: str = "NEW YORK",
    state: str = "NY",
    postal_code: str = "100011234",
    phone: str = "2125550100",
    taxonomies: Iterable[str] = ("207XS0117X",),
    primary: str | None = None,
    deactivated: str = "",
    reactivated: str = "",
    **columns: str,
) -> list[str]:
    """One provider's values in ``header``'s order (default: the current layout).

    ``taxonomies`` fill Taxonomy Code_1, _2, …; ``primary`` (default the first) gets the
    primary switch ``Y``. Any other column is set by its exact header name, passed as
    ``**{"Last Update Date": "01/02/2025"}``.
    """
    header = header or nppes_header()
    values = dict.fromkeys(header, "")
    sex_column = "Provider Sex Code" if "Provider Sex Code" in values else "Provider Gender Code"
    values.update(
        {
            "NPI": npi,
            "Entity Type Code": entity_type,
            "Provider Last Name (Legal Name)": last_name,
            "Provider First Name": first_name,
            "Provider Credential Text": credential,
            "Provider First Line Business Practice Location Address": line1,
            "Provider Second Line Business Practice Location Address": line2,
            "Provider Business Practice Location Address City Name": city,
            "Provider Business Practice Location Address State Name": state,
            "Provider Business Practice Location Address Postal Code": postal_code,
            "Provider Business Practice Location Address Country Code (If outside U.S.)": "US",
            "Provider Business Practice Location Address Telephone Number": phone,
            "Provider Enumeration Date": "05/23/2005",
            "Last Update Date": "07/08/2024",
            "NPI Deactivation Date": deactivated,
            "NPI Reactivation Date": reactivated,
            sex_column: "F",
        }
    )
    taxonomies = list(taxonomies)
    primary = primary or (taxonomies[0] if taxonomies else None)
    for n, code in enumerate(taxonomies, start=1):
        values[f"Healthcare Provider Taxonomy Code_{n}"] = code
        values[f"Provider License Number_{n}"] = f"L{npi[-6:]}"
        values[f"Provider License Number State Code_{n}"] = state
        values[f"Healthcare Provider Primary Taxonomy Switch_{n}"] = "Y" if code == primary else "N"
    if deactivated and not reactivated:
        # A deactivated NPI's row is blank but for its NPI and the deactivation date.
        values = dict.fromkeys(header, "") | {"NPI": npi, "NPI Deactivation Date": deactivated}
    values.update(columns)
    return [values[name] for name in header]


def nppes_text(rows: Iterable[list[str]], *, header: list[str] | None = None) -> str:
    """The file's text: every value quoted, CRLF line ends, as CMS writes it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(header or nppes_header())
    writer.writerows(rows)
    return buffer.getvalue()


def nppes_file(path: Path, rows: Iterable[list[str]], *, header: list[str] | None = None) -> Path:
    path.write_text(nppes_text(rows, header=header), encoding="utf-8")
    return path
