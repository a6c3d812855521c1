"""Units, people and sign-in: creation, password checks with lock-out, API tokens."""

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import (
    ROLES,
    TIMEZONES,
    ApiToken,
    LoginSession,
    Membership,
    Unit,
    User,
    utcnow,
)
from app.services import validation as v
from app.services.access import forget_unit_tree, remember_roles
from app.services.cards import find_user
from app.services.errors import Conflict, TooManyAttempts, Unauthorized
from app.services.tx import write_transaction

NIP_PATTERN = re.compile(r"[0-9]{18}")
USERNAME_PATTERN = re.compile(r"[a-z][a-z0-9._-]{2,59}")
# Computed once so a login for an unknown account costs as much as one for a known account.
_DUMMY_HASH = generate_password_hash("cergas-timing-equaliser", method="scrypt")


def create_unit(code, name, parent_code=None, timezone="Asia/Jakarta") -> Unit:
    fields = v.Fields()
    code = fields.clean("code", v.text, code, field_max=40, required=True)
    name = fields.clean("name", v.text, name, field_max=200, required=True)
    if code and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", code):
        fields.errors["code"] = _("Use letters, digits, hyphens and underscores.")
    if timezone not in TIMEZONES:
        fields.errors["timezone"] = _("Choose one of: %(options)s.", options=", ".join(TIMEZONES))
    fields.raise_if_any()
    with write_transaction():
        if db.session.scalar(select(Unit.id).where(Unit.code == code)):
            raise Conflict("duplicate", _("A unit with code %(code)s exists already.", code=code))
        parent = None
        if parent_code:
            parent = db.session.scalar(select(Unit).where(Unit.code == parent_code))
            if parent is None:
                raise v.invalid({"parent": _("No unit has this code.")}) from None
        unit = Unit(code=code, name=name, parent=parent, timezone=timezone)
        db.session.add(unit)
    forget_unit_tree()
    return unit


def validate_password(password) -> str:
    if not isinstance(password, str) or len(password) < 8:
        raise v.FieldError(_("A password has at least 8 characters."))
    if len(password) > 200:
        raise v.FieldError(_("At most %(n)d characters.", n=200))
    return password


def create_user(
    name,
    password,
    *,
    nip=None,
    username=None,
    unit_code=None,
    role="member",
    admin=False,
    email=None,
    locale=None,
) -> User:
    fields = v.Fields()
    name = fields.clean("name", v.text, name, field_max=200, required=True)
    fields.clean("password", validate_password, password)
    if nip and not NIP_PATTERN.fullmatch(nip):
        fields.errors["nip"] = _("A NIP has exactly 18 digits.")
    if username and not USERNAME_PATTERN.fullmatch(username):
        fields.errors["username"] = _(
            "3 to 60 lowercase letters, digits, dots, hyphens or underscores."
        )
    if not nip and not username:
        fields.errors["nip"] = _("Give a NIP or a username.")
    if role not in ROLES:
        fields.errors["role"] = _("Choose one of: %(options)s.", options=", ".join(ROLES))
    if locale not in (None, "id", "en"):
        fields.errors["locale"] = _("Choose one of: %(options)s.", options="id, en")
    fields.raise_if_any()
    with write_transaction():
        for login in filter(None, (nip, username)):
            if find_user(login) is not None:
                raise Conflict("duplicate", _("%(login)s is taken already.", login=login))
        user = User(
            name=name,
            nip=nip or None,
            username=username or None,
            email=email,
            locale=locale,
            is_admin=bool(admin),
            password_hash=generate_password_hash(
                password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
            ),
        )
        if unit_code:
            unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
            if unit is None:
                raise v.invalid({"unit": _("No unit has this code.")}) from None
            user.memberships.append(Membership(unit=unit, role=role))
        db.session.add(user)
    forget_unit_tree()
    return user


