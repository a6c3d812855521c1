"""/account/notifications: the person's own notification preferences as a plain form (a table
of events × channels, quiet hours, the digest, the heads' unit digest). Works without JS."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.services import notification_preferences as prefs_service
from app.services.errors import Invalid

account_bp = Blueprint("notification_preferences", __name__, url_prefix="/account")


def _why_no_channel(user) -> str:
    """Why nothing but the bell reaches this person, in words they can act on."""
    from app.services import channel_chat

    chats = channel_chat.configured_channels()
    if prefs_service.email_on() and not (user.email or "").strip():
        return _(
            "No channel can reach you yet: add your email address to your profile, or link a "
            "chat account. Notifications stay under the bell."
        )
    if chats:
        return _(
            "No channel can reach you yet: link your Telegram or WhatsApp on the Chat channels "
            "page. Notifications stay under the bell."
        )
    return _(
        "Your office has not set up email or chat messages yet, so notifications are shown "
        "under the bell only. Your administrator can set them up."
    )


def _page(prefs_dict: dict, errors: dict | None = None, status: int = 200):
    user = current_user._get_current_object()
    usable = prefs_service.usable_channels(user)
    head = prefs_service.is_head(user)
    events = [
        (event, label)
        for event, label in prefs_service.EVENTS.items()
        if event != "unit_digest" or head
    ]
    page = render_template(
        "notifications/preferences.html",
        prefs=prefs_dict,
        events=events,
        channels=[(name, prefs_service.channel_label(name)) for name in usable],
        head=head,
        why_none=_why_no_channel(user) if not usable else None,
        hours=range(24),
        errors=errors or {},
    )
    return page, status


@account_bp.get("/notifications")
@login_required
def page():
    user = current_user._get_current_object()
    prefs = prefs_service.preferences_of(user)
    return _page(prefs.to_dict(prefs_service.usable_channels(user)))


def _from_form(form, usable: list[str]) -> dict:
    """The service's shape from the form: a checkbox `event:channel` per cell."""
    data: dict = {
        "events": {
            event: [name for name in usable if form.get(f"{event}:{name}") == "on"]
            for event in prefs_service.EVENTS
            if event != "unit_digest" or prefs_service.is_head(current_user)
        },
        "quiet": {
            "enabled": form.get("quiet_enabled") == "on",
            "holidays": form.get("quiet_holidays") == "on",
        },
        "digest": form.get("digest", ""),
        "unit_digest": form.get("unit_digest") == "on",
    }
    for bound in ("start", "end"):
        if f"quiet_{bound}" in form:  # a field left out keeps its time; one emptied is refused
            data["quiet"][bound] = form[f"quiet_{bound}"].strip()
    hour = form.get("digest_hour", "").strip()
    data["digest_hour"] = int(hour) if hour.isascii() and hour.isdigit() else hour
    return data


@account_bp.post("/notifications")
@login_required
def save():
    user = current_user._get_current_object()
    usable = prefs_service.usable_channels(user)
    data = _from_form(request.form, usable)
    try:
        prefs_service.save(user, data)
    except Invalid as exc:
        flat = {key.replace(".", "_"): message for key, message in exc.fields.items()}
        return _page(data, errors=flat, status=exc.status)
    flash(_("Your notification preferences are saved."), "success")
    return redirect(url_for("notification_preferences.page"), code=303)
