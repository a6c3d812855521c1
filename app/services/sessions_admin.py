"""Someone else's sign-ins, for administrators: where a person is signed in, their recent
sign-in attempts, and ending one session or all of them (a lost phone, a shared computer, a
person who left in a hurry). Only administrators: a head of unit manages people's work, not
their accounts' security. Every ending is recorded in the administrative log
(`user.sessions_ended`) with the reason given."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, update

from app.extensions import db
from app.models import ApiToken, LoginSession, SignInEvent, User, utcnow
from app.services import accounts, admin_log, people, signin
from app.services.errors import Forbidden, Invalid, NotFound
from app.services.tx import write_transaction

REASON_MAX = 300


@dataclass(frozen=True)
class PersonSessions:
    person: User
    sessions: list[LoginSession]
    recent: list[SignInEvent]


@dataclass(frozen=True)
class Ended:
    sessions: int
    tokens: int


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden("forbidden", _("Only an administrator may see or end others' sessions."))


def person_of(actor: User, login) -> User:
    """The person named (NIP or username), for an administrator; 403 for anyone else."""
    _require_admin(actor)
    person = people.find_person(login)
    if person is None:
        raise NotFound("not_found", _("Person not found."))
    return person


def sessions_of(actor: User, login, recent: int = 20) -> PersonSessions:
    """The person's live sessions (most recently used first) and latest sign-in attempts."""
    person = person_of(actor, login)
    return PersonSessions(person, accounts.list_sessions(person), signin.recent(person, recent))


def clean_reason(reason) -> str:
    """The reason, required: it is what the administrative log keeps of why."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise Invalid(
            "validation_error",
            _("Some fields are not valid."),
            fields={"reason": _("Say why, for the administrative log.")},
        )
    if len(text) > REASON_MAX:
        message = _("At most %(num)d characters.", num=REASON_MAX)
        raise Invalid("validation_error", _("Some fields are not valid."), {"reason": message})
    return text


def end_session(actor: User, login, session_id, reason) -> LoginSession:
    """End one live session of the person; NotFound when it is not theirs or already over."""
    person = person_of(actor, login)
    note = clean_reason(reason)
    # Any whole number may come from the API: one no row can have is simply not open.
    if type(session_id) is not int or not 0 < session_id < 2**31:
        raise NotFound("not_found", _("This session is not open."))
    with write_transaction(keep=(person,)):
        row = db.session.scalar(
            select(LoginSession).where(
                LoginSession.id == session_id,
                LoginSession.user_id == person.id,
                *accounts._live_sessions(utcnow()),
            )
        )
        if row is None:
            raise NotFound("not_found", _("This session is not open."))
        row.ended_at = utcnow()
        admin_log.record(
            "user.sessions_ended",
            actor,
            "user",
            person,
            after={"sessions_ended": 1, "tokens_revoked": 0},
            note=note,
        )
    return row


def end_all(actor: User, login, reason, *, tokens: bool = False) -> Ended:
    """End every session of the person and, with `tokens`, revoke their API tokens."""
    person = person_of(actor, login)
    note = clean_reason(reason)
    now = utcnow()
    with write_transaction(keep=(person,)):
        ended = db.session.execute(
            update(LoginSession)
            .where(LoginSession.user_id == person.id, *accounts._live_sessions(now))
            .values(ended_at=now)
        ).rowcount
        revoked = 0
        if tokens:
            revoked = db.session.execute(
                update(ApiToken)
                .where(ApiToken.user_id == person.id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=now)
            ).rowcount
        admin_log.record(
            "user.sessions_ended",
            actor,
            "user",
            person,
            after={"sessions_ended": ended, "tokens_revoked": revoked},
            note=note,
        )
    return Ended(ended, revoked)
