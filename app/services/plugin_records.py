"""Read helpers for plugins that answer with plain frozen records, re-exported by
`cergas.plugin`: the boards where a plugin is on (with its settings merged with the defaults),
the comments of cards, a unit with its parents and heads.

Each helper answers in a constant number of queries and returns frozen dataclasses, never ORM
objects, so what a plugin holds cannot be flushed back by accident. A card, a board or a unit
may be given as an object (anything with an `id`) or as its id.
"""

from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from flask import current_app
from sqlalchemy import and_, literal, select

from app.extensions import db
from app.models import Board, BoardPlugin, Comment, Membership, Unit, User
from app.services import access
from app.services.plugin_store import _usable


def _id_of(value) -> int | None:
    """The id of an object (anything with an integer `id`) or an id itself; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    found = getattr(value, "id", None)
    return found if isinstance(found, int) and not isinstance(found, bool) else None


# --- boards where a plugin is on ----------------------------------------------------------------


@dataclass(frozen=True)
class PluginBoard:
    """A board where a plugin is on (`boards_with_plugin`). `settings` is read-only: every
    declared setting, the value a head saved or else its default."""

    board_id: int
    name: str
    unit_id: int
    unit_code: str
    settings: MappingProxyType


def boards_with_plugin(plugin_name: str) -> list[PluginBoard]:
    """Every board where the plugin is on, by board id, in one query: the boards where a head
    switched it on and those where nobody touched it (a plugin is on everywhere until switched
    off). A plugin that is not loaded is on nowhere: []."""
    host = current_app.extensions["cergas_plugins"]
    if plugin_name not in host.loaded():
        return []
    declared = {setting.name: setting for setting in host.settings_of(plugin_name)}
    defaults = {name: setting.default for name, setting in declared.items()}
    rows = db.session.execute(
        select(Board.id, Board.name, Unit.id, Unit.code, BoardPlugin.settings)
        .join(Unit, Unit.id == Board.unit_id)
        .outerjoin(
            BoardPlugin,
            and_(BoardPlugin.board_id == Board.id, BoardPlugin.plugin == plugin_name),
        )
        .where((BoardPlugin.id.is_(None)) | BoardPlugin.enabled.is_(True))
        .order_by(Board.id)
    )
    return [
        PluginBoard(
            board_id=board_id,
            name=name,
            unit_id=unit_id,
            unit_code=unit_code,
            settings=MappingProxyType({**defaults, **_usable(declared, saved)}),
        )
        for board_id, name, unit_id, unit_code, saved in rows
    ]


# --- comments ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardComment:
    """One comment on a card. `author_id`, `author_name` and `author_login` are None when the
    author's account no longer exists; `at` is naive UTC."""

    id: int
    card_id: int
    author_id: int | None
    author_name: str | None
    author_login: str | None
    text: str
    at: datetime


def comments_of_cards(cards) -> dict[int, list[CardComment]]:
    """card id -> its comments, oldest first, for many cards (objects or ids) in one query;
    every card asked for is a key. Nobody's permission is checked: ask `can_view_card` before
    showing them to a person."""
    ids = {card_id for card_id in map(_id_of, cards) if card_id is not None}
    found: dict[int, list[CardComment]] = {card_id: [] for card_id in ids}
    if not ids:
        return found
    rows = db.session.execute(
        select(
            Comment.id,
            Comment.card_id,
            Comment.author_id,
            User.name,
            User.nip,
            User.username,
            Comment.body,
            Comment.created_at,
        )
        .outerjoin(User, User.id == Comment.author_id)
        .where(Comment.card_id.in_(ids))
        .order_by(Comment.created_at, Comment.id)
    )
    for comment_id, card_id, author_id, name, nip, username, body, at in rows:
        found[card_id].append(
            CardComment(comment_id, card_id, author_id, name, nip or username, body, at)
        )
    return found


def card_comments(card) -> list[CardComment]:
    """The comments of one card (an object or an id), oldest first, in one query."""
    card_id = _id_of(card)
    return comments_of_cards([card_id]).get(card_id, []) if card_id is not None else []


# --- a unit with its parents and heads -----------------------------------------------------------


@dataclass(frozen=True)
class UnitSummary:
    """A unit above another (`UnitInfo.parents`)."""

    id: int
    code: str
    name: str
    timezone: str


@dataclass(frozen=True)
class Person:
    """A person as the unit helpers name them: `login` is the NIP, or the username without one."""

    id: int
    name: str
    login: str
    nip: str | None
    username: str | None


@dataclass(frozen=True)
class ActingPerson:
    """Someone acting as a unit's head today: `kind` "plt" (vacant post) or "plh" (absence)."""

    person: Person
    kind: str


@dataclass(frozen=True)
class UnitInfo:
    """A unit (`unit_by_code`): `parents` nearest first up to the top unit; `heads` its active
    heads, oldest membership first; `acting_heads` whoever acts as its head today (Plt/Plh),
    oldest appointment first."""

    id: int
    code: str
    name: str
    timezone: str
    active: bool
    parents: tuple[UnitSummary, ...]
    heads: tuple[Person, ...]
    acting_heads: tuple[ActingPerson, ...]

    @property
    def parent(self) -> UnitSummary | None:
        """The unit directly above, or None for a top unit."""
        return self.parents[0] if self.parents else None


def _person(row) -> Person:
    user_id, name, nip, username = row
    return Person(user_id, name, nip or username, nip, username)


def unit_by_code(code) -> UnitInfo | None:
    """The unit with this code with its parent chain, heads and acting heads, or None; four
    queries whatever the depth of the tree."""
    if not isinstance(code, str) or not code.strip() or len(code.strip()) > 40:
        return None
    # The unit and every unit above it, in one recursive query (SQLite and PostgreSQL).
    chain = (
        select(
            Unit.id,
            Unit.code,
            Unit.name,
            Unit.timezone,
            Unit.active,
            Unit.parent_id,
            literal(0).label("depth"),
        )
        .where(Unit.code == code.strip())
        .cte("chain", recursive=True)
    )
    above = Unit.__table__.alias("above")
    chain = chain.union_all(
        select(
            above.c.id,
            above.c.code,
            above.c.name,
            above.c.timezone,
            above.c.active,
            above.c.parent_id,
            chain.c.depth + 1,
        ).where(above.c.id == chain.c.parent_id, chain.c.depth < 64)
    )
    rows = db.session.execute(select(chain).order_by(chain.c.depth)).all()
    if not rows:
        return None
    unit_id, unit_code, name, timezone, active = rows[0][:5]
    parents = tuple(UnitSummary(row[0], row[1], row[2], row[3]) for row in rows[1:])
    heads = db.session.execute(
        select(User.id, User.name, User.nip, User.username)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.unit_id == unit_id, Membership.role == "head", User.active.is_(True))
        .order_by(Membership.id)
    )
    acting = access.acting_heads_by_unit([unit_id])[unit_id]
    people = {}
    if acting:
        wanted = {user_id for user_id, _kind in acting}
        people = {
            row[0]: _person(row)
            for row in db.session.execute(
                select(User.id, User.name, User.nip, User.username).where(User.id.in_(wanted))
            )
        }
    return UnitInfo(
        id=unit_id,
        code=unit_code,
        name=name,
        timezone=timezone,
        active=bool(active),
        parents=parents,
        heads=tuple(_person(row) for row in heads),
        acting_heads=tuple(
            ActingPerson(people[user_id], kind) for user_id, kind in acting if user_id in people
        ),
    )
