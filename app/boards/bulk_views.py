"""Bulk actions on the board (issue 25): the board page's select mode (app/static/bulk.js and
templates/boards/_bulk_bar.html) posts here through htmx; without JavaScript the same form is a
page of its own listing the board's cards with check boxes (templates/boards/bulk.html)."""

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_required

from app.boards import bp
from app.extensions import htmx
from app.services import access, boards, bulk, sprints, work
from app.services.errors import Invalid
from app.views_common import actor, columns_update, message

# What the form's fields are called in the service's terms.
FORM_FIELDS = ("column_id", "assignee", "add_labels", "reason", "sprint_id")


@bp.app_template_global("bulk_sprints")
def bulk_sprints(board) -> list:
    """The sprints a selection may join: the board's planned and active ones."""
    return [s for s in sprints.board_sprints(actor(), board.id)[1] if s.state != "closed"]


def _done_text(action: str, count: int) -> str:
    texts = {
        "move": ngettext("%(num)d card moved", "%(num)d cards moved", count),
        "assign": ngettext("%(num)d card assigned", "%(num)d cards assigned", count),
        "label": ngettext(
            "labels changed on %(num)d card", "labels changed on %(num)d cards", count
        ),
        "archive": ngettext("%(num)d card archived", "%(num)d cards archived", count),
        "add_to_sprint": ngettext(
            "%(num)d card added to the sprint", "%(num)d cards added to the sprint", count
        ),
        "remove_from_sprint": ngettext(
            "%(num)d card taken out of its sprint", "%(num)d cards taken out of their sprint", count
        ),
    }
    return texts[action]


def summary(result: bulk.BulkResult) -> list[dict]:
    """The alert lines: "7 cards moved, 1 refused", then each refused card with its reason."""
    refused = result.refused
    text = _done_text(result.action, len(result.done))
    if refused:
        text = _("%(done)s; %(refused)s", done=text, refused=_refused_text(len(refused)))
    lines = [message("warning" if refused else "success", text[:1].upper() + text[1:] + ".")]
    card_base = url_for("cards.card", card_id=0)[:-1]
    for outcome in refused:
        if outcome.code == "not_found":
            lines.append(message("error", _("A chosen card is not on this board.")))
            continue
        lines.append(
            message(
                "error",
                _("“%(title)s”: %(reason)s", title=outcome.title, reason=outcome.message),
                link=f"{card_base}{outcome.card_id}",
                link_label=_("Open card"),
            )
        )
    return lines


def _refused_text(count: int) -> str:
    return ngettext("%(num)d refused", "%(num)d refused", count)


def _form_params() -> dict:
    params = {name: request.form.get(name, "") for name in FORM_FIELDS}
    params["remove_labels"] = request.form.getlist("remove_labels")
    params["assignee"] = params["assignee"] or None
    return params


def bulk_page(user, board_id, *, status=200, errors=None, values=None, messages=None):
    view = boards.load_board(user, board_id)
    board = view.board
    return render_template(
        "boards/bulk.html",
        board=board,
        view=view,
        people=access.board_viewers(board),
        labels=work.labels_in_use(view),
        errors=errors or {},
        values=values or {},
        selected=set((values or {}).get("card_ids", ())),
        messages=messages or [],
    ), status


@bp.get("/<id:board_id>/bulk/actions")
@login_required
def bulk_actions(board_id):
    """The select bar's pickers (fetched by bulk.js when select mode is first switched on)."""
    view = boards.load_board(actor(), board_id)
    return render_template(
        "boards/_bulk_actions.html",
        board=view.board,
        people=access.board_viewers(view.board),
        labels=work.labels_in_use(view),
        errors={},
        values={},
        prefix="bulk",
    )


@bp.route("/<id:board_id>/bulk", methods=["GET", "POST"])
@login_required
def bulk_cards(board_id):
    user = actor()
    if request.method == "GET":
        return bulk_page(user, board_id)
    action = request.form.get("action", "")
    card_ids = request.form.getlist("card_ids")
    params = _form_params()
    try:
        result = bulk.apply(user, board_id, card_ids, action, params)
    except Invalid as exc:
        lines = [message("error", exc.message)]
        lines += [message("error", text) for text in exc.fields.values() if text != exc.message]
        if htmx:
            return render_template("boards/_bulk_alerts.html", messages=lines), exc.status
        values = {**params, "card_ids": card_ids, "action": action}
        return bulk_page(
            user, board_id, status=exc.status, errors=exc.fields, values=values, messages=lines
        )
    lines = summary(result)
    if htmx:
        columns = [column.id for column in access.visible_board(user, board_id).columns]
        response = columns_update(user, board_id, columns, lines)
        response.headers["HX-Trigger"] = "cergas-bulk-done"
        return response
    return bulk_page(user, board_id, messages=lines)
