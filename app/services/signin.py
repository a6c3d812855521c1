"""Signing in, whatever the method: the password form (local accounts, and LDAP / Active
Directory where configured), single sign-on (OpenID Connect) and the sign-in methods of
plugins (`cergas_auth_backends`). Every method ends in "this is person X"; from there the core
does the rest the same way for all of them (app/auth/flow.py): the second factor when the
person has one or must have one, the login session, and a row in the sign-in log.

The sign-in log (`SignInEvent`) keeps every attempt, successful or not, with the login as
typed, the method, the address and the browser; never a password, code or token. It is kept
SIGN_IN_LOG_DAYS days (`cergas tick` removes older rows)."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from app.extensions import db
from app.models import SignInEvent, User, utcnow
from app.services import access, accounts, site_settings
from app.services.tx import write_transaction

# The methods of the core; a plugin's method is named by its backend (`AuthBackend.name`).
PASSWORD = "password"
LDAP = "ldap"
OIDC = "oidc"
TOTP = "totp"
RECOVERY_CODE = "recovery_code"
API_TOKEN = "api_token"

OUTCOMES = (
    "ok",
    "wrong_credentials",
    "wrong_code",
    "too_many_attempts",
    "unknown_person",
    "refused",
)


def record(
    method: str,
    outcome: str,
    *,
    user: User | None = None,
    login: str = "",
    address: str | None = "",
    user_agent: str | None = "",
) -> None:
    """Add one attempt to the sign-in log, in its own transaction (a refused attempt is logged
    although nothing else is written)."""
    assert outcome in OUTCOMES, outcome
    if not login and user is not None:
        login = user.login
    with write_transaction(keep=(user,) if user is not None else ()):
        db.session.add(
            SignInEvent(
                at=utcnow(),
                user_id=user.id if user is not None else None,
                login=(login or "")[:200],
                method=method[:40],
                outcome=outcome,
                address=(address or "")[:64],
                user_agent=(user_agent or "")[:200],
            )
        )


def two_factor_required(user: User) -> bool:
    """Whether the office's rule (an administrator's setting) asks this person for a second
    factor: nobody, administrators, administrators and heads of units (Plt/Plh included while
    they act), or everyone."""
    rule = site_settings.get(site_settings.TWO_FACTOR_REQUIRED)
    if rule == "everyone":
        return True
    if rule in ("admins", "admins_heads") and user.is_admin:
        return True
    if rule == "admins_heads":
        return bool(access.managed_unit_ids(user))
    return False


def second_factor_step(user: User) -> str | None:
    """What signing in still asks of this person after the first step: `code` (they have an
    authenticator), `enrol` (the office requires one and they have none yet), or None."""
    if user.totp_enabled_at is not None:
        return "code"
    if two_factor_required(user):
        return "enrol"
    return None


def start(
    user: User,
    method: str,
    *,
    address: str | None = "",
    user_agent: str | None = "",
    two_factor: bool = False,
    login: str = "",
) -> str:
    """A new login session after a successful sign-in, recorded in the sign-in log; returns the
    session id for the session cookie."""
    session_id = accounts.start_session(
        user, user_agent or "", address or "", method=method, two_factor=two_factor
    )
    record(method, "ok", user=user, login=login, address=address, user_agent=user_agent)
    return session_id


def recent(user: User, limit: int = 10) -> list[SignInEvent]:
    """The person's latest sign-in attempts, newest first."""
    return db.session.scalars(
        select(SignInEvent)
        .where(SignInEvent.user_id == user.id)
        .order_by(SignInEvent.at.desc(), SignInEvent.id.desc())
        .limit(limit)
    ).all()


def purge_log() -> int:
    """Delete the sign-in log rows older than SIGN_IN_LOG_DAYS (from `cergas tick`)."""
    days = int(current_app.config["SIGN_IN_LOG_DAYS"])
    with write_transaction():
        return db.session.execute(
            delete(SignInEvent).where(SignInEvent.at < utcnow() - timedelta(days=days))
        ).rowcount
