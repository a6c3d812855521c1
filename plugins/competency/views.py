"""The competency pages (under /plugins/competency): a person's learning log and JP progress,
a unit's JP progress and gap analysis, and the competency development plan as CSV and XLSX."""

import re
from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cergas.plugin import (
    LEARNING_ACTIVITIES,
    Forbidden,
    Invalid,
    ascii_int,
    delete_learning,
    editable_person,
    record_learning,
    skill_catalog,
    units_managed_by,
)
from plugins.competency import core, export
from plugins.competency.labels import ACTIVITY_NAMES, STATE_NAMES

bp = Blueprint("competency", __name__, template_folder="templates")

LEARNING_FIELDS = ("activity", "title", "date", "hours", "evidence_url")


def actor():
    return current_user._get_current_object()


def _year(value) -> tuple[int | None, str | None]:
    if value in (None, ""):
        return None, None
    year = ascii_int(value, minimum=2000, maximum=2099)
    if year is not None:
        return year, None
    return None, _("Give a year such as 2026.")


def _date(value) -> tuple[date | None, str | None]:
    if value in (None, ""):
        return None, None
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
        try:
            parsed = date.fromisoformat(value.strip())
        except ValueError:
            return None, _("Not a valid date.")
        if 2000 <= parsed.year <= 2100:
            return parsed, None
    return None, _("Use the format YYYY-MM-DD.")


def period_from_args(args) -> tuple[date | None, date | None, dict]:
    """`from` and `to` of a request, each checked; errors name the bad field."""
    errors = {}
    start, error = _date(args.get("from"))
    if error:
        errors["from"] = error
    end, error = _date(args.get("to"))
    if error:
        errors["to"] = error
    if start and end and end < start:
        errors["to"] = _("The end of the period comes after its start.")
    if errors:
        return None, None, errors
    return start, end, {}


@bp.app_template_global("competency_jp")
def competency_jp(minutes: int) -> str:
    return core.jp_text(minutes)


@bp.app_template_global("competency_target")
def competency_target() -> int:
    return core.jp_target()


@bp.get("/")
@login_required
def index():
    return render_template(
        "competency/index.html",
        units=units_managed_by(actor()),
        person=actor(),
    )


def person_page(login, *, errors=None, values=None, alert=None, status=200):
    year, year_error = _year(request.args.get("year"))
    data = core.person_competency(actor(), login, year)
    page = render_template(
        "competency/person.html",
        data=data,
        progress=data.progress,
        may_edit=_may_edit(data.user),
        activities=LEARNING_ACTIVITIES,
        activity_names=ACTIVITY_NAMES,
        state_names=STATE_NAMES,
        catalog=skill_catalog(),
        errors=errors or ({"year": year_error} if year_error else {}),
        values=values or {},
        alert=alert,
    )
    return page, status


def _may_edit(user) -> bool:
    try:
        editable_person(actor(), user.login)
    except Forbidden:  # a colleague or a head above sees the page without the form
        return False
    return True


@bp.get("/people/<login>")
@login_required
def person(login):
    return person_page(login)


@bp.post("/people/<login>/learning")
@login_required
def add_learning(login):
    user = editable_person(actor(), login)
    values = {name: request.form.get(name, "") for name in LEARNING_FIELDS}
    values["skills"] = request.form.getlist("skills")
    try:
        record_learning(actor(), user, values)
    except Invalid as exc:
        return person_page(
            login, errors=exc.fields, values=values, alert=exc.message, status=exc.status
        )
    flash(_("Learning activity saved."), "success")
    return redirect(url_for("competency.person", login=user.login))


@bp.post("/people/<login>/learning/<id:learning_id>/delete")
@login_required
def remove_learning(login, learning_id):
    user = editable_person(actor(), login)
    delete_learning(actor(), user, learning_id)
    flash(_("Learning activity removed."), "success")
    return redirect(url_for("competency.person", login=user.login))


@bp.get("/units/<code>")
@login_required
def unit(code):
    year, year_error = _year(request.args.get("year"))
    start, end, errors = period_from_args(request.args)
    if year_error:
        errors["year"] = year_error
    progress = core.unit_progress(actor(), code, year)
    report = core.unit_gaps(actor(), code, start, end)
    page = render_template(
        "competency/unit.html",
        progress=progress,
        report=report,
        recommendation_text=core.recommendation_text,
        short_name=core.short_name,
        errors=errors,
        values=request.args,
    )
    return page, 422 if errors else 200


def _plan(code):
    start, end, errors = period_from_args(request.args)
    if errors:
        raise Invalid("validation_error", _("Some fields are not valid."), fields=errors)
    report = core.unit_gaps(actor(), code, start, end)
    progress = core.unit_progress(actor(), code)
    return report, progress


@bp.get("/units/<code>/plan.csv")
@login_required
def plan_csv(code):
    report, progress = _plan(code)
    body = export.plan_csv(report, progress)
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{export.filename(report, "csv")}"'},
    )


@bp.get("/units/<code>/plan.xlsx")
@login_required
def plan_xlsx(code):
    report, progress = _plan(code)
    return Response(
        export.plan_xlsx(report, progress),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename(report, "xlsx")}"'
        },
    )
