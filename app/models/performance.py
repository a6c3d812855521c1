"""Performance plans (SKP, PermenPANRB 6/2022, issue 27): a person's planned work results
(RHK, *rencana hasil kerja*) for a year with their indicators, cascaded from the leader's RHK;
the head's feedback per period; and the performance-dialogue notes of a sprint review."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.org import User, utcnow

# Aspects of an RHK indicator (PermenPANRB 6/2022): quantity, quality, time (and cost).
INDICATOR_ASPECTS = ("kuantitas", "kualitas", "waktu", "biaya")
# "utama": the main results of the post; "tambahan": additional ones.
RHK_KINDS = ("utama", "tambahan")


class Rhk(db.Model):
    """One planned work result of one person for one year. `parent_id` is the leader's RHK it
    supports (*intervensi*, the cascade); cards and sprint goals point here."""

    __tablename__ = "rhks"
    __table_args__ = (Index("ix_rhks_user_id_year", "user_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    year: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(10), default="utama")
    text: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("rhks.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Withdrawn RHK keep their row (cards and evidence still name them) but take no new links.
    archived_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    parent: Mapped["Rhk | None"] = relationship(remote_side=[id])
    indicators: Mapped[list["RhkIndicator"]] = relationship(
        order_by="RhkIndicator.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Rhk {self.id} {self.year} user={self.user_id}>"


class RhkIndicator(db.Model):
    """An indicator of an RHK with its target (e.g. aspect "kuantitas", "Jumlah permohonan
    informasi yang dijawab", target "120 permohonan")."""

    __tablename__ = "rhk_indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    rhk_id: Mapped[int] = mapped_column(ForeignKey("rhks.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    aspect: Mapped[str] = mapped_column(String(10), default="kuantitas")
    text: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(String(200), default="")


class PerformanceFeedback(db.Model):
    """A head's feedback to one person for a period (`period`: "2026-10" for a month,
    "2026-Q4" for a quarter). Seen by that person and the heads above."""

    __tablename__ = "performance_feedback"
    __table_args__ = (Index("ix_performance_feedback_user_id_period", "user_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    period: Mapped[str] = mapped_column(String(7))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])


class DialogueNote(db.Model):
    """The performance-dialogue note of one person recorded in a sprint review."""

    __tablename__ = "dialogue_notes"
    __table_args__ = (UniqueConstraint("sprint_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sprint_id: Mapped[int] = mapped_column(ForeignKey("sprints.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
