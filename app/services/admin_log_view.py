"""The administrative log as people read it: a sentence for each kind of entry, the names of the
filters, and each change as "field: before -> after" in words (no codes, no JSON). Used by the
log page and the API (which also gives the raw values)."""

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from app.extensions import db
from app.models import TIMEZONES, AdminEvent, Unit, User

# kind -> what the actor did. Other helpers record these kinds; an unknown kind falls back on
# the name of its target (`TARGET_CHANGED`).
SENTENCES = {
    "setup.code_used": _l("Set up Cergas with the one-time setup code"),
    "unit.created": _l("Created a unit"),
    "unit.updated": _l("Changed a unit"),
    "unit.moved": _l("Moved a unit"),
    "unit.deactivated": _l("Deactivated a unit"),
    "unit.reactivated": _l("Reactivated a unit"),
    "user.created": _l("Added a person"),
    "user.updated": _l("Changed a person's details"),
    "user.transferred": _l("Transferred a person to another unit"),
    "user.deactivated": _l("Deactivated a person"),
    "user.reactivated": _l("Reactivated a person"),
    "user.password_reset_issued": _l("Issued a password reset link"),
    "user.password_changed": _l("Changed a password"),
    "team.created": _l("Formed a work team"),
    "team.updated": _l("Changed a work team"),
    "team.member_added": _l("Added a member to a work team"),
    "team.member_removed": _l("Removed a member from a work team"),
    "acting.appointed": _l("Appointed an acting head (Plt/Plh)"),
    "acting.ended": _l("Ended an acting appointment (Plt/Plh)"),
    "import.applied": _l("Imported from the staff register"),
    "setting.changed": _l("Changed an office-wide setting"),
    "chat.test_sent": _l("Sent a test message through a chat channel"),
    "delivery.retried": _l("Sent failed notification deliveries again"),
    "user.two_factor_enabled": _l("Turned on two-factor sign-in"),
    "user.two_factor_disabled": _l("Turned off two-factor sign-in"),
    "user.two_factor_reset": _l("Reset a person's two-factor sign-in"),
    "user.recovery_codes_renewed": _l("Made new two-factor recovery codes"),
    "user.sessions_ended": _l("Ended a person's sessions"),
    "user.created_at_sign_in": _l("Added a person at their first single sign-on"),
    "webhook.created": _l("Registered a webhook"),
    "webhook.updated": _l("Changed a webhook"),
    "webhook.secret_rotated": _l("Gave a webhook a new secret"),
    "webhook.deleted": _l("Removed a webhook"),
    "user.calendar_feed_created": _l("Made a new calendar address (iCal)"),
    "user.calendar_feed_revoked": _l("Revoked a calendar address (iCal)"),
    "feedback.written": _l("Wrote performance feedback"),
    "feedback.edited": _l("Changed performance feedback"),
    "dialogue.saved": _l("Recorded a performance-dialogue note"),
    # SKP planned work results (issue 27, app/services/rhk.py).
    "rhk.created": _l("Added an RHK (SKP)"),
    "rhk.updated": _l("Changed an RHK (SKP)"),
    "rhk.withdrawn": _l("Withdrew an RHK (SKP)"),
    "rhk.restored": _l("Restored an RHK (SKP)"),
    "rhk.imported": _l("Imported RHK (SKP) from a file"),
}

# target kind -> its name in the "what" filter.
TARGET_NAMES = {
    "unit": _l("Units"),
    "user": _l("People"),
    "team": _l("Work teams"),
    "acting_head": _l("Acting heads (Plt/Plh)"),
    "import": _l("Imports"),
    "setup": _l("First start"),
    "setting": _l("Office-wide settings"),
    "webhook": _l("Webhooks"),
    "delivery": _l("Notification deliveries"),
    "feedback": _l("Performance feedback"),
    "rhk": _l("RHK (SKP)"),
}
TARGET_CHANGED = {
    "unit": _l("Changed a unit"),
    "user": _l("Changed a person"),
    "team": _l("Changed a work team"),
    "acting_head": _l("Changed an acting appointment"),
    "import": _l("Imported data"),
    "setup": _l("Set up Cergas"),
    "setting": _l("Changed an office-wide setting"),
    "webhook": _l("Changed a webhook"),
    "delivery": _l("Sent notification deliveries again"),
    "rhk": _l("Changed an RHK (SKP)"),
}

