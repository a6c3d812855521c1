"""Pages for site administrators: the health of every plugin, the working calendars of units."""

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


# -- working calendars of units (app/services/calendars.py) ---------------------------------

UNIT_CODE = "string(maxlength=40)"


@bp.get("/calendars")
@login_required
def calendars():
    from app.services import calendars as service

    require_admin()
    return render_template(
        "admin/calendars.html", units=service.all_units(current_user._get_current_object())
    )


def _calendar_page(code, *, errors=None, form=None, status=200):
    from app.services import calendars as service

    view = service.calendar_view(current_user._get_current_object(), code)
    upcoming = service.upcoming_days_off(code)
    page = render_template(
        "admin/calendar.html",
        view=view,
        upcoming=upcoming,
        errors=errors or {},
        form=form or {},
    )
    return page, status


@bp.get(f"/calendars/<{UNIT_CODE}:code>")
@login_required
def calendar(code):
    require_admin()
    return _calendar_page(code)


@bp.post(f"/calendars/<{UNIT_CODE}:code>/hours")
@login_required
def calendar_hours(code):
    from flask import flash, redirect, request, url_for
    from flask_babel import gettext as _

    from app.services import calendars as service
    from app.services.errors import Invalid

    require_admin()
    form = request.form
    if form.get("defaults"):
        hours = None
    else:
        hours = [[form.get(f"start_{i}", ""), form.get(f"end_{i}", "")] for i in range(7)]
    try:
        service.set_calendar(
            current_user._get_current_object(),
            code,
            every_day=form.get("every_day") == "1",
            hours=hours,
        )
    except Invalid as exc:
        return _calendar_page(code, errors=exc.fields, form=form, status=422)
    flash(_("Working hours saved."), "success")
    return redirect(url_for("admin.calendar", code=code))


@bp.post(f"/calendars/<{UNIT_CODE}:code>/days")
@login_required
def calendar_add_day(code):
    from flask import flash, redirect, request, url_for
    from flask_babel import gettext as _

    from app.services import calendars as service
    from app.services.errors import Conflict, Invalid

    require_admin()
    form = request.form
    try:
        service.add_day(
            current_user._get_current_object(),
            code,
            form.get("day", ""),
            form.get("kind", ""),
            form.get("note", ""),
        )
    except Invalid as exc:
        return _calendar_page(code, errors=exc.fields, form=form, status=422)
    except Conflict as exc:
        return _calendar_page(code, errors={"day": exc.message}, form=form, status=409)
    flash(_("Day saved."), "success")
    return redirect(url_for("admin.calendar", code=code))


@bp.post(f"/calendars/<{UNIT_CODE}:code>/days/<id:day_id>/delete")
@login_required
def calendar_remove_day(code, day_id):
    from flask import flash, redirect, url_for
    from flask_babel import gettext as _

    from app.services import calendars as service

    require_admin()
    service.remove_day(current_user._get_current_object(), code, day_id)
    flash(_("Day removed."), "success")
    return redirect(url_for("admin.calendar", code=code))
