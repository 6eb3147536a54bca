"""Server-drawn SVG charts for the newsletter overview: geometry here, markup in the template.

No chart library and no request to anyone else: each function turns figures
into rectangles, a path and labels in a fixed view box that the template
(templates/admin/newsletter/overview.html) draws as SVG and scales to the
page. The same figures are in a table under each chart, for screen readers.
"""

import math
from dataclasses import dataclass, field

WIDTH = 720
PLOT_LEFT = 48
PLOT_RIGHT = WIDTH - 12


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"
    css: str = "chart-label"


@dataclass
class Chart:
    height: int
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    gridlines: list[float] = field(default_factory=list)
    path: str = ""
    width: int = WIDTH


def _nice_ceiling(value: int) -> int:
    """A round number at or above ``value`` for the top of an axis: 1, 2, 5, 10, 20, 50 …"""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def _y_axis(chart: Chart, *, top: int, bottom: float, ceiling: int, floor: int = 0) -> None:
    for value in (floor, (floor + ceiling) // 2 if floor else ceiling // 2, ceiling):
        y = bottom - (value - floor) / (ceiling - floor) * (bottom - top)
        chart.gridlines.append(round(y, 1))
        chart.texts.append(Text(PLOT_LEFT - 6, round(y + 4, 1), f"{value:,}", anchor="end"))


def _month_labels(chart: Chart, weeks, *, y: float, slot: float) -> None:
    seen = None
    for index, week in enumerate(weeks):
        if week.start.month != seen and week.start.day <= 7:
            chart.texts.append(Text(round(PLOT_LEFT + index * slot, 1), y, week.start.strftime("%b")))
        seen = week.start.month


def list_size_chart(weeks) -> Chart:
    """A line: subscribed people at the end of each week."""
    chart = Chart(height=200)
    top, bottom = 12, 170
    values = [week.subscribed_at_end for week in weeks]
    ceiling = _nice_ceiling(max(values, default=0))
    _y_axis(chart, top=top, bottom=bottom, ceiling=ceiling)
    slot = (PLOT_RIGHT - PLOT_LEFT) / max(len(weeks), 1)
    points = [
        (PLOT_LEFT + (index + 0.5) * slot, bottom - value / ceiling * (bottom - top))
        for index, value in enumerate(values)
    ]
    chart.path = " ".join(f"{'M' if index == 0 else 'L'}{x:.1f},{y:.1f}" for index, (x, y) in enumerate(points))
    _month_labels(chart, weeks, y=bottom + 20, slot=slot)
    return chart


def weekly_flow_chart(weeks) -> Chart:
    """Bars around a middle line: confirmations up, unsubscriptions and bounces (stacked) down, per week."""
    chart = Chart(height=240)
    top, bottom = 12, 210
    highest = _nice_ceiling(max((max(w.confirmed, w.unsubscribed + w.bounced) for w in weeks), default=0))
    middle = (top + bottom) / 2
    scale = (middle - top) / highest
    _y_axis(chart, top=top, bottom=bottom, ceiling=highest, floor=-highest)
    slot = (PLOT_RIGHT - PLOT_LEFT) / max(len(weeks), 1)
    bar = max(slot - 3, 1)
    for index, week in enumerate(weeks):
        x = round(PLOT_LEFT + index * slot + 1.5, 1)
        when = f"week of {week.start:%-d %b %Y}"
        if week.confirmed:
            height = week.confirmed * scale
            chart.rects.append(
                Rect(
                    x,
                    round(middle - height, 1),
                    bar,
                    round(height, 1),
                    "bar-confirmed",
                    f"{when}: {week.confirmed} confirmed",
                )
            )
        below = middle
        for count, css, name in (
            (week.unsubscribed, "bar-unsubscribed", "unsubscribed"),
            (week.bounced, "bar-bounced", "bounced"),
        ):
            if count:
                height = count * scale
                chart.rects.append(Rect(x, round(below, 1), bar, round(height, 1), css, f"{when}: {count} {name}"))
                below += height
    _month_labels(chart, weeks, y=bottom + 20, slot=slot)
    return chart


def horizontal_bars(rows: list[tuple[str, list[tuple[int, str, str]]]], *, label_width: int = 220) -> Chart:
    """One stacked bar per row: ``(label, [(value, css class, what it counts), …])``, its total after it."""
    row_height = 26
    chart = Chart(height=max(len(rows), 1) * row_height + 8)
    left, right = label_width, WIDTH - 70
    highest = max((sum(value for value, _, _ in parts) for _, parts in rows), default=0) or 1
    for index, (label, parts) in enumerate(rows):
        y = 4 + index * row_height
        chart.texts.append(Text(left - 8, y + 16, label if len(label) <= 32 else label[:31] + "…", anchor="end"))
        x = left
        for value, css, name in parts:
            if value:
                width = value / highest * (right - left)
                chart.rects.append(
                    Rect(round(x, 1), y + 3, round(width, 1), row_height - 8, css, f"{label}: {value:,} {name}")
                )
                x += width
        total = sum(value for value, _, _ in parts)
        chart.texts.append(Text(round(x + 6, 1), y + 16, f"{total:,}", css="chart-value"))
    return chart
