"""Read helpers for plugins' periodic work over many cards (SLA clocks, reminders), re-exported
by `cergas.plugin`. They stream: `scan_cards` yields batches by card id, so a tick over a
hundred thousand cards never holds them all in memory, and each batch costs one query.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import or_, select

from app.extensions import db
from app.models import Board, BoardColumn, Card, Event
from app.plugin_views import for_plugins
from app.services import access

DEFAULT_BATCH = 2000


class CardClock(NamedTuple):
    """The timing facts of a card: when it came in, started, finished, and where it is now.
    (A named tuple: a tick builds a hundred thousand of them.)"""

    id: int
    board_id: int
    unit_id: int
    type: str
    title: str
    column_id: int
    column_kind: str  # backlog | active | done
    assignee_id: int | None
    created_at: datetime  # naive UTC, like every time below
    first_active_at: datetime | None
    done_at: datetime | None


class CardMove(NamedTuple):
    at: datetime  # naive UTC
    from_column_id: int | None
    to_column_id: int | None


def scan_cards(
    board_ids, *, kinds=("backlog", "active", "done"), types=None, batch_size=DEFAULT_BATCH
) -> Iterator[list[CardClock]]:
    """Batches of the cards of these boards in columns of the given kinds (and, optionally, of
    the given card types), board by board and by card id within a board; one query per batch
    (and at least one per board).

    Paging walks each board on its own (`board_id = ? AND id > ? ORDER BY id`), which the
    index on cards.board_id answers without re-reading the cards of earlier pages."""
    ids = sorted({board_id for board_id in board_ids if isinstance(board_id, int)})
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    pending: list[CardClock] = []
    for board_id in ids:
        after = 0
        while True:
            query = (
                select(
                    Card.id,
                    Card.board_id,
                    Board.unit_id,
                    Card.type,
                    Card.title,
                    Card.column_id,
                    BoardColumn.kind,
                    Card.assignee_id,
                    Card.created_at,
                    Card.first_active_at,
                    Card.done_at,
                )
                .join(BoardColumn, BoardColumn.id == Card.column_id)
                .join(Board, Board.id == Card.board_id)
                .where(
                    Card.board_id == board_id,
                    Card.id > after,
                    BoardColumn.kind.in_(tuple(kinds)),
                )
                # board_id first (a constant here): PostgreSQL then reads the board's index
                # instead of walking the primary key past every other board's cards.
                .order_by(Card.board_id, Card.id)
                .limit(batch_size)
            )
            if types is not None:
                query = query.where(Card.type.in_(tuple(types)))
            rows = [CardClock._make(row) for row in db.session.execute(query)]
            pending.extend(rows)
            while len(pending) >= batch_size:
                yield pending[:batch_size]
                pending = pending[batch_size:]
            if len(rows) < batch_size:
                break
            after = rows[-1].id
    if pending:
        yield pending


def card_moves(card_ids, *, touching=None) -> dict[int, list[CardMove]]:
    """card id -> its moves between columns, oldest first, in one query; every id asked for is
    a key. With `touching` (column ids), only the cards that ever moved into or out of one of
    those columns get their moves (the others map to []; two queries): far fewer rows for a
    tick that only cares about, say, pause columns."""
    ids = {card_id for card_id in card_ids if isinstance(card_id, int)}
    result: dict[int, list[CardMove]] = {card_id: [] for card_id in ids}
    if not ids:
        return result
    query = select(Event.card_id, Event.at, Event.data).where(
        Event.card_id.in_(ids), Event.kind == "moved"
    )
    if touching is not None:
        columns = [column_id for column_id in touching if isinstance(column_id, int)]
        if not columns:
            return result
        # Two short queries (which cards touched those columns, then their moves) rather than
        # one with a subquery: PostgreSQL plans the pair far better.
        touched = set(
            db.session.scalars(
                select(Event.card_id).where(
                    Event.card_id.in_(ids),
                    Event.kind == "moved",
                    or_(
                        Event.data["to_column_id"].as_integer().in_(columns),
                        Event.data["from_column_id"].as_integer().in_(columns),
                    ),
                )
            )
        )
        if not touched:
            return result
        query = select(Event.card_id, Event.at, Event.data).where(
            Event.card_id.in_(touched), Event.kind == "moved"
        )
    for card_id, at, data in db.session.execute(query.order_by(Event.at, Event.id)):
        data = data or {}
        result[card_id].append(CardMove(at, data.get("from_column_id"), data.get("to_column_id")))
    return result


def board_columns(board_ids) -> dict[int, list[tuple[int, str, str]]]:
    """board id -> [(column id, name, kind)] in board order, in one query."""
    ids = {board_id for board_id in board_ids if isinstance(board_id, int)}
    result: dict[int, list[tuple[int, str, str]]] = {board_id: [] for board_id in ids}
    if not ids:
        return result
    rows = db.session.execute(
        select(BoardColumn.board_id, BoardColumn.id, BoardColumn.name, BoardColumn.kind)
        .where(BoardColumn.board_id.in_(ids))
        .order_by(BoardColumn.board_id, BoardColumn.position, BoardColumn.id)
    )
    for board_id, column_id, name, kind in rows:
        result[board_id].append((column_id, name, kind))
    return result


@for_plugins
def heads_of_units(unit_ids) -> dict[int, list]:
    """unit id -> its active heads (`UserView`s, oldest membership first), then whoever acts as its
    head today (Plt/Plh); every id asked for is a key."""
    from app.models import Membership, User

    ids = {unit_id for unit_id in unit_ids if isinstance(unit_id, int)}
    result: dict[int, list] = {unit_id: [] for unit_id in ids}
    if not ids:
        return result
    rows = db.session.execute(
        select(Membership.unit_id, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.unit_id.in_(ids), Membership.role == "head", User.active.is_(True))
        .order_by(Membership.id)
    )
    for unit_id, user in rows:
        result[unit_id].append(user)
    acting = access.acting_heads_by_unit(ids)
    wanted = {user_id for items in acting.values() for user_id, _kind in items}
    if wanted:
        people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(wanted)))}
        for unit_id, items in acting.items():
            for user_id, _kind in items:
                if user_id in people and people[user_id] not in result[unit_id]:
                    result[unit_id].append(people[user_id])
    return result
