"""Chat channels: Telegram and WhatsApp (Meta Cloud API), sent through Apprise.

The administrator configures each channel once for the office, in the server's environment or
on the page `/admin/chat-channels` (kept in the `site_settings` row `chat_channels`); the
environment wins, channel by channel (a channel with any of its variables set is configured by
the environment alone). Each person then links their own address on `/account/channels`
(app/services/chat_links.py): a Telegram chat (a `/start` code sent to the bot) or a WhatsApp
number (a code sent to it and typed back). A delivery of channel `telegram` or `whatsapp` goes
to the person's linked address; `usable_for(user)` names the chat channels a person can choose
in their preferences.

Settings (environment, or the app config in tests):

- `CERGAS_TELEGRAM_BOT_TOKEN`, `CERGAS_TELEGRAM_BOT_NAME`: the bot BotFather made.
- `CERGAS_WHATSAPP_TOKEN`, `CERGAS_WHATSAPP_PHONE_ID`: the Meta app's access token and the
  sending number's id; `CERGAS_WHATSAPP_TEMPLATE`, `CERGAS_WHATSAPP_LANGUAGE`: an approved message
  template with one body parameter (`{{1}}`), needed to write first to someone (Meta allows
  free text only within 24 hours of the person's last message).
- `CHAT_TELEGRAM_API`, `CHAT_WHATSAPP_API` (app config only): the remote services' base URLs,
  replaced by local servers in tests.
"""

import logging
import os
from dataclasses import dataclass, field

import apprise
import requests
from apprise.plugins.telegram import NotifyTelegram
from apprise.plugins.whatsapp import NotifyWhatsApp
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import ChannelLink, Delivery, SiteSetting, User
from app.services import admin_log, mail, site_settings
from app.services import validation as v
from app.services.channels import DeliveryFailed, sender
from app.services.errors import Forbidden, Invalid
from app.services.tx import write_transaction

CHANNELS = ("telegram", "whatsapp")
SETTING_KEY = "chat_channels"
TELEGRAM_API = "https://api.telegram.org"
WHATSAPP_API = "https://graph.facebook.com"
TIMEOUT = 10

# field -> environment variable, per channel; `SECRETS` are never shown back in full.
FIELDS = {
    "telegram": {
        "telegram_bot_token": "CERGAS_TELEGRAM_BOT_TOKEN",
        "telegram_bot_name": "CERGAS_TELEGRAM_BOT_NAME",
    },
    "whatsapp": {
        "whatsapp_token": "CERGAS_WHATSAPP_TOKEN",
        "whatsapp_phone_id": "CERGAS_WHATSAPP_PHONE_ID",
        "whatsapp_template": "CERGAS_WHATSAPP_TEMPLATE",
        "whatsapp_language": "CERGAS_WHATSAPP_LANGUAGE",
    },
}
REQUIRED = {
    "telegram": ("telegram_bot_token", "telegram_bot_name"),
    "whatsapp": ("whatsapp_token", "whatsapp_phone_id"),
}
SECRETS = ("telegram_bot_token", "whatsapp_token")
# What each field may hold (Apprise's own checks, stricter where a URL would be built from it).
PATTERNS = {
    "telegram_bot_token": r"[0-9]{3,15}:[A-Za-z0-9_-]{20,80}",
    "telegram_bot_name": r"[A-Za-z][A-Za-z0-9_]{3,31}",
    "whatsapp_token": r"[A-Za-z0-9]{10,400}",
    "whatsapp_phone_id": r"[0-9]{5,20}",
    "whatsapp_template": r"[a-z0-9_]{1,120}",
    "whatsapp_language": r"[a-z]{2,3}(_[A-Z]{2})?",
}


@dataclass(frozen=True)
class ChannelConfig:
    channel: str
    values: dict = field(default_factory=dict)
    # "environment", "page" or None (not configured).
    source: str | None = None

    @property
    def configured(self) -> bool:
        return all(self.values.get(name) for name in REQUIRED[self.channel])


def _setting(name: str) -> str:
    config = current_app.config
    value = config[name] if name in config else os.environ.get(name)
    return str(value).strip() if value else ""


def stored_settings() -> dict:
    value = db.session.scalar(select(SiteSetting.value).where(SiteSetting.key == SETTING_KEY))
    return dict(value) if isinstance(value, dict) else {}


def from_environment(channel: str) -> bool:
    """True when the server's environment configures `channel` (the page is not used then)."""
    return any(_setting(variable) for variable in FIELDS[channel].values())


