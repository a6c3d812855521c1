"""Cards, their deadline changes and comments, and the append-only audit trail."""

from datetime import date, datetime

from sqlalchemy import (
    DDL,
    JSON,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.board import Board, BoardColumn
from app.models.org import User, utcnow

PRIORITIES = ("low", "normal", "high", "urgent")


class Card(db.Model):
    __tablename__ = "cards"
    __table_args__ = (
        # Not (column_id, position): a move shifts the positions of many cards of a column,
        # and an unindexed position lets PostgreSQL update those rows in place (migration 0007).
        Index("ix_cards_column_id", "column_id"),
        Index("ix_cards_assignee_id", "assignee_id"),
        # Archived cards leave the board (issue 25): the board reads `archived_at IS NULL`, the
        # periodic archive run reads a board's done cards by age.
        Index("ix_cards_board_id_archived_at", "board_id", "archived_at"),
        # A column's unarchived cards (WIP counts and position shifts of every move), however
        # many archived cards the column keeps (migration 0017).
        Index(
            "ix_cards_column_id_open",
            "column_id",
            sqlite_where=text("archived_at IS NULL"),
            postgresql_where=text("archived_at IS NULL"),
        ),
        # The unarchived cards by due date, with what the overdue search filter reads (column
        # and board), so that PostgreSQL finds the overdue cards in the index alone
        # (migration 0017).
        Index(
            "ix_cards_open_due",
            "due_date",
            "column_id",
            "board_id",
            "id",
            sqlite_where=text("archived_at IS NULL"),
            postgresql_where=text("archived_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    column_id: Mapped[int] = mapped_column(ForeignKey("board_columns.id"))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    type: Mapped[str] = mapped_column(String(40), default="tugas")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_date: Mapped[date | None] = mapped_column(Date)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    estimate: Mapped[float | None] = mapped_column(Float)
    labels: Mapped[list] = mapped_column(JSON, default=list)
    # Optimistic locking: every change increments it; an edit from an older version is refused.
    version: Mapped[int] = mapped_column(default=1)
    # How often the deadline moved (kept on the card so a board renders without counting).
    deadline_changes: Mapped[int] = mapped_column(default=0)
    # The checklist's size and ticked items, kept with every change of its items so that the
    # board's "3/5" badge needs no query (app/services/checklists.py).
    checklist_total: Mapped[int] = mapped_column(default=0, server_default="0")
    checklist_done: Mapped[int] = mapped_column(default=0, server_default="0")
    # The documents on the card that are not removed (the board's paperclip badge reads it).
    attachment_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_active_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    # The sprint the card is in now (planned or active); history is in sprint_cards.
    sprint_id: Mapped[int | None] = mapped_column(
        ForeignKey("sprints.id", ondelete="SET NULL"), index=True
    )
    # Archived: off the board, read-only, still in search, reports and exports; None: on it.
    archived_at: Mapped[datetime | None]
    archived_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The assignee's planned work result (RHK, app/models/performance.py) the card counts toward.
    # (No ON DELETE: SQLite added the column in place and keeps no action for it; an RHK is
    # withdrawn, not deleted.)
    rhk_id: Mapped[int | None] = mapped_column(ForeignKey("rhks.id"), index=True)

    board: Mapped[Board] = relationship()
    column: Mapped[BoardColumn] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    # The RHK the card counts toward (issue 27); rules in app/services/rhk.py.
    rhk: Mapped["Rhk | None"] = relationship(foreign_keys=[rhk_id])  # noqa: F821

    def __repr__(self) -> str:
        return f"<Card {self.id} {self.title!r}>"


class ChecklistItem(db.Model):
    """One item of a card's checklist: text, ticked or not (by whom, when), optionally someone
    who does it and a due date; `position` orders the list."""

    __tablename__ = "checklist_items"
    __table_args__ = (Index("ix_checklist_items_card_id_position", "card_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(500))
    done: Mapped[bool] = mapped_column(default=False)
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    due_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])


class CardTemplate(db.Model):
    """A board's pattern for new cards: the type, a title pattern, description, checklist,
    labels, estimate and priority, and a due date counted in working days of the board's unit
    after the card is made. Archived templates (`archived_at`) offer nothing new but stay for
    what was made from them."""

    __tablename__ = "card_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    type: Mapped[str] = mapped_column(String(40), default="tugas")
    # The new card's title; may hold placeholders (app/services/card_templates.py).
    title_pattern: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The texts of the checklist items, in order.
    checklist: Mapped[list] = mapped_column(JSON, default=list)
    labels: Mapped[list] = mapped_column(JSON, default=list)
    estimate: Mapped[float | None] = mapped_column(Float)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    # Due this many working days (the unit's calendar) after the card is made; None: no date.
    due_in_working_days: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    archived_at: Mapped[datetime | None]


class DeadlineChange(db.Model):
    __tablename__ = "deadline_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    old_date: Mapped[date | None] = mapped_column(Date)
    new_date: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()


class Comment(db.Model):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


class Event(db.Model):
    """Audit trail: one row per thing that happened. Append-only, enforced below and by triggers."""

    __tablename__ = "events"
    # (board_id, id): a board's history in order, and its newest event in one index probe (the
    # board page cache's key, app/boards/cache.py).
    __table_args__ = (Index("ix_events_board_id_id", "board_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"))
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(Event, "before_update")
@event.listens_for(Event, "before_delete")
def _refuse_event_change(mapper, connection, target):
    raise AppendOnlyError("audit events are append-only")


# The database refuses it too, whatever code path tries. The same DDL is in the migration.
EVENTS_APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
]
EVENTS_APPEND_ONLY_POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit events are append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events "
    "FOR EACH ROW EXECUTE FUNCTION events_append_only()",
]
for _sql in EVENTS_APPEND_ONLY_SQLITE:
    event.listen(Event.__table__, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
for _sql in EVENTS_APPEND_ONLY_POSTGRESQL:
    event.listen(Event.__table__, "after_create", DDL(_sql).execute_if(dialect="postgresql"))
