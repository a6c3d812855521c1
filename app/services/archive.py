"""The archive (issue 25): done cards leave the board, by hand or automatically after the board's
`archive_after_days`, and stay read-only in the card's history, reports, exports and search.

An archived card keeps its column (`column_id`), so a restore puts it back where it was (at the
end of the column); it no longer takes a place among the column's positions (the positions
`0..n-1` are those of the unarchived cards, `moves.SHIFT` touches only them) and no WIP limit
counts it. Every write use case on a card calls `require_not_archived` under the board lock.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Board, BoardColumn, Card, CardSearch, Event, User, utcnow

# `moves` imports this module's guard, so it is used as a module here (no import cycle).
from app.services import live, moves
from app.services import validation as v
from app.services.access import can_manage_board, visible_board, visible_card
from app.services.audit import record
from app.services.errors import Conflict, Forbidden, Invalid
from app.services.tx import lock_board, write_transaction

log = logging.getLogger(__name__)

REASON_MAX = 1000
# A board's archive delay: 0 (never) up to a year.
MAX_ARCHIVE_AFTER_DAYS = 365


def is_archived(card) -> bool:
    """Whether the card (a row or a plugin's card view) is archived."""
    return getattr(card, "archived_at", None) is not None


def require_not_archived(card) -> None:
    """Refuse any change of an archived card (409 `archived`)."""
    if is_archived(card):
        raise Conflict("archived", _("This card is archived; restore it first."))


def _plugins():
    return current_app.extensions["cergas_plugins"]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() + "Z" if moment is not None else None


def _locked_card(actor: User, card_id) -> Card:
    card = visible_card(actor, card_id)
    lock_board(card.board_id)
    db.session.refresh(card)
    return card


def _may_change_archive(actor: User, card: Card, what: str) -> None:
    """A card in a done column: whoever may move it. Any other card (a withdrawn request, say):
    the board's managers only."""
    if card.column.kind != "done" and not can_manage_board(actor, card.board):
        raise Forbidden(
            "archive_forbidden",
            _("Only a head of this unit may archive a card that is not done.")
            if what == "archive"
            else _("Only a head of this unit may restore a card that is not done."),
        )


def _close_gap(card: Card) -> None:
    """The unarchived cards below the card in its column move up one place."""
    db.session.execute(
        update(Card)
        .where(
            Card.column_id == card.column_id,
            Card.archived_at.is_(None),
            Card.position > card.position,
            Card.id != card.id,
        )
        .values(position=Card.position - 1)
        .execution_options(synchronize_session=False)
    )
    for obj in db.session.identity_map.values():
        if (
            obj is not card
            and isinstance(obj, Card)
            and obj.__dict__.get("column_id") == (card.column_id)
        ):
            db.session.expire(obj, ["position"])


def archive_card(actor: User, card_id, *, reason: str = "") -> Card:
    """Take a card off its board (read-only from now on). A card in a done column: anyone who
    may move it. A card that is not done: the board's managers, with a reason."""
    try:
        reason = v.text(reason, field_max=REASON_MAX)
    except v.FieldError as exc:
        raise v.invalid({"reason": str(exc)}) from None
    with write_transaction():
        card = _locked_card(actor, card_id)
        if is_archived(card):
            raise Conflict("archived", _("This card is already archived."))
        _may_change_archive(actor, card, "archive")
        done = card.column.kind == "done"
        if not done and not reason:
            raise Invalid(
                "archive_reason_required",
                _("Archiving a card that is not done needs a reason."),
                {"reason": _("Say why the card is archived before it is done.")},
            )
        now = utcnow()
        _close_gap(card)
        card.archived_at = now
        card.archived_by_id = actor.id
        card.version += 1
        card.updated_at = now
        data = {"column": card.column.name, "column_id": card.column_id}
        if reason:
            data["reason"] = reason
        record("archived", actor, board_id=card.board_id, card_id=card.id, **data)
        _plugins().after(
            "cergas_card_updated",
            card=card,
            changes={"archived_at": [None, _iso(now)]},
            actor=actor,
            board=card.board,
        )
    return card


def restore_card(actor: User, card_id, *, override_reason: str | None = None) -> Card:
    """Put an archived card back at the end of its column, under the column's hard WIP limit and
    the personal WIP limit (a manager may override them with a reason, as on a move)."""
    with write_transaction():
        card = _locked_card(actor, card_id)
        if not is_archived(card):
            raise Conflict("not_archived", _("This card is not archived."))
        _may_change_archive(actor, card, "restore")
        board = card.board
        counts = moves.load_columns_with_counts(board)
        column = next(c for c in board.columns if c.id == card.column_id)
        _warnings, overrides = moves.check_limits(
            actor,
            board,
            column,
            card.assignee,
            override_reason,
            entering_column=True,
            entering_active=column.kind == "active",
            card_id=card.id,
            counts=counts,
        )
        was = card.archived_at
        card.position = counts[column.id]
        card.archived_at = None
        card.archived_by_id = None
        card.version += 1
        card.updated_at = utcnow()
        record(
            "restored",
            actor,
            board_id=card.board_id,
            card_id=card.id,
            column=column.name,
            column_id=column.id,
        )
        moves.record_overrides(actor, card, overrides)
        _plugins().after(
            "cergas_card_updated",
            card=card,
            changes={"archived_at": [_iso(was), None]},
            actor=actor,
            board=board,
        )
    return card


# --- the periodic run --------------------------------------------------------------------------


def _due_boards() -> list[tuple[int, int]]:
    return list(
        db.session.execute(
            select(Board.id, Board.archive_after_days)
            .where(Board.archive_after_days > 0)
            .order_by(Board.id)
        ).all()
    )


def _done_columns(board_id: int) -> dict[int, str]:
    return dict(
        db.session.execute(
            select(BoardColumn.id, BoardColumn.name).where(
                BoardColumn.board_id == board_id, BoardColumn.kind == "done"
            )
        ).all()
    )


def _due_cards(columns, cutoff: datetime, batch: int) -> list:
    """At most `batch` due cards of these done columns, in no particular order: the partial
    index on a column's unarchived cards finds them without visiting the archived ones (an order
    by id would walk the primary key past every card archived by the batches before)."""
    return list(
        db.session.execute(
            select(Card.id, Card.column_id)
            .where(
                Card.column_id.in_(list(columns)),
                Card.archived_at.is_(None),
                Card.done_at < cutoff,
            )
            .limit(batch)
        ).all()
    )


def _renumber(column_ids) -> None:
    """Positions 0..n-1 again among the unarchived cards of these columns (few: the archived
    ones have left), writing only the rows whose place changes."""
    for column_id in column_ids:
        rows = db.session.execute(
            select(Card.id, Card.position)
            .where(Card.column_id == column_id, Card.archived_at.is_(None))
            .order_by(Card.position, Card.id)
        ).all()
        moved = [
            {"card_id": card_id, "new": index}
            for index, (card_id, position) in enumerate(rows)
            if position != index
        ]
        if moved:
            db.session.execute(
                update(Card.__table__)
                .where(Card.__table__.c.id == bindparam("card_id"))
                .values(position=bindparam("new")),
                moved,
            )


def _archive_batch(
    board_id: int, cutoff: datetime, now: datetime, batch: int
) -> tuple[int, set[int]]:
    """One short transaction under the board's lock: archive at most `batch` due cards of the
    board; (how many, the columns they left). Cards archived meanwhile (another tick)
    are not due any more under the lock, so a card is archived once."""
    with write_transaction():
        lock_board(board_id)
        columns = _done_columns(board_id)
        rows = _due_cards(columns, cutoff, batch) if columns else []
        if not rows:
            return 0, set()
        ids = [row.id for row in rows]
        db.session.execute(
            update(Card)
            .where(Card.id.in_(ids), Card.archived_at.is_(None))
            .values(
                archived_at=now,
                archived_by_id=None,
                version=Card.version + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        # The search index's copy of the flag, by hand: this statement bypasses the ORM, and
        # rewriting the cards' whole index rows would cost more than the archiving.
        db.session.execute(
            update(CardSearch)
            .where(CardSearch.card_id.in_(ids))
            .values(archived=True)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            insert(Event.__table__),
            [
                {
                    "kind": "archived",
                    "actor_id": None,
                    "board_id": board_id,
                    "card_id": row.id,
                    "at": now,
                    "data": {
                        "column": columns[row.column_id],
                        "column_id": row.column_id,
                        "automatic": True,
                    },
                }
                for row in rows
            ],
        )
        # One live message for the board: open pages redraw it.
        live.note_change("archived", board_id, None, {"automatic": True})
    return len(rows), {row.column_id for row in rows}


def _close_gaps(board_id: int, column_ids) -> None:
    """After a board's batches: positions 0..n-1 again in the columns the cards left, in one
    more short transaction (between the batches the remaining cards keep their order with gaps,
    which a move's shift handles like any order)."""
    with write_transaction():
        lock_board(board_id)
        _renumber(column_ids)


def archive_due(now: datetime | None = None, *, batch: int = 500) -> int:
    """The periodic run (`cergas tick`, `cergas cards archive-due`): archive the cards that have
    been in a done column for longer than their board's `archive_after_days`, in batches of at
    most `batch` cards, each its own short transaction under the board's lock. Idempotent, and
    safe with two runs at once. Answers how many cards were archived."""
    now = now or utcnow()
    batch = max(1, int(batch))
    total = 0
    for board_id, days in _due_boards():
        cutoff = now - timedelta(days=days)
        touched: set[int] = set()
        while True:
            done, left = _archive_batch(board_id, cutoff, now, batch)
            total += done
            touched |= left
            if done < batch:
                break
        if touched:
            _close_gaps(board_id, touched)
    if total:
        log.info("archived %d cards", total)
    return total


# The board header counts archived cards up to this many ("999+" beyond), so its cost stays
# bounded however large the archive grows.
COUNT_CAP = 1000


def archived_count(board_id: int, *, cap: int = COUNT_CAP) -> int:
    """How many archived cards a board has, counted up to `cap` (one index range scan)."""
    found = (
        select(Card.id)
        .where(Card.board_id == board_id, Card.archived_at.is_not(None))
        .limit(cap)
        .subquery()
    )
    return db.session.scalar(select(func.count()).select_from(found))


# --- reading the archive -----------------------------------------------------------------------

PAGE_SIZE = 50


@dataclass
class ArchivePage:
    """One page of a board's archive, newest first."""

    board: Board
    cards: list[Card]
    archived_by: dict[int, User]  # user id -> who archived (none for the periodic run)
    total: int
    page: int
    pages: int
    q: str


def archived_cards(actor: User, board_id, *, q: str = "", page: int = 1) -> ArchivePage:
    """A board's archived cards that `actor` may see, newest first, `PAGE_SIZE` a page,
    optionally only those whose title contains `q`. A constant number of queries."""
    board = visible_board(actor, board_id)
    q = " ".join((q or "").split())[:100]
    where = [Card.board_id == board.id, Card.archived_at.is_not(None)]
    if q:
        where.append(func.lower(Card.title).contains(q.lower(), autoescape=True))
    total = db.session.scalar(select(func.count(Card.id)).where(*where))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    cards = list(
        db.session.scalars(
            select(Card)
            .where(*where)
            .options(selectinload(Card.column), selectinload(Card.assignee))
            .order_by(Card.archived_at.desc(), Card.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
    )
    ids = {card.archived_by_id for card in cards if card.archived_by_id is not None}
    people = (
        {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))}
        if ids
        else {}
    )
    return ArchivePage(board, cards, people, total, page, pages, q)


def archiver(card: Card) -> User | None:
    """Who archived the card (None: not archived, or the periodic run)."""
    if card.archived_by_id is None:
        return None
    return db.session.get(User, card.archived_by_id)
