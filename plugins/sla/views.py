"""The SLA report page of a board (heads and admins) and its CSV export."""

from flask import Blueprint, Response, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cergas.plugin import (
    Forbidden,
    boards_with_settings,
    can_manage_board,
    csv_text,
    unit_boards,
    units_managed_by,
    visible_board,
    work_calendars,
)

from .policies import policies_of
from .report import board_report
from .service import PLUGIN
from .text import badge_text, duration_text

bp = Blueprint("sla", __name__, url_prefix="/plugins/sla", template_folder="templates")

CSV_COLUMNS = (
    "card_id",
    "title",
    "type",
    "month",
    "policy",
    "started_at",
    "due_at",
    "done_at",
    "state",
    "late_seconds",
    "assignee",
    "type_now",
)


@bp.get("/")
@login_required
def index():
    """The boards with service-time policies whose report this head may open."""
    user = current_user._get_current_object()
    with_policies = {
        board_id
        for board_id, settings in boards_with_settings(PLUGIN).items()
        if policies_of(settings)
    }
    boards, seen = [], set()
    for unit in units_managed_by(user):
        for board in unit_boards(user, unit):
            if board.id in with_policies and board.id not in seen:
                seen.add(board.id)
                boards.append((board, unit))
    return render_template("sla/index.html", boards=boards)


def _head_board(board_id):
    user = current_user._get_current_object()
    board = visible_board(user, board_id)
    if not can_manage_board(user, board):
        raise Forbidden("forbidden", _("Only the unit's heads can see the SLA report."))
    return board


@bp.get("/boards/<id:board_id>")
@login_required
def report(board_id):
    board = _head_board(board_id)
    data = board_report(board)
    cal = work_calendars([board.unit_id])[board.unit_id]
    return render_template(
        "sla/report.html",
        report=data,
        board=board,
        late_text=lambda line: duration_text(line.clock, line.clock.remaining_seconds, cal),
        status_text=lambda clock: badge_text(clock, cal)[0],
    )


@bp.get("/boards/<id:board_id>/report.csv")
@login_required
def report_csv(board_id):
    board = _head_board(board_id)
    data = board_report(board)
    rows = [CSV_COLUMNS]
    for line in data.lines:
        clock = line.clock
        rows.append(
            [
                line.card_id,
                line.title,
                line.clock_type,
                line.month,
                clock.policy.label,
                clock.started_at.isoformat(),
                clock.due_at.isoformat(),
                clock.stopped_at.astimezone(clock.due_at.tzinfo).isoformat()
                if clock.stopped_at
                else "",
                clock.state,
                clock.late_seconds,
                line.assignee.login if line.assignee else "",
                line.type,
            ]
        )
    filename = f"sla-board-{board.id}.csv"
    return Response(
        csv_text(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
