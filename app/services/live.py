"""Live board updates: which boards a write changed, published once the write has committed.

Every service write records an audit event (`audit.record`), and every event names its board
and card; `note_change` is called from there, so moves, edits, new cards, comments, plugin
actions and settings changes all reach open board pages without each service remembering to
publish. The changes of one transaction are collected and published after its commit as one
message per board: the cards touched, the columns to redraw (a moved card's old and new column,
which also carries the WIP counts and badges), or `full` when the board's shape may have changed
(columns added, renamed or removed, plugin settings).
"""

import contextvars
import logging

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.services import tx

log = logging.getLogger(__name__)

# Events about a board's shape rather than one card: open pages reload the whole board.
FULL_REFRESH_KINDS = {
    "board_updated",
    "column_added",
    "column_updated",
    "column_moved",
    "column_deleted",
    "plugin_settings_changed",
}

# (the transaction's after-commit list, {board_id: {"kinds", "cards", "columns", "full"}})
_pending: contextvars.ContextVar = contextvars.ContextVar("cergas_live_pending", default=None)


def _changes_of_this_transaction() -> dict | None:
    """The changes collected for the open write transaction (None: no transaction is open)."""
    queue = tx._after_commit.get()
    if queue is None:
        return None
    current = _pending.get()
    if current is not None and current[0] is queue:
        return current[1]
    changes: dict = {}
    _pending.set((queue, changes))
    tx.after_commit(lambda: publish_changes(changes))
    return changes


def note_change(kind: str, board_id: int, card_id: int | None = None, data: dict | None = None):
    """Remember that this transaction changed a board; published after commit."""
    if board_id is None:
        return
    changes = _changes_of_this_transaction()
    immediate = changes is None
    if immediate:
        changes = {}
    entry = changes.setdefault(
        board_id, {"kinds": set(), "cards": set(), "columns": set(), "full": False, "at": {}}
    )
    entry["kinds"].add(kind)
    if card_id is not None:
        entry["cards"].add(card_id)
    for key in ("from_column_id", "to_column_id"):
        value = (data or {}).get(key)
        if isinstance(value, int):
            entry["columns"].add(value)
    if (
        card_id is not None
        and kind == "moved"
        and isinstance((data or {}).get("to_column_id"), int)
    ):
        # Where the card now is, so publishing need not read it back.
        entry["at"][card_id] = data["to_column_id"]
    if kind in FULL_REFRESH_KINDS or card_id is None:
        entry["full"] = True
    if immediate:
        publish_changes(changes)


def publish_changes(changes: dict) -> None:
    """Publish one message per changed board. A broker failure never fails the committed write."""
    if not changes:
        return
    from app.models import Card

    card_ids = {
        card for entry in changes.values() for card in entry["cards"] if card not in entry["at"]
    }
    columns_of = {
        card: column for entry in changes.values() for card, column in entry["at"].items()
    }
    try:
        if card_ids:
            rows = db.session.execute(
                select(Card.id, Card.column_id).where(Card.id.in_(card_ids))
            ).all()
            columns_of.update(rows)
    except Exception:  # noqa: BLE001
        log.exception("live updates: could not read the changed cards' columns")
    broker = current_app.extensions["cergas_broker"]
    for board_id, entry in changes.items():
        columns = set(entry["columns"])
        columns.update(columns_of[c] for c in entry["cards"] if c in columns_of)
        message = {
            "kinds": sorted(entry["kinds"]),
            "cards": sorted(entry["cards"]),
            "columns": sorted(columns),
            "full": entry["full"] or not columns,
        }
        try:
            broker.publish(board_id, message)
        except Exception:  # noqa: BLE001
            log.exception("live updates: could not publish a change of board %s", board_id)


def refresh_board(board_id: int, card_ids=None) -> None:
    """Tell open pages of a board to redraw (the columns of `card_ids`, or everything).
    For changes that record no audit event, e.g. plugin data behind a badge."""
    if not card_ids:
        note_change("refresh", board_id)
        return
    for card_id in card_ids:
        note_change("refresh", board_id, card_id)


def current_seq(board_id: int) -> int:
    """The board's latest message number: a page rendered now reflects every message up to it."""
    try:
        return current_app.extensions["cergas_broker"].current_seq(board_id)
    except Exception:  # noqa: BLE001
        log.exception("live updates: could not read the sequence of board %s", board_id)
        return 0
