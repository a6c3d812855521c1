"""What one person wants to hear about, and how: events × channels, quiet hours, instant or a
daily digest, and (heads) a morning digest of their unit.

Stored in `NotificationPreference.settings` (one JSON document per person); a person who never
saved gets the defaults: every event through every channel usable for them, no quiet hours,
instant. In-app notifications are always stored: these settings choose only the deliveries of
the outbox (email, chat, plugin channels).

    {"events": {"card_assigned": ["email", "telegram"], ...},
     "quiet": {"enabled": true, "start": "21:00", "end": "06:00", "holidays": true},
     "digest": "instant" | "daily", "digest_hour": 7, "unit_digest": false}
"""

import importlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Membership, NotificationPreference, Unit, User, utcnow
from app.services import channels, mail, tx
from app.services.errors import Invalid

# Notification.kind of the core events = the preference event; other plugin kinds are "plugin".
EVENTS = {
    "card_assigned": _l("A card is assigned to me"),
    "card_commented": _l("A comment on a card I follow"),
    "mentioned": _l("Someone mentions me"),
    "deadline_tomorrow": _l("My card is due tomorrow"),
    "deadline_today": _l("My card is due today"),
    "deadline_passed": _l("My card is overdue"),
    "paraf_returned": _l("My card is returned from paraf"),
    "card_done": _l("A card I created is done"),
    "plugin": _l("Other notifications (plugins)"),
    "unit_digest": _l("Morning digest of my unit (heads)"),
}
KIND_TO_EVENT = {
    "approvals_returned": "paraf_returned",
    "approvals_rejected": "paraf_returned",
}
CHANNEL_LABELS = {
    "email": _l("Email"),
    "telegram": _l("Telegram"),
    "whatsapp": _l("WhatsApp"),
}
DIGESTS = ("instant", "daily")
DEFAULT_QUIET = {"enabled": False, "start": "21:00", "end": "06:00", "holidays": True}
DEFAULT_DIGEST_HOUR = 7
EMAIL_PLUGIN = "email"
# Channels of the registry that are not a person's choice (webhooks belong to integrations).
NOT_PERSONAL = ("webhook",)
CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


def event_of(kind: str | None) -> str:
    """The preference event of a Notification.kind (unknown kinds are plugin events)."""
    kind = KIND_TO_EVENT.get(kind or "", kind or "")
    return kind if kind in EVENTS and kind != "plugin" else "plugin"


def email_on() -> bool:
    """Email is sent when the email plugin is loaded (the admin's switch) and SMTP_URL is set."""
    host = current_app.extensions.get("cergas_plugins")
    loaded = host is not None and EMAIL_PLUGIN in host.loaded()
    return loaded and mail.configured()


def plugin_channels() -> list[str]:
    """`plugin:<name>` for each loaded plugin offering notification channels (but email, which
    is the core's `email` channel switched on by its plugin)."""
    host = current_app.extensions.get("cergas_plugins")
    if host is None:
        return []
    names = [impl.plugin_name for impl in host._impls("cergas_notification_channels")]
    return [f"plugin:{name}" for name in names if name != EMAIL_PLUGIN]


def all_channels() -> list[str]:
    """Every channel a person may choose: the registry's own (`email`, `telegram`, ...), then
    the plugin channels."""
    named = [
        name
        for name in channels.channel_names()
        if not name.endswith(":") and name not in NOT_PERSONAL
    ]
    return sorted(named, key=lambda name: (name != "email", name)) + plugin_channels()


def _chat_usable(user: User) -> set[str]:
    try:
        chat = importlib.import_module("app.services.channel_chat")
    except ModuleNotFoundError as exc:
        if exc.name != "app.services.channel_chat":
            raise
        return set()
    usable_for = getattr(chat, "usable_for", None)
    return set(usable_for(user) or ()) if usable_for else set()


def usable_channels(user: User) -> list[str]:
    """The channels that can reach this person now: email when email is on and they have an
    address, a chat channel once they linked it, every plugin channel."""
    usable = []
    chat = None
    for name in all_channels():
        if name == "email":
            if email_on() and (user.email or "").strip():
                usable.append(name)
        elif name.startswith("plugin:"):
            usable.append(name)
        else:
            chat = _chat_usable(user) if chat is None else chat
            if name in chat:
                usable.append(name)
    return usable