def config_for(channel: str, stored: dict | None = None) -> ChannelConfig:
    """The channel's settings: from the environment when any of its variables is set, else
    from the page."""
    if from_environment(channel):
        values = {name: _setting(variable) for name, variable in FIELDS[channel].items()}
        source = "environment"
    else:
        stored = stored_settings() if stored is None else stored
        values = {name: str(stored.get(name) or "") for name in FIELDS[channel]}
        source = "page" if any(values.values()) else None
    found = ChannelConfig(channel, values, source)
    return found if found.configured or source else ChannelConfig(channel)


def configured_channels() -> list[str]:
    stored = stored_settings()
    return [channel for channel in CHANNELS if config_for(channel, stored).configured]


def usable_for(user: User) -> list[str]:
    """The chat channels the administrator configured and this person linked (verified)."""
    configured = configured_channels()
    if not configured or user is None or user.id is None:
        return []
    linked = set(
        db.session.scalars(
            select(ChannelLink.channel).where(
                ChannelLink.user_id == user.id,
                ChannelLink.channel.in_(configured),
                ChannelLink.verified_at.is_not(None),
                ChannelLink.address.is_not(None),
            )
        )
    )
    return [channel for channel in configured if channel in linked]


def linked_address(user_id: int, channel: str) -> str | None:
    return db.session.scalar(
        select(ChannelLink.address).where(
            ChannelLink.user_id == user_id,
            ChannelLink.channel == channel,
            ChannelLink.verified_at.is_not(None),
        )
    )


# Sending ---------------------------------------------------------------------------------------


def _asset() -> apprise.AppriseAsset:
    # Apprise may otherwise keep a cache on disk (the Telegram bot's owner and the like).
    return apprise.AppriseAsset(storage_mode="memory")


def telegram_api() -> str:
    return str(current_app.config.get("CHAT_TELEGRAM_API") or TELEGRAM_API).rstrip("/")


def whatsapp_api() -> str:
    return str(current_app.config.get("CHAT_WHATSAPP_API") or WHATSAPP_API).rstrip("/")


def _notifier(config: ChannelConfig, address: str):
    values = config.values
    try:
        if config.channel == "telegram":
            notifier = NotifyTelegram(
                bot_token=values["telegram_bot_token"],
                targets=[address],
                detect_owner=False,
                asset=_asset(),
            )
            notifier.notify_url = telegram_api() + "/bot"
        else:
            template = values.get("whatsapp_template") or None
            notifier = NotifyWhatsApp(
                token=values["whatsapp_token"],
                from_phone_id=values["whatsapp_phone_id"],
                template=template,
                language=values.get("whatsapp_language") or None,
                template_mapping={"1": "body"} if template else None,
                targets=[address],
                asset=_asset(),
            )
            notifier.notify_url = whatsapp_api() + "/{fb_ver}/{phone_id}/messages"
    except (TypeError, apprise.exception.AppriseException) as exc:
        raise DeliveryFailed(
            _(
                "The %(channel)s settings cannot be used: %(error)s",
                channel=label(config.channel),
                error=exc,
            ),
            retry=False,
        ) from exc
    notifier.socket_connect_timeout = 5.0
    notifier.socket_read_timeout = float(TIMEOUT)
    return notifier


def send_text(channel: str, address: str, title: str, body: str) -> None:
    """Send one message to one address; DeliveryFailed (to retry) when the service refused it
    or could not be reached, with what it said."""
    config = config_for(channel)
    if not config.configured:
        raise DeliveryFailed(
            _("%(channel)s is not configured by the administrator.", channel=label(channel)),
            retry=False,
        )
    notifier = _notifier(config, address)
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = notifier.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT)
    if not ok:
        said = " ".join(
            line.split(" - WARNING - ", 1)[-1] for line in captured.getvalue().splitlines()
        )
        raise DeliveryFailed(
            _(
                "%(channel)s did not accept the message: %(said)s",
                channel=label(channel),
                said=said[:500] or _("no answer"),
            ),
            retry=True,
        )


def message_of(delivery: Delivery) -> tuple[str, str]:
    """The title and body of a delivery's notification, with the absolute link to its card."""
    notification = delivery.notification
    if notification is None:
        raise DeliveryFailed(_("The notification no longer exists."), retry=False)
    body = notification.body or ""
    link = mail.absolute_link(notification.link)
    if link:
        body = f"{body}\n\n{link}" if body else link
    return notification.title, body


def _send_delivery(delivery: Delivery, channel: str) -> None:
    user_id = delivery.user_id or (delivery.notification and delivery.notification.user_id)
    address = linked_address(user_id, channel) if user_id else None
    if not address:
        raise DeliveryFailed(
            _("The person has not linked %(channel)s.", channel=label(channel)), retry=False
        )
    title, body = message_of(delivery)
    send_text(channel, address, title, body)


@sender("telegram")
def send_telegram(delivery: Delivery) -> None:
    _send_delivery(delivery, "telegram")


@sender("whatsapp")
def send_whatsapp(delivery: Delivery) -> None:
    _send_delivery(delivery, "whatsapp")


