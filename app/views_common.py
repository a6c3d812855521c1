"""View helpers shared by the HTML blueprints: the acting user, alert lines, numbers from
forms, and a board's columns as the board, card and live pages render them. Blueprints import
these from here rather than from each other's views."""

from urllib.parse import parse_qsl, urlsplit

from flask import current_app, make_response, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from app.extensions import htmx
from app.home.templating import fmt_date
from app.models import User
from app.services import boards, sprints, work
from app.services import validation as v
from app.web import local_today


def actor() -> User:
    return current_user._get_current_object()


def message(category: str, text: str, link: str | None = None, link_label: str = "") -> dict:
    """One line for the alert region; `link` opens in the board's dialog when JavaScript runs."""
    return {"category": category, "text": text, "link": link, "link_label": link_label}


def form_int(value) -> int | None:
    """An id from a form or query, or None when it is not one (ASCII digits only)."""
    return v.ascii_int(value, maximum=v.MAX_ID) if isinstance(value, str) else None


# --- rendering the columns -------------------------------------------------------------------


def plugin_host():
    return current_app.extensions["cergas_plugins"]


def all_cards(view: boards.BoardView) -> list:
    return [card for items in view.cards.values() for card in items]


def board_context(
    user: User, board_id, filters: work.BoardFilters, *, column_ids=None, **extra
) -> dict:
    """What the columns need: the loaded board (constant number of queries), filtered cards,
    today in the unit's time zone, each due date formatted once, and what plugins add: badges
    (one call for every card rendered: all of them, or those of `column_ids`) and warnings."""
    view = boards.load_board(user, board_id)
    board = view.board
    today = local_today(board.unit.timezone)
    # The active sprint: its cards carry a marker, and the "this sprint only" filter keeps them.
    running = sprints.running_sprint(board.id)
    active_sprint_id = running.id if running is not None else None
    shown = work.filter_board(view, filters, user, today, active_sprint_id)
    host = plugin_host()
    loaded = all_cards(view)
    if column_ids is None:
        decorated = loaded
    else:
        decorated = [card for column_id in column_ids for card in shown.get(column_id, [])]
    dates = {}
    for items in shown.values():
        for card in items:
            due = card.due_date
            if due is not None and due not in dates:
                dates[due] = fmt_date(due, "d MMM" if due.year == today.year else "d MMM yyyy")
    return {
        "view": view,
        "board": board,
        "today": today,
        "shown": shown,
        "dates": dates,
        "filters": filters,
        "active_sprint_id": active_sprint_id,
        "add_errors": extra.get("add_errors", {}),
        "add_values": extra.get("add_values", {}),
        "badges": host.card_badges(decorated, board),
        "warnings": host.board_warnings(board, loaded),
    }


def filters_of_current_page(board_id: int) -> work.BoardFilters:
    """The filters of the board page the htmx request came from, so swapped columns match it."""
    url = htmx.current_url if htmx else None
    if url:
        try:
            parts = urlsplit(url)
        except ValueError:
            return work.BoardFilters()
        if parts.path == url_for("boards.board", board_id=board_id):
            return work.BoardFilters.from_args(MultiDict(parse_qsl(parts.query)))
    return work.BoardFilters()


def columns_update(
    user: User,
    board_id: int,
    column_ids,
    messages: list[dict],
    *,
    status: int = 200,
    dialog: bool = False,
    **extra,
):
    """htmx answer: the messages (or an emptied dialog) plus fresh HTML for the given columns,
    swapped out of band so the board shows what the database holds."""
    wanted_ids = set(column_ids)
    filters = filters_of_current_page(board_id)
    context = board_context(user, board_id, filters, column_ids=wanted_ids, **extra)
    wanted = [c for c in context["view"].columns if c.id in wanted_ids]
    html = render_template(
        "boards/_update.html", columns=wanted, messages=messages, dialog=dialog, **context
    )
    response = make_response(html, status)
    if dialog and status < 300:
        response.headers["HX-Trigger-After-Settle"] = "cergas-close-dialog"
    return response


def files_within(limit: int, too_large, before=None):
    """The request's files, refusing a body over `limit` bytes with `too_large()`: from the
    Content-Length before anything is read, and while reading when no length was told.
    `before` runs first, under the same limit (the CSRF check, which reads the form)."""
    if request.content_length is not None and request.content_length > limit:
        raise too_large()
    request.max_content_length = limit
    try:
        if before is not None:
            before()
        return request.files
    except RequestEntityTooLarge:
        raise too_large() from None
