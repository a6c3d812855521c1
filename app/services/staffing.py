"""Read helpers about people and their work across a unit, for plugins (re-exported by
`cergas.plugin`): who belongs to a unit tree, how much active work each person carries, and the
cards of a unit's boards over a period. Each answers in one query (plus the cached unit tree).
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app import clock
from app.extensions import db
from app.models import Board, BoardColumn, Card, Membership, Unit, User
from app.plugin_views import for_plugins
from app.services import access


@dataclass(frozen=True)
class ActiveLoad:
    """What one person holds right now in `active` columns, over every board."""

    active_cards: int = 0
    estimated_hours: float = 0.0
    unestimated: int = 0  # active cards without an estimate
    overdue: int = 0  # active cards past their due date (`today` given to `active_load`)


def unit_tree_ids(unit: Unit | int) -> set[int]:
    """The unit and every unit below it (Dinas > Bidang > Seksi)."""
    return access.subtree(unit if isinstance(unit, int) else unit.id)


@for_plugins
def unit_people(unit_ids, *, roles=("member", "head")) -> list[User]:
    """Active people with a membership (of one of `roles`) in any of `unit_ids`, by name, each
    once; one query."""
    ids = {int(uid) for uid in unit_ids}
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.active.is_(True),
                User.id.in_(
                    select(Membership.user_id).where(
                        Membership.unit_id.in_(ids), Membership.role.in_(roles)
                    )
                ),
            )
            .order_by(User.name, User.id)
        )
    )


def active_load(user_ids, today: date | None = None) -> dict[int, ActiveLoad]:
    """user id -> ActiveLoad (cards in `active` columns over all boards), one query; every id
    asked for is a key (people without active cards get zeros)."""
    ids = {int(uid) for uid in user_ids}
    result = {uid: ActiveLoad() for uid in ids}
    if not ids:
        return result
    today = today or clock.today()
    overdue = func.sum(func.coalesce((Card.due_date < today).cast(db.Integer), 0))
    rows = db.session.execute(
        select(
            Card.assignee_id,
            func.count(Card.id),
            func.coalesce(func.sum(Card.estimate), 0.0),
            func.count(Card.id) - func.count(Card.estimate),
            overdue,
        )
        .join(BoardColumn, BoardColumn.id == Card.column_id)
        .where(Card.assignee_id.in_(ids), BoardColumn.kind == "active", Card.archived_at.is_(None))
        .group_by(Card.assignee_id)
    )
    for user_id, count, hours, unestimated, late in rows:
        result[user_id] = ActiveLoad(int(count), float(hours), int(unestimated), int(late or 0))
    return result


@for_plugins
def unit_cards(unit_ids, start: datetime, end: datetime) -> list[Card]:
    """Cards of the boards of `unit_ids` that existed at some time in [start, end] (created by
    `end`, not done before `start`), with board, column and assignee loaded; one query for the
    cards (plus one per loaded relation kind, independent of the number of cards)."""
    ids = {int(uid) for uid in unit_ids}
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Card)
            .join(Board, Board.id == Card.board_id)
            .where(
                Board.unit_id.in_(ids),
                Card.created_at <= end,
                or_(Card.done_at.is_(None), Card.done_at >= start),
            )
            .options(
                selectinload(Card.board),
                selectinload(Card.column),
                selectinload(Card.assignee),
            )
            .order_by(Card.id)
        )
    )


@for_plugins
def units_managed_by(user: User) -> list[Unit]:
    """The units a user heads, directly or through a unit above (all units for an admin), by
    code; one query (plus the cached unit tree)."""
    ids = access.managed_unit_ids(user)
    if not ids:
        return []
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.code)))
