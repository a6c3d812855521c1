"""Sprint use cases: create, plan (commit cards), start (snapshot), change scope, close; and the
reads that find a sprint for an actor. The review and burndown are in `sprint_reports`.

Only heads of the board's unit (and admins) change sprints; whoever sees the board reads them.
The committed scope is snapshotted at start in `sprint_cards`; cards added or removed after the
start are recorded in `sprint_scope_changes` and shown in the review.
"""

from dataclasses import dataclass
from datetime import date

from flask import current_app, g, has_request_context
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import (
    GOAL_OUTCOMES,
    Board,
    BoardColumn,
    Card,
    Sprint,
    SprintCard,
    SprintScopeChange,
    User,
    utcnow,
)
from app.services import rhk as rhk_rules
from app.services import validation as v
from app.services.access import managed_board, visible_board
from app.services.audit import record
from app.services.errors import Conflict, Invalid, NotFound
from app.services.sprint_reports import local_today, review, working_days_left
from app.services.tx import lock_board, write_transaction

MAX_SPRINT_DAYS = 92
CARRY_CHOICES = ("next", "backlog")


def _plugins():
    return current_app.extensions["cergas_plugins"]


# --- reading ------------------------------------------------------------------------------------


def visible_sprint(actor: User, sprint_id) -> Sprint:
    sprint = db.session.get(Sprint, sprint_id) if isinstance(sprint_id, int) else None
    if sprint is None:
        raise NotFound("not_found", _("Sprint not found."))
    try:
        visible_board(actor, sprint.board_id)
    except NotFound:
        raise NotFound("not_found", _("Sprint not found.")) from None
    return sprint


def managed_sprint(actor: User, sprint_id) -> Sprint:
    sprint = visible_sprint(actor, sprint_id)
    managed_board(actor, sprint.board_id)
    return sprint


def board_sprints(actor: User, board_id) -> tuple[Board, list[Sprint]]:
    """The board and its sprints: active first, then planned by start date, then closed."""
    board = visible_board(actor, board_id)
    order = case({"active": 0, "planned": 1}, value=Sprint.state, else_=2)
    sprints = db.session.scalars(
        select(Sprint)
        .where(Sprint.board_id == board.id)
        .order_by(order, Sprint.start_date.desc(), Sprint.id.desc())
    ).all()
    return board, list(sprints)


def sprint_label(name: str) -> str:
    """How a sentence names a sprint: "Sprint 49" as it is, "Januari" as "Sprint Januari", so
    that no screen says "Sprint Sprint 49"."""
    if name.casefold().startswith("sprint"):
        return name
    return _("Sprint %(name)s", name=name)


def running_sprint(board_id: int) -> Sprint | None:
    """The board's active sprint for a page being drawn: read once per request (the sprint bar
    and the columns both ask). Writes use `active_sprint`, read under the board's lock."""
    if not has_request_context():
        return active_sprint(board_id)
    found = g.setdefault("_running_sprints", {})
    if board_id not in found:
        found[board_id] = active_sprint(board_id)
    return found[board_id]


def active_sprint(board_id: int) -> Sprint | None:
    return db.session.scalar(
        select(Sprint).where(Sprint.board_id == board_id, Sprint.state == "active")
    )


def next_planned_sprint(board_id: int, exclude: int | None = None) -> Sprint | None:
    query = select(Sprint).where(Sprint.board_id == board_id, Sprint.state == "planned")
    if exclude is not None:
        query = query.where(Sprint.id != exclude)
    return db.session.scalar(query.order_by(Sprint.start_date, Sprint.id).limit(1))


def sprint_cards(sprint: Sprint) -> list[Card]:
    """Cards in the sprint now (for a closed sprint: the cards it held at close)."""
    query = (
        select(Card)
        .join(SprintCard, SprintCard.card_id == Card.id)
        .where(SprintCard.sprint_id == sprint.id, SprintCard.removed_at.is_(None))
        .options(selectinload(Card.assignee), selectinload(Card.column))
        .order_by(Card.column_id, Card.position, Card.id)
    )
    return list(db.session.scalars(query))


