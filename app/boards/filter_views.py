"""Saved filters on the board page (issue 25): save the filters shown under a name, apply one,
copy its link, rename, delete (templates/boards/_saved_filters.html). With htmx the section is
swapped in place; without JavaScript each form posts and the board page is shown again, or a
small page with the form and its error next to the field."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.boards import bp
from app.extensions import htmx
from app.services import access, saved_filters
from app.services.errors import Invalid, NotFound
from app.services.work import BoardFilters
from app.views_common import actor, message

VIEW_ARGS = {"lanes"}


def filter_link_notice(board_id) -> None:
    """A board link whose filter values this board cannot use (an old or mistyped shared link)
    says so once, in the alert region; the board is shown with the values it can use."""
    if htmx or not request.args:
        return
    # `lanes` chooses how the board is shown (swimlanes), not which cards: no filter.
    unknown = [n for n in saved_filters.unknown_parameters(request.args) if n not in VIEW_ARGS]
    assignee = request.args.get("assignee")
    if not unknown and assignee:
        board = access.visible_board(actor(), board_id)
        viewers = {person.id for person in access.board_viewers(board)}
        if BoardFilters.from_args(request.args).assignee not in viewers:
            unknown = ["assignee"]
    if unknown:
        flash(
            _(
                "Some filters in this link are not known on this board and were left out; "
                "the board shows the cards of the other filters."
            ),
            "warning",
        )


def _own(board_id: int, filter_id: int):
    saved = saved_filters.own_filter(actor(), filter_id)
    if saved.board_id != board_id:
        raise NotFound("not_found", _("Saved filter not found."))
    return saved


def section(board_id: int, *, status=200, errors=None, values=None, lines=None, editing=None):
    """The saved-filters section alone (htmx answer)."""
    board = access.visible_board(actor(), board_id)
    return render_template(
        "boards/_saved_filters.html",
        board=board,
        saved=saved_filters.list_filters(actor(), board_id),
        filter_query=values.get("query", "") if values else "",
        filter_errors=errors or {},
        filter_values=values or {},
        filter_messages=lines or [],
        editing=editing,
    ), status


def form_page(board_id: int, exc: Invalid | None, values: dict, editing=None):
    """Without JavaScript: the section on a page of its own; after a refusal, with the error
    next to the field."""
    board = access.visible_board(actor(), board_id)
    return render_template(
        "boards/saved_filter_form.html",
        board=board,
        saved=saved_filters.list_filters(actor(), board_id),
        filter_errors=exc.fields if exc else {},
        filter_values=values,
        filter_query=values.get("query", ""),
        alert=exc.message if exc else None,
        editing=editing,
    ), (exc.status if exc else 200)


@bp.get("/<id:board_id>/filters")
@login_required
def saved_filters_page(board_id):
    """The section (htmx: the board page fetches it), or a page of its own without JavaScript;
    the query string is the board page's filters, to save."""
    query = saved_filters.normal_query(request.args)
    if htmx:
        return section(board_id, values={"query": query})
    return form_page(board_id, None, {"query": query})


def board_link(board_id: int, query: str = "") -> str:
    """The board page with the filters of `query` (normalised: only the known filters)."""
    base = url_for("boards.board", board_id=board_id)
    query = saved_filters.normal_query(query) if query else ""
    return f"{base}?{query}" if query else base


@bp.post("/<id:board_id>/filters")
@login_required
def save_filter(board_id):
    values = {"name": request.form.get("name", ""), "query": request.form.get("query", "")}
    try:
        saved = saved_filters.create_filter(actor(), board_id, values["name"], values["query"])
    except Invalid as exc:
        if htmx:
            return section(board_id, status=exc.status, errors=exc.fields, values=values)
        return form_page(board_id, exc, values)
    text = _("Filter “%(name)s” saved.", name=saved.name)
    if htmx:  # the name field empties for the next filter
        return section(board_id, lines=[message("success", text)], values={"query": saved.query})
    flash(text, "success")
    return redirect(board_link(board_id, saved.query))


@bp.post("/<id:board_id>/filters/<id:filter_id>/rename")
@login_required
def rename_filter(board_id, filter_id):
    _own(board_id, filter_id)
    values = {"name": request.form.get("name", ""), "query": request.form.get("query", "")}
    try:
        saved = saved_filters.rename_filter(actor(), filter_id, values["name"])
    except Invalid as exc:
        if htmx:
            return section(
                board_id, status=exc.status, errors=exc.fields, values=values, editing=filter_id
            )
        return form_page(board_id, exc, values, editing=filter_id)
    text = _("Filter renamed to “%(name)s”.", name=saved.name)
    if htmx:
        return section(board_id, lines=[message("success", text)], values=values)
    flash(text, "success")
    return redirect(board_link(board_id, values["query"]))


@bp.post("/<id:board_id>/filters/<id:filter_id>/delete")
@login_required
def delete_filter(board_id, filter_id):
    saved = _own(board_id, filter_id)
    name = saved.name
    saved_filters.delete_filter(actor(), filter_id)
    text = _("Filter “%(name)s” deleted.", name=name)
    query = request.form.get("query", "")
    if htmx:
        return section(board_id, lines=[message("success", text)], values={"query": query})
    flash(text, "success")
    return redirect(board_link(board_id, query))


@bp.app_template_global("saved_filter_url")
def saved_filter_url(saved, *, external: bool = False) -> str:
    """The board filtered as the saved filter says: the link to apply and to share."""
    base = url_for("boards.board", board_id=saved.board_id, _external=external)
    return f"{base}?{saved.query}" if saved.query else base
