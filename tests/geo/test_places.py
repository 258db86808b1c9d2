"""Places a patient types (cities) or shares (coordinates), resolved offline."""

import pytest

from geo.gazetteer import PlaceError, ZipCodeError, nearest_zip_place, place_search


@pytest.mark.parametrize(
    "text",
    ["Austin, TX", "austin tx", "Austin, Texas", "  AUSTIN ,  tx ", "Austin Texas"],
)
def test_a_city_and_its_state_in_any_usual_spelling(text):
    place = place_search(text)
    assert (place.city, place.state) == ("Austin", "TX")
    assert place.zip.startswith("787")


@pytest.mark.parametrize(
    ("text", "city", "state"),
    [
        ("St. Louis, MO", "Saint Louis", "MO"),
        ("Winston-Salem", "Winston Salem", "NC"),
        ("Española, NM", "Espanola", "NM"),
        ("Salt Lake City Utah", "Salt Lake City", "UT"),
        ("San Juan, PR", "San Juan", "PR"),
        ("Washington, DC", "Washington", "DC"),
        ("Honolulu", "Honolulu", "HI"),
    ],
)
def test_abbreviations_accents_territories_and_unique_names(text, city, state):
    place = place_search(text)
    assert (place.city, place.state) == (city, state)


def test_a_zip_keeps_the_zip_rules_and_messages():
    assert place_search(" 10001-1234 ").zip == "10001"
    with pytest.raises(ZipCodeError, match=r"Unknown ZIP code 00000\."):
        place_search("00000")
    with pytest.raises(ZipCodeError, match=r"Enter a 5-digit US ZIP code\."):
        place_search("1234")


def test_a_name_several_states_share_asks_for_the_state():
    with pytest.raises(PlaceError) as error:
        place_search("Springfield")
    (message,) = error.value.messages
    assert message.startswith("Several places are called Springfield (AR, CO, GA,")
    assert message.endswith("add the state, for example Springfield, IL.")


def test_unknown_places_say_what_the_field_takes():
    with pytest.raises(PlaceError) as error:
        place_search("Sprngfield")
    assert error.value.messages == [
        "Enter a 5-digit US ZIP code.",
        "We found no US city called Sprngfield. Check the spelling, or add the state, "
        "for example Austin, TX.",
    ]
    with pytest.raises(PlaceError) as error:
        place_search("Austin, OH")
    assert error.value.messages == [
        "We found no place called Austin in Ohio. Check the spelling, or enter a ZIP code."
    ]
    with pytest.raises(PlaceError):
        place_search("a" * 81)


def test_coordinates_resolve_to_the_nearest_town_zip():
    assert nearest_zip_place(40.7506, -73.9972).zip == "10001"
    # Across the 180th meridian and in a territory.
    assert nearest_zip_place(51.86, -176.64).zip == "99546"
    assert nearest_zip_place(18.4655, -66.1057).state == "PR"
    with pytest.raises(PlaceError, match="not in the United States"):
        nearest_zip_place(51.5074, -0.1278)
