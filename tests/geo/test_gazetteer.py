import pytest

from geo.gazetteer import ZipCodeError, located_zip_places, normalize_zip, zip_place


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10001", "10001"),
        ("10001-1234", "10001"),
        ("100011234", "10001"),
        ("  10001  ", "10001"),
        ("\t00601-0001\n", "00601"),
    ],
)
def test_accepted_forms_normalise_to_five_digits(raw, expected):
    assert normalize_zip(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        " ",
        "1000",
        "100012",
        "10001-",
        "10001-123",
        "10001 1234",
        "1000112345",
        "abcde",
        "10 001",
        "１０００１",  # fullwidth digits
        "١٠٠٠١",  # Arabic-Indic digits
        "10001\x00",
        "1" * 10_000,
        None,
        10001,
    ],
)
def test_anything_else_is_not_a_zip(raw):
    with pytest.raises(ZipCodeError, match=r"^Enter a 5-digit US ZIP code\.$"):
        normalize_zip(raw)


def test_unknown_zip_names_itself():
    with pytest.raises(ZipCodeError, match=r"^Unknown ZIP code 00000\.$"):
        zip_place("00000")


def test_zip_recorded_at_null_island_has_no_location():
    with pytest.raises(ZipCodeError, match=r"^ZIP code 09001 has no known location\.$"):
        zip_place("09001")


def test_every_located_gazetteer_zip_resolves():
    places = located_zip_places()
    assert len(places) > 41_000
    for place in places:
        assert zip_place(place.zip) == place
        assert zip_place(f"{place.zip}-0000") == place
        assert (place.latitude, place.longitude) != (0, 0)


def test_territories_resolve_with_their_state():
    assert zip_place("96799").state == "AS"
    assert zip_place("96910").state == "GU"
    assert zip_place("00601").state == "PR"
    assert zip_place("96802").state == "HI"
    assert zip_place("99546").city == "Adak"
