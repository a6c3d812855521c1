"""The admin page of the webhooks for every board (`board_id` None): list, add, switch off and
on, new secret, resend a delivery, remove (app/boards/webhook_views.py does the same for one
board's managers on its settings page)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.admin import bp
from app.admin.views import require_admin
from app.boards.webhook_views import change, form_values
from app.services import webhooks
from app.services.errors import Invalid, NotFound
from app.views_common import actor


def page(*, errors=None, values=None, alert=None, new_secret=None, status=200):
    return (
        render_template(
            "webhooks/admin.html",
            errors=errors or {},
            values=values or {},
            alert=alert,
            new_secret=new_secret,
        ),
        status,
    )


@bp.get("/webhooks")
@login_required
def webhooks_page():
    require_admin()
    return page()


@bp.post("/webhooks")
@login_required
def add_webhook():
    require_admin()
    values = form_values()
    try:
        row, secret = webhooks.register(actor(), None, values)
    except Invalid as exc:
        return page(
            errors={"new-webhook": exc.fields},
            values={"new-webhook": values},
            alert=exc.message,
            status=exc.status,
        )
    flash(_("Webhook %(name)s added.", name=row.name), "success")
    return page(new_secret={"id": row.id, "secret": secret})


@bp.post("/webhooks/<id:webhook_id>/<any(delete,toggle,secret,resend):action>")
@login_required
def change_webhook(webhook_id, action):
    require_admin()
    user = actor()
    if webhooks.get_webhook(user, webhook_id).board_id is not None:
        raise NotFound("not_found", _("Webhook not found."))
    text, secret = change(user, webhook_id, action)
    flash(text, "success")
    if secret is None:
        return redirect(url_for("admin.webhooks_page"))
    return page(new_secret=secret)
