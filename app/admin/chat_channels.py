"""Telegram and WhatsApp for the whole office, for administrators (`/admin/chat-channels`): the
bot's token and name, the Meta app's token and sending number, and a test message. What the
server's environment sets wins (the page says so and its fields are then read-only); secrets
are never shown back in full. Rules in app/services/channel_chat.py."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.admin import bp
from app.admin.views import require_admin
from app.services import channel_chat
from app.services.channels import DeliveryFailed
from app.services.errors import Invalid


def _page(errors=None, form=None, alert=None, outcome=None, status=200):
    stored = channel_chat.stored_settings()
    channels = []
    for channel in channel_chat.CHANNELS:
        config = channel_chat.config_for(channel, stored)
        values = {
            name: channel_chat.masked(value) if name in channel_chat.SECRETS else value
            for name, value in config.values.items()
        }
        channels.append(
            {
                "name": channel,
                "label": channel_chat.label(channel),
                "environment": channel_chat.from_environment(channel),
                "configured": config.configured,
                "values": values,
                "variables": channel_chat.FIELDS[channel],
            }
        )
    page = render_template(
        "admin/chat_channels.html",
        channels=channels,
        secrets=channel_chat.SECRETS,
        errors=errors or {},
        form=form or {},
        alert=alert,
        outcome=outcome,
    )
    return page, status, {"Cache-Control": "no-store"}


@bp.route("/chat-channels", methods=["GET", "POST"])
@login_required
def chat_channels():
    require_admin()
    if request.method == "GET":
        return _page()
    form = request.form.to_dict()
    try:
        changed = channel_chat.save_settings(current_user._get_current_object(), form)
    except Invalid as exc:
        kept = {k: val for k, val in form.items() if k not in channel_chat.SECRETS}
        return _page(errors=exc.fields, form=kept, alert=exc.message, status=exc.status)
    flash(_("Saved.") if changed else _("Nothing changed."), "success" if changed else "info")
    return redirect(url_for("admin.chat_channels"), code=303)


@bp.post("/chat-channels/test")
@login_required
def chat_channels_test():
    require_admin()
    channel = request.form.get("channel", "")
    try:
        outcome = channel_chat.send_test(
            current_user._get_current_object(), channel, request.form.get("to", "")
        )
    except Invalid as exc:
        return _page(errors=exc.fields, alert=exc.message, status=exc.status)
    except DeliveryFailed as exc:
        return _page(errors={f"test_{channel}": exc.message}, alert=exc.message, status=502)
    flash(outcome, "success")
    return redirect(url_for("admin.chat_channels") + f"#{channel}", code=303)
