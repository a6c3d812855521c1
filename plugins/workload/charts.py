"""Geometry of the server-rendered SVG charts. The template draws the shapes (and escapes every
name); this module only computes numbers, so the charts need no JavaScript and pass the CSP."""

from dataclasses import dataclass

ROW = 26  # px per person
NAME_WIDTH = 210
PANEL = 130  # px per metric panel
GAP = 16
METRICS = ("active_cards", "estimated_hours", "effectiveness", "overdue")


@dataclass(frozen=True)
class Bar:
    metric: str
    x: float
    width: float
    value: float
    text: str


def _text(metric: str, value: float) -> str:
    if metric == "effectiveness":
        return f"{round(value * 100)}%"
    if metric == "estimated_hours":
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return str(int(value))


def bar_chart(people) -> dict:
    """One row per person, four panels (active cards, hours, effectiveness, overdue), each bar
    scaled to its panel's largest value; effectiveness is scaled to at least 100% and marks the
    100% line (the effective working time)."""
    maxima = {}
    for metric in METRICS:
        largest = max((float(getattr(p, metric)) for p in people), default=0.0)
        maxima[metric] = max(largest, 1.0)  # effectiveness: at least the 100 % scale
    rows = []
    for index, person in enumerate(people):
        bars = []
        for slot, metric in enumerate(METRICS):
            value = float(getattr(person, metric))
            x = NAME_WIDTH + slot * (PANEL + GAP)
            width = round((PANEL - 34) * value / maxima[metric], 1)
            bars.append(Bar(metric, x, width, value, _text(metric, value)))
        rows.append({"person": person, "y": 30 + index * ROW, "bars": bars})
    full = maxima["effectiveness"]
    return {
        "rows": rows,
        "width": NAME_WIDTH + len(METRICS) * (PANEL + GAP),
        "height": 36 + len(people) * ROW,
        "panels": [
            {"metric": metric, "x": NAME_WIDTH + slot * (PANEL + GAP)}
            for slot, metric in enumerate(METRICS)
        ],
        "capacity_x": round(NAME_WIDTH + 2 * (PANEL + GAP) + (PANEL - 34) * 1.0 / full, 1),
        "bar_height": ROW - 10,
    }


SPARK_WIDTH = 160
SPARK_HEIGHT = 28


def trend_rows(report) -> list[dict]:
    """Per person: the active cards at each week's end and a sparkline (SVG polyline points)
    scaled to the largest value of the team, so lines compare across people."""
    if not report.trend or not report.points:
        return []
    series = {
        p.user.id: report.trend.get(p.user.id, [(0, 0.0)] * len(report.points))
        for p in report.workload.people
    }
    top = max((count for values in series.values() for count, _h in values), default=0)
    top = max(top, 1)
    steps = max(len(report.points) - 1, 1)
    rows = []
    for person in report.workload.people:
        values = series[person.user.id]
        points = " ".join(
            f"{round(i * SPARK_WIDTH / steps, 1)},"
            f"{round(SPARK_HEIGHT - 2 - (SPARK_HEIGHT - 4) * count / top, 1)}"
            for i, (count, _hours) in enumerate(values)
        )
        rows.append({"person": person, "series": values, "points": points})
    return rows
