"""Passwords: changing one's own, reset links asked for by email, reset links issued by an admin
or head (for people without email, and the first sign-in of people created without a
password), and setting one from the server's command line.

A reset link carries a random secret; only its SHA-256 is stored (`PasswordReset`). It is used
once, expires (PASSWORD_RESET_MINUTES when asked for by email, PASSWORD_ISSUED_RESET_HOURS when
issued), and dies as soon as the password changes by any other way. Using it ends every
session and API token of the person. Asking for one always gets the same answer, in about the
same time, whether the account exists or not; the email leaves after the answer.
"""

import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import ApiToken, LoginSession, PasswordReset, User, utcnow
from app.services import access, accounts, admin_log, mail, password_rules, people, ratelimit
from app.services import validation as v
from app.services.cards import find_user
from app.services.errors import Conflict, Forbidden, NotFound, TooManyAttempts, Unauthorized
from app.services.notifications import reader_timezone
from app.services.person_fields import UNUSABLE_PASSWORD
from app.services.tx import after_commit, write_transaction

log = logging.getLogger(__name__)

# Where a reset link points: RESET_PATH + the secret (the page app/auth/passwords.py serves).
RESET_PATH = "/auth/reset/"
SECRET_BYTES = 32
HOUR = 3600


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _hash_password(password: str) -> str:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


def never_had_password(user: User) -> bool:
    """True for an account nobody has signed in to with a password yet (created or imported
    without one): its first reset link is its activation."""
    return user.password_hash == UNUSABLE_PASSWORD


def _check_new(fields: v.Fields, user: User, new, confirm, *, name="new_password") -> None:
    password = fields.clean(name, password_rules.check_for, user, new)
    if password is not None and confirm != new:
        fields.errors["confirm_password"] = _("The two passwords are not the same.")


def _store(user: User, password: str, now: datetime) -> None:
    """Set the password and kill every unused reset link (in the caller's transaction)."""
    user.password_hash = _hash_password(password)
    user.password_changed_at = now
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )


def _end_sign_ins(user: User, now: datetime, *, keep_session=None, keep_token=None):
    """End the person's login sessions and revoke their API tokens, but the ones named:
    (sessions ended, tokens revoked)."""
    sessions = update(LoginSession).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_(None)
    )
    kept = accounts.session_digest(keep_session)
    if kept is not None:
        sessions = sessions.where(LoginSession.sid_hash != kept)
    tokens = update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if isinstance(keep_token, str) and keep_token:
        tokens = tokens.where(ApiToken.token_hash != _digest(keep_token))
    ended = db.session.execute(sessions.values(ended_at=now)).rowcount
    revoked = db.session.execute(tokens.values(revoked_at=now)).rowcount
    return ended, revoked


# Changing one's own password ------------------------------------------------------------------


@dataclass(frozen=True)
class Changed:
    sessions_ended: int
    tokens_revoked: int


def change_password(
    user: User,
    current,
    new,
    confirm,
    *,
    client: str | None = None,
    keep_session: str | None = None,
    keep_token: str | None = None,
) -> Changed:
    """Change one's own password: the current one is required (a wrong one counts as a failed
    login, app/services/ratelimit.py), the new one twice. Every other login session and API
    token of the person ends (the one making the change stays: `keep_session`, the browser's
    session id, or `keep_token`, the API token of the request); unused reset links die.
    Invalid names each bad field."""
    fields = v.Fields()
    _check_new(fields, user, new, confirm)
    if not isinstance(current, str) or not current:
        fields.errors["current_password"] = _("This field is required.")
    else:
        try:
            ratelimit.verify_from(client, user, current)
        except Unauthorized:
            fields.errors["current_password"] = _("The current password is wrong.")
    if not fields.errors and current == new:
        fields.errors["new_password"] = _("The new password is the same as the current one.")
    fields.raise_if_any()
    now = utcnow()
    with write_transaction(keep=(user,)):
        person = db.session.get(User, user.id)
        _store(person, new, now)
        ended, revoked = _end_sign_ins(
            person, now, keep_session=keep_session, keep_token=keep_token
        )
        admin_log.record(
            "user.password_changed",
            person,
            "user",
            person,
            after={"sessions_ended": ended, "tokens_revoked": revoked},
        )
    return Changed(ended, revoked)


def set_password(actor: User | None, user: User, new, confirm, *, note: str = "") -> Changed:
    """Set someone's password from the server's command line (`actor` None: the operator).
    Every session and API token of the person ends and unused reset links die."""
    fields = v.Fields()
    _check_new(fields, user, new, confirm)
    fields.raise_if_any()
    now = utcnow()
    with write_transaction():
        person = db.session.get(User, user.id)
        _store(person, new, now)
        ended, revoked = _end_sign_ins(person, now)
        admin_log.record(
            "user.password_set",
            actor,
            "user",
            person,
            after={"sessions_ended": ended, "tokens_revoked": revoked},
            note=note,
        )
    return Changed(ended, revoked)


