"""Webhooks on the pages: the board settings section for the board's managers, and the admin
page of the webhooks for every board (app/admin/webhooks.py). A new secret is shown on the
page that answers the form, once; it is never put in the session or a redirect."""

from flask import flash, request
from flask_babel import gettext as _
from flask_login import login_required

from app.boards import bp
from app.boards.views import back_to_settings, settings_page, settings_refused
from app.services import access, webhooks
from app.services.errors import Invalid, NotFound
from app.views_common import actor, form_int


def form_values() -> dict:
    return {
        "url": request.form.get("url", ""),
        "name": request.form.get("name", ""),
        "secret": request.form.get("secret", ""),
        "events": request.form.getlist("events"),
    }


@bp.app_template_global("webhook_rows")
def webhook_rows(board_id) -> list:
    """[(webhook, its newest deliveries)] of a board (None: the all-board ones)."""
    user = actor()
    rows = (
        webhooks.list_webhooks(user, board_id)
        if board_id is not None
        else [row for row in webhooks.list_webhooks(user) if row.board_id is None]
    )
    return [(row, webhooks.recent_deliveries(row, 5)) for row in rows]


@bp.app_template_global("webhook_events")
def webhook_events() -> dict:
    return webhooks.EVENTS


def change(user, webhook_id, action: str) -> tuple[str, dict | None]:
    """Apply a button of a webhook's row: (message, the new secret to show once or None)."""
    row = webhooks.get_webhook(user, webhook_id)
    if action == "delete":
        webhooks.delete(user, webhook_id)
        return _("Webhook %(name)s removed.", name=row.name), None
    if action == "toggle":
        row = webhooks.update_webhook(user, webhook_id, {"active": not row.active})
        if row.active:
            return _("Webhook %(name)s switched on.", name=row.name), None
        return _("Webhook %(name)s switched off.", name=row.name), None
    if action == "secret":
        row, secret = webhooks.rotate_secret(user, webhook_id)
        shown = {"id": row.id, "secret": secret}
        return _("Webhook %(name)s has a new secret.", name=row.name), shown
    delivery_id = form_int(request.form.get("delivery_id"))
    webhooks.redeliver(user, webhook_id, delivery_id)
    return _("The delivery will be sent again."), None


def _of_board(user, board_id, webhook_id):
    row = webhooks.get_webhook(user, webhook_id)
    if row.board_id != board_id:
        raise NotFound("not_found", _("Webhook not found."))
    return row


@bp.post("/<id:board_id>/webhooks")
@login_required
def add_webhook(board_id):
    user = actor()
    values = form_values()
    try:
        row, secret = webhooks.register(user, board_id, values)
    except Invalid as exc:
        return settings_refused(board_id, "new-webhook", values, exc)
    flash(_("Webhook %(name)s added.", name=row.name), "success")
    board = access.managed_board(user, board_id)
    return settings_page(board, new_secret={"id": row.id, "secret": secret})


@bp.post("/<id:board_id>/webhooks/<id:webhook_id>/<any(delete,toggle,secret,resend):action>")
@login_required
def change_webhook(board_id, webhook_id, action):
    user = actor()
    _of_board(user, board_id, webhook_id)
    text, secret = change(user, webhook_id, action)
    if secret is None:
        return back_to_settings(board_id, text)
    flash(text, "success")
    return settings_page(access.managed_board(user, board_id), new_secret=secret)
