"""Two-factor sign-in with an authenticator app (TOTP, RFC 6238) and single-use recovery codes.

A person turns it on in two steps: `start_enrolment` stores a new secret (`User.totp_secret`)
that does nothing yet, shown as a QR code and as a key to type; the first correct code
(`confirm_enrolment`) switches it on (`totp_enabled_at`) and makes ten recovery codes, shown once
(only their SHA-256 is kept). From then on signing in asks for a code after the first step
(app/auth/flow.py); the office's rule (`site_settings.TWO_FACTOR_REQUIRED`) may require it of
administrators, heads or everyone, who then enrol at their next sign-in.

A code is accepted one time step (30 s) early or late, for clocks that drift, and never twice:
the step of the last code accepted is kept (`totp_last_step`) and a code of that step or an
earlier one is refused. The step is claimed by one conditional UPDATE, so of two requests
racing with the same code only one gets in. Every check of a code runs under the rate limits of
passwords (`ratelimit.counted`) and every refusal is written to the sign-in log; no secret or
code ever reaches a log.
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import pyotp
import segno
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update

from app.extensions import db
from app.models import RecoveryCode, Unit, User, utcnow
from app.services import accounts, admin_log, person_fields, ratelimit, signin
from app.services import validation as v
from app.services.errors import Conflict, Forbidden, NotFound, TooManyAttempts, Unauthorized
from app.services.tx import write_transaction

ISSUER = "Cergas"
RECOVERY_CODE_COUNT = 10
# Recovery codes: ten characters without look-alikes (no 0/o, 1/l/i), shown as two groups of five.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
# A code is accepted this many 30-second steps before or after the server's clock.
VALID_WINDOW = 1

# The clock in seconds; tests replace it to move between time steps.
clock = time.time


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the QR code (inline SVG), the key to type, and the
    address the QR code holds. Never logged, never stored but as the secret itself."""

    uri: str
    qr_svg: str
    key: str  # the secret in groups of four characters


# Checking codes ------------------------------------------------------------------------------


def clean_code(value) -> str | None:
    """The six digits of an authenticator code as typed (spaces allowed), or None."""
    if not isinstance(value, str):
        return None
    digits = "".join(value.split())
    if len(digits) != 6 or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def clean_recovery_code(value) -> str | None:
    """A recovery code as typed (any case, with or without the dash and spaces), or None."""
    if not isinstance(value, str):
        return None
    code = "".join(value.split()).replace("-", "").lower()
    if len(code) != _RECOVERY_LENGTH or any(ch not in _RECOVERY_ALPHABET for ch in code):
        return None
    return code


def wrong_code() -> Unauthorized:
    return Unauthorized("invalid_totp", _("The code is wrong or was already used."))


def wrong_recovery_code() -> Unauthorized:
    return Unauthorized("invalid_totp", _("The recovery code is wrong or was already used."))


