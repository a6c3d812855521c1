"""The office's sign-in rules, for administrators (`/admin/sign-in`): who must use two-factor
sign-in (app/services/site_settings.py `TWO_FACTOR_REQUIRED`). People the rule newly covers
set up two-factor sign-in at their next sign-in; sessions already open are left alone."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.admin import bp
from app.admin.views import require_admin
from app.services import site_settings
from app.services.errors import Invalid


def _page(errors=None, chosen=None, status=200):
    declared = site_settings.DECLARED[site_settings.TWO_FACTOR_REQUIRED]
    current = site_settings.get(site_settings.TWO_FACTOR_REQUIRED)
    page = render_template(
        "admin/sign_in.html",
        choices=list(declared.choices.items()),
        chosen=chosen or current,
        errors=errors or {},
    )
    return page, status


@bp.route("/sign-in", methods=["GET", "POST"])
@login_required
def sign_in():
    require_admin()
    if request.method == "GET":
        return _page()
    value = request.form.get("two_factor_required", "")
    try:
        changed = site_settings.change(
            current_user._get_current_object(), site_settings.TWO_FACTOR_REQUIRED, value
        )
    except Invalid as exc:
        errors = {"two_factor_required": exc.fields.get(site_settings.TWO_FACTOR_REQUIRED, "")}
        return _page(errors=errors, status=422)
    flash(_("Saved.") if changed else _("Nothing changed."), "success" if changed else "info")
    return redirect(url_for("admin.sign_in"), code=303)
