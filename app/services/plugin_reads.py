"""Read helpers for plugins that look across a board or a unit (workload, reports), re-exported
by `cergas.plugin`. Each answers in a fixed number of queries, whatever the number of people
or cards, and returns light rows instead of ORM objects where a page may read thousands.

Visibility follows `app.services.access`: what the user may not see is 404.
"""

import json
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import Text, or_, select, type_coerce

from app.extensions import db
from app.models import Board, BoardColumn, Card, Event, Membership, Unit, User
from app.plugin_views import for_plugins
from app.services import access, cards
from app.services.errors import NotFound


@dataclass(frozen=True)
class CardRow:
    """What a card is now, without its description or history."""

    id: int
    board_id: int
    title: str
    column_id: int
    column_kind: str  # backlog | active | done
    assignee_id: int | None
    estimate: float | None
    due_date: date | None
    labels: tuple[str, ...]
    version: int


class EventRow:
    """One audit event (see `GET /api/v1/cards/<id>/events` for the kinds and their data).
    `data` is decoded on first use: a replay that only needs the kind and time of most events
    does not pay for parsing their JSON."""

    __slots__ = ("id", "card_id", "board_id", "kind", "at", "_data")

    def __init__(self, id, card_id, board_id, kind, at, data):
        self.id = id
        self.card_id = card_id
        self.board_id = board_id
        self.kind = kind
        self.at = at  # naive UTC
        self._data = data

    @property
    def data(self) -> dict:
        if isinstance(self._data, str | bytes):
            self._data = json.loads(self._data)
        return self._data if self._data is not None else {}

    def __repr__(self) -> str:
        return f"<EventRow {self.id} {self.kind} card {self.card_id} at {self.at}>"


@for_plugins
def visible_board(user: User, board_id) -> Board:
    """The board (a `BoardView`) if the user may see it; else NotFound (404)."""
    return access.visible_board(user, board_id)


@for_plugins
def visible_unit(user: User, code) -> Unit:
    """The unit (a `UnitView`) with this code if the user may see its boards (a member of it, a
    head of it or of a unit above, an admin); else NotFound (404)."""
    unit = None
    if isinstance(code, str) and code.strip() and "\x00" not in code and len(code) <= 40:
        unit = db.session.scalar(select(Unit).where(Unit.code == code.strip()))
    if unit is None or unit.id not in access.visible_unit_ids(user):
        raise NotFound("not_found", _("Unit not found."))
    return unit


@for_plugins
def visible_units(user: User) -> list[Unit]:
    """Every unit (`UnitView`s) whose boards the user may see, by name."""
    ids = access.visible_unit_ids(user)
    if not ids:
        return []
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.name)))


@for_plugins
def unit_boards(user: User, unit: Unit) -> list[Board]:
    """The boards (`BoardView`s) of the unit and of every unit below it that the user may see,
    by name."""
    return list(
        db.session.scalars(
            select(Board)
            .where(Board.unit_id.in_(access.subtree(unit.id)), access.visible_boards_clause(user))
            .order_by(Board.name, Board.id)
        )
    )


@for_plugins
def users_by_logins(logins) -> dict[str, User]:
    """login (NIP or username) -> user (a `UserView`), in one query; unknown logins are left out."""
    logins = {login for login in logins if isinstance(login, str) and login}
    if not logins:
        return {}
    rows = db.session.scalars(
        select(User).where(or_(User.nip.in_(logins), User.username.in_(logins)))
    )
    return {user.login: user for user in rows}


def card_rows(
    board_ids, *, kinds=("backlog", "active", "done"), done_since: datetime | None = None
) -> list[CardRow]:
    """The cards of these boards that sit in columns of the given kinds, in one query. With
    `done_since` (naive UTC), cards in done columns are left out when they got there before it
    (a history that reaches back to `done_since` needs no older done cards)."""
    ids = {board_id for board_id in board_ids if isinstance(board_id, int)}
    if not ids:
        return []
    recent = []
    if done_since is not None:
        recent.append(
            or_(BoardColumn.kind != "done", Card.done_at.is_(None), Card.done_at >= done_since)
        )
    # Core rows straight from the connection: no ORM bookkeeping for thousands of cards.
    rows = db.session.connection().execute(
        select(
            Card.id,
            Card.board_id,
            Card.title,
            Card.column_id,
            BoardColumn.kind,
            Card.assignee_id,
            Card.estimate,
            Card.due_date,
            type_coerce(Card.labels, Text),  # decoded below, faster than the JSON type
            Card.version,
        )
        .join(BoardColumn, BoardColumn.id == Card.column_id)
        .where(Card.board_id.in_(ids), BoardColumn.kind.in_(tuple(kinds)), *recent)
        .order_by(Card.id)
    )
    return [
        CardRow(
            id=row[0],
            board_id=row[1],
            title=row[2],
            column_id=row[3],
            column_kind=row[4],
            assignee_id=row[5],
            estimate=row[6],
            due_date=row[7],
            labels=_labels(row[8]),
            version=row[9],
        )
        for row in rows
    ]