def backlog_cards(sprint: Sprint) -> list[Card]:
    """Cards the head may commit: unfinished, on the board, in no open sprint."""
    open_sprint = select(Sprint.id).where(Sprint.state != "closed")
    query = (
        select(Card)
        .join(BoardColumn, Card.column_id == BoardColumn.id)
        .where(
            Card.board_id == sprint.board_id,
            BoardColumn.kind != "done",
            Card.archived_at.is_(None),
            (Card.sprint_id.is_(None)) | (Card.sprint_id.not_in(open_sprint)),
        )
        .options(selectinload(Card.assignee), selectinload(Card.column))
        .order_by(BoardColumn.position, Card.position, Card.id)
    )
    return list(db.session.scalars(query))


@dataclass
class SprintBar:
    """What the board header shows about the active sprint."""

    sprint: Sprint
    days_left: int
    committed: int
    in_scope: int
    done: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.in_scope) if self.in_scope else 0


def sprint_bar(board: Board, today: date | None = None) -> SprintBar | None:
    """The active sprint of a board with its progress: two queries whatever the card count."""
    sprint = running_sprint(board.id)
    if sprint is None:
        return None
    today = today or local_today(board)
    row = db.session.execute(
        select(
            func.count(SprintCard.id).filter(SprintCard.committed.is_(True)),
            func.count(SprintCard.id).filter(SprintCard.removed_at.is_(None)),
            func.count(SprintCard.id).filter(
                SprintCard.removed_at.is_(None), BoardColumn.kind == "done"
            ),
        )
        .select_from(SprintCard)
        .join(Card, Card.id == SprintCard.card_id)
        .join(BoardColumn, BoardColumn.id == Card.column_id)
        .where(SprintCard.sprint_id == sprint.id)
    ).one()
    return SprintBar(sprint, working_days_left(sprint, today), row[0], row[1], row[2])


# --- writing ------------------------------------------------------------------------------------


def clean_sprint(data: dict) -> dict:
    fields = v.Fields()
    cleaned = {
        "name": fields.clean("name", v.text, data.get("name"), field_max=120, required=True),
        "goal": fields.clean("goal", v.text, data.get("goal"), field_max=2000, required=True),
        "start": fields.clean("start", v.optional_date, data.get("start")),
        "end": fields.clean("end", v.optional_date, data.get("end")),
    }
    for name in ("start", "end"):
        if name not in fields.errors and cleaned[name] is None:
            fields.errors[name] = _("This field is required.")
    start, end = cleaned["start"], cleaned["end"]
    if start and end and "end" not in fields.errors:
        if end < start:
            fields.errors["end"] = _("The end date must be on or after the start date.")
        elif (end - start).days > MAX_SPRINT_DAYS:
            fields.errors["end"] = _("A sprint lasts at most %(n)d days.", n=MAX_SPRINT_DAYS)
    fields.raise_if_any()
    return cleaned


def create_sprint(actor: User, board_id, data: dict) -> Sprint:
    """A planned sprint with a name, a goal and its dates."""
    with write_transaction():
        board = managed_board(actor, board_id)
        cleaned = clean_sprint(data)
        # The head's RHK the goal serves (issue 27; the rule is app/services/rhk.py's).
        try:
            goal_rhk_id = rhk_rules.clean_goal_rhk(data.get("goal_rhk_id"), board, cleaned["start"])
        except v.FieldError as exc:
            raise v.invalid({"goal_rhk_id": str(exc)}) from None
        sprint = Sprint(
            board_id=board.id,
            name=cleaned["name"],
            goal=cleaned["goal"],
            goal_rhk_id=goal_rhk_id,
            start_date=cleaned["start"],
            end_date=cleaned["end"],
            state="planned",
            created_by_id=actor.id,
            review_note="",
        )
        db.session.add(sprint)
        db.session.flush()
        record(
            "sprint_created",
            actor,
            board_id=board.id,
            sprint_id=sprint.id,
            name=sprint.name,
            goal=sprint.goal,
            start=sprint.start_date,
            end=sprint.end_date,
            **({"goal_rhk_id": goal_rhk_id} if goal_rhk_id else {}),
        )
    return sprint


def _open_for_changes(sprint: Sprint) -> None:
    if sprint.state == "closed":
        raise Conflict("sprint_closed", _("This sprint is closed; its scope no longer changes."))