FIELD_LABELS = {
    "code": _l("Code"),
    "name": _l("Name"),
    "parent": _l("Parent unit"),
    "timezone": _l("Time zone"),
    "active": _l("Active"),
    "url": _l("Web address"),
    "events": _l("Events"),
    "board_id": _l("Board"),
    "nip": _l("NIP"),
    "username": _l("Username"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "position": _l("Position"),
    "unit": _l("Unit"),
    "role": _l("Role"),
    "admin": _l("Administrator"),
    "is_admin": _l("Administrator"),
    "locale": _l("Language"),
    "leader": _l("Team leader"),
    "member": _l("Member"),
    "members": _l("Members"),
    "user": _l("Person"),
    "kind": _l("Kind"),
    "starts_on": _l("From"),
    "ends_on": _l("Until"),
    "decree": _l("Decree"),
    "reason": _l("Reason"),
    "deactivation_reason": _l("Reason"),
    "file": _l("File"),
    "rows": _l("Rows"),
    "created": _l("Created"),
    "updated": _l("Changed"),
    "unchanged": _l("Unchanged"),
    "refused": _l("Refused"),
    "units": _l("Units"),
    "people": _l("People"),
    "cards": _l("Cards"),
    "expires_at": _l("Expires"),
    "reassigned": _l("Reassigned cards"),
    "two_factor_required": _l("Who must use two-factor sign-in"),
    "two_factor": _l("Two-factor sign-in"),
    "sessions": _l("Sessions"),
    "method": _l("Sign-in method"),
    "unassigned": _l("Unassigned cards"),
    "deliveries": _l("Deliveries"),
    # issue 27: competency privacy, and performance records (the log keeps no feedback text)
    "colleagues_see_competency": _l("Colleagues see skills and certificates"),
    "period": _l("Period"),
    "chars": _l("Characters"),
    "sha256": _l("Text fingerprint"),
    # An RHK (SKP, issue 27).
    "year": _l("Year"),
    "text": _l("Text"),
    "leader_rhk": _l("Leader's RHK"),
    "indicators": _l("Indicators"),
    "aspect": _l("Aspect"),
    "target": _l("Target"),
    "place": _l("Place in the list"),
}
# Keys whose value is a unit code: shown as the unit's name.
UNIT_KEYS = ("parent", "unit")
# Fields that hold people by their login (NIP or username): shown by name.
PERSON_KEYS = ("leader", "user", "member", "members")
VALUE_WORDS = {
    "role": {"member": _l("member"), "head": _l("head")},
    "kind": {"plt": "Plt", "plh": "Plh"},
    "locale": {"id": "Bahasa Indonesia", "en": "English"},
    "two_factor_required": {
        "nobody": _l("Nobody (everyone may turn it on)"),
        "admins": _l("Administrators"),
        "admins_heads": _l("Administrators and heads of units (also Plt/Plh)"),
        "everyone": _l("Everyone"),
    },
}


def sentence(event: AdminEvent) -> str:
    found = SENTENCES.get(event.kind)
    if found is None:
        found = TARGET_CHANGED.get(event.target_kind, _l("Administrative change"))
    return str(found)


def field_label(key: str) -> str:
    found = FIELD_LABELS.get(key)
    if found is not None:
        return str(found)
    return key.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Change:
    label: str
    before: str | None  # None: the entry has no "before" (something new)
    after: str | None  # None: the entry has no "after" (something ended)


@dataclass(frozen=True)
class Row:
    event: AdminEvent
    sentence: str
    changes: list[Change]


def _text(key: str, value, unit_names: dict[str, str]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key in UNIT_KEYS and isinstance(value, str):
        return unit_names.get(value, value)
    if key in PERSON_KEYS and isinstance(value, str):
        return unit_names.get(("person", value), value)
    if key == "timezone" and isinstance(value, str):
        return TIMEZONES.get(value, value)
    words = VALUE_WORDS.get(key)
    if words and isinstance(value, str) and value in words:
        return str(words[value])
    if isinstance(value, str) and len(value) in (10, 19, 26) and value[:4].isdigit():
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        if len(value) == 10:
            return _fmt_date(parsed.date())
        return _fmt_date(parsed.date()) + parsed.strftime(" %H:%M")
    if isinstance(value, list):
        return ", ".join(_text(key, item, unit_names) for item in value)
    if isinstance(value, dict):
        return "; ".join(
            f"{field_label(str(k))}: {_text(str(k), item, unit_names)}" for k, item in value.items()
        )
    return str(value)


def _fmt_date(day: date) -> str:
    return format_date(day, "d MMM yyyy")


def _unit_codes(events: list[AdminEvent]) -> set[str]:
    codes = set()
    for event in events:
        for side in (event.before or {}, event.after or {}):
            if not isinstance(side, dict):
                continue
            for key in UNIT_KEYS:
                value = side.get(key)
                if isinstance(value, str) and value:
                    codes.add(value)
    return codes


def _logins(events: list[AdminEvent]) -> set[str]:
    logins = set()
    for event in events:
        for side in (event.before or {}, event.after or {}):
            if not isinstance(side, dict):
                continue
            for key in PERSON_KEYS:
                value = side.get(key)
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, str) and item:
                        logins.add(item)
    return logins


def changes_of(event: AdminEvent, unit_names: dict[str, str]) -> list[Change]:
    before = event.before if isinstance(event.before, dict) else None
    after = event.after if isinstance(event.after, dict) else None
    keys = list(after or {}) + [key for key in before or {} if key not in (after or {})]
    found = []
    for key in keys:
        if before is None and after is not None and after.get(key) in (None, "", []):
            continue  # something new: its empty fields say nothing
        old = _text(key, before.get(key), unit_names) if before is not None else None
        new = _text(key, after.get(key), unit_names) if after is not None else None
        found.append(Change(field_label(key), old, new))
    return found


def rows(events: list[AdminEvent]) -> list[Row]:
    """The events in words; one query for the unit names and one for the people they mention,
    whatever their number. People are named "name (NIP)", as logins alone mean nothing to a
    reader; `unit_names` maps unit codes, and ("person", login), to what is shown."""
    codes = _unit_codes(events)
    unit_names: dict = {}
    if codes:
        unit_names = dict(
            db.session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(codes))).all()
        )
    logins = _logins(events)
    if logins:
        people = db.session.execute(
            select(User.nip, User.username, User.name).where(
                or_(User.nip.in_(logins), User.username.in_(logins))
            )
        )
        for nip, username, name in people:
            login = nip or username
            unit_names[("person", login)] = f"{name} ({login})"
    return [Row(event, sentence(event), changes_of(event, unit_names)) for event in events]


def actors() -> list[User]:
    """The people who appear in the log as the one who acted, by name (the "who" filter)."""
    ids = select(AdminEvent.actor_id).where(AdminEvent.actor_id.is_not(None)).distinct()
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name)))
