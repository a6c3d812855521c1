"""Workload pages (per board, per unit), one-click reassignment, and the JSON API."""

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cergas.plugin import (
    Conflict,
    Invalid,
    api_blueprint,
    api_caller,
    api_operation,
    skill_catalog,
    unit_boards,
    visible_units,
)

from . import api_models as m
from . import charts
from .service import board_report, reassign, unit_report

bp = Blueprint("workload", __name__, url_prefix="/plugins/workload", template_folder="templates")
api = api_blueprint("workload_api", __name__)


def viewer():
    return current_user._get_current_object()


# The page suggests for the most loaded overloaded people; the API lists every suggestion.
SUGGESTED_PEOPLE = 10


def page(report, *, kind: str):
    overloaded = [p for p in report.workload.people if p.overloaded]
    overloaded.sort(key=lambda p: (-p.estimated_hours, -p.active_cards, p.user.name))
    chosen = {p.user.id for p in overloaded[:SUGGESTED_PEOPLE]}
    suggestions = [s for s in report.workload.suggestions if s.holder.user.id in chosen]
    return render_template(
        "workload/report.html",
        report=report,
        kind=kind,
        suggestions=suggestions,
        more_overloaded=max(len(overloaded) - SUGGESTED_PEOPLE, 0),
        chart=charts.bar_chart(report.workload.people),
        skill_names={skill.slug: skill.name for skill in skill_catalog()},
    )


@bp.get("/")
@login_required
def index():
    user = viewer()
    units = visible_units(user)
    boards = {unit.id: unit_boards(user, unit) for unit in units}
    return render_template("workload/index.html", units=units, boards=boards)


@bp.get("/boards/<id:board_id>")
@login_required
def board(board_id):
    return page(board_report(viewer(), board_id), kind="board")


@bp.get("/units/<string(maxlength=40):code>")
@login_required
def unit(code):
    return page(unit_report(viewer(), code), kind="unit")


# The trend replays weeks of audit events, so the page loads it in a second request (htmx on
# load; without JavaScript, a link opens it as a page of its own).


def trend_page(report, *, kind: str):
    template = "workload/_trend.html" if htmx_request() else "workload/trend.html"
    return render_template(template, report=report, kind=kind, trend=charts.trend_rows(report))


def htmx_request() -> bool:
    return request.headers.get("HX-Request") == "true"


@bp.get("/boards/<id:board_id>/trend")
@login_required
def board_trend(board_id):
    return trend_page(board_report(viewer(), board_id, with_trend=True), kind="board")


@bp.get("/units/<string(maxlength=40):code>/trend")
@login_required
def unit_trend(code):
    return trend_page(unit_report(viewer(), code, with_trend=True), kind="unit")


def back_to(default: str) -> str:
    """Only back to a workload page: `next` never leads off this plugin."""
    target = request.form.get("next", "")
    prefix = url_for("workload.index")
    if isinstance(target, str) and target.startswith(prefix) and "//" not in target:
        return target
    return default


@bp.post("/cards/<id:card_id>/reassign")
@login_required
def reassign_card(card_id):
    user = viewer()
    assignee = request.form.get("assignee", "").strip()
    version = request.form.get("version", "")
    default = url_for("workload.index")
    try:
        card = reassign(user, card_id, assignee, version)
    except (Invalid, Conflict) as exc:
        detail = " ".join(str(message) for message in (exc.fields or {}).values())
        flash(f"{exc.message} {detail}".strip(), "error")
        return redirect(back_to(default), 303)
    name = card.assignee.name if card.assignee else assignee
    flash(_("“%(title)s” now belongs to %(name)s.", title=card.title, name=name), "success")
    return redirect(back_to(default), 303)


# --- JSON API ----------------------------------------------------------------------------------


def report_json(report) -> dict:
    workload = report.workload
    return {
        "people": [
            {
                "user": p.user.login,
                "name": p.user.name,
                "active_cards": p.active_cards,
                "estimated_hours": round(p.estimated_hours, 2),
                "overdue": p.overdue,
                "effectiveness": round(p.effectiveness, 3),
                "skills": p.skills,
                "overloaded": p.overloaded,
                "reasons": list(p.reasons),
            }
            for p in workload.people
        ],
        "median_active": workload.median_active,
        "imbalance": workload.imbalance,
        "imbalance_index": "gini_active_hours",
        "warnings": [w.to_dict() for w in workload.warnings],
        "suggestions": [
            {
                "card": {
                    "id": s.card.id,
                    "title": s.card.title,
                    "board_id": s.card.board_id,
                    "version": s.card.version,
                },
                "holder": s.holder.user.login,
                "skills": s.skills,
                "candidates": [c.user.login for c in s.candidates],
            }
            for s in workload.suggestions
        ],
        "horizon": {
            "working_days": workload.settings.horizon_days,
            "until": workload.horizon_end.isoformat(),
            "effective_hours_per_day": workload.settings.effective_hours,
        },
        "boards": [{"id": b.id, "name": b.name} for b in report.boards],
    }


@api.get("/boards/<id:board_id>/workload")
@api_operation(
    "Workload of the people of a board",
    description='{"board": {"id", "name"}, "people": [{"user", "name", "active_cards", '
    '"estimated_hours", "overdue", "effectiveness", "skills", "overloaded", "reasons"}], '
    '"median_active", "imbalance", "imbalance_index", "warnings", "suggestions", "horizon", '
    '"boards"}. Anyone who may see the board.',
    responses={200: m.BoardWorkload},
    tags=("workload",),
)
def board_workload(board_id):
    report = board_report(api_caller(), board_id)
    return jsonify(
        {"board": {"id": report.board.id, "name": report.board.name}, **report_json(report)}
    )


@api.get("/units/<string(maxlength=40):code>/workload")
@api_operation(
    "Workload of the people of a unit",
    description='Like the board workload, with {"unit": {"code", "name"}} instead of "board". '
    "Anyone who may see the unit's boards; an unknown unit is 404.",
    responses={200: m.UnitWorkload},
    tags=("workload",),
)
def unit_workload(code):
    report = unit_report(api_caller(), code)
    unit = report.unit
    return jsonify({"unit": {"code": unit.code, "name": unit.name}, **report_json(report)})
