"""Card use cases: create, edit, move, comment. The WIP, deadline and permission rules live here."""

from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import PRIORITIES, Board, BoardColumn, Card, Comment, DeadlineChange, User, utcnow
from app.services import live, quick_move
from app.services import validation as v
from app.services.access import (
    can_manage_board,
    can_view_board,
    visible_board,
    visible_card,
    visible_unit_ids,
)
from app.services.audit import record, record_now
from app.services.errors import Conflict, Forbidden, Invalid, ServiceError, Vetoed
from app.services.tx import current_at_commit, lock_board, write_transaction

CARD_FIELDS = (
    "title",
    "description",
    "type",
    "assignee",
    "due_date",
    "priority",
    "estimate",
    "labels",
)


@dataclass
class MoveResult:
    card: Card
    warnings: list[str] = field(default_factory=list)
    overridden: bool = False


def _plugins():
    return current_app.extensions["cergas_plugins"]


def find_user(login: str) -> User | None:
    """A user by NIP or username."""
    return db.session.scalar(select(User).where(or_(User.nip == login, User.username == login)))


def _clean_assignee(value, board: Board) -> User | None:
    if value is None or value == "":
        return None
    if isinstance(value, User):
        user = value
    elif isinstance(value, str):
        user = find_user(value.strip())
    else:
        raise v.FieldError(_("Must be a NIP or username."))
    if user is None or not user.active or not can_view_board(user, board):
        raise v.FieldError(_("No member of this board has that NIP or username."))
    return user


def clean_card_fields(data: dict, board: Board) -> dict:
    """Validate the card fields present in `data`; raise Invalid naming every bad one."""
    fields = v.Fields()
    cleaned = {}
    cleaners = {
        "title": lambda x: v.text(x, field_max=200, required=True),
        "description": lambda x: v.text(x, field_max=20_000),
        "type": lambda x: v.slug(x, default="tugas"),
        "assignee": lambda x: _clean_assignee(x, board),
        "due_date": v.optional_date,
        "priority": lambda x: v.choice(x, PRIORITIES, default="normal"),
        "estimate": lambda x: v.optional_number(x, minimum=0, maximum=1000),
        "labels": v.labels,
    }
    for name, value in data.items():
        cleaned[name] = fields.clean(name, cleaners[name], value)
    fields.raise_if_any()
    return cleaned


def _column_of(board: Board, column_id) -> BoardColumn:
    try:
        column_id = v.record_id(column_id)
    except v.FieldError as exc:
        raise v.invalid({"column_id": str(exc)}) from None
    # All of the board's columns in one query: a move's source column then comes for free.
    column = next((c for c in board.columns if c.id == column_id), None)
    if column is None:
        raise v.invalid(
            {"column_id": _("This board has no such column.")},
        )
    return column


def _load_columns_with_counts(board: Board) -> dict[int, int]:
    """Load the board's columns and count the cards of each in one query (one round trip under
    the board lock instead of two or three); the columns become `board.columns`."""
    count = (
        select(func.count(Card.id))
        .where(Card.column_id == BoardColumn.id)
        .correlate(BoardColumn)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(BoardColumn, count)
        .where(BoardColumn.board_id == board.id)
        .order_by(BoardColumn.position)
    ).all()
    set_committed_value(board, "columns", [column for column, _ in rows])
    return {column.id: n for column, n in rows}


def _count_active_for(board_id: int, user_id: int, exclude_card: int | None = None) -> int:
    query = (
        select(func.count(Card.id))
        .join(BoardColumn, Card.column_id == BoardColumn.id)
        .where(Card.board_id == board_id, Card.assignee_id == user_id, BoardColumn.kind == "active")
    )
    if exclude_card is not None:
        query = query.where(Card.id != exclude_card)
    return db.session.scalar(query)


def _require_due_date(column: BoardColumn, due: date | None) -> None:
    if column.kind in ("active", "done") and due is None:
        raise Invalid(
            "due_date_required",
            _("Set a due date before the card enters column %(column)s.", column=column.name),
            {"due_date": _("A card needs a due date in this column.")},
        )