def _card_ids(values) -> list[int]:
    if not isinstance(values, list | tuple) or not values:
        raise v.invalid({"card_ids": _("Choose at least one card.")})
    ids: list[int] = []
    for value in values:
        try:
            card_id = v.record_id(value)
        except v.FieldError:
            raise v.invalid({"card_ids": _("Card ids must be whole numbers.")}) from None
        if card_id not in ids:
            ids.append(card_id)
    if len(ids) > 500:
        raise v.invalid({"card_ids": _("At most %(n)d cards at once.", n=500)})
    return ids


def add_cards(actor: User, sprint_id, card_ids) -> list[Card]:
    """Commit cards to a sprint. After the start each one is recorded as a scope change."""
    ids = _card_ids(card_ids)
    with write_transaction():
        sprint = managed_sprint(actor, sprint_id)
        lock_board(sprint.board_id)
        db.session.refresh(sprint)
        _open_for_changes(sprint)
        found = db.session.scalars(
            select(Card)
            .where(Card.id.in_(ids), Card.board_id == sprint.board_id)
            .options(selectinload(Card.column))
        ).all()
        by_id = {card.id: card for card in found}
        missing = [str(card_id) for card_id in ids if card_id not in by_id]
        if missing:
            raise v.invalid(
                {"card_ids": _("This board has no cards %(ids)s.", ids=", ".join(missing))}
            )
        other_ids = {c.sprint_id for c in found if c.sprint_id not in (None, sprint.id)}
        open_other = set()
        if other_ids:
            open_other = set(
                db.session.scalars(
                    select(Sprint.id).where(Sprint.id.in_(other_ids), Sprint.state != "closed")
                )
            )
        refused = [
            card.title
            for card in found
            if card.column.kind == "done"
            or card.sprint_id in open_other
            or card.archived_at is not None  # archived cards are read-only
        ]
        if refused:
            raise Invalid(
                "card_not_available",
                _(
                    "Only unfinished cards that are in no other open sprint can be added: "
                    "%(titles)s.",
                    titles="; ".join(refused),
                ),
                {"card_ids": _("Some cards are finished or in another sprint.")},
            )
        rows = {
            row.card_id: row
            for row in db.session.scalars(
                select(SprintCard).where(
                    SprintCard.sprint_id == sprint.id, SprintCard.card_id.in_(ids)
                )
            )
        }
        added = []
        now = utcnow()
        for card_id in ids:
            card = by_id[card_id]
            row = rows.get(card_id)
            if row is not None and row.removed_at is None:
                continue
            if row is None:
                db.session.add(SprintCard(sprint_id=sprint.id, card_id=card.id, added_at=now))
            else:
                row.removed_at = None
                row.added_at = now
            card.sprint_id = sprint.id
            if sprint.state == "active":
                db.session.add(
                    SprintScopeChange(
                        sprint_id=sprint.id,
                        card_id=card.id,
                        change="added",
                        estimate=card.estimate,
                        actor_id=actor.id,
                        at=now,
                    )
                )
            record(
                "sprint_card_added",
                actor,
                board_id=sprint.board_id,
                card_id=card.id,
                sprint_id=sprint.id,
                sprint=sprint.name,
                after_start=sprint.state == "active",
            )
            added.append(card)
    return added


def remove_card(actor: User, sprint_id, card_id) -> Card:
    """Take a card out of a sprint; after the start the removal is recorded as a scope change."""
    try:
        card_id = v.record_id(card_id)
    except v.FieldError as exc:
        raise v.invalid({"card_id": str(exc)}) from None
    with write_transaction():
        sprint = managed_sprint(actor, sprint_id)
        lock_board(sprint.board_id)
        db.session.refresh(sprint)
        _open_for_changes(sprint)
        row = db.session.scalar(
            select(SprintCard).where(
                SprintCard.sprint_id == sprint.id,
                SprintCard.card_id == card_id,
                SprintCard.removed_at.is_(None),
            )
        )
        if row is None:
            raise NotFound("not_found", _("That card is not in this sprint."))
        card = db.session.get(Card, card_id)
        now = utcnow()
        if sprint.state == "planned":
            db.session.delete(row)
        else:
            row.removed_at = now
            db.session.add(
                SprintScopeChange(
                    sprint_id=sprint.id,
                    card_id=card.id,
                    change="removed",
                    estimate=card.estimate,
                    actor_id=actor.id,
                    at=now,
                )
            )
        card.sprint_id = None
        record(
            "sprint_card_removed",
            actor,
            board_id=sprint.board_id,
            card_id=card.id,
            sprint_id=sprint.id,
            sprint=sprint.name,
            after_start=sprint.state == "active",
        )
    return card


