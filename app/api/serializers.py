"""The JSON shapes of API v1. Changing a shape here changes the public interface."""

from datetime import datetime

from app.models import Board, BoardColumn, Card, Comment, Event, User


def timestamp(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z (the database keeps naive UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def login(user: User | None) -> str | None:
    """A person as the API names them: NIP, else username."""
    return user.login if user is not None else None


def card_json(card: Card) -> dict:
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
        "version": card.version,
        "deadline_changes": card.deadline_changes,
        "created_at": timestamp(card.created_at),
        "updated_at": timestamp(card.updated_at),
    }


def board_summary_json(board: Board) -> dict:
    return {"id": board.id, "name": board.name, "unit": board.unit.code}


def column_json(column: BoardColumn, cards: list[Card]) -> dict:
    return {
        "id": column.id,
        "name": column.name,
        "kind": column.kind,
        "wip_limit": column.wip_limit,
        "wip_policy": column.wip_policy,
        "cards": [card_json(card) for card in cards],
    }


def board_json(board: Board, columns: list[BoardColumn], cards: dict[int, list[Card]]) -> dict:
    return {
        **board_summary_json(board),
        "personal_wip_limit": board.personal_wip_limit,
        "columns": [column_json(column, cards.get(column.id, [])) for column in columns],
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