def _labels(value) -> tuple[str, ...]:
    """Labels as stored: JSON text on SQLite, already a list from PostgreSQL's driver."""
    if isinstance(value, str | bytes):
        value = json.loads(value) if value not in ("[]", b"[]") else ()
    return tuple(value or ())


def column_kinds(board_ids) -> dict[int, str]:
    """column id -> kind for every column of these boards, in one query."""
    ids = {board_id for board_id in board_ids if isinstance(board_id, int)}
    if not ids:
        return {}
    rows = db.session.execute(
        select(BoardColumn.id, BoardColumn.kind).where(BoardColumn.board_id.in_(ids))
    )
    return dict(rows.all())


def card_events_since(board_ids, since: datetime, kinds=None) -> list[EventRow]:
    """The audit events of these boards' cards at or after `since` (naive UTC), oldest first,
    optionally only of the given kinds; one query."""
    ids = {board_id for board_id in board_ids if isinstance(board_id, int)}
    if not ids:
        return []
    # The JSON column as its stored text (SQLite; PostgreSQL's driver hands over a dict): decoded
    # only when a caller reads `EventRow.data`.
    raw = type_coerce(Event.data, Text)
    query = select(Event.id, Event.card_id, Event.board_id, Event.kind, Event.at, raw).where(
        Event.board_id.in_(ids), Event.at >= since, Event.card_id.is_not(None)
    )
    if kinds is not None:
        query = query.where(Event.kind.in_(tuple(kinds)))
    rows = db.session.connection().execute(query.order_by(Event.at, Event.id))
    return [EventRow(*row) for row in rows]


@for_plugins
def assign_card(actor: User, card_id, assignee, *, version) -> Card:
    """Give a card to another person (a user view, a NIP or username, or None to unassign)
    through the core card service: permissions, the personal WIP limit, optimistic locking
    (`version`) and the `assigned` audit event all apply. Calls `cergas_card_updated` after the
    commit. Answers the card as a `CardView`."""
    return cards.update_card(actor, card_id, {"assignee": assignee}, version=version)


def memberships_of(user_ids) -> dict[int, list[tuple[int, str]]]:
    """user id -> [(unit id, role)] of each membership, then (unit id, "head") for each unit the
    person acts as head of today (Plt/Plh); every id asked for is a key. With `unit_tree_ids`
    this tells which unit boards a person may see without a query each."""
    ids = {user_id for user_id in user_ids if isinstance(user_id, int)}
    result: dict[int, list[tuple[int, str]]] = {user_id: [] for user_id in ids}
    if not ids:
        return result
    rows = db.session.execute(
        select(Membership.user_id, Membership.unit_id, Membership.role).where(
            Membership.user_id.in_(ids)
        )
    )
    for user_id, unit_id, role in rows:
        result[user_id].append((unit_id, role))
    for user_id, acting in access.acting_units_of(ids).items():
        for unit_id, _kind in acting:
            if (unit_id, "head") not in result[user_id]:
                result[user_id].append((unit_id, "head"))
    return result


def card_attachments(card) -> list:
    """The documents on a card now (`AttachmentInfo`: id, name, latest version number, its
    sha256, kind, media type, size, when and by whom it was uploaded), oldest first; removed
    documents are left out. One query. `card` is a `CardView` or a card id; no permission check
    (the plugin holds the card already)."""
    from app.plugin_views import row_of
    from app.services.attachments import infos_of

    row = row_of(card)
    return infos_of(row if isinstance(row, int) else row.id)


def cards_attachments(cards) -> dict[int, list]:
    """card id -> its documents now (as `card_attachments` lists them), for many cards (`CardView`s
    or ids) in two queries whatever their number; a card without documents is left out. For a
    board's badges or a list of cards."""
    from app.plugin_views import row_of
    from app.services.attachments import infos_by_card

    ids = []
    for card in cards:
        row = row_of(card)
        ids.append(row if isinstance(row, int) else row.id)
    return infos_by_card(ids)
