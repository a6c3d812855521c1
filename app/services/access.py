"""Who may see and manage what: the one place that decides, for the core and for plugins
(`cergas.plugin` re-exports the questions plugins ask).

A board is visible to members of its unit, to heads of that unit or of any ancestor unit, and
to admins. Managing a board (columns, limits, WIP overrides) is for those heads and admins.
Whoever may not see a board gets 404 for it and its cards, so its existence does not leak.
A unit is seen and managed by the same people as its boards. A person's profile is seen by
themself, by whoever sees one of their units, and by admins; it is changed by themself and by
whoever heads one of their units (admins: always). Nobody verifies their own skills.

"Head" includes an acting head (Plt/Plh, app/models/admin.py `ActingHead`) on the days of their
appointment, in the unit's time zone: they hold the head's rights over the unit while acting,
and lose them the day after by themselves. A work team's board (`Board.team_id`) is seen by the
team's members and leader and by the heads above the team's unit, not by the unit's members;
the team's leader (*ketua tim*) manages it like a head. Inactive people and teams hold nothing.
"""

from datetime import date, timedelta

from flask import g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import Date, String, and_, bindparam, cast, literal, null, or_, select, true
from sqlalchemy.orm import joinedload

from app import clock
from app.extensions import db
from app.models import ActingHead, Board, Card, Membership, Team, TeamMember, Unit, User
from app.services.errors import Forbidden, NotFound

# Asked on almost every request: built once (SQLAlchemy then need not build them or compute
# their cache keys again).
_UNIT_TREE = select(Unit.id, Unit.parent_id)
# A person's standing, in one query: their memberships ("m", unit, role), the acting
# appointments that may cover today ("a", unit, "head", first day, last day, the unit's zone),
# and the active teams they belong to ("t", team, "member") or lead ("t", team, "lead").
_NO_DAY = cast(null(), Date)
_NO_ZONE = cast(null(), String)
_ROLES = (
    select(
        literal("m").label("source"),
        Membership.unit_id.label("ref"),
        Membership.role.label("role"),
        _NO_DAY.label("starts_on"),
        _NO_DAY.label("ends_on"),
        _NO_ZONE.label("zone"),
    )
    .where(Membership.user_id == bindparam("user"))
    .union_all(
        select(
            literal("a"),
            ActingHead.unit_id,
            literal("head"),
            ActingHead.starts_on,
            ActingHead.ends_on,
            Unit.timezone,
        )
        .join(Unit, Unit.id == ActingHead.unit_id)
        .where(
            ActingHead.user_id == bindparam("user"),
            ActingHead.ended_at.is_(None),
            ActingHead.starts_on <= bindparam("latest", type_=Date),
            ActingHead.ends_on >= bindparam("earliest", type_=Date),
        ),
        select(literal("t"), TeamMember.team_id, literal("member"), _NO_DAY, _NO_DAY, _NO_ZONE)
        .join(Team, Team.id == TeamMember.team_id)
        .where(TeamMember.user_id == bindparam("user"), Team.active.is_(True)),
        select(literal("t"), Team.id, literal("lead"), _NO_DAY, _NO_DAY, _NO_ZONE).where(
            Team.leader_id == bindparam("user"), Team.active.is_(True)
        ),
    )
)


def local_today(zone: str) -> date:
    """Today's date in a unit's time zone."""
    return clock.today(zone)


def acting_today(starts_on: date, ends_on: date, zone: str) -> bool:
    """True when an acting appointment covers today in its unit's time zone."""
    return starts_on <= local_today(zone or "Asia/Jakarta") <= ends_on


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


class Standing:
    """Where a person stands today: (unit id, role) for each membership and each acting
    appointment that covers today (role "head"), and the active teams they belong to or lead."""

    __slots__ = ("units", "teams", "led")

    def __init__(self, units, teams, led):
        self.units: list[tuple[int, str]] = units
        self.teams: frozenset[int] = teams
        self.led: frozenset[int] = led


def _standing(user: User) -> Standing:
    """The person's standing, read in one query and cached for the request. An inactive
    person stands nowhere."""
    cache = g.setdefault("_roles", {}) if has_app_context() else {}
    found = cache.get(user.id)
    if found is None:
        units: list[tuple[int, str]] = []
        teams: set[int] = set()
        led: set[int] = set()
        if user.active:
            # Every zone of Indonesia is within a day of UTC.
            today = clock.today()
            params = {
                "user": user.id,
                "earliest": today - timedelta(days=1),
                "latest": today + timedelta(days=1),
            }
            for source, ref, role, starts_on, ends_on, zone in db.session.execute(_ROLES, params):
                if source == "m":
                    units.append((ref, role))
                elif source == "a":
                    if acting_today(starts_on, ends_on, zone):
                        units.append((ref, "head"))
                else:
                    teams.add(ref)
                    if role == "lead":
                        led.add(ref)
        found = cache[user.id] = Standing(units, frozenset(teams), frozenset(led))
    return found


def _roles(user: User) -> list[tuple[int, str]]:
    """(unit id, role) of each membership and of each acting appointment of today."""
    return _standing(user).units


def team_ids(user: User) -> frozenset[int]:
    """The active teams the person belongs to or leads."""
    return _standing(user).teams


def led_team_ids(user: User) -> frozenset[int]:
    """The active teams the person leads (ketua tim)."""
    return _standing(user).led


def _visible_from(units: list[tuple[int, str]]) -> set[int]:
    visible: set[int] = set()
    for unit_id, role in units:
        visible |= subtree(unit_id) if role == "head" else {unit_id}
    return visible


def _managed_from(units: list[tuple[int, str]]) -> set[int]:
    managed: set[int] = set()
    for unit_id, role in units:
        if role == "head":
            managed |= subtree(unit_id)
    return managed