def _matching_step(secret: str, code: str) -> int | None:
    """The time step whose code `code` is, within the window around now; None if none."""
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(clock())
    for step in range(now_step + VALID_WINDOW, now_step - VALID_WINDOW - 1, -1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _claim_step(user: User, step: int, *, enable=None) -> bool:
    """Record `step` as the last one accepted, unless it (or a later one) already was: one
    conditional UPDATE, so two requests with the same code cannot both pass. `enable` (a
    function) switches two-factor sign-in on in the same transaction."""
    values = {"totp_last_step": step}
    if enable is not None:
        values["totp_enabled_at"] = utcnow()
    with write_transaction(keep=(user,)):
        claimed = db.session.execute(
            update(User)
            .where(
                User.id == user.id,
                or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed == 1 and enable is not None:
            enable()
    db.session.expire(user, ["totp_last_step", "totp_enabled_at"])
    return claimed == 1


def _code_check(user: User, secret: str | None, value, *, enable=None):
    """The check `ratelimit.counted` runs for an authenticator code."""

    def check() -> None:
        code = clean_code(value)
        step = _matching_step(secret, code) if code and secret else None
        if step is None or not _claim_step(user, step, enable=enable):
            raise wrong_code()

    return check


def _recovery_check(user: User, value):
    """The check `ratelimit.counted` runs for a recovery code: it is used up by a conditional
    UPDATE, so it works once even when two requests race with it."""

    def check() -> None:
        code = clean_recovery_code(value)
        if code is None or user.totp_enabled_at is None:
            raise wrong_recovery_code()
        with write_transaction(keep=(user,)):
            used = db.session.execute(
                update(RecoveryCode)
                .where(
                    RecoveryCode.user_id == user.id,
                    RecoveryCode.code_hash == _digest(code),
                    RecoveryCode.used_at.is_(None),
                )
                .values(used_at=utcnow())
                .execution_options(synchronize_session=False)
            ).rowcount
        if used != 1:
            raise wrong_recovery_code()

    return check


@dataclass(frozen=True)
class Client:
    """Who is asking, as the rate limits and the sign-in log see them."""

    address: str = ""
    user_agent: str = ""
    login: str = ""  # the login as typed at the first step, for the sign-in log


def _counted(user: User, client: Client, method: str, check) -> None:
    """Run `check` under the rate limits; log a refusal (wrong code or a wait) in the sign-in
    log under `method`.

    Codes are counted under an account key of their own (`second-factor:<id>`), not the
    person's: the correct password that comes before every code clears the password's count,
    and must not clear the count of wrong codes (else someone holding the password could try
    codes without ever waiting). The address is counted as for passwords."""
    login = client.login or user.login
    try:
        ratelimit.counted(client.address, f"second-factor:{user.id}", None, check)
    except (Unauthorized, TooManyAttempts) as exc:
        outcome = "too_many_attempts" if isinstance(exc, TooManyAttempts) else "wrong_code"
        signin.record(
            method,
            outcome,
            user=user,
            login=login,
            address=client.address,
            user_agent=client.user_agent,
        )
        raise


def verify_code(user: User, value, client: Client = Client()) -> None:
    """Accept an authenticator code of a person who has two-factor sign-in on, or raise
    Unauthorized `invalid_totp` (wrong, reused) or TooManyAttempts."""
    secret = user.totp_secret if user.totp_enabled_at is not None else None
    _counted(user, client, signin.TOTP, _code_check(user, secret, value))


def use_recovery_code(user: User, value, client: Client = Client()) -> int:
    """Accept (and use up) one of the person's recovery codes; returns how many are left."""
    _counted(user, client, signin.RECOVERY_CODE, _recovery_check(user, value))
    return recovery_codes_left(user)


def verify_second_factor(user: User, value, client: Client = Client()) -> str:
    """A code or a recovery code in one field (the API's `totp`): six digits are an
    authenticator code, anything else a recovery code. Returns the method that passed."""
    if clean_code(value) is not None or clean_recovery_code(value) is None:
        verify_code(user, value, client)
        return signin.TOTP
    use_recovery_code(user, value, client)
    return signin.RECOVERY_CODE


# Enrolment -----------------------------------------------------------------------------------


def is_enabled(user: User) -> bool:
    return user.totp_enabled_at is not None


def issuer() -> str:
    """What authenticator apps show above the code: Cergas, and the office's name when the
    office is one top unit (an app may hold codes of several offices' Cergas)."""
    tops = db.session.scalars(
        select(Unit.name).where(Unit.parent_id.is_(None), Unit.active.is_(True)).limit(2)
    ).all()
    if len(tops) == 1:
        # A colon separates issuer and account in the label; keep it out.
        return f"{ISSUER} {tops[0].replace(':', ' ')}"[:80]
    return ISSUER


def start_enrolment(user: User) -> Enrolment:
    """A new secret for the person, not in force until `confirm_enrolment`; any earlier
    unfinished one is replaced. Refused while two-factor sign-in is on."""
    if is_enabled(user):
        raise Conflict("two_factor_enabled", _("Two-factor sign-in is already on."))
    with write_transaction(keep=(user,)):
        person = db.session.get(User, user.id)
        person.totp_secret = pyotp.random_base32()
        person.totp_last_step = None
    return enrolment(person)


def enrolment(user: User) -> Enrolment | None:
    """The unfinished enrolment of the person (QR code and key), or None."""
    secret = user.totp_secret
    if not secret or is_enabled(user):
        return None
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.login, issuer_name=issuer())
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(
        scale=4, border=2, dark="#1f2933", light="#ffffff", svgclass="qr-code", title=_("QR code")
    )
    key = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return Enrolment(uri=uri, qr_svg=svg, key=key)


def confirm_enrolment(user: User, value, client: Client = Client()) -> list[str]:
    """Switch two-factor sign-in on with a first correct code from the app; returns the ten
    recovery codes, to be shown once."""
    if is_enabled(user):
        raise Conflict("two_factor_enabled", _("Two-factor sign-in is already on."))
    if not user.totp_secret:
        raise Conflict("no_enrolment", _("Start setting up two-factor sign-in first."))
    codes: list[str] = []

    def enable() -> None:
        codes.extend(_new_recovery_codes(user))
        admin_log.record("user.two_factor_enabled", user, "user", user)

    check = _code_check(user, user.totp_secret, value, enable=enable)
    _counted(user, client, signin.TOTP, check)
    return codes


# Recovery codes ------------------------------------------------------------------------------


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the person's recovery codes (in the caller's transaction); returns them, grouped
    as they are shown (`abcde-fghjk`)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    shown = []
    now = utcnow()
    for _i in range(RECOVERY_CODE_COUNT):
        code = "".join(secrets.choice(_RECOVERY_ALPHABET) for _j in range(_RECOVERY_LENGTH))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_digest(code), created_at=now))
        shown.append(f"{code[:5]}-{code[5:]}")
    return shown


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    )


