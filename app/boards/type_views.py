"""The settings section that keeps a board's card types and labels (issue 26): add one by its
name and colour (the stored key is derived and never shown), rename, recolour, archive or bring
back, move up or down."""

from flask import request
from flask_babel import gettext as _
from flask_login import login_required

from app.boards import bp
from app.boards.views import back_to_settings, settings_refused
from app.extensions import db
from app.services import card_types
from app.services.errors import Conflict, Invalid, NotFound
from app.views_common import actor

KIND = "any(type,label):kind"


@bp.app_template_global("card_type_rows")
def card_type_rows(board) -> dict:
    """The section's data: the board's types and labels in order (archived ones too)."""
    lists = card_types.lists_of(board.id)
    return {
        "type": list(lists.types.values()),
        "label": list(lists.labels.values()),
        "colours": colour_names(),
    }


def colour_names() -> dict:
    return {
        "grey": _("Grey"),
        "blue": _("Blue"),
        "green": _("Green"),
        "yellow": _("Yellow"),
        "orange": _("Orange"),
        "red": _("Red"),
        "purple": _("Purple"),
        "teal": _("Teal"),
    }


@bp.post(f"/<id:board_id>/names/<{KIND}>")
@login_required
def add_name(board_id, kind):
    values = {"name": request.form.get("name", ""), "colour": request.form.get("colour", "")}
    try:
        row = card_types.add(actor(), kind, board_id, values["name"], values["colour"] or None)
    except (Invalid, Conflict) as exc:
        return settings_refused(board_id, f"new-{kind}", values, exc)
    return back_to_settings(board_id, _("%(name)s added.", name=row.name))


@bp.post(f"/<id:board_id>/names/<{KIND}>/<id:entry_id>/<any(save,archive,restore,move):action>")
@login_required
def change_name(board_id, kind, entry_id, action):
    user = actor()
    row = db.session.get(card_types.KINDS[kind], entry_id)
    if row is None or row.board_id != board_id:
        raise NotFound("not_found", _("Not found."))
    values = {"name": request.form.get("name", ""), "colour": request.form.get("colour", "")}
    try:
        if action == "save":
            card_types.edit(user, kind, entry_id, values["name"], values["colour"])
            text = _("%(name)s saved.", name=row.name)
        elif action in ("archive", "restore"):
            card_types.archive(user, kind, entry_id, archived=action == "archive")
            text = (
                _("%(name)s archived.", name=row.name)
                if action == "archive"
                else _("%(name)s restored.", name=row.name)
            )
        else:
            ids = [r.id for r in card_type_rows_of(board_id, kind)]
            i = ids.index(entry_id)
            j = i - 1 if request.form.get("direction") == "up" else i + 1
            if 0 <= j < len(ids):
                ids[i], ids[j] = ids[j], ids[i]
            card_types.reorder(user, kind, board_id, ids)
            text = _("%(name)s moved.", name=row.name)
    except (Invalid, Conflict) as exc:
        return settings_refused(board_id, f"{kind}-{entry_id}", values, exc)
    return back_to_settings(board_id, text)


def card_type_rows_of(board_id: int, kind: str) -> list:
    lists = card_types.lists_of(board_id)
    return list((lists.types if kind == "type" else lists.labels).values())
