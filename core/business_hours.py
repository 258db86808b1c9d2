"""Business hours: Monday to Friday, 9:00 to 17:00 in the site time zone.

A provider's response window is counted in these hours, so a request that arrives on
Friday evening is due on Monday at 17:00 (8 hours), not on Saturday morning.
"""

import datetime

from django.utils import timezone

OPENS = datetime.time(9)
CLOSES = datetime.time(17)
WORKDAYS = range(5)  # Monday .. Friday


def business_hours_after(start: datetime.datetime, *, hours: float) -> datetime.datetime:
    """The moment ``hours`` business hours after ``start`` (aware), in the site time zone.

    Time outside business hours does not count: a start in the evening, at night or on a
    weekend counts from the next opening.
    """
    zone = timezone.get_current_timezone()
    moment = timezone.localtime(start, zone)
    left = datetime.timedelta(hours=hours)
    while True:
        day = moment.date()
        opens = datetime.datetime.combine(day, OPENS, tzinfo=zone)
        closes = datetime.datetime.combine(day, CLOSES, tzinfo=zone)
        if day.weekday() in WORKDAYS and moment < closes:
            moment = max(moment, opens)
            if moment + left <= closes:
                return moment + left
            left -= closes - moment
        next_day = day + datetime.timedelta(days=1)
        moment = datetime.datetime.combine(next_day, datetime.time.min, tzinfo=zone)