def channel_label(name: str) -> str:
    if name in CHANNEL_LABELS:
        return str(CHANNEL_LABELS[name])
    if name.startswith("plugin:"):
        host = current_app.extensions.get("cergas_plugins")
        plugin = name.split(":", 1)[1]
        return host.title_of(plugin) if host is not None else plugin
    return name.capitalize()


@dataclass
class Preferences:
    events: dict  # event -> list of channels, or None: every usable channel (the default)
    quiet: dict
    digest: str
    digest_hour: int
    unit_digest: bool
    updated_at: datetime | None = None

    def channels_for(self, event: str, usable: list[str]) -> list[str]:
        chosen = self.events.get(event)
        if chosen is None:
            return list(usable)
        return [name for name in usable if name in chosen]

    def to_dict(self, usable: list[str]) -> dict:
        return {
            "events": {event: self.channels_for(event, usable) for event in EVENTS},
            "quiet": dict(self.quiet),
            "digest": self.digest,
            "digest_hour": self.digest_hour,
            "unit_digest": self.unit_digest,
        }


def _from_settings(settings: dict | None, updated_at=None) -> Preferences:
    settings = settings if isinstance(settings, dict) else {}
    events = settings.get("events") if isinstance(settings.get("events"), dict) else {}
    quiet = dict(DEFAULT_QUIET)
    if isinstance(settings.get("quiet"), dict):
        quiet.update({k: v for k, v in settings["quiet"].items() if k in DEFAULT_QUIET})
    digest = settings.get("digest") if settings.get("digest") in DIGESTS else "instant"
    hour = settings.get("digest_hour")
    hour = hour if isinstance(hour, int) and 0 <= hour <= 23 else DEFAULT_DIGEST_HOUR
    return Preferences(
        events={e: list(c) for e, c in events.items() if e in EVENTS and isinstance(c, list)},
        quiet=quiet,
        digest=digest,
        digest_hour=hour,
        unit_digest=bool(settings.get("unit_digest")),
        updated_at=updated_at,
    )


def preferences_of(user: User) -> Preferences:
    row = db.session.get(NotificationPreference, user.id)
    if row is None:
        return _from_settings(None)
    return _from_settings(row.settings, row.updated_at)


def preferences_by_user(user_ids) -> dict[int, Preferences]:
    rows = db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id.in_(list(user_ids)))
    )
    return {row.user_id: _from_settings(row.settings, row.updated_at) for row in rows}


def is_head(user: User) -> bool:
    from app.services import access

    return bool(access.managed_unit_ids(user))


def _clock(value) -> time | None:
    match = CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    return time(int(match[1]), int(match[2])) if match else None


