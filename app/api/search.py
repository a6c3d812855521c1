"""JSON API: search across boards (issue 25). app/services/search.py decides what matches and
what the caller may see; this view reads the query string (the same names as the search page's
form) and serialises."""

from flask import jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from pydantic import Field

from app.api import bp
from app.api.auth import caller
from app.api.contract import OPTIONAL_DATE, ApiResponse, QueryParam, operation, or_empty
from app.api.serializers import timestamp
from app.services import search
from app.services import validation as v

TAGS = ("search",)
ID = {"type": "integer", "minimum": 1, "maximum": v.MAX_ID}
FLAG = {"type": "string", "enum": ["", "0", "1", "false", "true"]}


class SearchRef(ApiResponse):
    id: int
    name: str


class SearchColumn(SearchRef):
    kind: str = Field(description="backlog, active or done.")


class SearchPerson(SearchRef):
    nip: str | None


class SearchHit(ApiResponse):
    id: int
    title: str
    url: str = Field(description="The card's page.")
    board: SearchRef
    unit: SearchRef
    column: SearchColumn
    assignee: SearchPerson | None
    due_date: str | None = Field(description="YYYY-MM-DD.")
    archived: bool
    archived_at: str | None
    title_html: str = Field(description="The title, HTML-escaped, matching words in <mark>.")
    snippet_html: str | None = Field(
        description="A stretch of the first other text that matches, escaped, words in <mark>."
    )
    snippet_field: str | None = Field(
        description="Where the snippet is from: description, comments, checklist, documents, "
        "labels, people or kind."
    )


class SearchAnswer(ApiResponse):
    results: list[SearchHit]
    total: int = Field(description="Matching cards the caller may see, on every page.")
    page: int
    pages: int
    per_page: int


QUERY = (
    QueryParam(
        "q",
        {"type": "string", "maxLength": search.MAX_QUERY},
        _l(
            "Words to find (all must match; the last also as the start of a word). Letters "
            "and digits only count: no operators."
        ),
    ),
    QueryParam("board", or_empty(ID), _l("Only this board (repeat for several).")),
    QueryParam("unit", or_empty(ID), _l("Only boards of this unit and the units under it.")),
    QueryParam(
        "status",
        {"type": "string", "enum": ["", *search.STATUSES]},
        _l("open, done, archived or all; default: every card not archived."),
    ),
    QueryParam("archived", FLAG, _l("1: include archived cards.")),
    QueryParam("overdue", FLAG, _l("1: only cards past their due date and not done.")),
    QueryParam("created_from", OPTIONAL_DATE),
    QueryParam("created_to", OPTIONAL_DATE),
    QueryParam("due_from", OPTIONAL_DATE),
    QueryParam("due_to", OPTIONAL_DATE),
    QueryParam("page", or_empty({"type": "integer", "minimum": 1, "maximum": search.MAX_PAGE})),
    QueryParam(
        "per_page",
        or_empty({"type": "integer", "minimum": 1, "maximum": search.MAX_PER_PAGE}),
        _l("Default: 20."),
    ),
)


def _ref(obj) -> dict:
    return {"id": obj.id, "name": obj.name}


def hit_json(hit: search.SearchResult) -> dict:
    card = hit.card
    return {
        "id": card.id,
        "title": card.title,
        "url": url_for("cards.card", card_id=card.id),
        "board": _ref(hit.board),
        "unit": _ref(hit.unit),
        "column": {**_ref(hit.column), "kind": hit.column.kind},
        "assignee": {**_ref(hit.assignee), "nip": hit.assignee.nip} if hit.assignee else None,
        "due_date": card.due_date.isoformat() if card.due_date else None,
        "archived": hit.archived,
        "archived_at": timestamp(card.archived_at),
        "title_html": str(hit.title_html),
        "snippet_html": str(hit.snippet_html) if hit.snippet_html is not None else None,
        "snippet_field": hit.snippet_field,
    }


@bp.get("/search")
@operation(
    _l("Search cards across boards"),
    description=_l(
        "Cards on every board the caller may see, best match first, 20 a page: titles, "
        "descriptions, comments, checklist items, labels, types, assignees (name or NIP) and "
        "document names. Archived cards only when asked."
    ),
    responses={200: SearchAnswer},
    errors=(422,),
    tags=TAGS,
    query=QUERY,
)
def search_cards():
    filters = search.filters_from_query(request.args)
    page = search.search(caller(), request.args.get("q", ""), **filters)
    return jsonify(
        {
            "results": [hit_json(hit) for hit in page.results],
            "total": page.total,
            "page": page.page,
            "pages": page.pages,
            "per_page": page.per_page,
        }
    )