def has_password(user: User) -> bool:
    """Whether the person has a password to prove it is them: their own, or the directory's
    (LDAP). Someone who only ever signs in through single sign-on has neither; for them a
    current code is the proof."""
    from app.services import ldap_auth

    return user.password_hash != person_fields.UNUSABLE_PASSWORD or ldap_auth.enabled()


def _check_password(user: User, password: str, client: Client) -> None:
    """The person's own password, else (an account without one, LDAP configured) the
    directory's password of this same person; counted like a sign-in either way."""
    from app.services import ldap_auth

    if user.password_hash != person_fields.UNUSABLE_PASSWORD or not ldap_auth.enabled():
        ratelimit.verify_from(client.address, user, password)
        return

    def directory() -> None:
        found, _method = ldap_auth.password_or_directory(user, user.login, password)
        if found.id != user.id:
            raise accounts.wrong_credentials()

    ratelimit.counted(client.address, user.login, user, directory)


def _prove(user: User, code, password, client: Client, *, need_both: bool) -> None:
    """The person proves it is them before a change: a current code (or a recovery code) and/or
    their password (`need_both`: the two, or only the code for someone with no password).
    Invalid names the field that is missing or wrong (each try counted like a sign-in)."""
    fields = v.Fields()
    need_both = need_both and has_password(user)
    has_code = isinstance(code, str) and code.strip() != ""
    given_password = isinstance(password, str) and password != ""
    if need_both or not (has_code or given_password):
        if not has_code:
            fields.errors["code"] = _("Enter the code from your authenticator app.")
        if not given_password and need_both:
            fields.errors["password"] = _("Enter your password.")
    fields.raise_if_any()
    if given_password:
        try:
            _check_password(user, password, client)
        except Unauthorized as exc:
            wrong = exc.code == "invalid_credentials"
            fields.errors["password"] = _("The password is wrong.") if wrong else exc.message
            fields.raise_if_any()
    if has_code or need_both or not given_password:
        try:
            # A recovery code stands in for the app here too (the phone may be the lost thing).
            verify_second_factor(user, code, client)
        except Unauthorized as exc:
            fields.errors["code"] = exc.message
            fields.raise_if_any()


