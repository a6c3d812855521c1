"""A person's saved filters on a board (issue 25): a name and the board page's query string.

The query keeps only the filter parameters the board page knows (`work.BoardFilters`), in one
normal form, so the same filter is the same string and a saved filter is always a link the
board page reads. A filter belongs to one person: nobody else sees, renames or deletes it (404,
as for anything one may not see); the link made from it is just the board's address with the
filters, which shows anyone who sees the board the same cards.

Saved filters are a person's preference, not work on the board: they are not part of a
card's history (no audit event, no live message to the board's viewers).
"""

from urllib.parse import parse_qsl, urlencode

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import Board, SavedFilter, User
from app.services import validation as v
from app.services.access import can_view_board, visible_board
from app.services.errors import Invalid, NotFound
from app.services.tx import write_transaction
from app.services.work import BoardFilters

NAME_MAX = 80
QUERY_MAX = 1000
# How many filters one person keeps on one board.
MAX_PER_BOARD = 50


def known_parameters() -> set[str]:
    """The query parameters the board page's filters read."""
    return set(BoardFilters.__dataclass_fields__)


def normal_query(query) -> str:
    """The filter part of a query string (or of a mapping of arguments) in normal form: known
    parameters only, usable values only, in a fixed order."""
    if isinstance(query, str):
        args = MultiDict(parse_qsl(query.lstrip("?"), keep_blank_values=False))
    elif isinstance(query, dict | MultiDict):
        args = MultiDict(query)
    else:
        raise v.FieldError(_("Must be a query string."))
    for value in args.values():
        if not isinstance(value, str):
            raise v.FieldError(_("Must be a query string."))
    filters = BoardFilters.from_args(args)
    return urlencode(sorted(filters.query_args().items()))


def unknown_parameters(args) -> list[str]:
    """The names in a board link's query that the filters do not know or could not use."""
    usable = set(BoardFilters.from_args(args).query_args())
    return sorted({name for name, value in args.items(multi=True) if value and name not in usable})


def _clean_name(value) -> str:
    return v.text(value, field_max=NAME_MAX, required=True)


def _clean_query(value) -> str:
    if value is None:
        value = ""
    if isinstance(value, str) and len(value) > QUERY_MAX * 4:
        raise v.FieldError(_("This filter is too long."))
    query = normal_query(value)
    if not query:
        raise v.FieldError(_("Choose at least one filter before saving it."))
    if len(query) > QUERY_MAX:
        raise v.FieldError(_("This filter is too long."))
    return query


def _require_unique(user: User, board_id: int, name: str, exclude: int | None = None) -> None:
    clash = db.session.scalar(
        select(SavedFilter.id).where(
            SavedFilter.user_id == user.id,
            SavedFilter.board_id == board_id,
            func.lower(SavedFilter.name) == name.lower(),
            SavedFilter.id != (exclude or 0),
        )
    )
    if clash is not None:
        raise Invalid(
            "duplicate_name",
            _("You already have a filter with that name on this board."),
            {"name": _("Choose another name.")},
        )


def list_filters(actor: User, board_id) -> list[SavedFilter]:
    """The person's saved filters on a board they see, in the order they were saved."""
    board = visible_board(actor, board_id)
    return list(
        db.session.scalars(
            select(SavedFilter)
            .where(SavedFilter.user_id == actor.id, SavedFilter.board_id == board.id)
            .order_by(SavedFilter.position, SavedFilter.id)
        )
    )


def own_filter(actor: User, filter_id) -> SavedFilter:
    """One of the person's own filters, on a board they still see; 404 for anything else."""
    found = db.session.get(SavedFilter, filter_id) if isinstance(filter_id, int) else None
    board = db.session.get(Board, found.board_id) if found is not None else None
    if found is None or found.user_id != actor.id or not can_view_board(actor, board):
        raise NotFound("not_found", _("Saved filter not found."))
    return found


def create_filter(actor: User, board_id, name, query) -> SavedFilter:
    """Save the board page's filters under a name (unique for the person on the board)."""
    fields = v.Fields()
    name = fields.clean("name", _clean_name, name)
    query = fields.clean("query", _clean_query, query)
    fields.raise_if_any()
    with write_transaction():
        board = visible_board(actor, board_id)
        _require_unique(actor, board.id, name)
        count, last = db.session.execute(
            select(func.count(SavedFilter.id), func.max(SavedFilter.position)).where(
                SavedFilter.user_id == actor.id, SavedFilter.board_id == board.id
            )
        ).one()
        if count >= MAX_PER_BOARD:
            raise Invalid(
                "too_many_filters",
                _("You can keep at most %(n)d filters on a board.", n=MAX_PER_BOARD),
                {"name": _("Delete a filter you no longer use first.")},
            )
        saved = SavedFilter(
            user_id=actor.id,
            board_id=board.id,
            name=name,
            query=query,
            position=(last + 1) if last is not None else 0,
        )
        db.session.add(saved)
        db.session.flush()
    return saved


def rename_filter(actor: User, filter_id, name) -> SavedFilter:
    try:
        name = _clean_name(name)
    except v.FieldError as exc:
        raise v.invalid({"name": str(exc)}) from None
    with write_transaction():
        saved = own_filter(actor, filter_id)
        if saved.name != name:
            _require_unique(actor, saved.board_id, name, exclude=saved.id)
            saved.name = name
    return saved


def delete_filter(actor: User, filter_id) -> None:
    with write_transaction():
        saved = own_filter(actor, filter_id)
        db.session.delete(saved)
