"""Who may see and manage what: the one place that decides, for the core and for plugins
(`app.plugin_api` re-exports the questions plugins ask).

A board is visible to members of its unit, to heads of that unit or of any ancestor unit, and
to admins. Managing a board (columns, limits, WIP overrides) is for those heads and admins.
Whoever may not see a board gets 404 for it and its cards, so its existence does not leak.
A unit is seen and managed by the same people as its boards. A person's profile is seen by
themself, by whoever sees one of their units, and by admins; it is changed by themself and by
whoever heads one of their units (admins: always). Nobody verifies their own skills.
"""

from flask import g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Board, Card, Membership, Unit, User
from app.services.errors import Forbidden, NotFound

# Asked on almost every request: built once (SQLAlchemy then need not build them or compute
# their cache keys again).
_UNIT_TREE = select(Unit.id, Unit.parent_id)
_ROLES = select(Membership.unit_id, Membership.role).where(Membership.user_id == bindparam("user"))


def _unit_children() -> dict[int | None, list[int]]:
    """parent id -> child ids for the whole unit tree (small; cached for the request)."""
    cache = g.get("_unit_children") if has_app_context() else None
    if cache is None:
        cache = {}
        for unit_id, parent_id in db.session.execute(_UNIT_TREE):
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
        cache[user.id] = list(db.session.execute(_ROLES, {"user": user.id}))
    return cache[user.id]


def remember_roles(user: User, roles: list[tuple[int, str]]) -> None:
    """Cache the (unit id, role) memberships of `user` for the request, when the caller read
    them with the user (API token authentication does)."""
    if has_app_context():
        g.setdefault("_roles", {})[user.id] = roles


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


def board_viewers(board: Board) -> list[User]:
    """Active people who can see the board (and so may be assigned its cards), by name: the
    `can_view_board` rule asked the other way round, in one query."""
    unit_id = board.unit_id
    ancestors = {uid for uid in all_unit_ids() if unit_id in subtree(uid)}
    members = select(Membership.user_id).where(
        or_(
            Membership.unit_id == unit_id,
            and_(Membership.role == "head", Membership.unit_id.in_(ancestors)),
        )
    )
    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), or_(User.is_admin.is_(True), User.id.in_(members)))
            .order_by(User.name, User.id)
        )
    )


def can_view_card(user: User, card: Card) -> bool:
    return can_view_board(user, card.board)


def can_view_unit(user: User, unit: Unit) -> bool:
    """Members of the unit, heads of it or above, and admins."""
    return unit.id in visible_unit_ids(user)


def can_manage_unit(user: User, unit: Unit) -> bool:
    """Heads of the unit or of a unit above it, and admins."""
    return unit.id in managed_unit_ids(user)


def unit_ids_of(user: User) -> set[int]:
    """The units `user` belongs to, as member or head (read now: it is about someone else, whose
    memberships the request does not cache)."""
    return set(db.session.scalars(select(Membership.unit_id).where(Membership.user_id == user.id)))


def is_head_of(actor: User, person: User) -> bool:
    """True when `actor` heads one of `person`'s units or an ancestor unit (admins: always)."""
    if actor.is_admin:
        return True
    return bool(unit_ids_of(person) & managed_unit_ids(actor))


def can_view_person(actor: User, person: User) -> bool:
    """The person themself, whoever sees one of their units, and admins."""
    if actor.id == person.id or actor.is_admin:
        return True
    return bool(unit_ids_of(person) & visible_unit_ids(actor))


def can_edit_person(actor: User, person: User) -> bool:
    """The person themself and whoever heads them (admins: always)."""
    return actor.id == person.id or is_head_of(actor, person)


def can_verify_skills(actor: User, person: User) -> bool:
    """Whoever heads the person (admins too), never the person themself."""
    return actor.id != person.id and is_head_of(actor, person)


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


# A card with its board (the access check and every caller need it) and its assignee (answers
# and limits) in the same query; for a move, the board's columns too. Built once rather than
# for every card asked for.
_CARD_LOADS = (joinedload(Card.board), joinedload(Card.assignee))
_CARD_LOADS_WITH_COLUMNS = (
    joinedload(Card.board).joinedload(Board.columns),
    joinedload(Card.board).joinedload(Board.plugin_rows),
    _CARD_LOADS[1],
)


def visible_card(user: User, card_id, *, with_columns: bool = False) -> Card:
    options = _CARD_LOADS_WITH_COLUMNS if with_columns else _CARD_LOADS
    card = db.session.get(Card, card_id, options=options) if isinstance(card_id, int) else None
    if card is None or not can_view_board(user, card.board):
        raise NotFound("not_found", _("Card not found."))
    return card
