import datetime
from zoneinfo import ZoneInfo

import pytest

from core.business_hours import business_hours_after

NEW_YORK = ZoneInfo("America/New_York")


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    # March 2025: the 3rd is a Monday, the 7th a Friday.
    return datetime.datetime(2025, 3, day, hour, minute, tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (at(3, 10), 8, at(4, 10)),  # Monday morning: Tuesday morning
        (at(3, 9), 8, at(3, 17)),  # a whole working day
        (at(3, 7), 8, at(3, 17)),  # before opening counts from 9
        (at(3, 20), 8, at(4, 17)),  # evening counts from the next morning
        (at(7, 16), 8, at(10, 16)),  # Friday afternoon: Monday afternoon
        (at(8, 11), 8, at(10, 17)),  # Saturday: Monday's whole day
        (at(3, 12, 30), 2.5, at(3, 15)),
        (at(3, 12), 24, at(6, 12)),  # three working days
    ],
)
def test_business_hours_skip_nights_and_weekends(start, hours, due, settings):
    settings.TIME_ZONE = "America/New_York"
    assert business_hours_after(start, hours=hours) == due
