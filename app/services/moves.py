"""Moving a card: the rules of a move, written once, and the paths that apply them.

All moves on a board take its lock (the WIP limits and the column positions are per board; on
SQLite the database's one write lock), so a board's move rate is one over the time the lock is
held. Hence a move is checked on the request's own read, and under the lock it only confirms
the premises of those checks and writes:

- `PREMISES_SQL` finds the card's place, its new position and the counts the limits need, but
  only if every premise still holds: the card's version (every edit or move bumps it) and
  column, the two columns' names, kinds and limits, the board's personal limit and, when a
  plugin's scope was asked, the version of the board's plugin switches and settings.
- **SQLite**: the premises are the first statement of the write transaction (it takes the write
  lock); then `SHIFT`, `MOVE` and the event. When a premise has changed, the general path goes
  on under the same lock.
- **PostgreSQL**: one pipeline: lock the board, `MOVE_SQL` (the same premises, shift and move as
  one statement, which writes only if no hard limit would be exceeded), commit. READ COMMITTED
  gives every statement a new snapshot, so `MOVE_SQL`, sent after the lock statement, sees every
  move committed before it (one statement that both waited for the lock and read the cards
  would see the cards of its older snapshot; tests/test_concurrency.py catches that). When it
  wrote nothing, the general path runs under the lock and raises the error or applies the rule.
- **The general path** (`move_card_locked`, also a plugin's move inside its own transaction)
  reads the card and the column counts under the lock, asks the plugins' vetoes and writes with
  the same `SHIFT` and `MOVE` statements.

A move with an override reason takes the general path. So does a move between columns that a
plugin enabled on the board may refuse (`PluginHost.may_refuse_move`: its `cergas_move_scope`
covers the move, or it declares none): a veto must see the state under the lock.
tests/test_quick_move.py changes each premise between the read and the lock.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import DateTime, bindparam, func, select, text
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import Board, BoardColumn, Card, User, utcnow
from app.services import archive as archive_rules  # a module: it imports this one
from app.services import live, notify_events, webhooks
from app.services import validation as v
from app.services.access import can_manage_board, visible_card, visible_unit_ids
from app.services.audit import record, record_now
from app.services.errors import Conflict, Forbidden, Invalid, ServiceError, Vetoed
from app.services.plugin_store import (
    board_plugin_rows,
    board_plugins_version,
    forget_board_plugins,
    prime_board_plugins,
)
from app.services.tx import current_at_commit, lock_board, write_transaction

MAX_POSITION = 100_000


@dataclass
class MoveResult:
    card: Card
    warnings: list[str] = field(default_factory=list)
    overridden: bool = False


def plugins():
    return current_app.extensions["cergas_plugins"]


# --- the rules -------------------------------------------------------------------------------


def column_of(board: Board, column_id) -> BoardColumn:
    try:
        column_id = v.record_id(column_id)
    except v.FieldError as exc:
        raise v.invalid({"column_id": str(exc)}) from None
    # All of the board's columns in one query: a move's source column then comes for free.
    column = next((c for c in board.columns if c.id == column_id), None)
    if column is None:
        raise v.invalid({"column_id": _("This board has no such column.")})
    return column


def load_columns_with_counts(board: Board) -> dict[int, int]:
    """Load the board's columns and count the cards of each in one query (one round trip under
    the board lock instead of two or three); the columns become `board.columns`."""
    count = (
        select(func.count(Card.id))
        .where(Card.column_id == BoardColumn.id, Card.archived_at.is_(None))
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
        .where(
            Card.board_id == board_id,
            Card.assignee_id == user_id,
            BoardColumn.kind == "active",
            Card.archived_at.is_(None),
        )
    )
    if exclude_card is not None:
        query = query.where(Card.id != exclude_card)
    return db.session.scalar(query)


def require_due_date(column: BoardColumn, due) -> None:
    if column.kind in ("active", "done") and due is None:
        raise Invalid(
            "due_date_required",
            _("Set a due date before the card enters column %(column)s.", column=column.name),
            {"due_date": _("A card needs a due date in this column.")},
        )


def require_checklist_done(board: Board, column: BoardColumn, total: int, done: int) -> None:
    """The board rule `checklist_required_for_done`: a card enters a done column only with every
    checklist item ticked. `total` and `done` are the card's counters (`Card.checklist_total`,
    `checklist_done`), kept with every item change, so the rule reads nothing more. Every path
    that puts a card in a column asks this: moves (both the quick path's read and the general
    path under the lock), card creation, and the checklist's own writes (an unticked item may
    not appear on a card that is already in a done column)."""
    if column.kind != "done" or not board.checklist_required_for_done:
        return
    open_items = total - done
    if open_items > 0:
        raise Conflict(
            "checklist_open",
            ngettext(
                "%(num)d checklist item is still open: tick it before the card enters %(column)s.",
                "%(num)d checklist items are still open: tick them before the card enters "
                "%(column)s.",
                open_items,
                column=column.name,
            ),
        )


def check_limits(
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
    `counts`: the cards in each column, counted under the lock (`load_columns_with_counts`);
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


def enters_active(source: BoardColumn, target: BoardColumn) -> bool:
    """Whether a card moving from `source` to `target` becomes work in progress."""
    return target.kind == "active" and source.kind != "active"


def holds_counted(board: Board, card: Card, entering_active: bool) -> bool:
    """Whether the move counts the assignee's active cards: only against a personal limit, so
    most moves need not count (nor load the assignee)."""
    return entering_active and board.personal_wip_limit is not None and card.assignee_id is not None


def hard_limits(
    board: Board, target: BoardColumn, *, entering_column: bool, counted: bool
) -> tuple[int | None, int | None]:
    """The limits that `check_limits` refuses without an override reason, for a statement that
    writes only below them: (cards the target column may hold, active cards the assignee may
    hold); None where none applies."""
    column = target.wip_limit if entering_column and target.wip_policy == "hard" else None
    return column, board.personal_wip_limit if counted else None


def record_overrides(actor: User, card: Card, overrides: list[dict]) -> None:
    for override in overrides:
        record("wip_override", actor, board_id=card.board_id, card_id=card.id, **override)


def marks_first_active(column: BoardColumn) -> bool:
    """Whether a card entering `column` has started (its first_active_at is set once)."""
    return column.kind in ("active", "done")


def done_at(column: BoardColumn, now: datetime) -> datetime | None:
    """A card's done_at once it is in `column` (a card leaving a done column is not done)."""
    return now if column.kind == "done" else None