def starts_early(sprint: Sprint, today: date | None = None) -> bool:
    """Whether starting the sprint now would be before its start date (the unit's today)."""
    return (today or local_today(sprint.board)) < sprint.start_date


def closes_early(sprint: Sprint, today: date | None = None) -> bool:
    """Whether closing the sprint now would be before its end date (the unit's today)."""
    return (today or local_today(sprint.board)) < sprint.end_date


def start_sprint(actor: User, sprint_id, *, confirm_early: bool = True) -> Sprint:
    """Start a planned sprint: snapshot its cards and their estimates as the commitment.
    With `confirm_early=False` a start before the start date is refused (409
    `sprint_starts_early`) so that the page can ask first."""
    with write_transaction():
        sprint = managed_sprint(actor, sprint_id)
        lock_board(sprint.board_id)
        db.session.refresh(sprint)
        if sprint.state != "planned":
            raise Conflict("sprint_not_planned", _("Only a planned sprint can be started."))
        if not confirm_early and starts_early(sprint):
            raise Conflict(
                "sprint_starts_early",
                _(
                    "%(sprint)s is planned to start on %(date)s. Confirm that it starts today.",
                    sprint=sprint_label(sprint.name),
                    date=format_date(sprint.start_date, "d MMMM yyyy"),
                ),
                {"confirm_early": _("Tick this to start the sprint before its start date.")},
            )
        running = active_sprint(sprint.board_id)
        if running is not None:
            raise Conflict(
                "sprint_already_active",
                _(
                    "%(sprint)s is still running on this board; close it first.",
                    sprint=sprint_label(running.name),
                ),
            )
        rows = db.session.execute(
            select(SprintCard, Card.estimate)
            .join(Card, Card.id == SprintCard.card_id)
            .where(SprintCard.sprint_id == sprint.id, SprintCard.removed_at.is_(None))
        ).all()
        if not rows:
            raise Conflict(
                "sprint_empty", _("Commit at least one card to the sprint before starting it.")
            )
        for row, estimate in rows:
            row.committed = True
            row.estimate_at_start = estimate
        sprint.state = "active"
        sprint.started_at = utcnow()
        db.session.flush()
        record(
            "sprint_started",
            actor,
            board_id=sprint.board_id,
            sprint_id=sprint.id,
            name=sprint.name,
            goal=sprint.goal,
            committed=len(rows),
            committed_estimate=sum(estimate or 0 for _row, estimate in rows),
        )
        _plugins().after("cergas_sprint_started", sprint=sprint, actor=actor, board=sprint.board)
    return sprint


def _clean_close(sprint: Sprint, goal_met, note, carry_over, next_sprint_id):
    fields = v.Fields()
    goal_met = fields.clean("goal_met", v.choice, goal_met, GOAL_OUTCOMES)
    note = fields.clean("note", v.text, note, field_max=5000)
    if goal_met in ("partly", "no") and not note and "note" not in fields.errors:
        fields.errors["note"] = _("Say what slipped and why when the goal was not fully met.")
    if isinstance(carry_over, dict):
        choices = {}
        for key, value in carry_over.items():
            try:
                card_id = v.record_id(key)
            except v.FieldError:
                fields.errors["carry_over"] = _("Card ids must be whole numbers.")
                break
            if value not in CARRY_CHOICES:
                fields.errors[f"carry_over.{card_id}"] = _(
                    "Choose one of: %(options)s.", options=", ".join(CARRY_CHOICES)
                )
            choices[card_id] = value
        carry_over = choices
    else:
        carry_over = fields.clean(
            "carry_over", v.choice, carry_over, CARRY_CHOICES, default="backlog"
        )
    target = None
    if next_sprint_id not in (None, ""):
        try:
            target_id = v.record_id(next_sprint_id)
        except v.FieldError as exc:
            fields.errors["next_sprint_id"] = str(exc)
        else:
            target = db.session.get(Sprint, target_id)
            if target is None or target.board_id != sprint.board_id or target.state != "planned":
                fields.errors["next_sprint_id"] = _("Choose a planned sprint of this board.")
                target = None
    fields.raise_if_any()
    return goal_met, note, carry_over, target


