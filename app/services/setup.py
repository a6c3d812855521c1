"""The first start: on a database without an administrator, whoever can read the server's log
(or run `cergas` on the server) gets a one-time setup code, and with it creates the first
administrator; then the office's top unit (app/services/units.py).

A code is 12 characters from a 32-letter alphabet (60 bits), kept only as its SHA-256, expires
after SETUP_CODE_HOURS and is used once. Wrong guesses are slowed like failed logins
(app/services/ratelimit.py): per client address, and for everyone together. Once an
administrator exists, codes are neither made nor accepted."""

import hashlib
import math
import secrets
import sys
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import inspect, select, update
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import SetupCode, User, utcnow
from app.services import admin_log, password_rules, person_fields, ratelimit
from app.services import validation as v
from app.services.cards import find_user
from app.services.errors import Conflict, NotFound, TooManyAttempts
from app.services.tx import write_transaction

SETUP_CODE_HOURS = 24
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a console
CODE_LENGTH = 12
# Wrong codes allowed before the waits start: per address, and from all addresses together
# (whose waits stay short, so a stranger guessing cannot keep the real admin out for long).
FREE_PER_ADDRESS = 5
FREE_OVERALL = 50
OVERALL_MAX_DELAY_SECONDS = 60


def admin_exists() -> bool:
    return db.session.scalar(select(User.id).where(User.is_admin.is_(True)).limit(1)) is not None


def users_exist() -> bool:
    return db.session.scalar(select(User.id).limit(1)) is not None


def setup_over() -> NotFound:
    return NotFound("not_found", _("Cergas is set up already: sign in instead."))


