"""Flow metrics of a board: throughput, lead and cycle time, cumulative flow, aging WIP, velocity.

Computed with SQL aggregates: the database groups moves by local day and column, counts done
cards per day, and returns only the timestamps percentiles need. Nothing replays the event
history in Python. Days are dates in the unit's time zone (WIB/WITA/WIT have no daylight
saving, so a fixed offset turns a UTC timestamp into a local date inside the query).
"""

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Date, cast, func, literal, select, union_all
from sqlalchemy.orm import aliased

from app import clock
from app.extensions import db
from app.models import Board, BoardColumn, Card, Event, Sprint, SprintCard, User, utcnow
from app.services import validation as v
from app.services.access import visible_board

DEFAULT_RANGE_DAYS = 30
MAX_RANGE_DAYS = 366
DEFAULT_AGING_DAYS = 5
VELOCITY_SPRINTS = 6
# Upper bounds (days) of the lead/cycle time histogram buckets; the last bucket is open.
BUCKETS = (1, 2, 3, 5, 8, 13, 21)


# --- helpers ------------------------------------------------------------------------------------


def utc_offset(timezone: str) -> timedelta:
    return datetime.now(ZoneInfo(timezone)).utcoffset() or timedelta(0)


def local_day(column, timezone: str):
    """SQL expression: the local date of a naive UTC timestamp column."""
    offset = utc_offset(timezone)
    if db.session.get_bind().dialect.name == "sqlite":
        minutes = int(offset.total_seconds() // 60)
        return func.date(column, f"{minutes:+d} minutes")
    return cast(column + literal(offset), Date)


def as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def utc_bounds(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) local, as naive UTC."""
    zone = ZoneInfo(timezone)

    def to_utc(day: date) -> datetime:
        return datetime.combine(day, time(0), zone).astimezone(UTC).replace(tzinfo=None)

    return to_utc(start), to_utc(end + timedelta(days=1))


def percentile(values: list[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default; p in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    low = math.floor(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def clean_range(start, end, today: date) -> tuple[date, date]:
    """The `from`/`to` of a metrics request: ISO dates, default the last 30 days."""
    fields = v.Fields()
    start = fields.clean("from", v.optional_date, start)
    end = fields.clean("to", v.optional_date, end)
    fields.raise_if_any()
    end = end or today
    start = start or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if start > end:
        raise v.invalid({"from": _("The start date must be on or before the end date.")})
    if (end - start).days >= MAX_RANGE_DAYS:
        raise v.invalid({"from": _("Choose a range of at most %(n)d days.", n=MAX_RANGE_DAYS)})
    return start, end


# --- the metrics --------------------------------------------------------------------------------


@dataclass
class Distribution:
    count: int
    median: float | None
    p85: float | None
    histogram: list[dict]

    def to_dict(self) -> dict:
        return {
            "count": self.count,
            "median": self.median,
            "p85": self.p85,
            "histogram": self.histogram,
        }


def distribution(days: list[float]) -> Distribution:
    counts = [0] * (len(BUCKETS) + 1)
    for value in days:
        index = next((i for i, bound in enumerate(BUCKETS) if value < bound), len(BUCKETS))
        counts[index] += 1
    labels = []
    lower = 0
    for bound in BUCKETS:
        labels.append(f"{lower}–{bound}")
        lower = bound
    labels.append(f"≥{lower}")
    return Distribution(
        count=len(days),
        median=_round(percentile(days, 50)),
        p85=_round(percentile(days, 85)),
        histogram=[{"label": label, "count": n} for label, n in zip(labels, counts, strict=True)],
    )


def flow_times(board: Board, start: date, end: date) -> tuple[Distribution, Distribution]:
    """Lead time (created → done) and cycle time (first active → done), in days, of the cards
    that reached a done column within the range and are still there."""
    lower, upper = utc_bounds(start, end, board.unit.timezone)
    rows = db.session.execute(
        select(Card.created_at, Card.first_active_at, Card.done_at)
        .join(BoardColumn, BoardColumn.id == Card.column_id)
        .where(
            Card.board_id == board.id,
            BoardColumn.kind == "done",
            Card.done_at >= lower,
            Card.done_at < upper,
        )
    ).all()
    lead = [(done - created).total_seconds() / 86400 for created, _a, done in rows]
    cycle = [(done - active).total_seconds() / 86400 for _c, active, done in rows if active]
    return distribution(lead), distribution(cycle)


def throughput(board: Board, start: date, end: date) -> list[dict]:
    """Cards finished per week (Monday to Sunday) over the range; partial weeks at the edges."""
    zone = board.unit.timezone
    lower, upper = utc_bounds(start, end, zone)
    day = local_day(Card.done_at, zone)
    per_day = {
        as_date(on): count
        for on, count in db.session.execute(
            select(day, func.count(Card.id))
            .join(BoardColumn, BoardColumn.id == Card.column_id)
            .where(
                Card.board_id == board.id,
                BoardColumn.kind == "done",
                Card.done_at >= lower,
                Card.done_at < upper,
            )
            .group_by(day)
        )
    }
    weeks = []
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        first, last = max(monday, start), min(monday + timedelta(days=6), end)
        count = sum(
            per_day.get(first + timedelta(days=i), 0) for i in range((last - first).days + 1)
        )
        iso = monday.isocalendar()
        weeks.append(
            {
                "week": f"{iso.year}-W{iso.week:02d}",
                "start": first.isoformat(),
                "end": last.isoformat(),
                "done": count,
            }
        )
        monday += timedelta(days=7)
    return weeks


def cumulative_flow(board: Board, start: date, end: date) -> dict:
    """Cards in each column at the end of each day of the range.

    One grouped query sums, per local day and column, +1 for each card entering it (created
    there, or moved in) and -1 for each card leaving it; the running total per column is the
    CFD. A card's first column is where its first move started from, else where it is now."""
    zone = board.unit.timezone
    is_move = (Event.board_id == board.id, Event.kind == "moved")
    day = local_day(Event.at, zone)
    leaving = select(
        day.label("day"),
        Event.data["from_column_id"].as_integer().label("column_id"),
        literal(-1).label("delta"),
    ).where(*is_move)
    entering = select(
        day.label("day"),
        Event.data["to_column_id"].as_integer().label("column_id"),
        literal(1).label("delta"),
    ).where(*is_move)
    first_move = (
        select(Event.card_id, func.min(Event.id).label("event_id"))
        .where(Event.board_id == board.id, Event.kind == "moved")
        .group_by(Event.card_id)
        .subquery()
    )
    first = aliased(Event)
    created = (
        select(
            local_day(Card.created_at, zone).label("day"),
            func.coalesce(first.data["from_column_id"].as_integer(), Card.column_id).label(
                "column_id"
            ),
            literal(1).label("delta"),
        )
        .select_from(Card)
        .outerjoin(first_move, first_move.c.card_id == Card.id)
        .outerjoin(first, first.id == first_move.c.event_id)
        .where(Card.board_id == board.id)
    )
    deltas = union_all(leaving, entering, created).subquery()
    rows = db.session.execute(
        select(deltas.c.day, deltas.c.column_id, func.sum(deltas.c.delta)).group_by(
            deltas.c.day, deltas.c.column_id
        )
    ).all()
    columns = sorted(board.columns, key=lambda c: c.position)
    totals = {column.id: 0 for column in columns}
    by_day: dict[date, dict[int, int]] = {}
    for on, column_id, delta in rows:
        if column_id not in totals:
            continue  # a column deleted since
        on = as_date(on)
        if on < start:
            totals[column_id] += int(delta)
        elif on <= end:
            by_day.setdefault(on, {})[column_id] = int(delta)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    series = {column.id: [] for column in columns}
    for on in days:
        for column_id, delta in by_day.get(on, {}).items():
            totals[column_id] += delta
        for column in columns:
            series[column.id].append(totals[column.id])
    return {
        "days": [on.isoformat() for on in days],
        "columns": [
            {"id": c.id, "name": c.name, "kind": c.kind, "counts": series[c.id]} for c in columns
        ],
    }


def aging_wip(board: Board, threshold_days: int = DEFAULT_AGING_DAYS, now=None) -> list[dict]:
    """Cards in active columns that became active more than `threshold_days` ago, oldest first."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Card.id, Card.title, Card.first_active_at, BoardColumn.name, User.name)
        .join(BoardColumn, BoardColumn.id == Card.column_id)
        .outerjoin(User, User.id == Card.assignee_id)
        .where(
            Card.board_id == board.id,
            BoardColumn.kind == "active",
            Card.first_active_at <= now - timedelta(days=threshold_days),
        )
        .order_by(Card.first_active_at, Card.id)
        .limit(100)
    ).all()
    return [
        {
            "card_id": card_id,
            "title": title,
            "column": column,
            "assignee": assignee,
            "age_days": round((now - active).total_seconds() / 86400, 1),
        }
        for card_id, title, active, column, assignee in rows
    ]


def velocity(board: Board, limit: int = VELOCITY_SPRINTS) -> list[dict]:
    """Committed vs completed (cards and estimates) of the last closed sprints, oldest first."""
    last = (
        select(Sprint.id)
        .where(Sprint.board_id == board.id, Sprint.state == "closed")
        .order_by(Sprint.closed_at.desc(), Sprint.id.desc())
        .limit(limit)
        .subquery()
    )
    committed = SprintCard.committed.is_(True)
    done = SprintCard.outcome == "done"
    rows = db.session.execute(
        select(
            Sprint.id,
            Sprint.name,
            Sprint.goal_met,
            func.count(SprintCard.id).filter(committed),
            func.coalesce(func.sum(SprintCard.estimate_at_start).filter(committed), 0),
            func.count(SprintCard.id).filter(done),
            func.coalesce(func.sum(SprintCard.estimate_at_close).filter(done), 0),
        )
        .join(SprintCard, SprintCard.sprint_id == Sprint.id, isouter=True)
        .where(Sprint.id.in_(select(last.c.id)))
        .group_by(Sprint.id, Sprint.name, Sprint.goal_met, Sprint.closed_at)
        .order_by(Sprint.closed_at, Sprint.id)
    ).all()
    return [
        {
            "sprint_id": sprint_id,
            "name": name,
            "goal_met": goal_met,
            "committed": {"cards": c_cards, "estimate": float(c_estimate)},
            "completed": {"cards": d_cards, "estimate": float(d_estimate)},
        }
        for sprint_id, name, goal_met, c_cards, c_estimate, d_cards, d_estimate in rows
    ]


def board_metrics(actor: User, board_id, start=None, end=None, *, today: date | None = None):
    """Everything the reports page and `GET /boards/<id>/metrics` show for a date range."""
    board = visible_board(actor, board_id)
    today = today or clock.today(board.unit.timezone)
    start, end = clean_range(start, end, today)
    lead, cycle = flow_times(board, start, end)
    return board, {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "throughput": throughput(board, start, end),
        "lead_time": lead.to_dict(),
        "cycle_time": cycle.to_dict(),
        "cfd": cumulative_flow(board, start, end),
    }