def clean(user: User, data) -> dict:
    """The settings document from submitted data (the API's JSON or the page's form, already
    shaped as a dict); an `Invalid` naming each bad field otherwise. Missing parts keep the
    person's current settings."""
    if not isinstance(data, dict):
        raise Invalid("validation_error", _("Send a JSON object."))
    current = preferences_of(user)
    usable = usable_channels(user)
    known = set(all_channels())
    errors: dict[str, str] = {}
    events = {e: current.channels_for(e, usable) for e in EVENTS}
    if "events" in data:
        given = data["events"]
        if not isinstance(given, dict):
            errors["events"] = _("Must map each event to a list of channels.")
        else:
            for event, chosen in given.items():
                field = f"events.{event}"
                if event not in EVENTS:
                    errors[field] = _("Unknown event.")
                elif not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen):
                    errors[field] = _("Must be a list of channels.")
                elif unknown := [c for c in chosen if c not in known]:
                    errors[field] = _("Unknown channel: %(name)s.", name=unknown[0])
                elif unusable := [c for c in chosen if c not in usable]:
                    errors[field] = _(
                        "%(name)s cannot reach you yet.", name=channel_label(unusable[0])
                    )
                else:
                    events[event] = sorted(set(chosen))
    quiet = dict(current.quiet)
    if "quiet" in data:
        given = data["quiet"]
        if not isinstance(given, dict):
            errors["quiet"] = _("Must be an object with enabled, start, end and holidays.")
        else:
            for flag in ("enabled", "holidays"):
                if flag in given:
                    if isinstance(given[flag], bool):
                        quiet[flag] = given[flag]
                    else:
                        errors[f"quiet.{flag}"] = _("Must be true or false.")
            for bound in ("start", "end"):
                if bound in given:
                    if _clock(given[bound]) is None:
                        errors[f"quiet.{bound}"] = _("Use a time such as 21:00.")
                    else:
                        quiet[bound] = given[bound].strip()
            if not errors and quiet["start"] == quiet["end"] and quiet["enabled"]:
                errors["quiet.end"] = _("The end must differ from the start.")
    digest = data.get("digest", current.digest)
    if digest not in DIGESTS:
        errors["digest"] = _("Must be instant or daily.")
    hour = data.get("digest_hour", current.digest_hour)
    if isinstance(hour, bool) or not isinstance(hour, int) or not 0 <= hour <= 23:
        errors["digest_hour"] = _("Must be an hour from 0 to 23.")
    unit_digest = data.get("unit_digest", current.unit_digest)
    if not isinstance(unit_digest, bool):
        errors["unit_digest"] = _("Must be true or false.")
    elif unit_digest and not is_head(user):
        errors["unit_digest"] = _("Only heads of a unit can get the unit digest.")
    unknown_keys = set(data) - {"events", "quiet", "digest", "digest_hour", "unit_digest"}
    for key in sorted(unknown_keys):
        errors[key] = _("Unknown field.")
    if errors:
        raise Invalid("validation_error", _("Some fields are not valid."), errors)
    return {
        "events": events,
        "quiet": quiet,
        "digest": digest,
        "digest_hour": hour,
        "unit_digest": unit_digest,
    }


def save(user: User, data) -> Preferences:
    """Validate and store the person's preferences (their own only)."""
    settings = clean(user, data)

    def write():
        row = db.session.get(NotificationPreference, user.id)
        if row is None:
            row = NotificationPreference(user_id=user.id)
            db.session.add(row)
        row.settings = settings
        row.updated_at = utcnow()

    with tx.write_transaction():
        write()
    return _from_settings(settings, utcnow())


# --- when a delivery may go -----------------------------------------------------------------


def home_unit(user_id: int) -> Unit | None:
    """The person's first unit: its time zone and working-day calendar are theirs."""
    return db.session.scalar(
        select(Unit)
        .join(Membership, Membership.unit_id == Unit.id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.id)
        .limit(1)
    )


def _in_window(clock: time, start: time, end: time) -> bool:
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def quiet_until(prefs: Preferences, unit: Unit | None, now: datetime) -> datetime | None:
    """The end of the quiet time `now` (aware) falls in, as aware UTC; None when not quiet."""
    quiet = prefs.quiet
    if not quiet.get("enabled"):
        return None
    from app.workcal import default_calendar, work_calendar

    calendar = work_calendar(unit) if unit is not None else default_calendar()
    zone = ZoneInfo(unit.timezone if unit is not None else "Asia/Jakarta")
    start, end = _clock(quiet["start"]), _clock(quiet["end"])
    moment = now.astimezone(zone)
    moved = False
    for _step in range(800):
        if quiet.get("holidays") and not calendar.is_working_day(moment.date()):
            next_day = moment.date() + timedelta(days=1)
            moment = datetime.combine(next_day, time(0, 0), tzinfo=zone)
            moved = True
        elif start and end and start != end and _in_window(moment.time(), start, end):
            day = moment.date() if moment.time() < end else moment.date() + timedelta(days=1)
            moment = datetime.combine(day, end, tzinfo=zone)
            moved = True
        else:
            break
    return moment.astimezone(UTC) if moved else None


def next_digest_at(prefs: Preferences, unit: Unit | None, now: datetime) -> datetime:
    """The next moment (aware UTC) at the person's digest hour in their zone, after `now`."""
    zone = ZoneInfo(unit.timezone if unit is not None else "Asia/Jakarta")
    local = now.astimezone(zone)
    moment = datetime.combine(local.date(), time(prefs.digest_hour), tzinfo=zone)
    if moment <= local:
        moment += timedelta(days=1)
    return moment.astimezone(UTC)


def naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)
