"""The 8-week trend, rebuilt from the audit trail: no counters of our own that could drift.

Start from what every card is now (column, assignee, estimate) and walk the audit events back
in time, undoing each one (`moved`: back to its source column; `assigned`: back to the previous
person; `updated` with an estimate: back to the old estimate; `created`: the card did not exist
yet). At each week's end, on the way back, the load of every person is read off: active cards
and their estimated hours (a card without an estimate counts the default).

Week ends are Sunday 24:00 in the unit's time zone; the newest point is "now".
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from cergas.plugin import CardRow, EventRow

WEEKS = 8
HISTORY_KINDS = ("created", "moved", "assigned", "updated")


@dataclass(frozen=True)
class Point:
    at: datetime  # naive UTC, the instant the load is read at
    label: str  # the local date of the week's end (or of today), YYYY-MM-DD


def week_points(now: datetime, zone, weeks: int = WEEKS) -> list[Point]:
    """Oldest first: the ends of the `weeks - 1` weeks before this one, then now. `now` is an
    aware datetime."""
    local = now.astimezone(zone)
    monday = (local - timedelta(days=local.weekday())).date()
    points = []
    for back in range(weeks - 1, 0, -1):
        end_local = datetime.combine(monday - timedelta(weeks=back - 1), time(), tzinfo=zone)
        label = (end_local - timedelta(days=1)).date().isoformat()
        points.append(Point(end_local.astimezone(UTC).replace(tzinfo=None), label))
    points.append(Point(now.astimezone(UTC).replace(tzinfo=None), local.date().isoformat()))
    return points


def rebuild(
    cards: list[CardRow],
    events: list[EventRow],
    kinds: dict[int, str],
    user_of_login: dict[str, int],
    points: list[Point],
    default_estimate: float,
) -> dict[int, list[tuple[int, float]]]:
    """user id -> [(active cards, estimated hours)] at each point (oldest first). `events` are
    the audit events after the oldest point, oldest first; `kinds` maps column id -> kind."""
    # card id -> [column id, assignee id, estimate, exists]
    state = {c.id: [c.column_id, c.assignee_id, c.estimate, True] for c in cards}
    load: dict[int, list] = {}

    def hours(estimate):
        return float(estimate) if estimate is not None else default_estimate

    def add(card_state, sign: int) -> None:
        column_id, assignee_id, estimate, exists = card_state
        if exists and assignee_id is not None and kinds.get(column_id) == "active":
            entry = load.setdefault(assignee_id, [0, 0.0])
            entry[0] += sign
            entry[1] += sign * hours(estimate)

    for card_state in state.values():
        add(card_state, +1)

    def undo(event: EventRow) -> None:
        card_state = state.get(event.card_id)
        if card_state is None or not card_state[3]:
            return
        if event.kind == "created":
            add(card_state, -1)
            card_state[3] = False
            return
        data = event.data  # decoded here only: most events are `created`
        if event.kind == "moved":
            source = data.get("from_column_id")
            if not isinstance(source, int):
                return
            add(card_state, -1)
            card_state[0] = source
            add(card_state, +1)
        elif event.kind == "assigned":
            add(card_state, -1)
            old = data.get("old")
            card_state[1] = user_of_login.get(old) if isinstance(old, str) else None
            add(card_state, +1)
        elif event.kind == "updated":
            change = (data.get("changes") or {}).get("estimate")
            if isinstance(change, list) and len(change) == 2:
                add(card_state, -1)
                card_state[2] = change[0]
                add(card_state, +1)

    snapshots: list[dict] = []
    pending = sorted(events, key=lambda e: (e.at, e.id), reverse=True)
    index = 0
    for point in reversed(points):
        while index < len(pending) and pending[index].at > point.at:
            undo(pending[index])
            index += 1
        snapshots.append({uid: (count, round(total, 2)) for uid, (count, total) in load.items()})
    snapshots.reverse()
    people = {uid for snapshot in snapshots for uid in snapshot}
    return {uid: [snapshot.get(uid, (0, 0.0)) for snapshot in snapshots] for uid in people}
