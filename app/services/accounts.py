"""Units, people and sign-in: creation, password checks, API tokens and login sessions with
their lifetimes."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.models import (
    ApiToken,
    LoginSession,
    Membership,
    Unit,
    User,
    utcnow,
)
from app.services import password_rules, person_fields, units
from app.services import validation as v
from app.services.access import forget_unit_tree
from app.services.cards import find_user
from app.services.errors import Conflict, Invalid, NotFound, Unauthorized
from app.services.tx import write_transaction


def create_unit(code, name, parent_code=None, timezone="Asia/Jakarta", *, actor=None) -> Unit:
    """Kept for the callers that create units alongside people: app/services/units.py."""
    return units.create_unit(code, name, parent_code, timezone, actor=actor)


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
    position=None,
    phone=None,
) -> User:
    """A new person, checked field by field as everywhere (app/services/person_fields.py),
    optionally in one unit with a role. Without a password (None) the account cannot be signed
    in to until a reset link sets one. Permissions and the administrative log are the callers'
    business (app/services/people.py; the CLI and the demo act as the machine's owner)."""
    fields = v.Fields()
    try:
        cleaned = person_fields.clean_person(
            {
                "nip": nip,
                "username": username,
                "name": name,
                "position": position,
                "email": email,
                "phone": phone,
                "unit": unit_code,
                "role": role,
                "admin": bool(admin),
                "locale": locale,
            }
        )
    except Invalid as exc:
        fields.errors.update(exc.fields)
        cleaned = {}
    if password is not None:
        person = (cleaned.get("name") or name, cleaned.get("nip"), cleaned.get("username"))
        fields.clean("password", password_rules.check_person, password, person)
    fields.raise_if_any()
    with write_transaction():
        check_logins_free(cleaned.get("nip"), cleaned.get("username"))
        user = User(
            name=cleaned["name"],
            nip=cleaned["nip"],
            username=cleaned["username"],
            email=cleaned["email"],
            locale=cleaned["locale"],
            position=cleaned["position"] or "",
            phone=cleaned["phone"],
            is_admin=cleaned["admin"],
            password_hash=hash_password(password)
            if password is not None
            else person_fields.UNUSABLE_PASSWORD,
        )
        if unit_code:
            unit = units.active_unit_by_code(unit_code)
            user.memberships.append(Membership(unit=unit, role=cleaned["role"]))
        db.session.add(user)
    forget_unit_tree()
    return user


def hash_password(password: str) -> str:
    return generate_password_hash(
        password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    )


def check_logins_free(nip, username, *, exclude_id=None) -> None:
    """Conflict (409, naming the field) when another person has this NIP or username."""
    for field, column, value in (("nip", User.nip, nip), ("username", User.username, username)):
        if not value:
            continue
        statement = select(User.name).where(column == value)
        if exclude_id is not None:
            statement = statement.where(User.id != exclude_id)
        holder = db.session.scalar(statement)
        if holder is None:
            # A NIP used as someone's username (or the other way round) is taken too: both
            # are sign-in names.
            other = User.username if field == "nip" else User.nip
            statement = select(User.name).where(other == value)
            if exclude_id is not None:
                statement = statement.where(User.id != exclude_id)
            holder = db.session.scalar(statement)
        if holder is not None:
            message = _("%(login)s is taken already (by %(name)s).", login=value, name=holder)
            raise Conflict("duplicate", message, {field: message})


def set_locale(user: User, locale) -> None:
    if locale not in current_app.config["LANGUAGES"]:
        raise v.invalid({"locale": _("Choose one of: %(options)s.", options="id, en")}) from None
    with write_transaction():
        db.session.get(User, user.id).locale = locale


def wrong_credentials() -> Unauthorized:
    """The one answer to an unknown account, a wrong password and an inactive account."""
    return Unauthorized("invalid_credentials", _("Wrong NIP/username or password."))


def find_login(login) -> User | None:
    """The account a login form names (NIP or username), or None."""
    if not isinstance(login, str) or not login.strip():
        return None
    return find_user(login.strip())


def _dummy_hash() -> str:
    """A hash made with the configured method, checked for unknown accounts so that they cost
    as much time as known ones."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash("cergas-timing-equaliser", method=method)
    return _DUMMY_HASHES[method]


_DUMMY_HASHES: dict[str, str] = {}


def check_password(user: User | None, password) -> User:
    """`user` when `password` is theirs and the account is active; else `wrong_credentials`.
    Failed attempts are counted (and slowed) by app/services/ratelimit.py, not here."""
    if not isinstance(password, str):
        raise wrong_credentials()
    valid = check_password_hash(user.password_hash if user else _dummy_hash(), password)
    if user is not None and valid and user.active:
        return user
    raise wrong_credentials()


def authenticate(login, password) -> User:
    """Check a login (NIP or username) and password, without any rate limit (the CLI and
    tests); sign-in forms and the API go through `ratelimit.authenticate_from`."""
    return check_password(find_login(login), password)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# API tokens ---------------------------------------------------------------------------------

TOKEN_MAX_DAYS = 3650
# How precisely `last_used_at` and `last_seen_at` are kept: a request writes them only when
# they are older than this, so a busy client does not write on every request.
LAST_USE_PRECISION = timedelta(minutes=5)


def clean_token_request(name, expires_in_days) -> tuple[str, int | None]:
    """A token's label and lifetime in days (None: until revoked), or Invalid."""
    fields = v.Fields()
    name = fields.clean("name", v.text, name, field_max=100) or ""
    days = fields.clean(
        "expires_in_days", v.optional_int, expires_in_days, minimum=1, maximum=TOKEN_MAX_DAYS
    )
    fields.raise_if_any()
    return name, days


def issue_token(user: User, name: str = "", expires_in_days: int | None = None):
    """A new API token for the user: (the stored row, the secret). Only the secret's hash is
    kept, so show the secret once."""
    name, days = clean_token_request(name, expires_in_days)
    secret = "cg_" + secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(
        user_id=user.id,
        token_hash=_hash_token(secret),
        name=name,
        created_at=now,
        expires_at=now + timedelta(days=days) if days else None,
    )
    with write_transaction():
        db.session.add(row)
    return row, secret


def create_token(user: User, name: str = "", expires_in_days: int | None = None) -> str:
    """A new API token for the user; only its hash is kept, so show the returned value once."""
    return issue_token(user, name[:100], expires_in_days)[1]


# Every API request runs this query: built once, so that SQLAlchemy neither builds it nor
# computes its cache key again (together about a quarter of its cost). The user's standing
# (memberships, acting appointments, teams) is read once per request by app/services/access.py.
_USER_FOR_TOKEN = (
    select(User, ApiToken.id, ApiToken.expires_at, ApiToken.last_used_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
)


def check_token(token: str) -> User:
    """The active owner of a live API token; Unauthorized `unauthorized` (unknown, revoked,
    inactive owner) or `token_expired`. Records the token's use (to LAST_USE_PRECISION)."""
    invalid = Unauthorized("unauthorized", _("This API token is not valid or has been revoked."))
    if not token or len(token) > 200:
        raise invalid
    row = db.session.execute(_USER_FOR_TOKEN, {"token_hash": _hash_token(token)}).first()
    if row is None or not row[0].active:
        raise invalid
    user, token_id, expires_at, last_used_at = row
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        raise Unauthorized(
            "token_expired",
            _(
                "This API token expired on %(when)s UTC. Create a new one.",
                when=expires_at.isoformat(sep=" ", timespec="minutes"),
            ),
        )
    if last_used_at is None or now - last_used_at >= LAST_USE_PRECISION:
        with write_transaction(keep=(user,)):
            db.session.execute(
                update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
            )
    return user


def user_for_token(token: str) -> User | None:
    """The owner of a live API token, or None."""
    try:
        return check_token(token)
    except Unauthorized:
        return None


def list_tokens(user: User) -> list[ApiToken]:
    """The person's tokens that were not revoked (expired ones too), newest first."""
    return db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).all()


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the person's own tokens; anyone else's (or a revoked one) is NotFound."""
    with write_transaction():
        row = db.session.scalar(
            select(ApiToken).where(
                ApiToken.id == token_id,
                ApiToken.user_id == user.id,
                ApiToken.revoked_at.is_(None),
            )
        )
        if row is None:
            raise NotFound("not_found", _("You have no such API token."))
        row.revoked_at = utcnow()
    return row


def revoke_tokens(user: User) -> int:
    with write_transaction():
        tokens = db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ).all()
        for token in tokens:
            token.revoked_at = utcnow()
    return len(tokens)


# Login sessions -----------------------------------------------------------------------------


def session_lifetimes() -> tuple[timedelta, timedelta]:
    """(idle, absolute): how long a login session lasts without a request, and at most."""
    config = current_app.config
    return (
        timedelta(minutes=int(config["SESSION_IDLE_MINUTES"])),
        timedelta(hours=int(config["SESSION_MAX_HOURS"])),
    )


def _live_sessions(now):
    idle, absolute = session_lifetimes()
    return (
        LoginSession.ended_at.is_(None),
        LoginSession.last_seen_at > now - idle,
        LoginSession.created_at > now - absolute,
    )


def start_session(
    user: User,
    user_agent: str = "",
    address: str = "",
    *,
    method: str = "password",
    two_factor: bool = False,
) -> str:
    """A new login session for the user; the returned id goes into the session cookie.
    Sign-in views go through app/services/signin.py, which also logs the sign-in."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    with write_transaction():
        db.session.add(
            LoginSession(
                user_id=user.id,
                sid_hash=_hash_token(session_id),
                created_at=now,
                last_seen_at=now,
                user_agent=(user_agent or "")[:200],
                address=(address or "")[:64],
                method=method[:40],
                two_factor=two_factor,
            )
        )
    return session_id


def session_digest(session_id) -> str | None:
    """What the database keeps of a session id (to find the current one in a list)."""
    return _hash_token(session_id) if isinstance(session_id, str) and session_id else None


def user_for_session(user_id, session_id, *, touch: bool = True) -> User | None:
    """The active user of a live login session, in one query; None once it has ended, sat idle
    for SESSION_IDLE_MINUTES, or began more than SESSION_MAX_HOURS ago. With `touch`, this
    request counts as activity and keeps it alive (recorded to LAST_USE_PRECISION)."""
    if not isinstance(session_id, str) or not session_id or len(session_id) > 100:
        return None
    try:
        user_id = int(user_id)
    except (TypeError, ValueError):
        return None
    now = utcnow()
    row = db.session.execute(
        select(User, LoginSession.id, LoginSession.last_seen_at)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(
            User.id == user_id,
            User.active.is_(True),
            LoginSession.sid_hash == _hash_token(session_id),
            *_live_sessions(now),
        )
    ).first()
    if row is None:
        return None
    user, row_id, last_seen_at = row
    idle, _absolute = session_lifetimes()
    if touch and now - last_seen_at >= min(LAST_USE_PRECISION, idle / 10):
        with write_transaction(keep=(user,)):
            db.session.execute(
                update(LoginSession).where(LoginSession.id == row_id).values(last_seen_at=now)
            )
    return user


def list_sessions(user: User) -> list[LoginSession]:
    """The person's live login sessions, most recently used first."""
    return db.session.scalars(
        select(LoginSession)
        .where(LoginSession.user_id == user.id, *_live_sessions(utcnow()))
        .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())
    ).all()


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