def normalise(code) -> str:
    """What people type, as stored: upper case, without spaces and hyphens."""
    if not isinstance(code, str):
        return ""
    return "".join(code.split()).replace("-", "").upper()[:64]


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def formatted(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def issue_code() -> str:
    """A fresh setup code as people read it (three groups of four, e.g. KM4A-9P7H-GDNY);
    Conflict once an admin exists. Earlier codes keep working until they expire: each server
    worker may print its own."""
    code = "".join(secrets.choice(ALPHABET) for _i in range(CODE_LENGTH))
    now = utcnow()
    with write_transaction():
        if admin_exists():
            raise Conflict("setup_done", _("An administrator exists already; no code is needed."))
        db.session.add(
            SetupCode(
                code_hash=_digest(code),
                created_at=now,
                expires_at=now + timedelta(hours=SETUP_CODE_HOURS),
            )
        )
    return formatted(code)


def announce(app, stream=None) -> str | None:
    """When the app is about to serve a database without an administrator, print a setup code
    to the server's log (stderr) and return it. Never under TESTING unless a test passes a
    `stream`; nothing happens when the tables are missing (before `cergas db upgrade`)."""
    if app.config.get("TESTING") and stream is None:
        return None
    with app.app_context():
        try:
            if not inspect(db.engine).has_table("setup_codes") or admin_exists():
                return None
            code = issue_code()
        except (SQLAlchemyError, Conflict):
            db.session.rollback()
            return None
        finally:
            db.session.remove()
    lines = [
        "",
        "=" * 64,
        "Cergas has no administrator yet. Open /setup in a browser and enter this",
        f"one-time setup code (valid for {SETUP_CODE_HOURS} hours):",
        "",
        f"    {code}",
        "",
        "Or run `cergas setup` on the server.",
        "=" * 64,
        "",
    ]
    print("\n".join(lines), file=stream or sys.stderr, flush=True)
    return code


# Checking a code ------------------------------------------------------------------------------


def _limits(client: str | None) -> list[ratelimit.Limit]:
    config = current_app.config
    address = hashlib.sha256((client or "unknown").encode()).hexdigest()[:32]
    return [
        ratelimit.Limit(
            f"setup:address:{address}", FREE_PER_ADDRESS, int(config["LOGIN_MAX_DELAY_SECONDS"])
        ),
        ratelimit.Limit("setup:all", FREE_OVERALL, OVERALL_MAX_DELAY_SECONDS),
    ]


def _live_code(code: str) -> SetupCode | None:
    return db.session.scalar(
        select(SetupCode).where(
            SetupCode.code_hash == _digest(code),
            SetupCode.used_at.is_(None),
            SetupCode.expires_at > utcnow(),
        )
    )


def check_code(code, client: str | None = None) -> int:
    """The id of the live setup code typed, for the next step; Invalid (`code`) for a wrong,
    used or expired one, TooManyAttempts while a wait runs, NotFound once an admin exists."""
    if admin_exists():
        raise setup_over()
    limits = _limits(client)
    counter = ratelimit._counter()
    now = ratelimit.clock()
    counts = counter.read([limit.key for limit in limits])
    wait = max(limit.wait(n, last, now) for limit, (n, last) in zip(limits, counts, strict=True))
    if wait > 0:
        seconds = math.ceil(wait)
        raise TooManyAttempts(
            "too_many_attempts",
            _("Too many wrong codes. Wait %(num)d seconds and try again.", num=seconds),
            retry_after=seconds,
        )
    row = _live_code(normalise(code)) if normalise(code) else None
    if row is None:
        window = int(current_app.config["LOGIN_WINDOW_MINUTES"]) * 60
        ttl = window + int(current_app.config["LOGIN_MAX_DELAY_SECONDS"])
        counter.fail([limit.key for limit in limits], now, ttl)
        raise v.invalid(
            {
                "code": _(
                    "This code is not valid: it is wrong, used or expired. Copy it again from "
                    "the server's log, or print a new one with `cergas setup --code-only`."
                )
            }
        )
    return row.id


def code_is_live(code_id) -> bool:
    if not isinstance(code_id, int):
        return False
    row = db.session.get(SetupCode, code_id)
    return row is not None and row.used_at is None and row.expires_at > utcnow()


# The first administrator ----------------------------------------------------------------------

ADMIN_FIELDS = ("nip", "username", "name", "email", "password", "password_confirm")


def clean_admin(data: dict) -> dict:
    """The first administrator's fields (NIP or username, name, email, password twice)."""
    fields = v.Fields()
    cleaned = {
        "nip": fields.clean("nip", person_fields.nip, data.get("nip")),
        "username": fields.clean("username", person_fields.username, data.get("username")),
        "name": fields.clean("name", person_fields.name, data.get("name")),
        "email": fields.clean("email", person_fields.email, data.get("email")),
    }
    person = (cleaned["name"], cleaned["nip"], cleaned["username"])
    password = fields.clean("password", password_rules.check_person, data.get("password"), person)
    if "password" not in fields.errors and data.get("password_confirm") != password:
        fields.errors["password_confirm"] = _("The two passwords differ.")
    no_login = not cleaned["nip"] and not cleaned["username"]
    if no_login and "nip" not in fields.errors and "username" not in fields.errors:
        fields.errors["nip"] = _("Give a NIP or, for non-ASN staff, a username.")
    fields.raise_if_any()
    cleaned["password"] = password
    return cleaned


def create_first_admin(code_id: int, data: dict) -> User:
    """Use the setup code `code_id` (from `check_code`) to create the first administrator, in
    one transaction with both log entries. NotFound once an admin exists; Invalid (`code`)
    when the code was used or expired meanwhile."""
    cleaned = clean_admin(data)
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    password_hash = generate_password_hash(cleaned.pop("password"), method=method)
    with write_transaction():
        if admin_exists():
            raise setup_over()
        now = utcnow()
        used = db.session.execute(
            update(SetupCode)
            .where(
                SetupCode.id == code_id,
                SetupCode.used_at.is_(None),
                SetupCode.expires_at > now,
            )
            .values(used_at=now)
        ).rowcount
        if used != 1:
            raise v.invalid({"code": _("This setup code was used or has expired. Start again.")})
        for login in filter(None, (cleaned["nip"], cleaned["username"])):
            if find_user(login) is not None:
                raise Conflict("duplicate", _("%(login)s is taken already.", login=login))
        user = User(
            nip=cleaned["nip"],
            username=cleaned["username"],
            name=cleaned["name"],
            email=cleaned["email"],
            is_admin=True,
            password_hash=password_hash,
            password_changed_at=now,
        )
        db.session.add(user)
        db.session.flush()
        admin_log.record(
            "setup.code_used",
            user,
            "setup",
            label=_("First administrator"),
            after={"admin": admin_log.user_label(user)},
        )
        after = {key: cleaned[key] for key in ("nip", "username", "name", "email")}
        admin_log.record("user.created", user, "user", user, after={**after, "admin": True})
    return user


def first_steps_done() -> bool:
    """True once an administrator and a unit exist."""
    from app.services.units import has_units

    return admin_exists() and has_units()