def _check_limits(
    actor: User,
    board: Board,
    column: BoardColumn,
    assignee: User | None,
    override_reason: str | None,
    *,
    entering_column: bool,
    entering_active: bool,
    card_id: int | None,
    counts: dict[int, int] | None = None,
    held: int | None = None,
) -> tuple[list[str], list[dict]]:
    """Apply the column and personal WIP limits: (warnings, overrides), or raise Conflict.
    `counts`: the cards in each column, counted under the lock (`_load_columns_with_counts`);
    needed when a card enters a column. `held`: the assignee's other active cards, when
    already counted under the lock."""
    warnings: list[str] = []
    overrides: list[dict] = []
    reason = (override_reason or "").strip()

    def refuse_or_override(code: str, message: str, detail: dict) -> None:
        if not reason:
            raise Conflict(code, message)
        if not can_manage_board(actor, board):
            raise Forbidden(
                "override_forbidden", _("Only a head of this unit may override a WIP limit.")
            )
        overrides.append({"limit": code, "reason": reason, **detail})

    if entering_column and column.wip_limit is not None:
        count = counts[column.id]
        if count >= column.wip_limit:
            message = _(
                "Column %(column)s is full: WIP limit %(limit)d",
                column=column.name,
                limit=column.wip_limit,
            )
            if column.wip_policy == "hard":
                refuse_or_override(
                    "wip_limit_reached",
                    message,
                    {"column": column.name, "wip_limit": column.wip_limit, "count": count},
                )
            else:
                warnings.append(message)
    if entering_active and assignee is not None and board.personal_wip_limit is not None:
        if held is None:
            held = _count_active_for(board.id, assignee.id, exclude_card=card_id)
        if held >= board.personal_wip_limit:
            refuse_or_override(
                "personal_wip_limit_reached",
                _(
                    "%(name)s already holds %(count)d active cards: personal WIP limit %(limit)d",
                    name=assignee.name,
                    count=held,
                    limit=board.personal_wip_limit,
                ),
                {"assignee": assignee.login, "personal_wip_limit": board.personal_wip_limit},
            )
    return warnings, overrides


def _record_overrides(actor: User, card: Card, overrides: list[dict]) -> None:
    for override in overrides:
        record("wip_override", actor, board_id=card.board_id, card_id=card.id, **override)


def _flow_marks(card: Card, column: BoardColumn, now) -> dict:
    """When the card entering `column` first became active, and whether it is done."""
    marks = {"done_at": now if column.kind == "done" else None}
    if column.kind in ("active", "done") and card.first_active_at is None:
        marks["first_active_at"] = now
    return marks


def _mark_flow(card: Card, column: BoardColumn) -> None:
    for name, value in _flow_marks(card, column, utcnow()).items():
        setattr(card, name, value)


def create_card(
    actor: User, board_id, data: dict, *, column_id=None, override_reason=None
) -> MoveResult:
    """Create a card at the bottom of a column (the first column when none is given)."""
    with write_transaction():
        board = visible_board(actor, board_id)
        lock_board(board.id)
        data = {"title": data.get("title"), **data}
        cleaned = clean_card_fields(data, board)
        counts = _load_columns_with_counts(board)
        column = _column_of(board, column_id) if column_id not in (None, "") else board.columns[0]
        _require_due_date(column, cleaned.get("due_date"))
        warnings, overrides = _check_limits(
            actor,
            board,
            column,
            cleaned.get("assignee"),
            override_reason,
            entering_column=True,
            entering_active=column.kind == "active",
            card_id=None,
            counts=counts,
        )
        card = Card(
            board_id=board.id,
            column_id=column.id,
            position=counts[column.id],
            title=cleaned["title"],
            description=cleaned.get("description") or "",
            type=cleaned.get("type") or "tugas",
            assignee=cleaned.get("assignee"),
            due_date=cleaned.get("due_date"),
            priority=cleaned.get("priority") or "normal",
            estimate=cleaned.get("estimate"),
            labels=cleaned.get("labels") or [],
            created_by_id=actor.id,
        )
        _mark_flow(card, column)
        db.session.add(card)
        db.session.flush()
        record(
            "created",
            actor,
            board_id=board.id,
            card_id=card.id,
            title=card.title,
            column=column.name,
            assignee=card.assignee.login if card.assignee else None,
            due_date=card.due_date,
        )
        _record_overrides(actor, card, overrides)
        _plugins().after("cergas_card_created", card=card, actor=actor, board=board)
    return MoveResult(card, warnings, bool(overrides))


def _display(name: str, value):
    if name == "assignee":
        return value.login if value is not None else None
    if isinstance(value, date):
        return value.isoformat()
    return value


