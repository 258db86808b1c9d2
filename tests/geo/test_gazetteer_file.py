"""The packed gazetteer gives the answers the ``zipcodes`` records give, on every ZIP.

The oracle is the gazetteer as it was before it was packed: the package's records read
into dicts, with the same rules, so every ZIP, every city name and every "nearest ZIP" is
compared with it rather than with a few known places.
"""

import functools
import random
import subprocess
import sys

import numpy as np
import pytest
import zipcodes
from scipy.spatial import cKDTree

from geo import gazetteer, zipdata
from geo.distance import unit_vectors
from geo.gazetteer import (
    City,
    PlaceError,
    ZipCodeError,
    ZipPlace,
    cities,
    located_zip_places,
    nearest_zip_place,
    place_search,
    zip_place,
)
from geo.zipdata import city_key


@functools.cache
def oracle():
    """(places by ZIP or None, city key -> state -> ZIPs, standard ZIPs, town ZIPs)."""
    places, names, standard, towns = {}, {}, [], []
    for record in zipcodes.list_all():
        zip5 = record["zip_code"]
        latitude, longitude = float(record["lat"]), float(record["long"])
        if latitude == 0 and longitude == 0:
            places[zip5] = None
            continue
        places[zip5] = ZipPlace(zip5, record["city"], record["state"], latitude, longitude)
        if record["zip_code_type"] == "STANDARD":
            standard.append(zip5)
        if record["zip_code_type"] in ("STANDARD", "PO BOX"):
            towns.append(zip5)
        for name in {record["city"], *record.get("acceptable_cities", ())}:
            names.setdefault(city_key(name), {}).setdefault(record["state"], []).append(zip5)
    return places, names, frozenset(standard), sorted(towns)


def oracle_city_centre(zips):
    places, _, standard, _ = oracle()
    candidates = sorted(z for z in set(zips) if z in standard) or sorted(set(zips))
    vectors = unit_vectors(
        [places[z].latitude for z in candidates], [places[z].longitude for z in candidates]
    )
    middle = vectors.mean(axis=0)
    return places[candidates[int(np.argmin(np.linalg.norm(vectors - middle, axis=1)))]]


def outcome(function, *arguments):
    try:
        return function(*arguments)
    except PlaceError as error:
        return ("PlaceError", error.messages)
    except ZipCodeError as error:
        return ("ZipCodeError", str(error))


def test_every_five_digit_zip_answers_as_the_package_records_it():
    places = oracle()[0]
    for number in range(100_000):
        zip5 = f"{number:05d}"
        if zip5 not in places:
            assert outcome(zip_place, zip5) == ("ZipCodeError", f"Unknown ZIP code {zip5}.")
        elif places[zip5] is None:
            assert outcome(zip_place, zip5) == (
                "ZipCodeError",
                f"ZIP code {zip5} has no known location.",
            )
        else:
            found = zip_place(zip5)
            assert found == places[zip5]
            assert type(found.latitude) is float and type(found.longitude) is float
            assert zip_place(f" {zip5}-1234 ") == found
    assert len(places) == 42_789


def test_located_places_are_every_located_record_in_zip_order():
    places = oracle()[0]
    assert located_zip_places() == [place for _, place in sorted(places.items()) if place]


