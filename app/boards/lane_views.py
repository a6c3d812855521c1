"""Swimlanes on the board page (issue 25): `?lanes=assignee|type|label` shows the board's cards
in rows (app/services/lanes.py groups them), and a card dropped into another lane or column is
saved here through `lanes.drop_in_lane`. Without JavaScript each card keeps its "Move to…" form."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.boards import bp
from app.display_names import board_lists
from app.extensions import htmx
from app.models import User
from app.services import access, lanes, work
from app.services.errors import Conflict, Forbidden, Invalid, NotFound, Vetoed
from app.views_common import actor, board_context, filters_of_current_page, form_int, message

LANE_TITLES = {
    "assignee": lambda: _("Assignee"),
    "type": lambda: _("Card type"),
    "label": lambda: _("Label"),
}


def lane_context(user: User, board_id, filters: work.BoardFilters, kind: str, **extra) -> dict:
    """What templates/boards/_lanes.html needs: the columns' context plus the lanes (the same
    queries as the columns, and one for the people who see the board)."""
    context = board_context(user, board_id, filters)
    people = access.board_viewers(context["board"]) if kind == "assignee" else []
    context.update(
        lanes=lanes.group(
            context["view"], context["shown"], kind, people, board_lists(context["board"].id)
        ),
        lane_kind=kind,
        lane_title=LANE_TITLES[kind](),
        refused=extra.get("refused", {}),
    )
    return context


def lanes_of_current_page() -> str | None:
    """The lane grouping of the board page an htmx request came from."""
    from urllib.parse import parse_qs, urlsplit

    url = htmx.current_url if htmx else None
    if not url:
        return None
    try:
        query = parse_qs(urlsplit(url).query)
    except ValueError:
        return None
    return lanes.lane_kind((query.get("lanes") or [None])[0])


@bp.post("/<id:board_id>/lanes/drop")
@login_required
def lane_drop(board_id):
    """A card dropped in a lane: the answer is the alert line and the whole lanes area (swapped
    out of band), so a refused card goes back where the database has it, with the reason."""
    user = actor()
    board = access.visible_board(user, board_id)
    form = request.form
    kind = lanes.lane_kind(form.get("lanes"))
    card_id = form_int(form.get("card_id", ""))
    try:
        card = access.visible_card(user, card_id)
        if card.board_id != board.id:
            raise NotFound("not_found", _("Card not found."))
        result = lanes.drop_in_lane(
            user,
            card.id,
            kind=kind,
            lane=form.get("lane"),
            column_id=form.get("column_id"),
            position=form.get("position") or None,
            version=form.get("version"),
        )
    except (Invalid, Conflict, Forbidden, NotFound) as exc:
        if isinstance(exc, Vetoed):
            texts = [f"{veto['plugin']}: {veto['message']}" for veto in exc.vetoes]
        else:
            texts = [exc.message]
        messages = [message("error", text) for text in texts]
        if not htmx:
            for text in texts:
                flash(text, "error")
            return redirect(url_for("boards.board", board_id=board.id, lanes=kind or None))
        refused = {card_id: " ".join(texts)}
        return answer(user, board.id, kind, messages, refused=refused), exc.status
    messages = [message("success", _("“%(title)s” saved.", title=result.card.title))]
    messages += [message("warning", text) for text in result.warnings]
    if not htmx:
        for each in messages:
            flash(each["text"], each["category"])
        return redirect(url_for("boards.board", board_id=board.id, lanes=kind))
    return answer(user, board.id, kind, messages)


def answer(user: User, board_id: int, kind, messages: list[dict], **extra) -> str:
    filters = filters_of_current_page(board_id)
    kind = kind or lanes_of_current_page() or "assignee"
    return render_template(
        "boards/_lanes_update.html",
        messages=messages,
        **lane_context(user, board_id, filters, kind, **extra),
    )