def update_card(actor: User, card_id, data: dict, *, version, deadline_reason=None) -> Card:
    """Edit card fields. Refuses stale versions; a due date change needs a reason and is counted."""
    unknown = sorted(set(data) - set(CARD_FIELDS))
    if unknown:
        raise v.invalid(
            {name: _("Unknown field.") for name in unknown},
        )
    with write_transaction():
        card = visible_card(actor, card_id)
        lock_board(card.board_id)
        db.session.refresh(card)
        try:
            expected = v.record_id(version)
        except v.FieldError as exc:
            raise v.invalid({"version": str(exc)}) from None
        cleaned = clean_card_fields(data, card.board)
        if expected != card.version:
            raise Conflict(
                "version_conflict",
                _("Someone else changed this card since you opened it. Reload it and try again."),
            )
        changes = {}
        for name, new in cleaned.items():
            old = getattr(card, name)
            if name == "description":
                new = new or ""
            if name == "labels":
                new = new or []
            if old != new:
                changes[name] = (old, new)
        if not changes:
            return card

        if "due_date" in changes:
            old_due, new_due = changes["due_date"]
            _require_due_date(card.column, new_due)
            try:
                reason = v.text(deadline_reason, field_max=1000)
            except v.FieldError as exc:
                raise v.invalid(
                    {"deadline_reason": str(exc)},
                ) from None
            if old_due is not None and not reason:
                raise Invalid(
                    "deadline_reason_required",
                    _("Changing a due date needs a reason."),
                    {"deadline_reason": _("Say why the due date changes.")},
                )
            if old_due is not None:
                db.session.add(
                    DeadlineChange(
                        card_id=card.id,
                        old_date=old_due,
                        new_date=new_due,
                        reason=reason,
                        actor_id=actor.id,
                    )
                )
                card.deadline_changes += 1
                record(
                    "deadline_changed",
                    actor,
                    board_id=card.board_id,
                    card_id=card.id,
                    old=old_due,
                    new=new_due,
                    reason=reason,
                )
                _plugins().after(
                    "cergas_deadline_changed",
                    card=card,
                    old=old_due,
                    new=new_due,
                    reason=reason,
                    actor=actor,
                    board=card.board,
                )
        overrides: list[dict] = []
        if "assignee" in changes and card.column.kind == "active":
            _warnings, overrides = _check_limits(
                actor,
                card.board,
                card.column,
                changes["assignee"][1],
                None,
                entering_column=False,
                entering_active=True,
                card_id=card.id,
            )
        for name, (_old, new) in changes.items():
            setattr(card, name, new)
        if "assignee" in changes:
            old, new = changes["assignee"]
            record(
                "assigned",
                actor,
                board_id=card.board_id,
                card_id=card.id,
                old=_display("assignee", old),
                new=_display("assignee", new),
            )
        plain = {
            name: [_display(name, old), _display(name, new)]
            for name, (old, new) in changes.items()
            if name not in ("assignee",) and not (name == "due_date" and old is not None)
        }
        if plain:
            record("updated", actor, board_id=card.board_id, card_id=card.id, changes=plain)
        _record_overrides(actor, card, overrides)
        card.version += 1
        card.updated_at = utcnow()
        described = {
            name: [_display(name, old), _display(name, new)] for name, (old, new) in changes.items()
        }
        _plugins().after(
            "cergas_card_updated", card=card, changes=described, actor=actor, board=card.board
        )
    return card


def _shift_statements():
    """The three shifts of a move (to another column; up or down within one), built once: a
    move runs one under the write lock, and building it each time cost a third of its time."""
    cards = Card.__table__.c
    p = bindparam
    shift = update(Card.__table__).where(cards.id != p("card"))
    across = shift.where(
        or_(
            and_(cards.column_id == p("source"), cards.position > p("old")),
            and_(cards.column_id == p("target"), cards.position >= p("new")),
        )
    ).values(position=cards.position + case((cards.column_id == p("source"), -1), else_=1))
    within = shift.where(cards.column_id == p("source"))
    up = within.where(cards.position >= p("new"), cards.position < p("old"))
    down = within.where(cards.position > p("old"), cards.position <= p("new"))
    return across, up.values(position=cards.position + 1), down.values(position=cards.position - 1)


_SHIFT_ACROSS, _SHIFT_UP, _SHIFT_DOWN = _shift_statements()
_WRITE_CARD = update(Card.__table__).where(Card.__table__.c.id == bindparam("card_id"))


def _shift_positions(card: Card, source, target, old: int, new: int) -> None:
    """Keep positions 0..n-1 in both columns, touching only the cards between old and new: one
    plain table UPDATE (one round trip under the board lock). The ORM's bulk update would first
    look through the session for the cards it changes, which costs several times the statement;
    cards of these columns that this session holds forget their position instead."""
    if source.id != target.id:
        statement = _SHIFT_ACROSS
    elif new < old:
        statement = _SHIFT_UP
    else:
        statement = _SHIFT_DOWN
    params = {"card": card.id, "source": source.id, "target": target.id, "old": old, "new": new}
    db.session.connection().execute(statement, params)
    _forget_positions(card, (source.id, target.id))


