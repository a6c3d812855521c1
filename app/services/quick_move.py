"""A card move checked on the request's own read, so that the write lock is held only to
confirm the checks' premises and to write. On PostgreSQL lock, confirmation, write and commit
are one pipeline.

All moves on a board take its lock (the WIP limits and the column positions are per board; on
SQLite the database's one write lock), so the move rate of a board is one over the time the lock
is held. The general path (`cards.move_card_locked`) holds it while it reads the card again,
loads the columns and their counts through the ORM, applies the rules and writes. On PostgreSQL
that was seven round trips; after each one the request's thread had to win the interpreter lock
back from the worker's other requests, so under 8 concurrent clients on 2 cores the lock was held
about 10 ms a move: 100-150 moves/s of one board, however fast PostgreSQL was
(docs/benchmarks.md). SQLite's lock was held for the ORM work in the same way.

Here `cards.move_card` first checks what it can on the card, columns and plugins it read before
the lock. Under the lock one statement (`PREMISES_SQL`) then finds the card's place and the
counts the limits need, but only if every premise of those checks still holds: the card's
version (every edit or move bumps it) and column, the two columns' names, kinds and limits, and
the board's personal limit. The limits are applied to those counts by `cards._check_limits` as
always, and the card, its neighbours' positions and the event are written by prebuilt statements.

- **SQLite**: the premise check is the first statement of the write transaction (it takes the
  write lock); when a premise has changed, the general path goes on under the same lock.
- **PostgreSQL**: one pipeline (psycopg's pipeline mode: the statements go out together and the
  answers come back together): take the board lock; `MOVE_SQL`, which checks the premises and,
  if they hold and no hard limit would be exceeded, shifts the positions, moves the card and
  records the event; commit. PostgreSQL runs them back to back, so the lock is held only while
  it works, about a millisecond. In READ COMMITTED every statement reads a new snapshot, so
  `MOVE_SQL`, which starts once the lock is granted, sees every move committed before it (one
  statement that both waited for the lock and read the cards would see the cards of its older
  snapshot; tests/test_concurrency.py catches that). When it wrote nothing, the transaction has
  ended unchanged and the general path runs under the lock, which raises the error or applies
  the rule as always.

tests/test_quick_move.py changes each premise between the read and the lock. Moves with an
override reason, and moves between columns on a board where a plugin may refuse moves, take the
general path from the start: a plugin's check must see the state under the lock.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import Board, BoardColumn, Card, User

LOCK_SQL = "SELECT id FROM boards WHERE id = %(board)s FOR UPDATE"

# The card's place and the counts the limits need, found only if every premise of the checks
# made on the request's read still holds (NULL-safe comparisons: a limit may be NULL). Portable
# SQL: SQLite runs it alone under its write lock, PostgreSQL as the first step of MOVE_SQL.
PREMISES_SQL = """
SELECT card.id,
       card.position AS old,
       (SELECT count(*) FROM cards WHERE column_id = %(target)s) AS in_target,
       (SELECT count(*) FROM cards held
          JOIN board_columns kind_of ON kind_of.id = held.column_id
         WHERE %(counts_assignee)s AND held.board_id = %(board)s
           AND held.assignee_id = card.assignee_id AND kind_of.kind = 'active'
           AND held.id <> card.id) AS held
  FROM cards card
 WHERE card.id = %(card)s AND card.version = %(version)s AND card.column_id = %(source)s
   AND EXISTS (SELECT 1 FROM boards WHERE id = %(board)s
                  AND coalesce(personal_wip_limit, -1)
                      = coalesce(CAST(%(personal_limit)s AS integer), -1))
   AND EXISTS (SELECT 1 FROM board_columns WHERE id = %(source)s AND board_id = %(board)s
                  AND name = %(source_name)s AND kind = %(source_kind)s)
   AND EXISTS (SELECT 1 FROM board_columns WHERE id = %(target)s AND board_id = %(board)s
                  AND name = %(target_name)s AND kind = %(target_kind)s
                  AND wip_policy = %(target_policy)s
                  AND coalesce(wip_limit, -1) = coalesce(CAST(%(target_limit)s AS integer), -1))