# Reset links ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedLink:
    user: User
    secret: str
    path: str
    expires_at: datetime
    emailed: bool
    activation: bool


def _new_link(user: User, lifetime: timedelta, created_by: User | None, now: datetime):
    secret = secrets.token_urlsafe(SECRET_BYTES)
    row = PasswordReset(
        user_id=user.id,
        token_hash=_digest(secret),
        created_at=now,
        expires_at=now + lifetime,
        created_by_id=created_by.id if created_by is not None else None,
    )
    db.session.add(row)
    return row, secret


def may_issue_link(actor: User, person: User) -> bool:
    """Admins for anyone but themselves; heads for the people they manage (app/services/people.py
    `may_manage`: never an admin, never themselves, a fellow head only from above)."""
    if actor.id == person.id or not person.active:
        return False
    if person.is_admin and not actor.is_admin:
        return False
    return people.may_manage(actor, person)


def _issuable(actor: User | None, login) -> User:
    person = find_user(login) if isinstance(login, str) and login.strip() else None
    if person is None or (actor is not None and not access.can_view_person(actor, person)):
        raise NotFound("not_found", _("There is no such person."))
    if actor is not None:
        if actor.id == person.id:
            raise Forbidden(
                "forbidden",
                _("Not for yourself: change your own password on the password page."),
            )
        if person.is_admin and not actor.is_admin:
            raise Forbidden(
                "forbidden", _("Only an administrator may issue a link for an administrator.")
            )
        if not people.may_manage(actor, person):
            raise Forbidden(
                "forbidden", _("Only their head or an administrator may issue this link.")
            )
    if not person.active:
        raise Conflict("inactive", _("This account is deactivated; reactivate it first."))
    return person


def issue_link(actor: User | None, login, *, send_email: bool = False) -> IssuedLink:
    """A reset link for someone, to hand over (printed, by WhatsApp), valid for
    PASSWORD_ISSUED_RESET_HOURS; also emailed when `send_email` and the person has an address.
    For admins and the person's heads (never for an admin unless by an admin, never for
    oneself); `actor` None is the server's operator (the CLI)."""
    person = _issuable(actor, login)
    hours = int(current_app.config["PASSWORD_ISSUED_RESET_HOURS"])
    now = utcnow()
    emailing = bool(send_email and person.email and can_email_links())
    activation = never_had_password(person)
    with write_transaction():
        person = db.session.get(User, person.id)
        row, secret = _new_link(person, timedelta(hours=hours), actor, now)
        admin_log.record(
            "user.password_reset_issued",
            actor,
            "user",
            person,
            after={"expires_at": row.expires_at, "emailed": emailing},
        )
        if emailing:
            message = _reset_email(person, secret, row.expires_at, issued_by=actor)
            after_commit(lambda: _send_later(person.email, *message))
    return IssuedLink(person, secret, RESET_PATH + secret, row.expires_at, emailing, activation)


def request_link(identifier, *, client: str | None = None) -> None:
    """Someone forgot their password: email a reset link to the account named by NIP,
    username or email address, when there is such an active account with an address. Always
    the same answer (None), in about the same time; the email leaves after the answer. Too
    many requests from one address: TooManyAttempts; too many for one account: silently none."""
    started = time.monotonic()
    identifier = v.text(identifier, field_max=200) if isinstance(identifier, str) else None
    if not identifier:
        raise v.invalid({"login": _("Type your NIP, username or email address.")}) from None
    config = current_app.config
    address_key = f"reset:address:{_digest(client or 'unknown')[:32]}"
    if not ratelimit.spend(address_key, int(config["PASSWORD_RESETS_PER_ADDRESS"]), HOUR):
        raise TooManyAttempts(
            "too_many_attempts",
            _("Too many requests from this address. Wait an hour and try again."),
            retry_after=HOUR,
        )
    people = _people_named(identifier)
    wanted = [
        person
        for person in people
        if ratelimit.spend(
            f"reset:user:{person.id}", int(config["PASSWORD_RESETS_PER_ACCOUNT"]), HOUR
        )
    ]
    if wanted and not can_email_links():
        log.warning("password reset asked for, but SMTP_URL or BASE_URL is not set: no email")
    elif wanted:
        _email_links(wanted)
    else:
        # The same work as for a real account: a secret and its digest.
        _digest(secrets.token_urlsafe(SECRET_BYTES))
    floor = float(config.get("PASSWORD_RESET_ANSWER_SECONDS", 0))
    remaining = floor - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)


def can_email_links() -> bool:
    """Reset links leave by email only with SMTP_URL and BASE_URL set: a link must be absolute,
    and never built from the address a request claims to come to (the Host header), which
    would let anyone have someone's link point to a site of their own."""
    return mail.configured() and mail.base_url() is not None