def renew_recovery_codes(user: User, *, code=None, password=None, client=Client()) -> list[str]:
    """A new set of ten recovery codes (the old ones stop working), after a current code or the
    password."""
    if not is_enabled(user):
        raise Conflict("two_factor_off", _("Two-factor sign-in is not on."))
    _prove(user, code, password, client, need_both=False)
    with write_transaction(keep=(user,)):
        codes = _new_recovery_codes(user)
        admin_log.record("user.recovery_codes_renewed", user, "user", user)
    return codes


# Turning off and resetting -------------------------------------------------------------------


def may_turn_off(user: User) -> bool:
    """False when the office's rule requires two-factor sign-in of this person."""
    return not signin.two_factor_required(user)


def _clear(person: User) -> None:
    person.totp_secret = None
    person.totp_enabled_at = None
    person.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == person.id))


def turn_off(user: User, *, password, code, client: Client = Client()) -> None:
    """Switch one's own two-factor sign-in off, with the password and a current code; refused
    when the office requires it of this person."""
    if not is_enabled(user):
        raise Conflict("two_factor_off", _("Two-factor sign-in is not on."))
    if not may_turn_off(user):
        raise Forbidden(
            "two_factor_required",
            _("The office requires two-factor sign-in for you; it cannot be turned off."),
        )
    _prove(user, code, password, client, need_both=True)
    with write_transaction(keep=(user,)):
        person = db.session.get(User, user.id)
        _clear(person)
        admin_log.record("user.two_factor_disabled", person, "user", person)


def reset(actor: User, login: str, reason) -> User:
    """An administrator clears someone's enrolment (a lost phone and lost recovery codes): their
    next sign-in goes without a code, or walks them through enrolment again where the office
    requires it. Recorded in the administrative log with the reason. `actor` may be the server
    console (`cergas users reset-two-factor`)."""
    if not actor.is_admin:
        raise Forbidden(
            "forbidden", _("Only an administrator can reset someone's two-factor sign-in.")
        )
    fields = v.Fields()
    reason = fields.clean("reason", v.text, reason, field_max=300, required=True)
    fields.raise_if_any()
    person = accounts.find_login(login)
    if person is None:
        raise NotFound("not_found", _("No such person."))
    if person.totp_secret is None and person.totp_enabled_at is None:
        raise Conflict("two_factor_off", _("This person has not set up two-factor sign-in."))
    with write_transaction():
        person = db.session.get(User, person.id)
        was_on = person.totp_enabled_at is not None
        _clear(person)
        admin_log.record(
            "user.two_factor_reset",
            actor,
            "user",
            person,
            before={"two_factor": was_on},
            after={"two_factor": False},
            note=reason,
        )
    return person


# API tokens ----------------------------------------------------------------------------------


def check_for_token(user: User, value, address: str | None, login: str = "") -> None:
    """The second factor of `POST /api/v1/tokens` (the password is checked already): nothing
    for a person without two-factor sign-in; else the code in `totp` (or a recovery code),
    401 `totp_required` without one, `invalid_totp` when wrong. A person the office requires to
    use it who has not set it up cannot get a token until they do, in the browser."""
    step = signin.second_factor_step(user)
    if step is None:
        return
    client = Client(address=address or "", login=login if isinstance(login, str) else "")
    if step == "enrol":
        signin.record(signin.API_TOKEN, "refused", user=user, login=client.login, address=address)
        raise Unauthorized(
            "two_factor_enrolment_required",
            _(
                "Your office requires two-factor sign-in for you. Log in with a browser once to "
                'set it up, then ask for a token with the code in "totp".'
            ),
        )
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Unauthorized(
            "totp_required",
            _(
                "Two-factor sign-in is on for this account: send the code of your "
                'authenticator app in "totp".'
            ),
        )
    verify_second_factor(user, value, client)
