"""geo.projection reproduces d3's geoAlbersUsa, which drew us-atlas's projected maps."""

import pytest

from geo.atlas import state_outlines
from geo.projection import albers_usa

# d3-geo 3.1: geoAlbersUsa().scale(1300).translate([487.5, 305]) of [longitude, latitude].
D3_REFERENCE = [
    ((-73.9967, 40.7484), (869.6861958860561, 214.91121205786237)),
    ((-97.7431, 30.2672), (463.92105944880836, 497.4478883753818)),
    ((-122.4194, 37.7749), (34.84109325358304, 261.43554026274137)),
    ((-149.9003, 61.2181), (112.277427569713, 544.2779162203778)),
    ((-157.8583, 21.3069), (266.95994676863154, 549.1903729395863)),
    ((-176.6581, 51.88), (-12.815544398145875, 600.12900009706)),
    ((173.2, 52.9), (-54.624522554529975, 572.782856534051)),
    ((-80.19, 25.76), (822.78127218592, 572.5722962548817)),
    ((-68.0, 47.0), (927.0362186733245, 52.162639242611476)),
    ((-66.1057, 18.4655), None),  # San Juan, PR
    ((144.7937, 13.4443), None),  # Guam
    ((-64.9307, 18.3419), None),  # Charlotte Amalie, VI
    ((-170.7, -14.27), None),  # Pago Pago, AS
]


@pytest.mark.parametrize(("lon_lat", "expected"), D3_REFERENCE)
def test_points_land_where_d3_puts_them(lon_lat, expected):
    longitude, latitude = lon_lat
    found = albers_usa(latitude, longitude)
    if expected is None:
        assert found is None
    else:
        assert found == pytest.approx(expected, abs=1e-9)


def test_state_outlines_come_from_us_atlas_and_capitals_fall_inside_them():
    outlines = {outline.name: outline for outline in state_outlines()}
    assert len(outlines) == 51 and "District of Columbia" in outlines
    for name, (latitude, longitude) in {
        "Texas": (30.2672, -97.7431),
        "Alaska": (58.3019, -134.4197),
        "Hawaii": (21.3069, -157.8583),
        "Maine": (44.3106, -69.7795),
    }.items():
        x, y = albers_usa(latitude, longitude)
        x0, y0, x1, y1 = outlines[name].bbox
        assert x0 <= x <= x1 and y0 <= y <= y1, name
        assert outlines[name].path.startswith("M") and outlines[name].path.endswith("Z")


def test_a_missing_atlas_is_a_system_check_warning_and_no_map(settings, tmp_path):
    from geo.checks import us_atlas_installed

    assert us_atlas_installed(None) == []
    settings.US_ATLAS_FILE = tmp_path / "missing.json"
    state_outlines.cache_clear()
    try:
        (warning,) = us_atlas_installed(None)
        assert warning.id == "geo.W001" and "npm ci" in warning.hint
        assert state_outlines() == ()
    finally:
        state_outlines.cache_clear()
