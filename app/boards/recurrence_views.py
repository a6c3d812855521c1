"""Recurring cards on the board's settings page: the list (the rule in words, its next five
days, a problem that keeps it from making cards), the add and edit forms (all fields shown,
with hints: they work without JavaScript), pause, resume and delete."""

from babel.dates import get_day_names, get_month_names
from flask import request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required

from app.boards import bp
from app.boards.views import back_to_settings, settings_refused
from app.services import recurrences
from app.services.errors import Conflict, Invalid, NotFound
from app.views_common import actor


def _values() -> dict:
    return {name: request.form.get(name, "") for name in recurrences.FIELDS}


def _of_board(user, board_id, recurrence_id):
    row = recurrences.get_recurrence(user, recurrence_id)
    if row.board_id != board_id:
        raise NotFound("not_found", _("Recurring card not found."))
    return row


@bp.app_template_global("recurrence_rows")
def recurrence_rows(board) -> list[dict]:
    """The settings section's rules, each with its words, next days and problem."""
    return [
        {
            "row": row,
            "text": recurrences.describe(row),
            "next": [recurrences.long_date(day) for day in recurrences.next_dates(row)],
            "problem": recurrences.state(row),
        }
        for row in recurrences.board_recurrences(actor(), board.id)
    ]


@bp.post("/<id:board_id>/recurrences")
@login_required
def add_recurrence(board_id):
    values = _values()
    try:
        recurrences.create_recurrence(actor(), board_id, values)
    except (Invalid, Conflict) as exc:
        return settings_refused(board_id, "new-recurrence", values, exc)
    return back_to_settings(board_id, _("Recurring card added."))


@bp.post("/<id:board_id>/recurrences/<id:recurrence_id>")
@login_required
def update_recurrence(board_id, recurrence_id):
    user = actor()
    _of_board(user, board_id, recurrence_id)
    values = _values()
    try:
        recurrences.update_recurrence(user, recurrence_id, values)
    except (Invalid, Conflict) as exc:
        return settings_refused(board_id, f"recurrence-{recurrence_id}", values, exc)
    return back_to_settings(board_id, _("Recurring card saved."))


@bp.post("/<id:board_id>/recurrences/<id:recurrence_id>/<any(pause,resume,delete):action>")
@login_required
def change_recurrence(board_id, recurrence_id, action):
    user = actor()
    _of_board(user, board_id, recurrence_id)
    if action == "pause":
        recurrences.pause_recurrence(user, recurrence_id)
        text = _("Recurring card paused.")
    elif action == "resume":
        recurrences.resume_recurrence(user, recurrence_id)
        text = _("Recurring card resumed.")
    else:
        recurrences.delete_recurrence(user, recurrence_id)
        text = _("Recurring card deleted.")
    return back_to_settings(board_id, text)


@bp.app_template_global("weekday_choices")
def weekday_choices() -> list[tuple[int, str]]:
    names = get_day_names("wide", locale=get_locale())
    return [(index, names[index]) for index in range(7)]


@bp.app_template_global("month_choices")
def month_choices() -> list[tuple[int, str]]:
    names = get_month_names("wide", locale=get_locale())
    return [(index, names[index]) for index in range(1, 13)]
