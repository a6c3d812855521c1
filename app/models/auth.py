"""Sign-in: two-factor recovery codes, the log of sign-in attempts, and the office-wide settings
an administrator changes on a page (such as who must use two-factor sign-in)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.org import User, utcnow


class RecoveryCode(db.Model):
    """One of the ten single-use codes that stand in for an authenticator that is lost; only
    its SHA-256 is kept. A new set replaces the old one."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class SignInEvent(db.Model):
    """One sign-in attempt by any method, whatever its outcome: who (when known), the login as
    typed, how, from where, and what came of it. Never a password, code or token."""

    __tablename__ = "sign_in_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    login: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # `password`, `ldap`, `oidc`, `totp`, `recovery_code`, `api_token` or a plugin's method.
    method: Mapped[str] = mapped_column(String(40))
    # `ok`, `wrong_credentials`, `wrong_code`, `too_many_attempts`, `unknown_person`, `refused`.
    outcome: Mapped[str] = mapped_column(String(30))
    address: Mapped[str] = mapped_column(String(64), default="", server_default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="", server_default="")

    user: Mapped[User | None] = relationship()


class SiteSetting(db.Model):
    """An office-wide setting kept in the database (app/services/site_settings.py), changed by
    an administrator on a page and recorded in the administrative log."""

    __tablename__ = "site_settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