def label(channel: str) -> str:
    return {"telegram": "Telegram", "whatsapp": "WhatsApp"}.get(channel, channel)


# Telegram's bot API, beyond sending -------------------------------------------------------------


def telegram_call(method: str, payload: dict | None = None) -> dict:
    """Call the bot API; its `result`, or DeliveryFailed saying what went wrong."""
    config = config_for("telegram")
    if not config.configured:
        raise DeliveryFailed(_("Telegram is not configured by the administrator."), retry=False)
    url = f"{telegram_api()}/bot{config.values['telegram_bot_token']}/{method}"
    try:
        response = requests.post(url, json=payload or {}, timeout=TIMEOUT)
        answer = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise DeliveryFailed(
            _("Telegram could not be reached: %(error)s", error=type(exc).__name__)
        ) from exc
    if response.status_code != 200 or not answer.get("ok"):
        said = str(answer.get("description") or response.status_code)
        raise DeliveryFailed(
            _("Telegram refused: %(said)s", said=said[:300]), status=response.status_code
        )
    return answer.get("result")


# The administrator's page ----------------------------------------------------------------------


def masked(value: str) -> str:
    """A secret as the page and the log show it: its last four characters."""
    return "" if not value else "••••" + value[-4:]


def _shown(values: dict) -> dict:
    return {key: masked(value) if key in SECRETS else value for key, value in values.items()}


def save_settings(actor: User, form: dict) -> bool:
    """Store the page's settings (administrators only). An empty secret keeps the stored one;
    `clear_<channel>` removes that channel's settings. False when nothing changed."""
    if not actor.is_admin:
        raise Forbidden("forbidden", _("Only an administrator can change this setting."))
    before = stored_settings()
    after = dict(before)
    errors = {}
    for channel, names in FIELDS.items():
        if from_environment(channel):
            continue
        if form.get(f"clear_{channel}"):
            for name in names:
                after.pop(name, None)
            continue
        for name in names:
            try:
                value = v.text(form.get(name), field_max=400)
            except v.FieldError as exc:
                errors[name] = str(exc)
                continue
            if name in SECRETS and not value:
                continue
            if value and not _matches(name, value):
                errors[name] = _("This does not look like the value the service gave.")
                continue
            after[name] = value
        values = {name: after.get(name) for name in names}
        if any(values.values()):
            for name in REQUIRED[channel]:
                if not values.get(name) and name not in errors:
                    errors[name] = _("This field is required.")
    if errors:
        raise Invalid("invalid", _("Check the fields marked."), errors)
    after = {key: value for key, value in after.items() if value}
    if after == before:
        return False
    with write_transaction():
        site_settings.store(actor, SETTING_KEY, after, before=_shown(before), after=_shown(after))
    return True


def _matches(name: str, value: str) -> bool:
    import re

    return re.fullmatch(PATTERNS[name], value) is not None


def send_test(actor: User, channel: str, to: str = "") -> str:
    """The administrator's "send a test message": to `to` (a WhatsApp number), else to the
    administrator's own linked address; Telegram without one checks the bot (getMe). Returns
    what happened, for the page; DeliveryFailed when the service refused. Audited."""
    from app.services import chat_links

    if not actor.is_admin:
        raise Forbidden("forbidden", _("Only an administrator can send a test message."))
    if channel not in CHANNELS:
        raise Invalid("invalid", _("Choose one of the options offered."), {"channel": ""})
    if not config_for(channel).configured:
        raise Invalid(
            "not_configured",
            _("%(channel)s is not configured yet.", channel=label(channel)),
            {f"test_{channel}": _("Save the settings first.")},
        )
    address = ""
    if channel == "whatsapp" and to.strip():
        try:
            address = chat_links.normalise_phone(to)
        except v.FieldError as exc:
            raise Invalid("invalid", str(exc), {"test_whatsapp": str(exc)}) from None
    address = address or linked_address(actor.id, channel) or ""
    title = _("Test message from Cergas")
    body = _(
        "If you can read this, Cergas can send messages through %(channel)s.",
        channel=label(channel),
    )
    if address:
        send_text(channel, address, title, body)
        outcome = _("The test message was sent. Check that it arrived.")
    elif channel == "telegram":
        bot = telegram_call("getMe")
        outcome = _(
            "The bot @%(name)s answers. Link your own Telegram on your chat channels page to "
            "receive a test message.",
            name=(bot or {}).get("username", ""),
        )
    else:
        raise Invalid(
            "invalid",
            _("Enter the WhatsApp number to send the test message to."),
            {"test_whatsapp": _("Enter the WhatsApp number to send the test message to.")},
        )
    with write_transaction():
        admin_log.record("chat.test_sent", actor, "setting", label=label(channel))
    return outcome
