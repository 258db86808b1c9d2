"""The funnel page's bar chart: searches and leads per day, as numbers for the inline SVG
that templates/admin/marketing/funnel.html draws without any script.

Sizes are SVG user units (CSS pixels at 100 % zoom).
"""

import dataclasses
import datetime
from collections.abc import Iterable

from marketing.selectors import FunnelRow

PLOT_HEIGHT = 160  # the busiest day's bar
PLOT_WIDTH = 720  # the days share this width, within the two limits below
DAY_WIDTH_MIN = 8  # a long period widens the chart rather than thinning bars to hairlines
DAY_WIDTH_MAX = 40  # a short period keeps its bars slim
DAY_GAP = 2  # between one day's pair of bars and the next day's
MARGIN_TOP = 10
MARGIN_RIGHT = 10
MARGIN_BOTTOM = 30  # the first and last dates
MARGIN_LEFT = 40  # the peak count, beside the plot
AXIS_OVERHANG = 2  # the zero line starts just left of the first bar
FONT_SIZE = 11
LABEL_INSET = 8  # text baselines sit this far below the top margin or above the bottom edge
DATE_LABEL_WIDTH = 80  # a YYYY-MM-DD date at FONT_SIZE, so the last one ends at the edge
BAR_KINDS = ("searches", "leads")  # left to right within a day; also their CSS classes


@dataclasses.dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    kind: str
    title: str


@dataclasses.dataclass(frozen=True)
class FunnelChart:
    width: int
    height: int
    baseline: int  # y of the zero line
    peak: int  # the count a full-height bar stands for
    bars: list[Bar]
    first_day: datetime.date
    last_day: datetime.date

    font_size = FONT_SIZE
    plot_left = MARGIN_LEFT
    axis_start_x = MARGIN_LEFT - AXIS_OVERHANG
    peak_label_y = MARGIN_TOP + LABEL_INSET

    @property
    def date_label_y(self) -> int:
        return self.height - LABEL_INSET

    @property
    def last_date_x(self) -> int:
        return self.width - DATE_LABEL_WIDTH


def funnel_chart(
    *, rows: Iterable[FunnelRow], start: datetime.date, end: datetime.date
) -> FunnelChart:
    """One pair of bars per day from ``start`` to ``end`` (inclusive), days without rows
    included, every bar scaled to the largest count of the period."""
    days = [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]
    totals = {day: dict.fromkeys(BAR_KINDS, 0) for day in days}
    for row in rows:
        totals[row.day]["searches"] += row.searches
        totals[row.day]["leads"] += row.leads
    peak = max([1, *(count for day in days for count in totals[day].values())])
    day_width = max(DAY_WIDTH_MIN, min(DAY_WIDTH_MAX, PLOT_WIDTH // len(days)))
    bar_width = (day_width - DAY_GAP) // 2
    baseline = MARGIN_TOP + PLOT_HEIGHT
    bars = []
    for index, day in enumerate(days):
        for position, kind in enumerate(BAR_KINDS):
            value = totals[day][kind]
            height = round(PLOT_HEIGHT * value / peak)
            bars.append(
                Bar(
                    x=MARGIN_LEFT + index * day_width + position * bar_width,
                    y=baseline - height,
                    width=bar_width,
                    height=height,
                    kind=kind,
                    title=f"{day.isoformat()}: {value} {kind}",
                )
            )
    return FunnelChart(
        width=MARGIN_LEFT + len(days) * day_width + MARGIN_RIGHT,
        height=MARGIN_TOP + PLOT_HEIGHT + MARGIN_BOTTOM,
        baseline=baseline,
        peak=peak,
        bars=bars,
        first_day=days[0],
        last_day=days[-1],
    )