def visible_unit_ids(user: User) -> set[int]:
    """Units whose boards the user may see."""
    if user.is_admin:
        return all_unit_ids()
    return _visible_from(_roles(user))


def managed_unit_ids(user: User) -> set[int]:
    """Units whose boards the user may manage (create, configure, override WIP limits)."""
    if user.is_admin:
        return all_unit_ids()
    return _managed_from(_roles(user))


def sees_board(standing: Standing, board: Board) -> bool:
    """The `can_view_board` rule for a non-admin standing as given (a person's own, or the one
    they would have after a transfer: `standing_with_unit`)."""
    if board.team_id is not None:
        return board.team_id in standing.teams or board.unit_id in _managed_from(standing.units)
    return board.unit_id in _visible_from(standing.units)


def standing_with_unit(user: User, unit_id: int, role: str) -> Standing:
    """The person's standing were their memberships replaced by one in `unit_id` with `role`
    (a transfer): their acting appointments and teams stay."""
    standing = _standing(user)
    units = list(standing.units)
    for member in user.memberships:
        if (member.unit_id, member.role) in units:
            units.remove((member.unit_id, member.role))
    return Standing([*units, (unit_id, role)], standing.teams, standing.led)


def can_view_board(user: User, board: Board) -> bool:
    return user.is_admin or sees_board(_standing(user), board)


def can_manage_board(user: User, board: Board) -> bool:
    return board.unit_id in managed_unit_ids(user) or (
        board.team_id is not None and board.team_id in led_team_ids(user)
    )


def visible_boards_clause(user: User):
    """A condition on `Board` that holds for the boards `can_view_board` lets the user see."""
    if user.is_admin:
        return true()
    return or_(
        and_(Board.team_id.is_(None), Board.unit_id.in_(visible_unit_ids(user))),
        Board.unit_id.in_(managed_unit_ids(user)),
        Board.team_id.in_(team_ids(user)),
    )


def managed_boards_clause(user: User):
    """A condition on `Board` that holds for the boards `can_manage_board` lets the user manage."""
    if user.is_admin:
        return true()
    return or_(Board.unit_id.in_(managed_unit_ids(user)), Board.team_id.in_(led_team_ids(user)))


def _acting_today(condition) -> list[tuple[int, int, str]]:
    """(user id, unit id, kind) of the appointments matching `condition` that cover today, in
    their unit's time zone, oldest appointment first."""
    today = clock.today()
    rows = db.session.execute(
        select(
            ActingHead.user_id,
            ActingHead.unit_id,
            ActingHead.kind,
            ActingHead.starts_on,
            ActingHead.ends_on,
            Unit.timezone,
        )
        .join(Unit, Unit.id == ActingHead.unit_id)
        .join(User, User.id == ActingHead.user_id)
        .where(
            condition,
            User.active.is_(True),
            ActingHead.ended_at.is_(None),
            ActingHead.starts_on <= today + timedelta(days=1),
            ActingHead.ends_on >= today - timedelta(days=1),
        )
        .order_by(ActingHead.id)
    )
    return [
        (user_id, unit_id, kind)
        for user_id, unit_id, kind, starts, ends, zone in rows
        if acting_today(starts, ends, zone)
    ]


def acting_head_ids(unit_ids) -> set[int]:
    """Ids of the active people acting as head (Plt/Plh) of any of these units today."""
    unit_ids = set(unit_ids)
    if not unit_ids:
        return set()
    return {user_id for user_id, _unit, _kind in _acting_today(ActingHead.unit_id.in_(unit_ids))}


def acting_heads_by_unit(unit_ids) -> dict[int, list[tuple[int, str]]]:
    """unit id -> [(user id, kind)] of its acting heads today; every id asked for is a key."""
    unit_ids = {uid for uid in unit_ids if isinstance(uid, int)}
    found: dict[int, list[tuple[int, str]]] = {uid: [] for uid in unit_ids}
    if unit_ids:
        for user_id, unit_id, kind in _acting_today(ActingHead.unit_id.in_(unit_ids)):
            found[unit_id].append((user_id, kind))
    return found


def acting_units_of(user_ids) -> dict[int, list[tuple[int, str]]]:
    """user id -> [(unit id, kind)] of the units they act as head of today; every id is a key."""
    user_ids = {uid for uid in user_ids if isinstance(uid, int)}
    found: dict[int, list[tuple[int, str]]] = {uid: [] for uid in user_ids}
    if user_ids:
        for user_id, unit_id, kind in _acting_today(ActingHead.user_id.in_(user_ids)):
            found[user_id].append((unit_id, kind))
    return found


def board_viewers(board: Board) -> list[User]:
    """Active people who can see the board (and so may be assigned its cards), by name: the
    `can_view_board` rule asked the other way round, in one query."""
    unit_id = board.unit_id
    ancestors = {uid for uid in all_unit_ids() if unit_id in subtree(uid)}
    heads = and_(Membership.role == "head", Membership.unit_id.in_(ancestors))
    acting = acting_head_ids(ancestors)
    if board.team_id is None:
        members = select(Membership.user_id).where(or_(Membership.unit_id == unit_id, heads))
        team = []
    else:
        members = select(Membership.user_id).where(heads)
        team = [
            select(TeamMember.user_id)
            .join(Team, Team.id == TeamMember.team_id)
            .where(Team.id == board.team_id, Team.active.is_(True)),
            select(Team.leader_id).where(Team.id == board.team_id, Team.active.is_(True)),
        ]
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.active.is_(True),
                or_(
                    User.is_admin.is_(True),
                    User.id.in_(members),
                    User.id.in_(acting),
                    *(User.id.in_(query) for query in team),
                ),
            )
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