def end_session_by_id(user: User, row_id: int) -> LoginSession:
    """End one of the person's own live sessions (from the sessions page); else NotFound."""
    with write_transaction():
        row = db.session.scalar(
            select(LoginSession).where(
                LoginSession.id == row_id,
                LoginSession.user_id == user.id,
                *_live_sessions(utcnow()),
            )
        )
        if row is None:
            raise NotFound("not_found", _("You have no such session."))
        row.ended_at = utcnow()
    return row


def sign_out_everywhere(user: User) -> tuple[int, int]:
    """End every login session and revoke every API token of the person, this one included:
    (sessions ended, tokens revoked)."""
    now = utcnow()
    with write_transaction():
        sessions = db.session.execute(
            update(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
            .values(ended_at=now)
        ).rowcount
        tokens = db.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        ).rowcount
    return sessions, tokens


def purge_sessions() -> int:
    """Delete the rows of sessions that ended or expired (from `cergas tick`)."""
    now = utcnow()
    idle, absolute = session_lifetimes()
    with write_transaction():
        return db.session.execute(
            delete(LoginSession).where(
                or_(
                    LoginSession.ended_at.is_not(None),
                    LoginSession.last_seen_at <= now - idle,
                    LoginSession.created_at <= now - absolute,
                )
            )
        ).rowcount