def flow_marks(card: Card, column: BoardColumn, now: datetime) -> dict:
    """The flow timestamps of a card placed in `column` (creation; a move writes them in SQL)."""
    marks = {"done_at": done_at(column, now)}
    if marks_first_active(column) and card.first_active_at is None:
        marks["first_active_at"] = now
    return marks


def clamp_position(cards_in_target: int, same_column: bool, position: int | None) -> int:
    """Where a moved card lands: at `position`, at most the end of the target column (PREMISES_SQL
    computes the same under the lock)."""
    size = cards_in_target - (1 if same_column else 0)
    return size if position is None else min(position, size)


def moved_data(source: BoardColumn, target: BoardColumn, position: int | None) -> dict:
    """The data of a "moved" event (MOVE_SQL adds the position it computes)."""
    data = {
        "from_column": source.name,
        "to_column": target.name,
        "from_column_id": source.id,
        "to_column_id": target.id,
    }
    if position is not None:
        data["position"] = position
    return data


# --- the statements --------------------------------------------------------------------------
# Written once with placeholders: `_plain` binds them as parameters (SQLite, the general path),
# `_piped` takes the card, old and new position from MOVE_SQL's `go` row. Portable SQL: no `::`
# casts, booleans as 0/1.

PREMISES_SQL = """
SELECT id, old, in_target, held,
       CASE WHEN CAST(%(position)s AS integer) < in_target - %(same)s
            THEN CAST(%(position)s AS integer) ELSE in_target - %(same)s END AS new
  FROM (
SELECT card.id,
       card.position AS old,
       (SELECT count(*) FROM cards WHERE column_id = %(target)s
           AND archived_at IS NULL) AS in_target,
       (SELECT count(*) FROM cards held
          JOIN board_columns kind_of ON kind_of.id = held.column_id
         WHERE %(counts_assignee)s AND held.board_id = %(board)s
           AND held.assignee_id = card.assignee_id AND kind_of.kind = 'active'
           AND held.id <> card.id AND held.archived_at IS NULL) AS held
  FROM cards card
 WHERE card.id = %(card)s AND card.version = %(version)s AND card.column_id = %(source)s
   AND card.archived_at IS NULL
   AND EXISTS (SELECT 1 FROM boards WHERE id = %(board)s
                  AND coalesce(personal_wip_limit, -1)
                      = coalesce(CAST(%(personal_limit)s AS integer), -1)
                  AND CASE WHEN checklist_required_for_done THEN 1 ELSE 0 END
                      = %(checklist_rule)s)
   AND EXISTS (SELECT 1 FROM board_columns WHERE id = %(source)s AND board_id = %(board)s
                  AND name = %(source_name)s AND kind = %(source_kind)s)
   AND EXISTS (SELECT 1 FROM board_columns WHERE id = %(target)s AND board_id = %(board)s
                  AND name = %(target_name)s AND kind = %(target_kind)s
                  AND wip_policy = %(target_policy)s
                  AND coalesce(wip_limit, -1) = coalesce(CAST(%(target_limit)s AS integer), -1))
   AND (CAST(%(plugins_version)s AS integer) IS NULL
        OR CAST(%(plugins_version)s AS integer)
           = (SELECT coalesce(sum(version), 0) FROM board_plugins WHERE board_id = %(board)s))
) AS found
"""

