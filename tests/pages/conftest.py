import datetime

import pytest

from tests.factories import make_institute, make_specialist

# ZIP 10001's centroid in the gazetteer; the factories' default location.
NYC = {"latitude": 40.7484, "longitude": -73.9967}
# Los Angeles (90012), about 2,450 miles from 10001.
LOS_ANGELES = {"latitude": 34.0614, "longitude": -118.2385}


@pytest.fixture
def directory(db):
    """Two specialists in Manhattan (one at an institute), one in Los Angeles offering
    intrathecal drug delivery, and an inactive one who must never show."""
    institute = make_institute(name="Midtown Spine Institute", **NYC)
    near = make_specialist(
        first_name="Ada",
        last_name="Alvarez",
        institute=institute,
        treatments=("spinal-cord-stimulation", "physical-therapy"),
        **NYC,
    )
    independent = make_specialist(
        first_name="Ben",
        last_name="Brooks",
        credentials="DO",
        specialty="Pain medicine",
        boards=("ABA",),
        expires_on=datetime.date(2031, 12, 31),
        treatments=("spinal-cord-stimulation",),
        latitude=40.7590,
        longitude=-73.9845,
    )
    far = make_specialist(
        first_name="Cora",
        last_name="Castillo",
        treatments=("intrathecal-drug-delivery",),
        city="Los Angeles",
        state="CA",
        zip="90012",
        phone="+12135550100",
        **LOS_ANGELES,
    )
    inactive = make_specialist(first_name="Dan", last_name="Dormant", active=False, **NYC)
    return {
        "institute": institute,
        "near": near,
        "independent": independent,
        "far": far,
        "inactive": inactive,
    }
