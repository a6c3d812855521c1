"""Skills: the catalog (with levels 1-4), what each person holds, who verified it, language
certificates with their score and expiry, and the append-only trail of changes to profiles.

Cards ask for a skill with a label `skill:<slug>`; the workload and competency plugins read the
holders through `cergas.plugin.skills_of_users`.
"""

from datetime import date, datetime

from flask_babel import gettext
from sqlalchemy import JSON, Date, Float, ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.org import User, utcnow

# Competency groups of PermenPANRB 38/2017 (teknis, manajerial, sosial kultural), plus the
# language certificates that are proven by a test score rather than by a head's judgement.
SKILL_KINDS = ("technical", "managerial", "social_cultural", "language")
# 1 basic (dasar), 2 intermediate (cakap), 3 advanced (mahir), 4 expert (ahli): can teach others.
SKILL_LEVELS = (1, 2, 3, 4)
# Language tests and the range their scores fall in (TOEFL covers ITP 310-677 and iBT 0-120).
LANGUAGE_TESTS = {
    "TOEFL": (0, 677),
    "IELTS": (0, 9),
    "TOEIC": (10, 990),
    "PTE": (10, 90),
    "EPT": (0, 677),
}


class Skill(db.Model):
    """One entry of the catalog. `title` is stored in English; `name` is it translated."""

    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default="technical")
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def name(self) -> str:
        """The title in the reader's language (the seeded titles are in the catalogs)."""
        return gettext(self.title)

    @property
    def label(self) -> str:
        """The card label that asks for this skill."""
        return f"skill:{self.slug}"

    def __repr__(self) -> str:
        return f"<Skill {self.slug}>"


class UserSkill(db.Model):
    """A person holds a skill at a level (None: not assessed yet); a head may verify it."""

    __tablename__ = "user_skills"
    __table_args__ = (UniqueConstraint("user_id", "skill_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)
    level: Mapped[int | None]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    skill: Mapped[Skill] = relationship()
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])


class Certificate(db.Model):
    """A language test result (TOEFL, IELTS, ...) with its score and the date it lapses."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    test: Mapped[str] = mapped_column(String(20))
    score: Mapped[float] = mapped_column(Float)
    taken_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    evidence_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class SkillEvent(db.Model):
    """Audit trail of profile changes (skills, verifications, certificates). Append-only."""

    __tablename__ = "skill_events"
    __table_args__ = (Index("ix_skill_events_user_id_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class SkillEventChangeError(RuntimeError):
    pass


@event.listens_for(SkillEvent, "before_update")
def _refuse_skill_event_update(mapper, connection, target):
    raise SkillEventChangeError("skill events are append-only")


# Kinds of competency development (pengembangan kompetensi) a person logs.
LEARNING_ACTIVITIES = ("training", "bimtek", "e_learning", "seminar", "coaching", "mentoring")


class LearningActivity(db.Model):
    """One competency-development activity a person took part in; its length is kept in
    minutes so the conversion to JP (jam pelajaran) is exact."""

    __tablename__ = "learning_activities"
    __table_args__ = (Index("ix_learning_activities_user_id_held_on", "user_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    activity: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200), default="")
    held_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int]
    evidence_url: Mapped[str | None] = mapped_column(String(500))
    skills: Mapped[list] = mapped_column(JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
