"""Each person links their own chat address (`ChannelLink`), on `/account/channels`.

- Telegram: "connect" makes a one-time code (30 minutes) and the link
  `https://t.me/<bot>?start=<code>`; the person presses Start in the bot's chat, Telegram sends
  the bot `/start <code>`, and `poll_telegram()` (run by `cergas tick` and the worker) reads the
  bot's updates, links the chat that sent the code and answers there.
- WhatsApp: the person enters their number (Indonesian numbers as people write them, 08xx, are
  made +628xx), Cergas sends a 6-digit code to it, the person types it back: at most
  `MAX_ATTEMPTS` wrong codes, then the code is void; it expires after 30 minutes.

Only the person sees and changes their own links (an administrator or a head never sees a chat
id or a number): every function here takes the person themself.
"""

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import ChannelLink, User, utcnow
from app.services import channel_chat
from app.services import validation as v
from app.services.channels import DeliveryFailed
from app.services.errors import Conflict, Invalid, NotFound, TooManyAttempts
from app.services.plugin_store import plugin_store
from app.services.tx import write_transaction

CODE_MINUTES = 30
MAX_ATTEMPTS = 5
# Codes sent to WhatsApp numbers per person per hour (each costs the office a message).
MAX_SENDS = 5
STORE = "cergas.chat"
OFFSET_KEY = "telegram_update_offset"


def link_of(user: User, channel: str) -> ChannelLink | None:
    return db.session.scalar(
        select(ChannelLink).where(ChannelLink.user_id == user.id, ChannelLink.channel == channel)
    )


def links_of(user: User) -> dict[str, ChannelLink]:
    rows = db.session.scalars(select(ChannelLink).where(ChannelLink.user_id == user.id))
    return {row.channel: row for row in rows}


def is_linked(row: ChannelLink | None) -> bool:
    return bool(row is not None and row.verified_at is not None and row.address)


def code_pending(row: ChannelLink | None) -> bool:
    return bool(
        row is not None and row.code and row.code_expires_at and row.code_expires_at > utcnow()
    )


def _require(channel: str) -> None:
    if channel not in channel_chat.configured_channels():
        raise Conflict(
            "not_configured",
            _(
                "%(channel)s is not available: the administrator has not set it up.",
                channel=channel_chat.label(channel),
            ),
        )


def _row_for_update(user: User, channel: str) -> ChannelLink:
    row = link_of(user, channel)
    if row is None:
        row = ChannelLink(user_id=user.id, channel=channel)
        db.session.add(row)
    return row


# Telegram --------------------------------------------------------------------------------------


def start_telegram(user: User) -> ChannelLink:
    """A new one-time code for the bot (a linked chat stays linked until the code is used)."""
    _require("telegram")
    with write_transaction():
        row = _row_for_update(user, "telegram")
        row.code = "c" + secrets.token_urlsafe(18)
        row.code_expires_at = utcnow() + timedelta(minutes=CODE_MINUTES)
    return row


def telegram_start_link(row: ChannelLink) -> str:
    bot = channel_chat.config_for("telegram").values.get("telegram_bot_name", "")
    return f"https://t.me/{bot}?start={row.code}"


START = re.compile(r"^/start(?:@\w+)?(?:\s+(\S+))?\s*$")


def poll_telegram() -> int:
    """Read the bot's new updates (getUpdates from the offset kept in the store), link each chat
    that sent `/start <code>` of a pending code, and answer in the chat. Returns how many chats
    were linked; 0 when Telegram is not configured. DeliveryFailed when Telegram cannot be
    read (the next call tries again from the same offset)."""
    if "telegram" not in channel_chat.configured_channels():
        return 0
    store = plugin_store(STORE)
    offset = store.get(OFFSET_KEY)
    payload = {"timeout": 0, "allowed_updates": ["message"]}
    if isinstance(offset, int):
        payload["offset"] = offset
    updates = channel_chat.telegram_call("getUpdates", payload) or []
    replies: list[tuple[str, str]] = []
    linked = 0
    now = utcnow()
    with write_transaction():
        last = None
        for update in updates:
            last = max(last or 0, int(update.get("update_id", 0)))
            message = update.get("message") or {}
            chat = message.get("chat") or {}
            found = START.match(str(message.get("text") or ""))
            if not found or chat.get("type") != "private" or "id" not in chat:
                continue
            chat_id = str(chat["id"])
            code = found.group(1)
            row = (
                db.session.scalar(
                    select(ChannelLink).where(
                        ChannelLink.code == code, ChannelLink.channel == "telegram"
                    )
                )
                if code
                else None
            )
            if row is None or row.code_expires_at is None or row.code_expires_at <= now:
                replies.append((chat_id, _reply(None)))
                continue
            row.address = chat_id
            row.verified_at = now
            row.code = None
            row.code_expires_at = None
            person = db.session.get(User, row.user_id)
            replies.append((chat_id, _reply(person)))
            linked += 1
        if last is not None:
            store.set(OFFSET_KEY, last + 1)
    for chat_id, text in replies:
        _answer(chat_id, text)
    return linked


