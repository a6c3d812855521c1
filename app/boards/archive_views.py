"""A board's archive page (issue 25): its archived cards, newest first, 50 a page, with a title
filter and a restore button each (app/cards/archive.py restores)."""

from flask import render_template, request
from flask_login import login_required

from app.boards import bp
from app.services import access
from app.services import archive as archive_service
from app.services import validation as v
from app.views_common import actor


@bp.get("/<id:board_id>/archive")
@login_required
def archive(board_id):
    user = actor()
    page = v.ascii_int(request.args.get("page"), minimum=1, maximum=100_000) or 1
    found = archive_service.archived_cards(user, board_id, q=request.args.get("q", ""), page=page)
    board = found.board
    return render_template(
        "boards/archive.html",
        board=board,
        found=found,
        can_manage=access.can_manage_board(user, board),
        timezone=board.unit.timezone,
    )


@bp.app_template_global()
def archived_cards_label(n: int) -> str:
    """The number on the board header's archive link (`BoardView.archived`): exact up to 999,
    then "999+"."""
    cap = archive_service.COUNT_CAP
    return f"{cap - 1}+" if n >= cap else str(n)
