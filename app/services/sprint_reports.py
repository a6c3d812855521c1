"""Sprint reports: working days left, the review (committed vs completed, scope changes,
carry-over, deadlines moved, completion per person) and the burndown. Reads only: the caller has
already checked that the actor sees the board.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import clock
from app.extensions import db
from app.models import (
    Board,
    BoardColumn,
    Card,
    DeadlineChange,
    Event,
    Sprint,
    SprintCard,
    SprintScopeChange,
    User,
    utcnow,
)
from app.workcal import work_calendar

# --- working days -------------------------------------------------------------------------------


def calendar_of(board: Board):
    """The unit's working-day calendar: national holidays, cuti bersama, unit overrides."""
    return work_calendar(board.unit)


def local_today(board: Board) -> date:
    return clock.today(board.unit.timezone)


def local_date(moment: datetime, timezone: str) -> date:
    """The date in the unit's zone of a naive UTC timestamp."""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone)).date()


def working_days_left(sprint: Sprint, today: date, calendar=None) -> int:
    """Working days from today (counted when it is one) to the end date, inclusive."""
    calendar = calendar or calendar_of(sprint.board)
    first = max(today, sprint.start_date)
    if first > sprint.end_date:
        return 0
    return calendar.working_days_in(first, sprint.end_date)


# --- review -------------------------------------------------------------------------------------


@dataclass
class Tally:
    cards: int = 0
    estimate: float = 0.0

    def add(self, estimate) -> None:
        self.cards += 1
        self.estimate += estimate or 0

    def to_dict(self) -> dict:
        return {"cards": self.cards, "estimate": self.estimate}


@dataclass
class Review:
    """What a sprint committed to and what became of it. Live while the sprint runs."""

    sprint: Sprint
    committed: Tally
    completed: Tally
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    carried_over: list[dict] = field(default_factory=list)
    unfinished: list[dict] = field(default_factory=list)
    deadline_changes: list[dict] = field(default_factory=list)
    people: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "committed": self.committed.to_dict(),
            "completed": self.completed.to_dict(),
            "added": self.added,
            "removed": self.removed,
            "carried_over": self.carried_over,
            "deadline_changes": self.deadline_changes,
            "people": self.people,
        }


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _name_next_sprints(sprint: Sprint, carried: list[dict]) -> None:
    """Give each card carried to the next sprint that sprint's name (`to_sprint`): the sprint
    it joined the moment this one closed (one query)."""
    ids = [entry["card_id"] for entry in carried if entry["to"] == "next"]
    if not ids or sprint.closed_at is None:
        return
    rows = db.session.execute(
        select(SprintCard.card_id, Sprint.name)
        .join(Sprint, Sprint.id == SprintCard.sprint_id)
        .where(
            SprintCard.card_id.in_(ids),
            SprintCard.sprint_id != sprint.id,
            SprintCard.added_at == sprint.closed_at,
        )
    ).all()
    names = dict(rows)
    for entry in carried:
        if entry["card_id"] in names:
            entry["to_sprint"] = names[entry["card_id"]]


def review(sprint: Sprint) -> Review:
    """Committed vs completed (cards and estimates), scope changes, carry-over, deadlines moved
    during the sprint (with reasons) and completion per person: five queries."""
    closed = sprint.state == "closed"
    members = db.session.execute(
        select(SprintCard, Card, BoardColumn.kind)
        .join(Card, Card.id == SprintCard.card_id)
        .join(BoardColumn, BoardColumn.id == Card.column_id)
        .where(SprintCard.sprint_id == sprint.id)
        .order_by(Card.id)
    ).all()
    people_ids = {
        (row.assignee_at_close_id if closed else card.assignee_id) for row, card, _kind in members
    }
    names = {
        user.id: user
        for user in db.session.scalars(select(User).where(User.id.in_(people_ids - {None})))
    }
    committed, completed = Tally(), Tally()
    carried, unfinished = [], []
    per_person: dict[int | None, dict] = {}
    for row, card, kind in members:
        if row.committed:
            committed.add(row.estimate_at_start)
        if row.removed_at is not None:
            continue
        done = row.outcome == "done" if closed else kind == "done"
        estimate = row.estimate_at_close if closed else card.estimate
        person_id = row.assignee_at_close_id if closed else card.assignee_id
        person = per_person.setdefault(
            person_id,
            {
                "assignee": names[person_id].login if person_id in names else None,
                "name": names[person_id].name if person_id in names else None,
                "cards": 0,
                "done": 0,
                "estimate": 0.0,
                "estimate_done": 0.0,
            },
        )
        person["cards"] += 1
        person["estimate"] += estimate or 0
        entry = {"card_id": card.id, "title": card.title, "estimate": estimate}
        if done:
            completed.add(estimate)
            person["done"] += 1
            person["estimate_done"] += estimate or 0
        elif closed:
            carried.append({**entry, "to": row.outcome})
        else:
            unfinished.append(entry)
    titles = {card.id: card.title for _row, card, _kind in members}
    changes = db.session.scalars(
        select(SprintScopeChange)
        .where(SprintScopeChange.sprint_id == sprint.id)
        .options(selectinload(SprintScopeChange.actor))
        .order_by(SprintScopeChange.at, SprintScopeChange.id)
    ).all()
    scope = {"added": [], "removed": []}
    for change in changes:
        scope[change.change].append(
            {
                "card_id": change.card_id,
                "title": titles.get(change.card_id, ""),
                "estimate": change.estimate,
                "at": _iso(change.at),
                "by": change.actor.login if change.actor else None,
                "by_name": change.actor.name if change.actor else None,
            }
        )
    moved = []
    if sprint.started_at is not None and members:
        until = sprint.closed_at or utcnow()
        query = (
            select(DeadlineChange)
            .where(
                DeadlineChange.card_id.in_(list(titles)),
                DeadlineChange.at >= sprint.started_at,
                DeadlineChange.at <= until,
            )
            .options(selectinload(DeadlineChange.actor))
            .order_by(DeadlineChange.at, DeadlineChange.id)
        )
        for change in db.session.scalars(query):
            moved.append(
                {
                    "card_id": change.card_id,
                    "title": titles[change.card_id],
                    "old": _iso(change.old_date),
                    "new": _iso(change.new_date),
                    "reason": change.reason,
                    "by": change.actor.login if change.actor else None,
                    "by_name": change.actor.name if change.actor else None,
                    "at": _iso(change.at),
                }
            )
    _name_next_sprints(sprint, carried)
    people = sorted(per_person.values(), key=lambda p: (p["name"] is None, p["name"] or ""))
    return Review(
        sprint=sprint,
        committed=committed,
        completed=completed,
        added=scope["added"],
        removed=scope["removed"],
        carried_over=carried,
        unfinished=unfinished,
        deadline_changes=moved,
        people=people,
    )


