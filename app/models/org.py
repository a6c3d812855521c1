"""Organisation: units (Dinas > Bidang > Seksi), people, their memberships and API tokens."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.extensions import db

# WIB, WITA, WIT: the three time zones of Indonesia.
TIMEZONES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
ROLES = ("member", "head")


def utcnow() -> datetime:
    """Naive UTC; every timestamp in the database is UTC."""
    return clock.utcnow()  # the one clock (app/clock.py), so the demo can move it


class Unit(db.Model):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Jakarta")
    # A unit that no longer exists keeps its row (boards, history and reports name it) but
    # takes no people, boards or teams (app/services/units.py).
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Whether colleagues in the unit see each other's skills and certificates (issue 27:
    # off by default; the person and the heads above always see them).
    colleagues_see_competency: Mapped[bool] = mapped_column(default=False, server_default=false())

    parent: Mapped["Unit | None"] = relationship(remote_side=[id])

    @property
    def zone_abbr(self) -> str:
        return TIMEZONES.get(self.timezone, self.timezone)

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # NIP: the 18-digit civil-servant number; a username serves people without one.
    nip: Mapped[str | None] = mapped_column(String(18), unique=True)
    username: Mapped[str | None] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    locale: Mapped[str | None] = mapped_column(String(8))
    # Jabatan, as the staff register writes it (e.g. "Pranata Komputer Ahli Pertama").
    position: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # For WhatsApp and calls: digits with an optional leading + (app/services/people.py).
    phone: Mapped[str | None] = mapped_column(String(30))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Why and when the account was closed (retired, left, long leave); None while active.
    deactivated_at: Mapped[datetime | None]
    deactivation_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Set by every password change: reset links issued before it no longer work.
    password_changed_at: Mapped[datetime | None]
    # Two-factor sign-in (TOTP, app/services/two_factor.py): the base32 secret, set at enrolment
    # and confirmed (`totp_enabled_at`) by a first correct code; the time step of the last code
    # accepted, so that no code is accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def login(self) -> str:
        """How the API and exports name a person: NIP, else username."""
        return self.nip or self.username or str(self.id)

    @property
    def initials(self) -> str:
        words = [w for w in self.name.replace(",", " ").split() if w[:1].isalpha()]
        return "".join(w[0] for w in words[:2]).upper() or "?"

    def __repr__(self) -> str:
        return f"<User {self.login}>"


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(10), default="member")

    user: Mapped[User] = relationship(back_populates="memberships")
    unit: Mapped[Unit] = relationship()


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored. A token may expire
    (`expires_at`); `last_used_at` is kept to within a few minutes (app/services/accounts.py)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class LoginSession(db.Model):
    """A signed-in browser. The session cookie carries a random id; the database keeps only its
    SHA-256. Logging in starts a new one (the id rotates), logging out ends it, so a copied
    cookie stops working at logout. It also ends on its own: after SESSION_IDLE_MINUTES without
    a request (`last_seen_at`, kept to within a few minutes) or SESSION_MAX_HOURS after login.
    The browser and address are kept to tell one's sessions apart on the sessions page."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    # How the person signed in: `password`, `ldap`, `oidc` or a plugin's sign-in method
    # (app/services/signin.py), and whether a second factor was checked.
    method: Mapped[str] = mapped_column(String(40), default="password", server_default="password")
    two_factor: Mapped[bool] = mapped_column(default=False, server_default=false())
