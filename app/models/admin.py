"""Office administration: work teams (*tim kerja*), acting heads (Plt/Plh), the administrative
audit log, password-reset links and the one-time codes of the first start."""

from datetime import date, datetime

from sqlalchemy import (
    DDL,
    JSON,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    event,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.org import Unit, User, utcnow

# Plt: acting for a vacant post; Plh: standing in while the head is away.
ACTING_KINDS = ("plt", "plh")


class Team(db.Model):
    """A work team (*tim kerja*): members from several units under a team leader (*ketua tim*)
    who need not be a structural head. The team sits in a unit (`unit_id`): its boards take that
    unit's calendar and time zone, and the heads of that unit (or above) manage the team."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()
    leader: Mapped[User | None] = relationship()
    members: Mapped[list["TeamMember"]] = relationship(
        back_populates="team", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Team {self.code}>"


class TeamMember(db.Model):
    __tablename__ = "team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    team: Mapped[Team] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class ActingHead(db.Model):
    """A Plt/Plh of a unit: from `starts_on` to `ends_on` (both included, in the unit's time
    zone) the person holds the head's rights over the unit, unless ended early (`ended_at`)."""

    __tablename__ = "acting_heads"
    __table_args__ = (Index("ix_acting_heads_unit_id_ends_on", "unit_id", "ends_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(3))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # The letter that appoints them (surat perintah Plt/Plh), as written on it.
    decree: Mapped[str] = mapped_column(String(120), default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    unit: Mapped[Unit] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class AdminEvent(db.Model):
    """The administrative audit log: one row per change to units, people, roles, teams, acting
    heads, imports and password resets, with who, when, and the record before and after.
    Append-only, like the card events: enforced below and by triggers."""

    __tablename__ = "admin_events"
    __table_args__ = (Index("ix_admin_events_target", "target_kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # What happened, e.g. `unit.created`, `user.transferred`, `team.member_added`.
    kind: Mapped[str] = mapped_column(String(40), index=True)
    # What it happened to: `unit`, `user`, `team`, `acting_head`, `import`, `setup`.
    target_kind: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int | None]
    # How the target was called at the time (a NIP and name, a unit code and name).
    target_label: Mapped[str] = mapped_column(String(300), default="", server_default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500), default="", server_default="")

    actor: Mapped[User | None] = relationship()


class AdminEventChangeError(RuntimeError):
    pass


@event.listens_for(AdminEvent, "before_update")
@event.listens_for(AdminEvent, "before_delete")
def _refuse_admin_event_change(mapper, connection, target):
    raise AdminEventChangeError("the administrative log is append-only")


# The database refuses it too, whatever code path tries. The same DDL is in the migration.
ADMIN_EVENTS_APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER admin_events_no_update BEFORE UPDATE ON admin_events "
    "BEGIN SELECT RAISE(ABORT, 'the administrative log is append-only'); END",
    "CREATE TRIGGER admin_events_no_delete BEFORE DELETE ON admin_events "
    "BEGIN SELECT RAISE(ABORT, 'the administrative log is append-only'); END",
]
ADMIN_EVENTS_APPEND_ONLY_POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION admin_events_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'the administrative log is append-only'; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER admin_events_no_update BEFORE UPDATE OR DELETE ON admin_events "
    "FOR EACH ROW EXECUTE FUNCTION admin_events_append_only()",
]
for _sql in ADMIN_EVENTS_APPEND_ONLY_SQLITE:
    event.listen(AdminEvent.__table__, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
for _sql in ADMIN_EVENTS_APPEND_ONLY_POSTGRESQL:
    event.listen(AdminEvent.__table__, "after_create", DDL(_sql).execute_if(dialect="postgresql"))


class PasswordReset(db.Model):
    """A single-use link to set a new password; only the SHA-256 of its secret is kept. Asked
    for by the person (sent to their email) or issued by an admin or head (`created_by_id`)."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class SetupCode(db.Model):
    """A one-time code that lets the first administrator be created on an empty database;
    printed by the server (or `cergas setup`) to whoever can read its log. Only its SHA-256 is
    kept; it expires and is used once."""

    __tablename__ = "setup_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
