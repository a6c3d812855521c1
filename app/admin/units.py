"""The unit tree for administrators: create, rename, move, change the time zone, deactivate and
reactivate (app/services/units.py)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.admin import bp
from app.admin.views import UNIT_CODE, require_admin
from app.models import TIMEZONES
from app.services import units as service
from app.services.errors import Conflict, Invalid

NEW_FIELDS = ("code", "name", "parent", "timezone")
EDIT_FIELDS = ("name", "parent", "timezone")


def _me():
    return current_user._get_current_object()


def _tree_page(*, errors=None, form=None, status=200):
    rows = service.tree()
    if form is None:
        # A new unit goes under the one asked for, else under the office (the first top unit).
        asked = request.args.get("parent", "")
        top = rows[0].unit.code if rows and rows[0].unit.active else ""
        form = {
            "timezone": "Asia/Jakarta",
            "parent": asked if isinstance(asked, str) and asked else top,
        }
        parent = next((row.unit for row in rows if row.unit.code == form["parent"]), None)
        if parent is not None:
            form["timezone"] = parent.timezone
    page = render_template(
        "admin/units.html",
        rows=rows,
        parents=service.choices(),
        zones=TIMEZONES,
        errors=errors or {},
        form=form,
    )
    return page, status


@bp.get("/units")
@login_required
def units():
    require_admin()
    return _tree_page()


@bp.post("/units")
@login_required
def create_unit():
    require_admin()
    form = {key: request.form.get(key, "") for key in NEW_FIELDS}
    try:
        unit = service.create_unit(
            form["code"], form["name"], form["parent"] or None, form["timezone"], actor=_me()
        )
    except Invalid as exc:
        return _tree_page(errors=exc.fields, form=form, status=422)
    except Conflict as exc:
        return _tree_page(errors={"code": exc.message}, form=form, status=409)
    flash(_("Unit %(name)s created.", name=unit.name), "success")
    return redirect(url_for("admin.units") + f"#unit-{unit.code}")


def _unit_page(code, *, errors=None, form=None, alert=None, status=200):
    unit = service.unit_by_code(code)
    page = render_template(
        "admin/unit.html",
        unit=unit,
        usage=service.usage(unit),
        parents=service.choices(exclude=unit),
        zones=TIMEZONES,
        errors=errors or {},
        form=form or {},
        alert=alert,
    )
    return page, status


@bp.get(f"/units/<{UNIT_CODE}:code>")
@login_required
def unit(code):
    require_admin()
    return _unit_page(code)


@bp.post(f"/units/<{UNIT_CODE}:code>")
@login_required
def edit_unit(code):
    require_admin()
    form = {key: request.form.get(key, "") for key in EDIT_FIELDS}
    # issue 27: a checkbox after a hidden "0": the last value sent is the box's.
    form["colleagues_see_competency"] = request.form.getlist("colleagues_see_competency")[-1:] == [
        "1"
    ]
    try:
        unit = service.edit_unit(_me(), code, form)
    except Invalid as exc:
        return _unit_page(code, errors=exc.fields, form=form, status=422)
    except Conflict as exc:
        return _unit_page(code, form=form, alert=exc.message, status=409)
    flash(_("Unit %(name)s saved.", name=unit.name), "success")
    return redirect(url_for("admin.units") + f"#unit-{unit.code}")


@bp.post(f"/units/<{UNIT_CODE}:code>/deactivate")
@login_required
def deactivate_unit(code):
    require_admin()
    try:
        unit = service.deactivate_unit(_me(), code)
    except Conflict as exc:
        return _unit_page(code, alert=exc.message, status=409)
    flash(_("Unit %(name)s deactivated.", name=unit.name), "success")
    return redirect(url_for("admin.units") + f"#unit-{unit.code}")


@bp.post(f"/units/<{UNIT_CODE}:code>/reactivate")
@login_required
def reactivate_unit(code):
    require_admin()
    try:
        unit = service.reactivate_unit(_me(), code)
    except Conflict as exc:
        return _unit_page(code, alert=exc.message, status=409)
    flash(_("Unit %(name)s is active again.", name=unit.name), "success")
    return redirect(url_for("admin.units") + f"#unit-{unit.code}")
