"""Sprints: a time box with a written goal, the cards committed to it, scope changes, review."""

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.board import Board
from app.models.org import User, utcnow

SPRINT_STATES = ("planned", "active", "closed")
GOAL_OUTCOMES = ("yes", "partly", "no")
# What happened to a sprint's card at close: done, or carried to the next sprint or the backlog.
CARD_OUTCOMES = ("done", "next", "backlog")


class Sprint(db.Model):
    __tablename__ = "sprints"
    __table_args__ = (
        Index("ix_sprints_board_id_state", "board_id", "state"),
        # At most one active sprint per board, whatever code path writes.
        Index(
            "uq_sprints_one_active_per_board",
            "board_id",
            unique=True,
            sqlite_where=text("state = 'active'"),
            postgresql_where=text("state = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    goal: Mapped[str] = mapped_column(Text)
    # The head's planned work result (RHK) the sprint goal serves, if named.
    goal_rhk_id: Mapped[int | None] = mapped_column(ForeignKey("rhks.id"))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10), default="planned")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # The review the head writes at close.
    goal_met: Mapped[str | None] = mapped_column(String(10))
    review_note: Mapped[str] = mapped_column(Text, default="")

    board: Mapped[Board] = relationship()
    created_by: Mapped[User | None] = relationship()
    # The head's RHK the goal serves (issue 27).
    goal_rhk: Mapped["Rhk | None"] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<Sprint {self.id} {self.name!r} {self.state}>"


class SprintCard(db.Model):
    """A card's membership in a sprint. Rows stay after the card leaves, so the review can tell
    what was committed at the start (the snapshot) and what became of each card."""

    __tablename__ = "sprint_cards"
    __table_args__ = (UniqueConstraint("sprint_id", "card_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sprint_id: Mapped[int] = mapped_column(ForeignKey("sprints.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"), index=True)
    # Snapshot at start: whether the card was in the committed scope, and its estimate then.
    committed: Mapped[bool] = mapped_column(default=False)
    estimate_at_start: Mapped[float | None] = mapped_column(Float)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]
    # Filled at close: done / next / backlog, the estimate and assignee then.
    outcome: Mapped[str | None] = mapped_column(String(10))
    estimate_at_close: Mapped[float | None] = mapped_column(Float)
    assignee_at_close_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SprintScopeChange(db.Model):
    """A card added to or removed from a sprint after it started: shown in the review."""

    __tablename__ = "sprint_scope_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    sprint_id: Mapped[int] = mapped_column(ForeignKey("sprints.id", ondelete="CASCADE"), index=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("cards.id", ondelete="CASCADE"))
    change: Mapped[str] = mapped_column(String(10))  # added / removed
    estimate: Mapped[float | None] = mapped_column(Float)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship()
