"""The JSON shapes of API v1. Changing a shape here changes the public interface."""

from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from app.display_names import board_lists
from app.extensions import db
from app.models import ApiToken, Board, BoardColumn, Card, Comment, Event, Rhk, User, utcnow
from app.services import archive


def timestamp(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z (the database keeps naive UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def login(user: User | None) -> str | None:
    """A person as the API names them: NIP, else username."""
    return user.login if user is not None else None


def plugin_card_data(cards: list[Card], board: Board) -> dict[int, dict]:
    """card id -> {plugin: data} from one `cergas_card_api` call per plugin for all the cards.
    Data that JSON cannot carry is left out and counted against its plugin, so a plugin never
    breaks the answer."""
    host = current_app.extensions["cergas_plugins"]
    extra = host.card_api(cards, board)
    broken: set[str] = set()
    for data in extra.values():
        for plugin in list(data):
            if plugin in broken:
                del data[plugin]
                continue
            try:
                current_app.json.dumps(data[plugin])
            except (TypeError, ValueError, OverflowError) as exc:
                host.failed(plugin, "cergas_card_api", exc)
                broken.add(plugin)
                del data[plugin]
    return extra


def board_warnings_json(board: Board, cards: list[Card]) -> list[dict]:
    host = current_app.extensions["cergas_plugins"]
    return [
        {"plugin": plugin, "text": str(warning.text), "tone": warning.tone}
        for plugin, warning in host.board_warnings(board, cards)
    ]


def prefetch_rhks(cards: list[Card]) -> None:
    """Load the RHK of many cards in one query (each card's `rhk` then comes from the session
    without another), so a board's JSON costs the same whatever its size."""
    ids = {card.rhk_id for card in cards if card.rhk_id is not None}
    if ids:
        found = {row.id: row for row in db.session.scalars(select(Rhk).where(Rhk.id.in_(ids)))}
        for card in cards:
            if card.rhk_id is not None:
                set_committed_value(card, "rhk", found.get(card.rhk_id))


def names_json(card: Card) -> dict:
    """The card's type and labels as people read them (issue 26); the board's lists are read
    once per request."""
    lists = board_lists(card.board_id)
    return {
        "type_name": lists.type_name(card.type),
        "type_colour": lists.type_colour(card.type),
        "label_details": [
            {"key": key, "name": lists.label_name(key), "colour": lists.label_colour(key)}
            for key in card.labels or []
        ],
    }


def card_json(card: Card, plugins: dict | None = None) -> dict:
    """One card; `plugins` is what plugins add to it ({plugin: data}, from plugin_card_data)."""
    return {
        "id": card.id,
        "board_id": card.board_id,
        "column_id": card.column_id,
        "position": card.position,
        "title": card.title,
        "description": card.description,
        "type": card.type,
        "assignee": login(card.assignee),
        "due_date": card.due_date.isoformat() if card.due_date else None,
        "priority": card.priority,
        "estimate": card.estimate,
        "labels": list(card.labels or []),
        **names_json(card),
        "version": card.version,
        "deadline_changes": card.deadline_changes,
        "sprint_id": card.sprint_id,
        "checklist": {"total": card.checklist_total, "done": card.checklist_done},
        "attachment_count": card.attachment_count,
        "rhk": {"id": card.rhk.id, "text": card.rhk.text} if card.rhk_id is not None else None,
        "created_at": timestamp(card.created_at),
        "updated_at": timestamp(card.updated_at),
        # Archived cards (app/services/archive.py) are off the board and read-only.
        "archived_at": timestamp(card.archived_at),
        "archived_by": login(archive.archiver(card)),
        "plugins": plugins or {},
    }


def one_card_json(card: Card) -> dict:
    """A card alone, with what plugins add to it."""
    return card_json(card, plugin_card_data([card], card.board).get(card.id))


def board_summary_json(board: Board) -> dict:
    return {
        "id": board.id,
        "name": board.name,
        "unit": board.unit.code,
        "team": board.team.code if board.team_id is not None else None,
    }


def column_json(column: BoardColumn, cards: list[Card], plugins: dict[int, dict]) -> dict:
    return {
        "id": column.id,
        "name": column.name,
        "kind": column.kind,
        "wip_limit": column.wip_limit,
        "wip_policy": column.wip_policy,
        "cards": [card_json(card, plugins.get(card.id)) for card in cards],
    }


def board_json(board: Board, columns: list[BoardColumn], cards: dict[int, list[Card]]) -> dict:
    """The board with its columns and cards, what plugins add to each card (one call for all of
    them) and the plugins' warnings about the board."""
    every_card = [card for items in cards.values() for card in items]
    prefetch_rhks(every_card)
    plugins = plugin_card_data(every_card, board)
    return {
        **board_summary_json(board),
        "personal_wip_limit": board.personal_wip_limit,
        "archive_after_days": board.archive_after_days,
        "columns": [column_json(c, cards.get(c.id, []), plugins) for c in columns],
        "warnings": board_warnings_json(board, every_card),
    }


def event_json(event: Event) -> dict:
    return {
        "kind": event.kind,
        "actor": login(event.actor),
        "at": timestamp(event.at),
        "data": event.data or {},
    }


def comment_json(comment: Comment) -> dict:
    return {
        "id": comment.id,
        "author": login(comment.author),
        "body": comment.body,
        "created_at": timestamp(comment.created_at),
    }


def token_json(token: ApiToken) -> dict:
    """An API token without its secret (only its hash is stored anyway)."""
    return {
        "id": token.id,
        "name": token.name,
        "created_at": timestamp(token.created_at),
        "last_used_at": timestamp(token.last_used_at),
        "expires_at": timestamp(token.expires_at),
        "expired": token.expires_at is not None and token.expires_at <= utcnow(),
    }