# Keep positions 0..n-1 in both columns, touching only the cards between old and new. Archived
# cards (app/services/archive.py) hold no place in a column.
SHIFT = """
UPDATE cards SET position = cards.position + CASE
           WHEN %(same)s = 0 THEN CASE WHEN cards.column_id = %(source)s THEN -1 ELSE 1 END
           WHEN {new} < {old} THEN 1
           ELSE -1 END
  {from_go}
 WHERE cards.id <> {card}
   AND cards.column_id IN (%(source)s, %(target)s)
   AND cards.archived_at IS NULL
   AND CASE WHEN %(same)s = 1 THEN
            ({new} < {old} AND cards.position >= {new} AND cards.position < {old})
         OR ({new} > {old} AND cards.position > {old} AND cards.position <= {new})
       ELSE (cards.column_id = %(source)s AND cards.position > {old})
         OR (cards.column_id = %(target)s AND cards.position >= {new})
       END
"""

# The card in its new place, with its flow marks (`marks_first_active`, `done_at`).
MOVE = """
UPDATE cards SET column_id = %(target)s,
                 position = {new},
                 version = cards.version + 1,
                 updated_at = %(now)s,
                 first_active_at = CASE WHEN %(marks_active)s = 1
                                        THEN coalesce(cards.first_active_at, %(now)s)
                                        ELSE cards.first_active_at END,
                 done_at = CASE WHEN %(same)s = 1 THEN cards.done_at ELSE %(done_at)s END
  {from_go}
 WHERE cards.id = {card}
RETURNING {card_columns}
"""


_CARD_COLUMNS = [column.name for column in Card.__table__.columns]


def _plain(sql: str) -> str:
    # SQLite's RETURNING takes no `cards.*`.
    columns = ", ".join(_CARD_COLUMNS)
    return sql.format(
        old="%(old)s", new="%(new)s", card="%(card)s", from_go="", card_columns=columns
    )


def _piped(sql: str) -> str:
    columns = ", ".join(f"cards.{name}" for name in _CARD_COLUMNS)
    return sql.format(
        old="go.old", new="go.new", card="go.id", from_go="FROM go", card_columns=columns
    )


def _statement(sql: str):
    """SQLAlchemy's form of a statement: `:name` parameters, typed times and result columns, so
    SQLite stores and returns the values the ORM would."""
    statement = text(re.sub(r"%\((\w+)\)s", r":\1", sql))
    names = set(re.findall(r"%\((\w+)\)s", sql))
    times = [bindparam(name, type_=DateTime()) for name in ("now", "done_at") if name in names]
    if times:
        statement = statement.bindparams(*times)
    if "RETURNING" in sql:
        statement = statement.columns(*Card.__table__.columns)
    return statement


