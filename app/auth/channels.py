"""The person's own chat channels (`/account/channels`): link Telegram (a `/start` code sent to
the office's bot) or a WhatsApp number (a code sent to it, typed back), and unlink them. The
rules are in app/services/chat_links.py. Works without JavaScript: every action is a form."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.auth import bp
from app.services import channel_chat, chat_links
from app.services.errors import Conflict, Invalid, NotFound, TooManyAttempts

NO_STORE = {"Cache-Control": "no-store"}
CHANNEL = "any(telegram, whatsapp)"


def me():
    return current_user._get_current_object()


def channels_page(*, errors=None, form=None, alert=None, status=200, headers=None):
    user = me()
    links = chat_links.links_of(user)
    telegram = links.get("telegram")
    whatsapp = links.get("whatsapp")
    page = render_template(
        "auth/channels.html",
        configured=channel_chat.configured_channels(),
        telegram=telegram,
        telegram_linked=chat_links.is_linked(telegram),
        telegram_link=chat_links.telegram_start_link(telegram)
        if chat_links.code_pending(telegram)
        else None,
        bot_name=channel_chat.config_for("telegram").values.get("telegram_bot_name", ""),
        whatsapp=whatsapp,
        whatsapp_linked=chat_links.is_linked(whatsapp),
        whatsapp_pending=chat_links.pending_number(whatsapp),
        minutes=chat_links.CODE_MINUTES,
        errors=errors or {},
        form=form or {},
        alert=alert,
    )
    return page, status, {**NO_STORE, **(headers or {})}


def _retry(exc) -> dict:
    seconds = getattr(exc, "retry_after", None)
    return {"Retry-After": str(seconds)} if seconds else {}


@bp.get("/account/channels")
@login_required
def channels():
    return channels_page()


@bp.post("/account/channels/telegram")
@login_required
def link_telegram():
    try:
        chat_links.start_telegram(me())
    except Conflict as exc:
        return channels_page(alert=exc.message, status=exc.status)
    return redirect(url_for("auth.channels") + "#telegram", code=303)


@bp.post("/account/channels/whatsapp")
@login_required
def link_whatsapp():
    number = request.form.get("number", "")
    try:
        chat_links.start_whatsapp(me(), number)
    except Invalid as exc:
        return channels_page(errors=exc.fields, form={"number": number[:40]}, status=exc.status)
    except (Conflict, TooManyAttempts) as exc:
        return channels_page(
            alert=exc.message,
            form={"number": number[:40]},
            status=exc.status,
            headers=_retry(exc),
        )
    flash(_("A code was sent to your WhatsApp. Type it below."), "info")
    return redirect(url_for("auth.channels") + "#whatsapp", code=303)


@bp.post("/account/channels/whatsapp/confirm")
@login_required
def confirm_whatsapp():
    try:
        chat_links.confirm_whatsapp(me(), request.form.get("code", ""))
    except Invalid as exc:
        return channels_page(errors=exc.fields, status=exc.status)
    except (Conflict, TooManyAttempts) as exc:
        return channels_page(alert=exc.message, status=exc.status)
    flash(_("WhatsApp is linked."), "success")
    return redirect(url_for("auth.channels"), code=303)


@bp.post(f"/account/channels/<{CHANNEL}:channel>/unlink")
@login_required
def unlink_channel(channel):
    try:
        chat_links.unlink(me(), channel)
    except NotFound as exc:
        return channels_page(alert=exc.message, status=exc.status)
    flash(_("%(channel)s is unlinked.", channel=channel_chat.label(channel)), "success")
    return redirect(url_for("auth.channels"), code=303)
