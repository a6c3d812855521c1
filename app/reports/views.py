"""Reports of a board: flow metrics with charts over a date range, velocity, aging WIP, and the
exports of done cards per person (CSV, XLSX) used as evidence for performance appraisals."""

from flask import Response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.models import User
from app.reports import bp
from app.reports.charts import bar_chart, stacked_area
from app.services import exports, metrics
from app.services import validation as v
from app.services.errors import Invalid


def actor() -> User:
    return current_user._get_current_object()


def aging_threshold() -> int:
    try:
        value = v.optional_int(request.args.get("aging"), minimum=0, maximum=365)
    except v.FieldError as exc:
        raise v.invalid({"aging": str(exc)}) from None
    return metrics.DEFAULT_AGING_DAYS if value is None else value


def charts_for(data: dict, velocity: list[dict]) -> dict:
    weeks = data["throughput"]
    cfd = data["cfd"]
    day_labels = [day[8:10] + "/" + day[5:7] for day in cfd["days"]]
    # Done at the bottom, the backlog on top: the usual CFD reading order.
    bands = [
        (c["name"], f"band-{i % 6}", c["counts"]) for i, c in enumerate(reversed(cfd["columns"]))
    ]
    lead, cycle = data["lead_time"], data["cycle_time"]
    buckets = [bucket["label"] for bucket in lead["histogram"]]
    return {
        "throughput": bar_chart(
            "throughput",
            _("Weekly throughput"),
            _("Cards finished per week. The table below gives the same numbers."),
            [week["week"] for week in weeks],
            [(_("Cards done"), "series-done", [week["done"] for week in weeks])],
        ),
        "cfd": stacked_area(
            "cfd",
            _("Cumulative flow"),
            _("Cards in each column at the end of each day. The table below gives the numbers."),
            day_labels,
            bands,
        ),
        "flow_times": bar_chart(
            "flow-times",
            _("Lead and cycle time"),
            _("How many cards took how many days. The table below gives the numbers."),
            buckets,
            [
                (_("Lead time"), "series-lead", [b["count"] for b in lead["histogram"]]),
                (_("Cycle time"), "series-cycle", [b["count"] for b in cycle["histogram"]]),
            ],
        ),
        "velocity": bar_chart(
            "velocity",
            _("Velocity"),
            _("Cards committed and completed in the last sprints. The table below gives them."),
            [item["name"] for item in velocity],
            [
                (_("Committed"), "series-ideal", [i["committed"]["cards"] for i in velocity]),
                (_("Completed"), "series-done", [i["completed"]["cards"] for i in velocity]),
            ],
        )
        if velocity
        else None,
    }


@bp.get("/boards/<id:board_id>/reports")
@login_required
def board(board_id):
    user = actor()
    args = request.args
    errors = {}
    threshold = metrics.DEFAULT_AGING_DAYS
    try:
        threshold = aging_threshold()
    except Invalid as exc:
        errors.update(exc.fields)
    try:
        board, data = metrics.board_metrics(user, board_id, args.get("from"), args.get("to"))
    except Invalid as exc:
        errors.update(exc.fields)
        board, data = metrics.board_metrics(user, board_id)
    status = 422 if errors else 200
    velocity = metrics.velocity(board)
    page = render_template(
        "reports/board.html",
        board=board,
        data=data,
        velocity=velocity,
        aging=metrics.aging_wip(board, threshold),
        threshold=threshold,
        charts=charts_for(data, velocity),
        errors=errors,
        values={
            "from": args.get("from", data["from"]),
            "to": args.get("to", data["to"]),
            "aging": args.get("aging", threshold),
        },
    )
    return page, status


def _done_cards(board_id):
    args = request.args
    return exports.done_cards(
        actor(),
        board_id,
        args.get("from"),
        args.get("to"),
        args.get("person"),
        link_for=lambda card_id: url_for("cards.card", card_id=card_id, _external=True),
    )


def _filename(board, start, end, extension: str) -> str:
    return f"selesai-board{board.id}-{start.isoformat()}-{end.isoformat()}.{extension}"


@bp.get("/boards/<id:board_id>/reports/done.csv")
@login_required
def done_csv(board_id):
    board, start, end, rows = _done_cards(board_id)
    return Response(
        exports.as_csv(rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(board, start, end, "csv")}"'
        },
    )


@bp.get("/boards/<id:board_id>/reports/done.xlsx")
@login_required
def done_xlsx(board_id):
    board, start, end, rows = _done_cards(board_id)
    return Response(
        exports.as_xlsx(board, start, end, rows),
        mimetype=exports.XLSX_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(board, start, end, "xlsx")}"'
        },
    )
