"""What plugins get from the platform to run their own use cases on cards, re-exported by
`cergas.plugin`: a locked card transaction, audit events, a move through the core rules, a
few read helpers that answer in one query. The web side (API blueprints) is in
`app/api/plugin_support.py`.

A plugin's write (an approval decision, a reminder) goes through `card_transaction`: one
transaction, the board row locked (PostgreSQL) or the database write lock held (SQLite), so
that two people acting on the same card at the same moment are serialised and the second one
sees what the first one wrote.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import or_, select, text
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Board, Card, Membership, Unit, User
from app.plugin_views import CardView, for_plugins, row_of
from app.services import access, audit, tx
from app.services.archive import require_not_archived
from app.services.moves import MoveResult, move_card_locked


@contextmanager
def card_transaction(actor: User | None, card_id) -> Iterator[CardView]:
    """One write use case on one card: opens the transaction, locks the card's board and yields
    the card read fresh (a `CardView`; `card_id` may be a card view too). Everything written
    inside (plugin store, audit events, notifications, a `move_card_in_transaction`) commits
    together or not at all. `actor=None` (periodic work) skips the visibility check; otherwise
    a card the actor may not see is 404."""
    actor = row_of(actor)
    if isinstance(card_id, CardView):
        card_id = card_id.id
    with tx.write_transaction():
        if actor is None:
            card = db.session.get(Card, card_id) if isinstance(card_id, int) else None
            if card is None:
                from flask_babel import gettext as _

                from app.services.errors import NotFound

                raise NotFound("not_found", _("Card not found."))
        else:
            card = access.visible_card(actor, card_id)
        tx.lock_board(card.board_id)
        db.session.refresh(card)
        require_not_archived(card)  # archived cards are read-only, for plugins too
        yield CardView(card)


@for_plugins
def record_card_event(kind: str, actor: User | None, card: Card, **data) -> None:
    """Add an audit event about a card to the card's history (`GET /api/v1/cards/<id>/events`
    and the card page). Inside a use case it commits with it; elsewhere it commits on its own.
    Values must be JSON-serialisable (dates are written as YYYY-MM-DD). The card page shows
    `text` (an English msgid, translated when shown) formatted with `params`, and quotes `note`."""
    tx.within_write(
        lambda: audit.record(kind, actor, board_id=card.board_id, card_id=card.id, **data)
    )


def move_card_in_transaction(actor: User, card: Card, column_id: int) -> MoveResult:
    """Move a card to another column inside the current `card_transaction`, under every core
    rule (due date, WIP limits, other plugins' vetoes); a refusal raises and rolls back the
    whole use case. Records the usual `moved` event and calls `cergas_card_moved` after the
    commit. `card` is the view `card_transaction` gave (resolved to the card it locked)."""
    if not tx.in_write_transaction():
        raise RuntimeError("move_card_in_transaction needs an open card_transaction")
    result = move_card_locked(row_of(actor), row_of(card, Card), column_id)
    return MoveResult(CardView(result.card), result.warnings, result.overridden)


@for_plugins
def cards_by_ids(ids) -> dict[int, Card]:
    """card id -> card (a `CardView`), with board, unit, column and assignee loaded, in one
    query."""
    ids = {card_id for card_id in ids if isinstance(card_id, int)}
    if not ids:
        return {}
    rows = db.session.scalars(
        select(Card)
        .where(Card.id.in_(ids))
        .options(
            selectinload(Card.board).selectinload(Board.unit),
            selectinload(Card.column),
            selectinload(Card.assignee),
        )
    )
    return {card.id: card for card in rows}


@for_plugins
def users_by_ids(ids) -> dict[int, User]:
    """user id -> user (a `UserView`), in one query."""
    return _users_by_ids(ids)


def _users_by_ids(ids) -> dict[int, User]:
    ids = {user_id for user_id in ids if isinstance(user_id, int)}
    if not ids:
        return {}
    return {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))}


@for_plugins
def find_user(login) -> User | None:
    """An active user (a `UserView`) by NIP or username, or None."""
    if not isinstance(login, str) or not login.strip():
        return None
    login = login.strip()
    user = db.session.scalar(select(User).where(or_(User.nip == login, User.username == login)))
    return user if user is not None and user.active else None


@for_plugins
def find_unit(code) -> Unit | None:
    """A unit (a `UnitView`) by its code, or None."""
    if not isinstance(code, str) or not code.strip():
        return None
    return db.session.scalar(select(Unit).where(Unit.code == code.strip()))


@for_plugins
def unit_heads(codes) -> dict[str, list[User]]:
    """unit code -> its active heads (`UserView`s, oldest membership first), then whoever acts
    as its head today (Plt/Plh, app/services/acting.py); a unit without either maps to [].
    Unknown codes are left out."""
    codes = {code for code in codes if isinstance(code, str)}
    if not codes:
        return {}
    units = dict(db.session.execute(select(Unit.id, Unit.code).where(Unit.code.in_(codes))).all())
    found: dict[str, list[User]] = {code: [] for code in units.values()}
    if not units:
        return found
    rows = db.session.execute(
        select(Unit.code, User)
        .join(Membership, Membership.unit_id == Unit.id)
        .join(User, User.id == Membership.user_id)
        .where(Unit.code.in_(codes), Membership.role == "head", User.active.is_(True))
        .order_by(Membership.id)
    )
    for code, user in rows:
        found[code].append(user)
    acting = access.acting_heads_by_unit(units)
    wanted = {user_id for items in acting.values() for user_id, _kind in items}
    people = _users_by_ids(wanted) if wanted else {}
    for unit_id, items in acting.items():
        for user_id, _kind in items:
            person = people.get(user_id)
            if person is not None and person not in found[units[unit_id]]:
                found[units[unit_id]].append(person)
    return found


@for_plugins
def acting_heads(codes) -> dict[str, list[tuple[User, str]]]:
    """unit code -> [(UserView, "plt" | "plh")] of whoever acts as its head today, oldest
    appointment first; unknown codes are left out."""
    codes = {code for code in codes if isinstance(code, str)}
    if not codes:
        return {}
    units = dict(db.session.execute(select(Unit.id, Unit.code).where(Unit.code.in_(codes))).all())
    acting = access.acting_heads_by_unit(units)
    wanted = {user_id for items in acting.values() for user_id, _kind in items}
    people = _users_by_ids(wanted) if wanted else {}
    return {
        units[unit_id]: [(people[uid], kind) for uid, kind in items if uid in people]
        for unit_id, items in acting.items()
    }


@contextmanager
def plugin_transaction(plugin_name: str) -> Iterator[None]:
    """One write use case of a plugin that is not about one card (e.g. a delegation): a
    transaction in which the plugin's writes are serialised with its other
    `plugin_transaction`s (a transaction-scoped advisory lock on PostgreSQL, the write lock on
    SQLite), so a check-then-write on the plugin store cannot race."""
    with tx.write_transaction():
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:name))"),
                {"name": f"cergas-plugin:{plugin_name}"},
            )
        yield