def _write_moved(actor: User, card: Card, source, target, old: int, new: int) -> None:
    """Write a move its caller has checked under the lock: the other cards' positions, the card
    and the "moved" event, with prebuilt statements. What the transaction has pending (a
    plugin's writes, say) is flushed first, as these statements bypass the unit of work."""
    db.session.flush()
    _shift_positions(card, source, target, old, new)
    _write_move(card, target, new, source.id == target.id)
    data = _moved_data(source, target, new)
    record_now("moved", actor, board_id=card.board_id, card_id=card.id, **data)


def _write_move(card: Card, target: BoardColumn, position: int, same_column: bool) -> None:
    """The moved card's row in one UPDATE, and the card object holding the written values as
    committed. Through the unit of work this one row cost more than the statement itself."""
    now = utcnow()
    values = {"column_id": target.id, "position": position, "version": card.version + 1}
    values["updated_at"] = now
    if not same_column:
        values.update(_flow_marks(card, target, now))
    db.session.connection().execute(_WRITE_CARD, {"card_id": card.id, **values})
    for name, value in values.items():
        set_committed_value(card, name, value)
    set_committed_value(card, "column", target)


def _forget_positions(card: Card, columns) -> None:
    """The other cards of `columns` this session holds read their positions again."""
    for obj in db.session.identity_map.values():
        if obj is not card and isinstance(obj, Card) and obj.__dict__.get("column_id") in columns:
            db.session.expire(obj, ["position"])


def _moved_data(source: BoardColumn, target: BoardColumn, position: int) -> dict:
    """The data of a "moved" event (quick_move.MOVE_SQL writes the same members)."""
    return {
        "from_column": source.name,
        "to_column": target.name,
        "from_column_id": source.id,
        "to_column_id": target.id,
        "position": position,
    }


def move_card(actor: User, card_id, column_id, position=None, override_reason=None) -> MoveResult:
    """Move a card to a column and position, under the column and personal WIP limits."""
    # What the caller may see, and the card with its board, columns and assignee, are read
    # before the write lock, as for any read; under the lock the move checks that what it
    # relied on has not changed (`quick_move`), so the lock is held only for that and the write.
    visible_unit_ids(actor)
    card = visible_card(actor, card_id, with_columns=True)
    board = card.board
    with write_transaction(keep=[actor, *_answer_of(card), *board.columns]):
        moved = _move_checked_on_read(actor, card, column_id, position, override_reason)
        if moved is not None:
            return moved
        # The general path. Read the card again under the lock, in a statement of its own: on
        # PostgreSQL a statement that waited for the lock would still see the cards of its
        # older snapshot (READ COMMITTED re-reads only the locked row).
        board_id = board.id
        for obj in (card, board, *board.columns):
            db.session.expire(obj)
        lock_board(board_id)
        db.session.refresh(card)
        result = move_card_locked(actor, card, column_id, position, override_reason)
        # Read under the lock and written by this transaction: current at the commit.
        current_at_commit(*_answer_of(card))
        return result


def _answer_of(card: Card) -> list:
    """The card, its board and its assignee: what the answer to a move shows."""
    return [card, card.board, *([card.assignee] if card.assignee_id else [])]


