"""Recurring cards: a rule on the working-day calendar of the board's unit that makes a card
from one of the board's templates on each day it names (app/services/recurrences.py).

`recurrence_occurrences` is the bookkeeping of exactly-once: one row per day a card was made
for, written in the same transaction as the card. Its UNIQUE (recurrence_id, occurs_on) makes
the database refuse a second card for the same day, whichever host's `cergas tick` tries."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.card import CardTemplate
from app.models.org import User, utcnow

RECURRENCE_KINDS = (
    "weekly",
    "monthly_day",
    "monthly_last_working_day",
    "nth_working_day",
    "yearly",
)
RECURRENCE_PERIODS = ("month", "quarter", "year")
ON_HOLIDAY = ("before", "after", "skip")


class Recurrence(db.Model):
    """One rule. Its parameters by `kind`: `weekday` (0 Monday .. 6 Sunday) for `weekly`;
    `day` (1-31) for `monthly_day`; `n` and `period` for `nth_working_day`; `month` and `day`
    for `yearly`. `on_holiday` says what to do when the day is not a working day (not for the
    two working-day kinds, which only ever name working days)."""

    __tablename__ = "recurrences"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("card_templates.id", ondelete="CASCADE"))
    # Where the cards go; None: the board's first column.
    column_id: Mapped[int | None] = mapped_column(
        ForeignKey("board_columns.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(30))
    weekday: Mapped[int | None]
    day: Mapped[int | None]
    month: Mapped[int | None]
    n: Mapped[int | None]
    period: Mapped[str | None] = mapped_column(String(10))
    on_holiday: Mapped[str] = mapped_column(String(10), default="before")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    paused_at: Mapped[datetime | None]
    # The unit's day of the last resume: the paused days before it are not made up for.
    resumed_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # In whose name the cards are made: who last saved or resumed the rule.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Why the last occurrence could not be made (None once one is made again).
    problem: Mapped[str | None] = mapped_column(String(500))
    problem_at: Mapped[datetime | None]

    template: Mapped[CardTemplate] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])


class RecurrenceOccurrence(db.Model):
    """A day a recurrence made its card for (one row per card, never two for a day)."""

    __tablename__ = "recurrence_occurrences"
    __table_args__ = (
        UniqueConstraint(
            "recurrence_id", "occurs_on", name="uq_recurrence_occurrences_recurrence_id_occurs_on"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recurrence_id: Mapped[int] = mapped_column(ForeignKey("recurrences.id", ondelete="CASCADE"))
    occurs_on: Mapped[date] = mapped_column(Date)
    card_id: Mapped[int | None] = mapped_column(ForeignKey("cards.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
