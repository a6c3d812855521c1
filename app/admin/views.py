"""Pages for site administrators: the health of every plugin."""

from flask import current_app, render_template
from flask_login import current_user, login_required

from app.admin import bp
from app.services.errors import Forbidden


def require_admin() -> None:
    """Signed-in people who are not administrators get 403 (anonymous ones go to the login)."""
    from flask_babel import gettext as _

    if not current_user.is_admin:
        raise Forbidden("forbidden", _("Only an administrator may open this page."))


@bp.get("/plugins")
@login_required
def plugins():
    require_admin()
    host = current_app.extensions["cergas_plugins"]
    records = sorted(host.records.values(), key=lambda record: record.name)
    return render_template("admin/plugins.html", records=records)