"""
_PREMISES = text(re.sub(r"%\((\w+)\)s", r":\1", PREMISES_SQL))

MOVE_SQL = f"""
WITH fresh AS MATERIALIZED ({PREMISES_SQL}),
plan AS (
    SELECT id, old, in_target, held,
           LEAST(COALESCE(%(position)s::int, in_target - %(same)s::int),
                 in_target - %(same)s::int) AS new
      FROM fresh
),
go AS (
    SELECT * FROM plan
     WHERE NOT (%(same)s AND new = old)
       AND (%(hard_limit)s::int IS NULL OR in_target < %(hard_limit)s::int)
       AND (%(personal_hard_limit)s::int IS NULL OR held < %(personal_hard_limit)s::int)
),
shifted AS (  -- the rows and deltas of cards._shift_statements
    UPDATE cards SET position = cards.position + CASE
               WHEN NOT %(same)s THEN CASE WHEN cards.column_id = %(source)s THEN -1 ELSE 1 END
               WHEN go.new < go.old THEN 1
               ELSE -1 END
      FROM go
     WHERE cards.id <> go.id
       AND CASE WHEN %(same)s THEN
                cards.column_id = %(source)s
                AND ((go.new < go.old AND cards.position >= go.new AND cards.position < go.old)
                  OR (go.new > go.old AND cards.position > go.old AND cards.position <= go.new))
           ELSE (cards.column_id = %(source)s AND cards.position > go.old)
             OR (cards.column_id = %(target)s AND cards.position >= go.new)
           END
),
moved AS (
    UPDATE cards SET column_id = %(target)s,
                     position = go.new,
                     version = cards.version + 1,
                     updated_at = %(now)s,
                     first_active_at = CASE WHEN %(marks_active)s
                                            THEN coalesce(cards.first_active_at, %(now)s)
                                            ELSE cards.first_active_at END,
                     done_at = CASE WHEN %(same)s THEN cards.done_at
                                    ELSE %(done_at)s::timestamp END
      FROM go
     WHERE cards.id = go.id
    RETURNING cards.*
),
recorded AS (
    INSERT INTO events (board_id, card_id, kind, actor_id, at, data)
    SELECT %(board)s, go.id, 'moved', %(actor)s, %(now)s,
           json_build_object('from_column', %(source_name)s::text,
                             'to_column', %(target_name)s::text,
                             'from_column_id', %(source)s::int,
                             'to_column_id', %(target)s::int,
                             'position', go.new)
      FROM go
)
SELECT plan.old, plan.new, plan.in_target, plan.held, moved.*
  FROM plan LEFT JOIN moved ON true
"""


def premises(card: Card, board: Board, source: BoardColumn, target: BoardColumn, counted: bool):
    """The parameters of PREMISES_SQL: what the checks on this request's read relied on.
    `counted`: whether the assignee's active cards are counted (a personal limit applies)."""
    return {
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
        "counts_assignee": counted,
    }


def check_premises(params: dict):
    """SQLite, inside the write transaction: (card id, old position, cards in the target column,
    the assignee's other active cards) if the premises still hold, else None. As the first
    statement of the transaction it takes the write lock (BEGIN IMMEDIATE), which the caller
    keeps for the general path when this answers None."""
    return db.session.connection().execute(_PREMISES, params).first()


@dataclass
class Outcome:
    """What the one-message move found: `moved` False with `noop` False means a premise had
    changed and nothing was written (run the general path)."""

    moved: bool
    noop: bool
    position: int = 0
    in_target: int = 0
    held: int | None = None


def try_move(
    actor: User,
    card: Card,
    target: BoardColumn,
    params: dict,
    position: int | None,
    *,
    hard_limit: int | None,
    personal_hard_limit: int | None,
    now: datetime,
) -> Outcome:
    """PostgreSQL: move `card` as this request read it (`params`: `premises(...)`). The database
    transaction has ended (committed, with or without the move) when this returns.
    `hard_limit`/`personal_hard_limit`: the limits that a card entering may not reach (None:
    none applies). On success the card object holds the row as written."""
    same = params["source"] == target.id
    params = {
        **params,
        "actor": actor.id,
        "position": position,
        "same": same,
        "hard_limit": hard_limit,
        "personal_hard_limit": personal_hard_limit,
        "marks_active": not same and target.kind in ("active", "done"),
        "done_at": now if target.kind == "done" else None,
        "now": now,
    }
    connection = db.session.connection().connection.driver_connection
    with connection.pipeline():
        # A prepared statement with its generic plan: PostgreSQL would otherwise plan this
        # statement anew for every move (its custom plans look cheaper on paper), which costs
        # more than running it, under the lock.
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
        return Outcome(moved=False, noop=same and new == old)
    # The card as written: every column, so it need not be read again after the commit.
    for column in Card.__table__.columns:
        set_committed_value(card, column.key, written[column.name])
    set_committed_value(card, "column", target)
    return Outcome(moved=True, noop=False, position=new, in_target=in_target, held=held)