_PREMISES = _statement(PREMISES_SQL)
_SHIFT = _statement(_plain(SHIFT))
_MOVE = _statement(_plain(MOVE))

LOCK_SQL = "SELECT id FROM boards WHERE id = %(board)s FOR UPDATE"

MOVE_SQL = f"""
WITH fresh AS MATERIALIZED ({PREMISES_SQL}),
go AS (
    SELECT * FROM fresh
     WHERE NOT (%(same)s = 1 AND new = old)
       AND (CAST(%(hard_limit)s AS integer) IS NULL
            OR in_target < CAST(%(hard_limit)s AS integer))
       AND (CAST(%(personal_hard_limit)s AS integer) IS NULL
            OR held < CAST(%(personal_hard_limit)s AS integer))
),
shifted AS ({_piped(SHIFT)}),
moved AS ({_piped(MOVE)}),
recorded AS (
    INSERT INTO events (board_id, card_id, kind, actor_id, at, data)
    SELECT %(board)s, go.id, 'moved', %(actor)s, %(now)s,
           CAST(jsonb_set(CAST(%(data)s AS jsonb), '{{position}}', to_jsonb(go.new)) AS json)
      FROM go
)
SELECT fresh.old, fresh.new, fresh.in_target, fresh.held, moved.*
  FROM fresh LEFT JOIN moved ON true
"""


def _write_params(actor: User, card: Card, source, target, now: datetime) -> dict:
    """The parameters SHIFT and MOVE share with MOVE_SQL, but for the card's place."""
    same = source.id == target.id
    return {
        "board": card.board_id,
        "card": card.id,
        "source": source.id,
        "target": target.id,
        "same": int(same),
        "marks_active": int(not same and marks_first_active(target)),
        "done_at": done_at(target, now),
        "now": now,
        "actor": actor.id,
    }


def _hold_written(card: Card, target: BoardColumn, row) -> None:
    """The card object holds its row as written and committed: it need not be read again."""
    for column in Card.__table__.columns:
        set_committed_value(card, column.key, row[column.name])
    set_committed_value(card, "column", target)


def _forget_positions(card: Card, columns) -> None:
    """The other cards of `columns` this session holds read their positions again (the shift
    bypasses the unit of work)."""
    for obj in db.session.identity_map.values():
        if obj is not card and isinstance(obj, Card) and obj.__dict__.get("column_id") in columns:
            db.session.expire(obj, ["position"])


def _write(actor: User, card: Card, source, target, old: int, new: int) -> None:
    """Write a move checked under the lock: SHIFT, MOVE and the "moved" event. What the
    transaction has pending (a plugin's writes, say) is flushed first: these statements bypass
    the unit of work, whose flush of the few rows cost more than the statements."""
    db.session.flush()
    params = {**_write_params(actor, card, source, target, utcnow()), "old": old, "new": new}
    connection = db.session.connection()
    connection.execute(_SHIFT, params)
    _hold_written(card, target, connection.execute(_MOVE, params).mappings().one())
    _forget_positions(card, (source.id, target.id))
    data = moved_data(source, target, new)
    record_now("moved", actor, board_id=card.board_id, card_id=card.id, **data)


# --- the move --------------------------------------------------------------------------------


@dataclass
class _Plan:
    """A move checked on the request's read, and the premises of those checks."""

    source: BoardColumn
    target: BoardColumn
    premises: dict
    entering_active: bool
    counted: bool
    kept: list


def move_card(actor: User, card_id, column_id, position=None, override_reason=None) -> MoveResult:
    """Move a card to a column and position, under the column and personal WIP limits."""
    visible_unit_ids(actor)
    card = visible_card(actor, card_id, with_columns=True)
    board = card.board
    prime_board_plugins(board)  # read with the card: the plugins' switches and settings
    plan = _plan_on_read(card, column_id, position, override_reason)
    if plan is not None and notify_events.moves_notify(actor, card, plan.source, plan.target):
        # The creator hears of it in the move's transaction: the general path (the fast path on
        # PostgreSQL commits inside its pipeline).
        plan = None
    kept = [actor, *_answer_of(card), *board.columns, *(plan.kept if plan else [])]
    with write_transaction(keep=kept):
        if plan is not None:
            moved = _move_as_planned(actor, card, plan)
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


