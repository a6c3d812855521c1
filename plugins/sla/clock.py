"""An SLA clock: when a card is due under its policy, and where it stands.

The clock starts when the card is created (or first becomes active, by policy), waits while the
card sits in one of the policy's pause columns (the due moment moves out by the working time
spent there), and stops when the card reaches a done column. Its policy is fixed when it starts
(fixed.py).
"""

from datetime import UTC, datetime
from functools import cached_property

from .policies import Policy

STATES = ("on_track", "at_risk", "breached", "paused", "met", "missed")


class Clock:
    """Where one card stands. The moments are built on first use: a tick over many cards only
    reads `state` and `remaining_seconds`."""

    __slots__ = (
        "policy",
        "fixed",
        "state",
        "remaining_seconds",
        "_cal",
        "_start",
        "_due",
        "_stop",
        "__dict__",
    )

    def __init__(self, policy, state, remaining_seconds, cal, start, due, stop):
        self.policy = policy
        # Whether the policy is the one stored when the clock started (else, for a card from
        # before clocks were stored, the board's policy for its type now).
        self.fixed = False
        self.state = state
        # Working seconds (calendar seconds for calendar_days) to the due moment; < 0: late.
        self.remaining_seconds = remaining_seconds
        self._cal, self._start, self._due, self._stop = cal, start, due, stop

    @cached_property
    def started_at(self) -> datetime:
        """When the clock started, in the unit's zone."""
        return self._cal.local(self._start)

    @cached_property
    def due_at(self) -> datetime:
        """The due moment (pauses included), in the unit's zone."""
        due = self._due
        if isinstance(due, datetime):
            return self._cal.local(due)
        if self.policy.unit == "calendar_days":
            return self._cal.local(datetime.fromtimestamp(due, UTC))
        return self._cal.at_worked(due)

    @property
    def stopped_at(self) -> datetime | None:
        """When the card reached done (aware UTC), or None."""
        return self._stop

    @property
    def late_seconds(self) -> int:
        return max(0, -self.remaining_seconds)

    def as_json(self) -> dict:
        return {
            "policy": self.policy.type,
            "due_at": self.due_at.isoformat(),
            "state": self.state,
            "remaining_seconds": self.remaining_seconds,
        }


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def compute(
    card, column_kind: str, policy: Policy, cal, moves, pause_ids, now, now_point=None
) -> Clock | None:
    """The clock of `card` (created_at, first_active_at, done_at, column_id), or None when it has
    not started. `moves`: its CardMoves oldest first (needed only when `pause_ids` is not
    empty); `now`: an aware datetime, `now_point` its `cal.worked(now)` when known (a tick
    computes it once per calendar).

    Working units are computed on the calendar's working-time line (`cal.worked`): the due
    point is the policy's due point plus the working time spent in pause columns."""
    started = card.created_at if policy.start == "created" else card.first_active_at
    if started is None:
        return None
    start = cal.local(started)
    stop = _aware(card.done_at) if column_kind == "done" and card.done_at else None
    end = stop or now
    if policy.unit == "calendar_days":
        point = _seconds
        base_due_point = point(cal.due(start, policy.duration, policy.unit))
    else:
        point = cal.worked
        base_due_point = cal.due_worked(start, policy.duration, policy.unit)
    start_point = point(start)
    if stop is None and now_point is not None and policy.unit != "calendar_days":
        end_point = now_point
    else:
        end_point = point(end)
    paused = 0
    paused_now = False
    if pause_ids:
        column = moves[0].from_column_id if moves else card.column_id
        since = start
        for move in moves:
            at = _aware(move.at)
            if at > since and column in pause_ids:
                paused += point(min(at, end)) - point(since)
            since = max(since, at)
            column = move.to_column_id
            if since >= end:
                break
        if column in pause_ids and since < end:
            paused += end_point - point(since)
            paused_now = stop is None
    due_point = base_due_point + paused
    remaining = due_point - end_point
    due = due_point
    if remaining == 0:
        # On the due point but maybe after the close of work: compare the moments.
        due = _moment(cal, policy, due_point)
        late = end > due
    else:
        late = remaining < 0
    if stop is not None:
        state = "missed" if late else "met"
    elif paused_now:
        state = "paused"
    elif late:
        state = "breached"
    else:
        total = base_due_point - start_point
        state = "at_risk" if total and remaining <= (1 - policy.at_risk) * total else "on_track"
    return Clock(policy, state, remaining, cal, start, due, stop)


def _moment(cal, policy: Policy, point: int) -> datetime:
    if policy.unit == "calendar_days":
        return datetime.fromtimestamp(point, UTC)
    return cal.at_worked(point)


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())
