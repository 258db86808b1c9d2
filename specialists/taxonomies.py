"""NUCC Health Care Provider Taxonomy codes, as NPPES lists them, that mark a spine
specialist, and the names patients read for them."""

SPINE_TAXONOMIES = {
    "207XS0117X": "Orthopaedic Surgery of the Spine",
    "207X00000X": "Orthopaedic Surgery",
    "207T00000X": "Neurological Surgery",
    "208VP0014X": "Interventional Pain Medicine",
    "208VP0000X": "Pain Medicine",
    "207LP2900X": "Pain Medicine (Anesthesiology)",
    "2081P2900X": "Pain Medicine (Physical Medicine & Rehabilitation)",
    "208100000X": "Physical Medicine & Rehabilitation",
    "2084P2900X": "Pain Medicine (Psychiatry & Neurology)",
}


def taxonomy_name(code: str) -> str:
    """The readable specialty for a taxonomy code; a code outside the spine list is shown
    as itself, so ``--taxonomy`` can import any specialty without a code table."""
    return SPINE_TAXONOMIES.get(code, f"Taxonomy {code}")
