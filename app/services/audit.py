"""Writing and reading the append-only audit trail."""

from datetime import date

from sqlalchemy import func, insert, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Card, Event, User, utcnow
from app.services import live, webhooks
from app.services.access import visible_card


def _jsonable(value):
    if isinstance(value, date):
        return value.isoformat()
    return value


def _event_values(kind: str, actor: User | None, board_id: int, card_id, data: dict) -> dict:
    return {
        "kind": kind,
        "actor_id": actor.id if actor else None,
        "board_id": board_id,
        "card_id": card_id,
        "data": {key: _jsonable(value) for key, value in data.items()},
    }


def record(kind: str, actor: User | None, *, board_id: int, card_id: int | None = None, **data):
    """Add an event to the current transaction; it commits with the change it describes."""
    event = Event(**_event_values(kind, actor, board_id, card_id, data))
    db.session.add(event)
    live.note_change(kind, board_id, card_id, data)
    webhooks.emit(kind, actor, board_id, card_id, event.data)
    return event


_INSERT_EVENT = insert(Event.__table__)  # built once, like the statements of a move


def record_now(
    kind: str, actor: User | None, *, board_id: int, card_id: int | None = None, **data
) -> None:
    """`record`, written at once by one INSERT rather than at the next flush of the session's
    unit of work, for a move's writes under the board lock, which all bypass the unit of work.
    Anything the transaction has pending must be flushed first, or it would be written after
    this event."""
    values = _event_values(kind, actor, board_id, card_id, data)
    db.session.connection().execute(_INSERT_EVENT, {"at": utcnow(), **values})
    live.note_change(kind, board_id, card_id, data)
    webhooks.emit(kind, actor, board_id, card_id, values["data"])


def card_events(actor: User, card_id) -> tuple[Card, list[Event]]:
    """The card's history, oldest first."""
    card = visible_card(actor, card_id)
    events = db.session.scalars(
        select(Event)
        .where(Event.card_id == card.id)
        .options(selectinload(Event.actor))
        .order_by(Event.at, Event.id)
    ).all()
    return card, list(events)


def newest_event_id(board_id: int) -> int:
    """The id of the board's newest event (0: none yet); it grows with every committed write to
    the board (one index probe on `ix_events_board_id_id`)."""
    return db.session.scalar(select(func.max(Event.id)).where(Event.board_id == board_id)) or 0
