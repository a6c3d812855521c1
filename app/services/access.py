"""Who may see and manage what.

A board is visible to members of its unit, to heads of that unit or of any ancestor unit, and
to admins. Managing a board (columns, limits, WIP overrides) is for those heads and admins.
Whoever may not see a board gets 404 for it and its cards, so its existence does not leak.
"""

from flask import g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Board, Card, Membership, Unit, User
from app.services.errors import Forbidden, NotFound


def _unit_children() -> dict[int | None, list[int]]:
    """parent id -> child ids for the whole unit tree (small; cached for the request)."""
    cache = g.get("_unit_children") if has_app_context() else None
    if cache is None:
        cache = {}
        for unit_id, parent_id in db.session.execute(select(Unit.id, Unit.parent_id)):
            cache.setdefault(parent_id, []).append(unit_id)
        if has_app_context():
            g._unit_children = cache
    return cache


def forget_unit_tree() -> None:
    """Drop the request caches after units or memberships change."""
    if has_app_context():
        g.pop("_unit_children", None)
        g.pop("_roles", None)


def subtree(unit_id: int) -> set[int]:
    children = _unit_children()
    found, stack = set(), [unit_id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, ()))
    return found


def all_unit_ids() -> set[int]:
    return {uid for ids in _unit_children().values() for uid in ids}


def _roles(user: User) -> list[tuple[int, str]]:
    """(unit id, role) of each membership, cached for the request."""
    cache = g.setdefault("_roles", {}) if has_app_context() else {}
    if user.id not in cache:
        cache[user.id] = list(
            db.session.execute(
                select(Membership.unit_id, Membership.role).where(Membership.user_id == user.id)
            )
        )
    return cache[user.id]


def visible_unit_ids(user: User) -> set[int]:
    """Units whose boards the user may see."""
    if user.is_admin:
        return all_unit_ids()
    visible: set[int] = set()
    for unit_id, role in _roles(user):
        visible |= subtree(unit_id) if role == "head" else {unit_id}
    return visible


def managed_unit_ids(user: User) -> set[int]:
    """Units whose boards the user may manage (create, configure, override WIP limits)."""
    if user.is_admin:
        return all_unit_ids()
    managed: set[int] = set()
    for unit_id, role in _roles(user):
        if role == "head":
            managed |= subtree(unit_id)
    return managed


def can_view_board(user: User, board: Board) -> bool:
    return board.unit_id in visible_unit_ids(user)


def can_manage_board(user: User, board: Board) -> bool:
    return board.unit_id in managed_unit_ids(user)


def visible_board(user: User, board_id) -> Board:
    board = db.session.get(Board, board_id) if isinstance(board_id, int) else None
    if board is None or not can_view_board(user, board):
        raise NotFound("not_found", _("Board not found."))
    return board


def managed_board(user: User, board_id) -> Board:
    board = visible_board(user, board_id)
    if not can_manage_board(user, board):
        raise Forbidden(
            "forbidden", _("Only a head of this unit or an admin may change this board.")
        )
    return board


def visible_card(user: User, card_id) -> Card:
    # With its board (the access check and every caller need it) and its assignee (answers
    # and limits) in the same query.
    card = (
        db.session.get(Card, card_id, options=[joinedload(Card.board), joinedload(Card.assignee)])
        if isinstance(card_id, int)
        else None
    )
    if card is None or not can_view_board(user, card.board):
        raise NotFound("not_found", _("Card not found."))
    return card