def _plan_on_read(card: Card, column_id, position, override_reason) -> _Plan | None:
    """Check the move on this request's read. None: the general path decides, because the move
    has an override reason, a plugin may refuse it, or a check failed (the general path raises
    the error from the state under the lock)."""
    if override_reason is not None or card.archived_at is not None:
        return None
    board = card.board
    if webhooks.wanted(board.id, "card.moved"):
        return None  # its delivery is written with the "moved" event, on the general path
    try:
        target = column_of(board, column_id)
        position = v.optional_int(position, minimum=0, maximum=MAX_POSITION)
        source = card.column
        same_column = source.id == target.id
        if not same_column:
            require_due_date(target, card.due_date)
            # The counters are the card's: its version, a premise, changes with every item.
            require_checklist_done(board, target, card.checklist_total, card.checklist_done)
    except (ServiceError, v.FieldError):
        return None
    host = plugins()
    if (
        not same_column
        and host.has_move_vetoes()
        and host.may_refuse_move(board, card, source, target)
    ):
        return None
    entering_active = enters_active(source, target)
    counted = holds_counted(board, card, entering_active)
    premises = {
        "board": board.id,
        "card": card.id,
        "version": card.version,
        "source": source.id,
        "source_name": source.name,
        "source_kind": source.kind,
        "target": target.id,
        "target_name": target.name,
        "target_kind": target.kind,
        "target_policy": target.wip_policy,
        "target_limit": target.wip_limit,
        "personal_limit": board.personal_wip_limit,
        "checklist_rule": int(board.checklist_required_for_done),
        "counts_assignee": counted,
        # Which plugins are on and how they are set decided that none may refuse this move;
        # confirmed, the rows are also current at the commit for the answer's plugin data.
        "plugins_version": board_plugins_version(board.id),
        "position": position,
        "same": int(same_column),
    }
    kept = list(board_plugin_rows(board.id).values())
    return _Plan(source, target, premises, entering_active, counted, kept)


def check_premises(params: dict):
    """SQLite, inside the write transaction: (card id, old position, cards in the target column,
    the assignee's other active cards, new position) if the premises still hold, else None. As
    the first statement of the transaction it takes the write lock (BEGIN IMMEDIATE), which the
    caller keeps for the general path when this answers None."""
    return db.session.connection().execute(_PREMISES, params).first()


@dataclass
class Outcome:
    """What the pipeline found: `moved` False with `noop` False means a premise had changed or
    a hard limit was reached, and nothing was written (run the general path)."""

    moved: bool
    noop: bool
    position: int = 0
    in_target: int = 0
    held: int | None = None


def try_move(actor: User, card: Card, plan: _Plan, *, now: datetime) -> Outcome:
    """PostgreSQL: move `card` as this request read it, in one pipeline. The database
    transaction has ended (committed, with or without the move) when this returns. On success
    the card object holds the row as written."""
    source, target, board = plan.source, plan.target, card.board
    column_limit, personal_limit = hard_limits(
        board, target, entering_column=source.id != target.id, counted=plan.counted
    )
    params = {
        **plan.premises,
        **_write_params(actor, card, source, target, now),
        "hard_limit": column_limit,
        "personal_hard_limit": personal_limit,
        "data": json.dumps(moved_data(source, target, None)),
    }
    connection = db.session.connection().connection.driver_connection
    with connection.pipeline():
        # A prepared statement with its generic plan: PostgreSQL would otherwise plan it anew
        # for every move (its custom plans look cheaper on paper), under the lock.
        connection.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        connection.execute(LOCK_SQL, {"board": params["board"]})
        cursor = connection.execute(MOVE_SQL, params, prepare=True)
        connection.commit()
    names = [column.name for column in cursor.description]
    row = cursor.fetchone()
    if row is None:
        return Outcome(moved=False, noop=False)
    old, new, in_target, held = row[:4]
    written = dict(zip(names[4:], row[4:], strict=True))
    if written["id"] is None:
        return Outcome(moved=False, noop=bool(plan.premises["same"]) and new == old)
    _hold_written(card, target, written)
    return Outcome(moved=True, noop=False, position=new, in_target=in_target, held=held)