def close_sprint(
    actor: User,
    sprint_id,
    goal_met,
    note="",
    carry_over="backlog",
    next_sprint_id=None,
    *,
    confirm_early: bool = True,
) -> Sprint:
    """Close the active sprint with the head's verdict on the goal. Unfinished cards go to the
    next planned sprint or back to the backlog: `carry_over` is "next"/"backlog" for all of
    them, or {card_id: "next"|"backlog"} per card (cards not named go to the backlog). With
    `confirm_early=False` a close before the end date is refused (409 `sprint_closes_early`)."""
    with write_transaction():
        sprint = managed_sprint(actor, sprint_id)
        lock_board(sprint.board_id)
        db.session.refresh(sprint)
        if sprint.state != "active":
            raise Conflict("sprint_not_active", _("Only an active sprint can be closed."))
        if not confirm_early and closes_early(sprint):
            raise Conflict(
                "sprint_closes_early",
                _(
                    "%(sprint)s runs until %(date)s. Confirm that it closes early.",
                    sprint=sprint_label(sprint.name),
                    date=format_date(sprint.end_date, "d MMMM yyyy"),
                ),
                {"confirm_early": _("Tick this to close the sprint before its end date.")},
            )
        goal_met, note, carry_over, target = _clean_close(
            sprint, goal_met, note, carry_over, next_sprint_id
        )
        rows = db.session.execute(
            select(SprintCard, Card, BoardColumn.kind)
            .join(Card, Card.id == SprintCard.card_id)
            .join(BoardColumn, BoardColumn.id == Card.column_id)
            .where(SprintCard.sprint_id == sprint.id, SprintCard.removed_at.is_(None))
        ).all()
        unfinished = {card.id for _row, card, kind in rows if kind != "done"}
        if isinstance(carry_over, dict):
            strangers = sorted(set(carry_over) - unfinished)
            if strangers:
                raise v.invalid(
                    {"carry_over": _("Only unfinished cards of this sprint can be carried over.")}
                )
            choice_of = {card_id: carry_over.get(card_id, "backlog") for card_id in unfinished}
        else:
            choice_of = dict.fromkeys(unfinished, carry_over)
        if "next" in choice_of.values() and target is None:
            target = next_planned_sprint(sprint.board_id, exclude=sprint.id)
            if target is None:
                raise Invalid(
                    "no_next_sprint",
                    _(
                        "There is no planned sprint to carry cards to. Plan one, or send the "
                        "unfinished cards back to the backlog."
                    ),
                    {"carry_over": _("No planned sprint on this board.")},
                )
        now = utcnow()
        for row, card, kind in rows:
            row.estimate_at_close = card.estimate
            row.assignee_at_close_id = card.assignee_id
            if kind == "done":
                row.outcome = "done"
                continue
            row.outcome = choice_of[card.id]
            if row.outcome == "next":
                card.sprint_id = target.id
                db.session.add(SprintCard(sprint_id=target.id, card_id=card.id, added_at=now))
            else:
                card.sprint_id = None
            record(
                "sprint_carried_over",
                actor,
                board_id=sprint.board_id,
                card_id=card.id,
                sprint_id=sprint.id,
                to=row.outcome,
                to_sprint_id=target.id if row.outcome == "next" else None,
            )
        sprint.state = "closed"
        sprint.closed_at = now
        sprint.goal_met = goal_met
        sprint.review_note = note or ""
        db.session.flush()
        summary = review(sprint)
        record(
            "sprint_closed",
            actor,
            board_id=sprint.board_id,
            sprint_id=sprint.id,
            goal_met=goal_met,
            note=note,
            committed=summary.committed.cards,
            completed=summary.completed.cards,
        )
        _plugins().after(
            "cergas_sprint_closed",
            sprint=sprint,
            review=summary.to_dict(),
            actor=actor,
            board=sprint.board,
        )
    return sprint
