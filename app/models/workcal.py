"""Per-unit working-day calendar overrides: the unit's hours, whether it works every day, and
single days that are off (a local holiday, a changed SKB) or working (a make-up day)."""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.org import utcnow

# What a calendar day override does.
CALENDAR_DAY_KINDS = ("off", "work")


class UnitCalendar(db.Model):
    """How one unit works. No row: the national calendar and the default hours."""

    __tablename__ = "unit_calendars"

    unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    # RSUD, Puskesmas: every day is a working day, holidays included.
    every_day: Mapped[bool] = mapped_column(default=False)
    # Seven entries, Monday first: ["07:30", "16:00"] or null (the default hours of that weekday).
    hours: Mapped[list | None] = mapped_column(JSON)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class UnitCalendarDay(db.Model):
    """One day off or one working day for a unit (and the units under it)."""

    __tablename__ = "unit_calendar_days"
    __table_args__ = (UniqueConstraint("unit_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
