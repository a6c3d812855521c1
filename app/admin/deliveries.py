"""/admin/deliveries: the dead-letter list of the outbox (failed and dead deliveries) with
"send again" for one or all (administrators; recorded in the administration log)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.admin import bp
from app.admin.views import require_admin
from app.services import notification_preferences as prefs_service
from app.services import outbox

ZONE = "Asia/Jakarta"


@bp.get("/deliveries")
@login_required
def deliveries():
    require_admin()
    rows = outbox.problem_deliveries(current_user._get_current_object())
    return render_template(
        "admin/deliveries.html",
        rows=rows,
        channel_label=prefs_service.channel_label,
        timezone=ZONE,
    )


def _done(count: int):
    if count:
        flash(
            ngettext(
                "%(num)d delivery will be sent again.",
                "%(num)d deliveries will be sent again.",
                count,
            ),
            "success",
        )
    else:
        flash(_("There was nothing to send again."), "info")
    return redirect(url_for("admin.deliveries"), code=303)


@bp.post("/deliveries/<id:delivery_id>/retry")
@login_required
def retry_delivery(delivery_id: int):
    require_admin()
    return _done(outbox.retry([delivery_id], actor=current_user._get_current_object()))


@bp.post("/deliveries/retry-all")
@login_required
def retry_all_deliveries():
    require_admin()
    return _done(outbox.retry(None, actor=current_user._get_current_object()))