def _reply(person: User | None) -> str:
    """The bot's answer to a /start: in the person's language (the office's for a stranger)."""
    default = current_app.config.get("BABEL_DEFAULT_LOCALE") or "id"
    with force_locale((person.locale if person is not None else None) or default):
        if person is None:
            return _(
                "This code is unknown or has expired. Open your chat channels page in Cergas "
                "and press Connect Telegram again."
            )
        return _("Linked to Cergas as %(name)s.", name=person.name)


def _answer(chat_id: str, text: str) -> None:
    try:
        channel_chat.send_text("telegram", chat_id, "", text)
    except DeliveryFailed:
        current_app.logger.warning("Telegram: could not answer a /start in a chat")


# WhatsApp --------------------------------------------------------------------------------------


def normalise_phone(value) -> str:
    """An Indonesian number as people write it (0812-3456-7890, 62812..., +62 812...) as E.164
    (+62812...); other countries with their + prefix. FieldError when it is no number."""
    text = v.text(value, field_max=40, required=True)
    digits = re.sub(r"[\s().-]", "", text)
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    if not re.fullmatch(r"[1-9][0-9]{7,14}", digits) or (
        digits.startswith("62") and not re.fullmatch(r"628[0-9]{7,11}", digits)
    ):
        raise v.FieldError(_("Enter a mobile number such as 0812 3456 7890."))
    return "+" + digits


def _digest(user_id: int, code: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"{user_id}:{code}".encode(), hashlib.sha256).hexdigest()[:24]


def start_whatsapp(user: User, number) -> ChannelLink:
    """Send a 6-digit code to `number` and keep its digest (with the count of wrong tries in
    `ChannelLink.code`, `<digest>:<tries>`). The number replaces a linked one once confirmed."""
    _require("whatsapp")
    try:
        phone = normalise_phone(number)
    except v.FieldError as exc:
        raise Invalid("invalid", str(exc), {"number": str(exc)}) from None
    from app.services import ratelimit

    if not ratelimit.spend(f"whatsapp-code:{user.id}", MAX_SENDS, 3600):
        raise TooManyAttempts(
            "too_many_codes",
            _("Too many codes were sent to you in the last hour. Try again later."),
            retry_after=3600,
        )
    code = f"{secrets.randbelow(10**6):06d}"
    text = _(
        "Your Cergas code: %(code)s. It works for %(minutes)d minutes. Do not share it.",
        code=code,
        minutes=CODE_MINUTES,
    )
    try:
        channel_chat.send_text("whatsapp", phone, "", text)
    except DeliveryFailed as exc:
        raise Conflict(
            "not_sent",
            _("The code could not be sent to this number. Check the number and try again."),
        ) from exc
    with write_transaction():
        row = _row_for_update(user, "whatsapp")
        row.address = phone
        row.verified_at = None
        row.code = f"{_digest(user.id, code)}:0"
        row.code_expires_at = utcnow() + timedelta(minutes=CODE_MINUTES)
    return row


def pending_number(row: ChannelLink | None) -> str | None:
    return row.address if code_pending(row) and row.verified_at is None else None


def confirm_whatsapp(user: User, typed) -> ChannelLink:
    """Link the number when `typed` is the code sent to it; Invalid (with the tries left)
    otherwise; after MAX_ATTEMPTS wrong codes, or once expired, the code is void."""
    row = link_of(user, "whatsapp")
    if not code_pending(row) or row.verified_at is not None:
        raise Conflict("no_code", _("There is no valid code for you now. Ask for a new code."))
    entered = re.sub(r"\s", "", str(typed or ""))[:12]
    digest, _sep, tries = row.code.partition(":")
    tries = int(tries or 0)
    if (
        entered.isascii()
        and entered.isdigit()
        and hmac.compare_digest(digest, _digest(user.id, entered))
    ):
        with write_transaction():
            row.verified_at = utcnow()
            row.code = None
            row.code_expires_at = None
        return row
    tries += 1
    with write_transaction():
        if tries >= MAX_ATTEMPTS:
            row.code = None
            row.code_expires_at = None
            row.address = None
        else:
            row.code = f"{digest}:{tries}"
    if tries >= MAX_ATTEMPTS:
        raise TooManyAttempts("too_many_attempts", _("Too many wrong codes. Ask for a new code."))
    message = _("Wrong code. %(left)d tries left.", left=MAX_ATTEMPTS - tries)
    raise Invalid("wrong_code", message, {"code": message})


# Both ------------------------------------------------------------------------------------------


def unlink(user: User, channel: str) -> None:
    """Forget the person's address on `channel` (and any code waiting)."""
    row = link_of(user, channel)
    if row is None:
        raise NotFound("not_found", _("Nothing is linked."))
    with write_transaction():
        db.session.delete(row)