def _people_named(identifier: str) -> list[User]:
    """Active people with an email address named by their NIP, username or address."""
    if "@" in identifier:
        statement = select(User).where(func.lower(User.email) == identifier.lower()).limit(5)
        people = list(db.session.scalars(statement))
    else:
        person = find_user(identifier)
        people = [person] if person is not None else []
    return [person for person in people if person.active and (person.email or "").strip()]


def _email_links(people: list[User]) -> None:
    minutes = int(current_app.config["PASSWORD_RESET_MINUTES"])
    now = utcnow()
    with write_transaction():
        for person in people:
            person = db.session.get(User, person.id)
            row, secret = _new_link(person, timedelta(minutes=minutes), None, now)
            message = _reset_email(person, secret, row.expires_at)
            admin_log.record(
                "user.password_reset_requested",
                None,
                "user",
                person,
                after={"expires_at": row.expires_at},
            )
            address = person.email
            after_commit(lambda address=address, message=message: _send_later(address, *message))


def _reset_email(user: User, secret: str, expires_at: datetime, issued_by=None):
    """(subject, body) of a reset email, in the person's language."""
    link = mail.absolute_link(RESET_PATH + secret)
    zone = reader_timezone(user)
    with force_locale(user.locale or "id"):
        until = _local_text(expires_at, zone)
        if never_had_password(user):
            subject = _("Activate your Cergas account")
            opening = _("Hello %(name)s, an account on Cergas is ready for you.", name=user.name)
            action = _("Choose your password here to activate it (the link works once):")
        else:
            subject = _("Reset your Cergas password")
            opening = _("Hello %(name)s,", name=user.name)
            action = _(
                "A new password was asked for your account (%(login)s). Choose it here (the "
                "link works once):",
                login=user.login,
            )
        lines = [opening, "", action, link, "", _("The link expires at %(when)s.", when=until)]
        if issued_by is not None:
            lines += ["", _("Issued by %(name)s.", name=issued_by.name)]
        lines += [
            "",
            _("If you did not ask for this, ignore this email: your password stays as it is."),
        ]
    return subject, "\n".join(lines)


def _local_text(moment: datetime, zone: str) -> str:
    local = moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(zone))
    return local.strftime("%d-%m-%Y %H:%M ") + local.tzname()


def _send_later(address: str, subject: str, body: str) -> None:
    """Send in a thread of its own, so the answer does not wait for (or reveal) the mail
    server; a failure is logged."""
    app = current_app._get_current_object()

    def run():
        with app.app_context():
            try:
                if not mail.send_email(address, subject, body):
                    log.warning("password reset email not sent: SMTP_URL is not set")
            except Exception:
                log.exception("password reset email to %s failed", address)

    thread = threading.Thread(target=run, name="cergas-reset-mail", daemon=True)
    # Kept (the finished ones dropped) so that tests and the CLI can wait for them.
    running = [t for t in app.extensions.get("cergas_mail_threads", []) if t.is_alive()]
    app.extensions["cergas_mail_threads"] = [*running, thread]
    thread.start()


def wait_for_mail(app, timeout: float = 10.0) -> None:
    """Wait for the reset emails started so far to leave (tests, the CLI)."""
    for thread in app.extensions.pop("cergas_mail_threads", []):
        thread.join(timeout)


def _live_link(secret) -> PasswordReset | None:
    if not isinstance(secret, str) or not secret or len(secret) > 100:
        return None
    row = db.session.scalar(
        select(PasswordReset)
        .join(User, User.id == PasswordReset.user_id)
        .where(
            PasswordReset.token_hash == _digest(secret),
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > utcnow(),
            User.active.is_(True),
            or_(
                User.password_changed_at.is_(None),
                PasswordReset.created_at >= User.password_changed_at,
            ),
        )
    )
    return row


def link_owner(secret) -> User | None:
    """The person a live reset link is for, or None (unknown, used, expired, or the password
    changed since it was made)."""
    row = _live_link(secret)
    return row.user if row is not None else None


def dead_link() -> NotFound:
    return NotFound(
        "link_expired",
        _("This link has been used already or has expired."),
        status=410,
    )


def use_link(secret, new, confirm) -> User:
    """Set a new password with a reset link: the link is used up, every session and API token
    of the person ends, and their other links die. A dead link: `dead_link()` (410)."""
    row = _live_link(secret)
    if row is None:
        raise dead_link()
    fields = v.Fields()
    _check_new(fields, row.user, new, confirm)
    fields.raise_if_any()
    now = utcnow()
    activation = never_had_password(row.user)
    with write_transaction():
        # Claimed by one request only: of two at the same moment, the second finds it used.
        claimed = db.session.execute(
            update(PasswordReset)
            .where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
        ).rowcount
        if claimed != 1:
            raise dead_link()
        person = db.session.get(User, row.user_id)
        _store(person, new, now)
        ended, revoked = _end_sign_ins(person, now)
        admin_log.record(
            "user.activated" if activation else "user.password_reset",
            person,
            "user",
            person,
            after={"sessions_ended": ended, "tokens_revoked": revoked},
        )
    return person