def _move_checked_on_read(
    actor: User, card: Card, column_id, position, override_reason
) -> MoveResult | None:
    """Check the move on this request's read, then, under the lock, only that the premises of
    those checks still hold before writing (`quick_move` explains why; on PostgreSQL lock, check
    and write are one pipeline). None: the general path must decide, because the move has an
    override reason, a plugin may refuse it, a check failed on the read (the general path
    raises the error from the state under the lock), or a premise has changed."""
    if override_reason is not None:
        return None
    board = card.board
    try:
        target = _column_of(board, column_id)
        position = v.optional_int(position, minimum=0, maximum=100_000)
        source = card.column
        same_column = source.id == target.id
        if not same_column:
            _require_due_date(target, card.due_date)
    except (ServiceError, v.FieldError):
        return None
    if not same_column and _plugins().may_refuse_moves(board):
        return None
    entering_active = target.kind == "active" and source.kind != "active"
    counted = (
        entering_active and board.personal_wip_limit is not None and card.assignee_id is not None
    )
    premises = quick_move.premises(card, board, source, target, counted)
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    if sqlite:
        fresh = quick_move.check_premises(premises)
        if fresh is None:
            return None  # under the lock already: the general path goes on from here
        _card_id, old, in_target, held = fresh
        size = in_target - (1 if same_column else 0)
        new = size if position is None else min(position, size)
        if same_column and old == new:
            return MoveResult(card)
    else:
        hard = not same_column and target.wip_limit is not None and target.wip_policy == "hard"
        outcome = quick_move.try_move(
            actor,
            card,
            target,
            premises,
            position,
            hard_limit=target.wip_limit if hard else None,
            personal_hard_limit=board.personal_wip_limit if counted else None,
            now=utcnow(),
        )
        if outcome.noop:
            return MoveResult(card)
        if not outcome.moved:
            return None
        new, in_target, held = outcome.position, outcome.in_target, outcome.held
    # The limits on the counts under the lock. On PostgreSQL the move is committed, but its
    # statement wrote only if no hard limit is reached, the very conditions on which this
    # refuses, so there it only finds the soft limits' warnings. On SQLite a refusal rolls back.
    warnings, _overrides = _check_limits(
        actor,
        board,
        target,
        card.assignee if counted else None,
        None,
        entering_column=not same_column,
        entering_active=entering_active,
        card_id=card.id,
        counts={target.id: in_target},
        held=held,
    )
    if sqlite:
        _write_moved(actor, card, source, target, old, new)
    else:
        _forget_positions(card, (source.id, target.id))
        live.note_change("moved", board.id, card.id, _moved_data(source, target, new))
    # The card as committed; its board and assignee as this request read them.
    current_at_commit(*_answer_of(card))
    _plugins().after(
        "cergas_card_moved", card=card, source=source, target=target, actor=actor, board=board
    )
    return MoveResult(card, warnings)


def move_card_locked(
    actor: User, card: Card, column_id, position=None, override_reason=None
) -> MoveResult:
    """The body of `move_card` for a caller that already holds the write transaction and the
    board lock and has read the card fresh (e.g. a plugin's use case through plugin_api)."""
    board = card.board
    counts = _load_columns_with_counts(board)
    target = _column_of(board, column_id)
    try:
        position = v.optional_int(position, minimum=0, maximum=100_000)
    except v.FieldError as exc:
        raise v.invalid({"position": str(exc)}) from None
    if override_reason is not None and not isinstance(override_reason, str):
        raise v.invalid(
            {"override_reason": _("Must be text.")},
        )
    source = card.column
    same_column = source.id == target.id
    if not same_column:
        _require_due_date(target, card.due_date)
    entering_active = target.kind == "active" and source.kind != "active"
    # The assignee counts only against a personal limit; most moves need not load them.
    counted = entering_active and board.personal_wip_limit is not None
    warnings, overrides = _check_limits(
        actor,
        board,
        target,
        card.assignee if counted else None,
        override_reason,
        entering_column=not same_column,
        entering_active=entering_active,
        card_id=card.id,
        counts=counts,
    )
    old_position = card.position
    size = counts[target.id] - (1 if same_column else 0)
    new_position = size if position is None else min(position, size)
    if same_column and old_position == new_position:
        return MoveResult(card, warnings)
    if not same_column:
        _ask_plugins(card, source, target, actor, board)
    _write_moved(actor, card, source, target, old_position, new_position)
    _record_overrides(actor, card, overrides)
    _plugins().after(
        "cergas_card_moved", card=card, source=source, target=target, actor=actor, board=board
    )
    return MoveResult(card, warnings, bool(overrides))


def _ask_plugins(card: Card, source: BoardColumn, target: BoardColumn, actor: User, board) -> None:
    """Let plugins refuse a move between columns; every refusal is collected."""
    vetoes = _plugins().vetoes(card=card, source=source, target=target, actor=actor, board=board)
    if vetoes:
        message = " ".join(f"{veto['plugin']}: {veto['message']}" for veto in vetoes)
        raise Vetoed(vetoes, message)


def add_comment(actor: User, card_id, body) -> Comment:
    try:
        body = v.text(body, field_max=10_000, required=True)
    except v.FieldError as exc:
        raise v.invalid({"body": str(exc)}) from None
    with write_transaction():
        card = visible_card(actor, card_id)
        comment = Comment(card_id=card.id, author_id=actor.id, body=body)
        db.session.add(comment)
        db.session.flush()
        record(
            "comment",
            actor,
            board_id=card.board_id,
            card_id=card.id,
            comment_id=comment.id,
            body=body,
        )
    return comment