def set_locale(user: User, locale) -> None:
    if locale not in current_app.config["LANGUAGES"]:
        raise v.invalid({"locale": _("Choose one of: %(options)s.", options="id, en")}) from None
    with write_transaction():
        db.session.get(User, user.id).locale = locale


def authenticate(login, password) -> User:
    """Check a login (NIP or username) and password, with lock-out after repeated failures."""
    config = current_app.config
    if not isinstance(login, str) or not isinstance(password, str) or not login.strip():
        raise Unauthorized("invalid_credentials", _("Wrong NIP/username or password."))
    with write_transaction():
        user = find_user(login.strip())
        now = utcnow()
        if user is not None and user.locked_until and user.locked_until > now:
            minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
            raise TooManyAttempts(
                "too_many_attempts",
                _(
                    "Too many failed logins. This account is locked; try again in %(m)d minutes.",
                    m=minutes,
                ),
            )
        valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
        if user is not None and valid and user.active:
            user.failed_logins = 0
            user.first_failed_login_at = None
            user.locked_until = None
            return user
        if user is not None:
            window = timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
            if user.first_failed_login_at is None or now - user.first_failed_login_at > window:
                user.first_failed_login_at = now
                user.failed_logins = 0
            user.failed_logins += 1
            if user.failed_logins >= config["LOGIN_MAX_FAILURES"]:
                user.locked_until = now + timedelta(minutes=config["LOGIN_LOCK_MINUTES"])
                user.failed_logins = 0
                user.first_failed_login_at = None
    raise Unauthorized("invalid_credentials", _("Wrong NIP/username or password."))


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "") -> str:
    """A new API token for the user; only its hash is kept, so show the returned value once."""
    token = "cg_" + secrets.token_urlsafe(32)
    with write_transaction():
        db.session.add(ApiToken(user_id=user.id, token_hash=_hash_token(token), name=name[:100]))
    return token


# Every API request runs this query: built once, so that SQLAlchemy neither builds it nor
# computes its cache key again (together about a quarter of its cost). With the user's
# memberships (one row each), which every API request then needs.
_USER_FOR_TOKEN = (
    select(User, Membership.unit_id, Membership.role)
    .join(ApiToken, ApiToken.user_id == User.id)
    .outerjoin(Membership, Membership.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
)


def user_for_token(token: str) -> User | None:
    if not token or len(token) > 200:
        return None
    rows = db.session.execute(_USER_FOR_TOKEN, {"token_hash": _hash_token(token)}).all()
    if not rows or not rows[0][0].active:
        return None
    user = rows[0][0]
    remember_roles(user, [(unit_id, role) for _user, unit_id, role in rows if unit_id is not None])
    return user


def revoke_tokens(user: User) -> int:
    with write_transaction():
        tokens = db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ).all()
        for token in tokens:
            token.revoked_at = utcnow()
    return len(tokens)


def start_session(user: User) -> str:
    """A new login session for the user; the returned id goes into the session cookie."""
    session_id = secrets.token_urlsafe(32)
    with write_transaction():
        db.session.add(LoginSession(user_id=user.id, sid_hash=_hash_token(session_id)))
    return session_id


def user_for_session(user_id, session_id) -> User | None:
    """The active user of a live login session, in one query; None once it has ended."""
    if not isinstance(session_id, str) or not session_id or len(session_id) > 100:
        return None
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
    return db.session.scalar(
        select(User)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            User.id == user_id,
            User.active.is_(True),
            LoginSession.sid_hash == _hash_token(session_id),
            LoginSession.ended_at.is_(None),
        )
    )


def end_session(session_id) -> None:
    """Log a browser out for good: its cookie, even if copied, no longer signs anyone in."""
    if not isinstance(session_id, str) or not session_id:
        return
    with write_transaction():
        row = db.session.scalar(
            select(LoginSession).where(LoginSession.sid_hash == _hash_token(session_id))
        )
        if row is not None and row.ended_at is None:
            row.ended_at = utcnow()