def oracle_place_search(raw):
    """``place_search`` as it was, on the oracle's dicts (the parsing is unchanged)."""
    if not isinstance(raw, str) or not any(ch.isalpha() for ch in raw):
        return zip_place(raw)
    text = " ".join(raw.split())
    if len(text) > gazetteer.MAX_PLACE_INPUT_LENGTH:
        raise PlaceError("Enter a 5-digit US ZIP code or a city and state.")
    places, names, _, _ = oracle()
    city, state = gazetteer._city_and_state(text)
    states = names.get(city_key(city), {})
    if state is not None:
        if state not in states:
            raise PlaceError(
                f"We found no place called {city} in {gazetteer.PLACE_NAMES[state]}. Check "
                "the spelling, or enter a ZIP code."
            )
        return oracle_city_centre(states[state])
    if not states:
        raise PlaceError(
            "Enter a 5-digit US ZIP code.",
            f"We found no US city called {text}. Check the spelling, or add the state, for "
            "example Austin, TX.",
        )
    if len(states) > 1:
        likely = max(states, key=lambda code: (len(states[code]), code))
        raise PlaceError(
            f"Several places are called {city} ({', '.join(sorted(states))}): add the state, "
            f"for example {places[states[likely][0]].city}, {likely}."
        )
    (zips,) = states.values()
    return oracle_city_centre(zips)


def test_every_city_name_with_each_of_its_states_and_alone():
    _, names, _, _ = oracle()
    listed = sorted(
        {
            name
            for record in zipcodes.list_all()
            for name in [record["city"], *record.get("acceptable_cities", ())]
        }
    )
    texts = [f"{name}, {state}" for name in listed for state in names.get(city_key(name), ("AK",))]
    # The other spellings on a sample, to stay within seconds.
    for name in random.Random(11).sample(listed, 3_000):
        texts += [name, f"{name}, WY", f"{name} {gazetteer.PLACE_NAMES['VT']}", name.upper()]
    assert len(texts) > 40_000
    for text in texts:
        assert outcome(place_search, text) == outcome(oracle_place_search, text), text


def test_nearest_zip_to_any_point_is_the_nearest_town_centroid():
    places, _, _, towns = oracle()
    tree = cKDTree(
        unit_vectors([places[z].latitude for z in towns], [places[z].longitude for z in towns])
    )
    rng = random.Random(5)
    for _ in range(3_000):
        place = places[rng.choice(towns)]
        latitude = place.latitude + rng.uniform(-0.5, 0.5)
        longitude = place.longitude + rng.uniform(-0.5, 0.5)
        _, position = tree.query(unit_vectors([latitude], [longitude])[0])
        assert nearest_zip_place(latitude, longitude) == places[towns[int(position)]]


def test_cities_are_the_standard_zips_grouped_largest_first():
    places, _, standard, _ = oracle()
    grouped = {}
    for zip5 in sorted(standard):
        grouped.setdefault((places[zip5].city, places[zip5].state), []).append(places[zip5])
    expected = sorted(
        (
            City(
                name=name,
                state=state,
                latitude=sum(p.latitude for p in members) / len(members),
                longitude=sum(p.longitude for p in members) / len(members),
                zips=len(members),
            )
            for (name, state), members in grouped.items()
        ),
        key=lambda city: (-city.zips, city.name, city.state),
    )
    assert list(cities()) == expected


def test_a_missing_or_outdated_file_is_built_and_read(tmp_path, settings):
    path = tmp_path / "gazetteer.bin"
    path.write_bytes(b"SPINEZIP" + b"\x00" * 8)  # a header that says nothing: out of date
    settings.GAZETTEER_FILE = path
    gazetteer._index.cache_clear()
    try:
        assert zip_place("99546").city == "Adak"
        assert path.stat().st_size > 1_000_000
    finally:
        gazetteer._index.cache_clear()


def test_the_build_command_writes_the_file(tmp_path):
    path = tmp_path / "nested" / "gazetteer.bin"
    subprocess.run([sys.executable, "-m", "geo.zipdata", str(path)], check=True)
    data = zipdata.load(path)
    assert data.states[data.arrays["state"][data.arrays["slot"][10001]]] == "NY"


@pytest.mark.parametrize("raw", ["10001", "１０００１", "1000١"])
def test_the_five_digit_shortcut_keeps_to_ascii_digits(raw):
    assert outcome(zip_place, raw) == (
        zip_place("10001") if raw.isascii() else ("ZipCodeError", "Enter a 5-digit US ZIP code.")
    )