# --- burndown -----------------------------------------------------------------------------------


@dataclass
class BurndownDay:
    day: date
    ideal: float
    remaining: int | None  # None for days still to come
    scope: int | None


def burndown(sprint: Sprint, today: date | None = None, calendar=None) -> list[BurndownDay]:
    """Cards remaining at the end of each sprint day, from the audit events, next to the ideal
    line: the committed count burning down evenly over the working days."""
    board = sprint.board
    zone = board.unit.timezone
    calendar = calendar or calendar_of(board)
    today = today or local_today(board)
    days = [
        sprint.start_date + timedelta(days=offset)
        for offset in range((sprint.end_date - sprint.start_date).days + 1)
    ]
    committed = db.session.scalar(
        select(func.count(SprintCard.id)).where(
            SprintCard.sprint_id == sprint.id, SprintCard.committed.is_(True)
        )
    )
    working = [calendar.is_working_day(day) for day in days]
    total_working = sum(working) or 1
    ideal, burnt = [], 0
    for is_working in working:
        burnt += is_working
        ideal.append(round(committed * (1 - burnt / total_working), 2))
    if sprint.started_at is None:
        return [BurndownDay(day, ideal[i], None, None) for i, day in enumerate(days)]

    # Scope at the end of a day: committed + added - removed up to then.
    scope_delta: dict[date, int] = {}
    for change, at in db.session.execute(
        select(SprintScopeChange.change, SprintScopeChange.at).where(
            SprintScopeChange.sprint_id == sprint.id
        )
    ):
        day = local_date(at, zone)
        scope_delta[day] = scope_delta.get(day, 0) + (1 if change == "added" else -1)
    # Membership intervals, to count only done cards that are in the sprint that day.
    member_rows = db.session.execute(
        select(SprintCard.card_id, SprintCard.committed, SprintCard.removed_at).where(
            SprintCard.sprint_id == sprint.id
        )
    ).all()
    added_on = {
        card_id: local_date(at, zone)
        for card_id, at in db.session.execute(
            select(SprintScopeChange.card_id, func.max(SprintScopeChange.at))
            .where(SprintScopeChange.sprint_id == sprint.id, SprintScopeChange.change == "added")
            .group_by(SprintScopeChange.card_id)
        )
    }
    card_ids = [row.card_id for row in member_rows]
    done_columns = set(
        db.session.scalars(
            select(BoardColumn.id).where(
                BoardColumn.board_id == board.id, BoardColumn.kind == "done"
            )
        )
    )
    # Whether each card was in a done column at the end of each day: its moves, oldest first.
    transitions: dict[int, list[tuple[date, bool]]] = {}
    to_column = Event.data["to_column_id"].as_integer()
    if card_ids:
        for card_id, at, column_id in db.session.execute(
            select(Event.card_id, Event.at, to_column)
            .where(Event.card_id.in_(card_ids), Event.kind == "moved")
            .order_by(Event.at, Event.id)
        ):
            transitions.setdefault(card_id, []).append(
                (local_date(at, zone), column_id in done_columns)
            )
    end = min(today, local_date(sprint.closed_at, zone) if sprint.closed_at else today)
    start_day = local_date(sprint.started_at, zone)
    result = []
    scope = committed
    for i, day in enumerate(days):
        scope += scope_delta.get(day, 0)
        if day > end:
            result.append(BurndownDay(day, ideal[i], None, None))
            continue
        if day < start_day:
            # Before a late start nothing is burnt yet.
            result.append(BurndownDay(day, ideal[i], committed, committed))
            continue
        done = 0
        for row in member_rows:
            if not row.committed and row.card_id not in added_on:
                continue
            if row.card_id in added_on and added_on[row.card_id] > day:
                continue
            if row.removed_at is not None and local_date(row.removed_at, zone) <= day:
                continue
            state = False
            for moved_on, is_done in transitions.get(row.card_id, ()):
                if moved_on > day:
                    break
                state = is_done
            done += state
        result.append(BurndownDay(day, ideal[i], scope - done, scope))
    return result