def _move_as_planned(actor: User, card: Card, plan: _Plan) -> MoveResult | None:
    """Under the lock, confirm the plan's premises and write (SQLite), or do both in one
    pipeline (PostgreSQL). None: a premise has changed or a hard limit is reached; the general
    path decides."""
    board, source, target = card.board, plan.source, plan.target
    same_column = source.id == target.id
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    if sqlite:
        fresh = check_premises(plan.premises)
        if fresh is None:
            return None  # under the lock already: the general path goes on from here
        _card_id, old, in_target, held, new = fresh
        if same_column and old == new:
            return MoveResult(card)
    else:
        outcome = try_move(actor, card, plan, now=utcnow())
        if outcome.noop:
            return MoveResult(card)
        if not outcome.moved:
            return None
        new, in_target, held = outcome.position, outcome.in_target, outcome.held
    # The limits on the counts under the lock. On PostgreSQL the move is committed, but its
    # statement wrote only below the hard limits, the very conditions on which this refuses,
    # so there it only finds the soft limits' warnings. On SQLite a refusal rolls back.
    warnings, _overrides = check_limits(
        actor,
        board,
        target,
        card.assignee if plan.counted else None,
        None,
        entering_column=not same_column,
        entering_active=plan.entering_active,
        card_id=card.id,
        counts={target.id: in_target},
        held=held,
    )
    if sqlite:
        _write(actor, card, source, target, old, new)
    else:
        _forget_positions(card, (source.id, target.id))
        live.note_change("moved", board.id, card.id, moved_data(source, target, new))
    # The card as committed; its board, assignee and plugin rows as this request read them.
    current_at_commit(*_answer_of(card), *plan.kept)
    plugins().after(
        "cergas_card_moved", card=card, source=source, target=target, actor=actor, board=board
    )
    return MoveResult(card, warnings)


def move_card_locked(
    actor: User, card: Card, column_id, position=None, override_reason=None
) -> MoveResult:
    """The body of `move_card` for a caller that already holds the write transaction and the
    board lock and has read the card fresh (e.g. a plugin's use case through cergas.plugin)."""
    archive_rules.require_not_archived(card)  # archived cards are read-only
    board = card.board
    counts = load_columns_with_counts(board)
    target = column_of(board, column_id)
    try:
        position = v.optional_int(position, minimum=0, maximum=MAX_POSITION)
    except v.FieldError as exc:
        raise v.invalid({"position": str(exc)}) from None
    if override_reason is not None and not isinstance(override_reason, str):
        raise v.invalid({"override_reason": _("Must be text.")})
    source = card.column
    same_column = source.id == target.id
    if not same_column:
        require_due_date(target, card.due_date)
        require_checklist_done(board, target, card.checklist_total, card.checklist_done)
    entering_active = enters_active(source, target)
    counted = holds_counted(board, card, entering_active)
    warnings, overrides = check_limits(
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
    new_position = clamp_position(counts[target.id], same_column, position)
    if same_column and old_position == new_position:
        return MoveResult(card, warnings)
    if not same_column:
        ask_plugins(card, source, target, actor, board)
    _write(actor, card, source, target, old_position, new_position)
    record_overrides(actor, card, overrides)
    if not same_column:
        notify_events.card_entered_done(actor, card, source, target)
    plugins().after(
        "cergas_card_moved", card=card, source=source, target=target, actor=actor, board=board
    )
    return MoveResult(card, warnings, bool(overrides))


def ask_plugins(card: Card, source: BoardColumn | None, target: BoardColumn, actor: User, board):
    """Let plugins refuse a move between columns (`source` None: a card created into `target`);
    every refusal is collected. The plugins' switches and settings are read again: a veto sees
    them as they are under the lock."""
    forget_board_plugins()
    vetoes = plugins().vetoes(card=card, source=source, target=target, actor=actor, board=board)
    if vetoes:
        raise Vetoed(vetoes)
