"""Card templates on the board pages: the settings section that keeps them, and "new card from
template" (a page of its own without JavaScript, the board's dialog with it; the column is then
swapped in as after the add-card form)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.boards import bp
from app.boards.views import back_to_settings, settings_refused
from app.extensions import htmx
from app.services import access, card_templates, work
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.views_common import actor, columns_update, form_int, message


def _template_values() -> dict:
    values = {name: request.form.get(name, "") for name in card_templates.TEMPLATE_FIELDS}
    if "labels_picker" in request.form:  # the label checkboxes (templates/_names.html)
        values["labels"] = request.form.getlist("labels")
    return values


def _of_board(user, board_id, template_id):
    """The template, when it is one of this board's (else 404 as for any unknown one)."""
    row = card_templates.get_template(user, template_id)
    if row.board_id != board_id:
        raise NotFound("not_found", _("Card template not found."))
    return row


@bp.app_template_global("card_template_rows")
def card_template_rows(board) -> dict:
    """The settings section's data: every template of the board (archived last); the type
    picker offers the board's card types (templates/_names.html)."""
    rows = card_templates.all_templates(actor(), board.id)
    active = [row for row in rows if row.archived_at is None]
    archived = [row for row in rows if row.archived_at is not None]
    return {
        "active": active,
        "archived": archived,
        "placeholders": card_templates.PLACEHOLDERS,
    }


@bp.post("/<id:board_id>/card-templates")
@login_required
def add_card_template(board_id):
    values = _template_values()
    try:
        row = card_templates.create_template(actor(), board_id, values)
    except (Invalid, Conflict) as exc:
        return settings_refused(board_id, "new-template", values, exc)
    return back_to_settings(board_id, _("Card template %(name)s added.", name=row.name))


@bp.post("/<id:board_id>/card-templates/<id:template_id>")
@login_required
def update_card_template(board_id, template_id):
    user = actor()
    _of_board(user, board_id, template_id)
    values = _template_values()
    try:
        row = card_templates.update_template(user, template_id, values)
    except (Invalid, Conflict) as exc:
        return settings_refused(board_id, f"template-{template_id}", values, exc)
    return back_to_settings(board_id, _("Card template %(name)s saved.", name=row.name))


@bp.post("/<id:board_id>/card-templates/<id:template_id>/<any(archive,restore,move):action>")
@login_required
def change_card_template(board_id, template_id, action):
    """Archive, restore, or move up or down (`direction`)."""
    user = actor()
    _of_board(user, board_id, template_id)
    try:
        if action == "archive":
            row = card_templates.archive_template(user, template_id)
            text = _("Card template %(name)s archived.", name=row.name)
        elif action == "restore":
            row = card_templates.restore_template(user, template_id)
            text = _("Card template %(name)s restored.", name=row.name)
        else:
            row = card_templates.move_template(user, template_id, request.form.get("direction"))
            text = _("Card template %(name)s moved.", name=row.name)
    except (Invalid, Conflict) as exc:
        return settings_refused(board_id, f"template-{template_id}", {}, exc)
    return back_to_settings(board_id, text)


def in_dialog() -> bool:
    return bool(htmx) and htmx.target == "dialog-body"


def from_template_form(user, board_id, *, values=None, errors=None, error=None, status=200):
    """The form: in the board's dialog (htmx), else as a page of its own."""
    board = access.visible_board(user, board_id)
    page = render_template(
        "boards/_from_template.html" if in_dialog() else "boards/from_template.html",
        board=board,
        templates=card_templates.active_templates(user, board.id),
        columns=sorted(board.columns, key=lambda c: c.position),
        counts=work.column_card_counts(board.id),
        values=values or {},
        errors=errors or {},
        error=error,
        in_dialog=in_dialog(),
    )
    return page, status


@bp.route("/<id:board_id>/cards/from-template", methods=["GET", "POST"])
@login_required
def card_from_template(board_id):
    """A new card from one of the board's active templates, into a chosen column. Opened from
    the board (a link: no query on the board page itself)."""
    user = actor()
    if request.method == "GET":
        return from_template_form(user, board_id)
    values = {name: request.form.get(name, "") for name in ("template_id", "column_id")}
    template_id = form_int(values["template_id"])
    try:
        if template_id is None:
            raise Invalid(
                "validation_error",
                _("Choose a card template."),
                {"template_id": _("Choose a card template.")},
            )
        _of_board(user, board_id, template_id)
        result = card_templates.create_card_from_template(
            user, template_id, column_id=values["column_id"] or None
        )
    except (Invalid, Conflict, Forbidden) as exc:
        return from_template_form(
            user, board_id, values=values, errors=exc.fields, error=exc.message, status=exc.status
        )
    card = result.card
    messages = [message("success", _("Card “%(title)s” added.", title=card.title))]
    messages += [message("warning", text) for text in result.warnings]
    if htmx:
        return columns_update(user, board_id, [card.column_id], messages, dialog=in_dialog())
    for each in messages:
        flash(each["text"], each["category"])
    return redirect(url_for("boards.board", board_id=board_id))
