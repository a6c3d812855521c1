"""Evidence pages and exports, feedback forms, the coverage view and sprint dialogue notes."""

from urllib.parse import quote

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.models import Sprint
from app.performance import bp
from app.services import evidence, evidence_export, feedback, performance_access, sprints
from app.services.errors import Forbidden, Invalid
from app.views_common import actor


def _card_link(card_id: int) -> str:
    return url_for("cards.card", card_id=card_id, _external=True)


def _document_link(card_id: int, document_id: int) -> str:
    return url_for(
        "cards.download_attachment", card_id=card_id, attachment_id=document_id, _external=True
    )


def period_choices(today) -> list[tuple[str, str]]:
    """The months and quarters of this year and last, newest first, for the period picker."""
    choices = []
    for year in (today.year, today.year - 1):
        for quarter in range(4, 0, -1):
            key = f"{year}-Q{quarter}"
            period = evidence.period_of_key(key)
            if period.start <= today:
                choices.append((key, period.label))
        for month in range(12, 0, -1):
            key = f"{year}-{month:02d}"
            period = evidence.period_of_key(key)
            if period.start <= today:
                choices.append((key, period.label))
    return choices


def evidence_page(login, *, errors=None, values=None, alert=None, status=200):
    viewer = actor()
    person = evidence.performance_person(viewer, login)
    today = evidence.person_today(person)
    try:
        period = evidence.clean_period(
            request.args.get("period"),
            request.args.get("from"),
            request.args.get("to"),
            today=today,
        )
        period_errors = {}
    except Invalid as exc:
        period, period_errors = evidence.clean_period(today=today), exc.fields
        status = exc.status
    data = evidence.evidence(viewer, person, period)
    notes = feedback.feedback_for(viewer, person, period)
    page = render_template(
        "performance/evidence.html",
        data=data,
        person=person,
        period=period,
        period_errors=period_errors,
        choices=period_choices(today),
        feedback=notes,
        may_write=performance_access.leads(viewer, person),
        viewer=viewer,
        errors=errors or {},
        values=values or {},
        alert=alert,
        query=request.args.to_dict(),
    )
    return page, status


@bp.get("/people/<login>/evidence")
@login_required
def person_evidence(login):
    return evidence_page(login)


def _export(login):
    viewer = actor()
    person = evidence.performance_person(viewer, login)
    period = evidence.clean_period(
        request.args.get("period"),
        request.args.get("from"),
        request.args.get("to"),
        today=evidence.person_today(person),
    )
    return evidence.evidence(viewer, person, period)


def _download(body, mimetype: str, name: str) -> Response:
    ascii_name = name.encode("ascii", "ignore").decode().replace('"', "")
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(name)}",
            "Cache-Control": "private, no-store",
        },
    )


@bp.get("/people/<login>/evidence.xlsx")
@login_required
def evidence_xlsx(login):
    data = _export(login)
    return _download(
        evidence_export.as_xlsx(data, _card_link, _document_link),
        evidence_export.XLSX_TYPE,
        evidence_export.file_name(data, "xlsx"),
    )


@bp.get("/people/<login>/evidence.csv")
@login_required
def evidence_csv(login):
    data = _export(login)
    return _download(
        evidence_export.as_csv(data, _card_link, _document_link),
        "text/csv",
        evidence_export.file_name(data, "csv"),
    )


@bp.post("/people/<login>/feedback")
@login_required
def write_feedback(login):
    form = request.form
    values = {"period": form.get("period", ""), "body": form.get("body", "")}
    try:
        feedback.write_feedback(actor(), login, values["period"], values["body"])
    except Invalid as exc:
        return evidence_page(
            login, errors=exc.fields, values=values, alert=exc.message, status=exc.status
        )
    flash(_("Feedback saved."), "success")
    return redirect(url_for("performance.person_evidence", login=login, period=values["period"]))


@bp.post("/feedback/<id:feedback_id>")
@login_required
def edit_feedback(feedback_id):
    viewer = actor()
    row = feedback.visible_feedback(viewer, feedback_id)
    person = evidence.owner_of(row)
    try:
        feedback.edit_feedback(viewer, feedback_id, request.form.get("body", ""))
    except Invalid as exc:
        return evidence_page(
            person.login,
            errors={f"edit-{feedback_id}": exc.fields.get("body", exc.message)},
            values={f"edit-{feedback_id}": request.form.get("body", "")},
            alert=exc.message,
            status=exc.status,
        )
    flash(_("Feedback saved."), "success")
    return redirect(url_for("performance.person_evidence", login=person.login, period=row.period))


@bp.get("/performance")
@login_required
def index():
    """The viewer's own evidence, and for heads their people and units."""
    viewer = actor()
    led = performance_access.units_led_by(viewer)
    units = evidence.units_by_ids(led)
    return render_template(
        "performance/index.html",
        viewer=viewer,
        people=performance_access.people_led_by(viewer),
        units=units,
        today=evidence.person_today(viewer),
    )


@bp.get("/units/<id:unit_id>/skp/coverage")
@login_required
def coverage(unit_id):
    viewer = actor()
    today = evidence.person_today(viewer)
    status = 200
    try:
        period = evidence.clean_period(
            request.args.get("period"),
            request.args.get("from"),
            request.args.get("to"),
            today=today,
        )
        period_errors = {}
    except Invalid as exc:
        period, period_errors, status = evidence.clean_period(today=today), exc.fields, exc.status
    data = evidence.coverage(viewer, unit_id, period)
    page = render_template(
        "performance/coverage.html",
        data=data,
        period=period,
        period_errors=period_errors,
        choices=period_choices(today),
    )
    return page, status


# --- sprint review: performance-dialogue notes ----------------------------------------------------


@bp.app_template_global("dialogue_panel")
def dialogue_panel(sprint: Sprint) -> dict:
    """What the sprint review's dialogue section shows the current person."""
    viewer = actor()
    return {
        "may_write": feedback.may_write_dialogue(viewer, sprint),
        "people": feedback.sprint_people(sprint),
        "notes": feedback.dialogue_notes(viewer, sprint),
    }


@bp.post("/sprints/<id:sprint_id>/dialogue")
@login_required
def save_dialogue(sprint_id):
    viewer = actor()
    sprint = sprints.visible_sprint(viewer, sprint_id)
    try:
        feedback.save_dialogue_note(
            viewer, sprint, request.form.get("person", ""), request.form.get("body", "")
        )
    except (Invalid, Forbidden) as exc:
        if isinstance(exc, Forbidden):
            raise
        flash(exc.fields.get("body") or exc.fields.get("user") or exc.message, "error")
        return redirect(url_for("sprints.review", sprint_id=sprint_id) + "#dialogue")
    flash(_("Dialogue note saved."), "success")
    return redirect(url_for("sprints.review", sprint_id=sprint_id) + "#dialogue")
