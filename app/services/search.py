"""Search across boards (issue 25): the cards a person may see whose texts match, ranked, with
filters, a page at a time.

The index is `card_search` (app/models/search.py, kept current by app/services/search_index.py);
the database's own full-text engine finds and ranks: SQLite FTS5 (bm25) or PostgreSQL
(`ts_rank` on a GIN-indexed tsvector). Who may see what is decided inside the same SQL query
(`access.visible_boards_clause`), so the page and the total never count a card the person may
not see. What people type is never handed to the engine's query language: it is cut into words
(letters and digits), every word is quoted, all must match, and the last one also matches as a
prefix (the word being typed). A page costs a fixed number of queries whatever it shows: the
ranked ids with the total, then the rows with their board, unit, column and assignee.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import and_, case, column, func, literal_column, select, table
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Board, BoardColumn, Card, CardSearch, Unit, User
from app.services import access
from app.services import validation as v

STATUSES = ("open", "done", "archived", "all")
MAX_TERMS = 8
MAX_QUERY = 200
MAX_PAGE = 500
MAX_PER_PAGE = 100
# A last word shorter than this is matched whole: a one-letter prefix matches nearly everything.
PREFIX_MIN = 2
SNIPPET_BEFORE = 60
SNIPPET_LENGTH = 200
# A word: letters and digits ("_" separates words, as both engines' tokenizers do).
_WORD = re.compile(r"[^\W_]+")
# Where a match may be shown from, after the title, in this order, with its name on the page.
SNIPPET_FIELDS = (
    ("description", _l("In the description")),
    ("comments", _l("In a comment")),
    ("checklist", _l("In the checklist")),
    ("documents", _l("In a document name")),
    ("labels", _l("In the labels")),
    ("people", _l("Assignee")),
    ("kind", _l("Type")),
)
# The FTS5 table (app/models/search.py): its rowid is the card's id, `rank` its bm25 score.
_FTS = table("card_search_fts", column("rowid"), column("rank"))
_ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")


@dataclass(frozen=True)
class Terms:
    """The words of a query, folded (lower case, no accents); the last one is also a prefix."""

    words: tuple[str, ...]
    prefix: bool

    def __bool__(self) -> bool:
        return bool(self.words)

    def matches(self, word: str) -> bool:
        folded = fold(word)
        if folded in self.words:
            return True
        return self.prefix and folded.startswith(self.words[-1])

    def fts5(self) -> str:
        quoted = [f'"{word}"' for word in self.words]
        if self.prefix:
            quoted[-1] += "*"
        return " ".join(quoted)

    def tsquery(self) -> str:
        quoted = [f"'{word}'" for word in self.words]
        if self.prefix:
            quoted[-1] += ":*"
        return " & ".join(quoted)


def fold(word: str) -> str:
    """Lower case without accents: how both engines compare words."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def parse_terms(q: str) -> Terms:
    """The words of what was typed: letters and digits only (no engine syntax survives), at most
    MAX_TERMS, duplicates dropped; "_" separates words as in the index."""
    words: list[str] = []
    for match in _WORD.finditer(q or ""):
        folded = fold(match.group())
        if folded and folded not in words:
            words.append(folded)
    words = words[:MAX_TERMS]
    return Terms(tuple(words), bool(words) and len(words[-1]) >= PREFIX_MIN)


@dataclass
class SearchResult:
    card: Card
    board: Board
    unit: Unit
    column: BoardColumn
    assignee: User | None
    archived: bool
    title_html: Markup
    snippet_html: Markup | None
    snippet_field: str | None


@dataclass
class SearchPage:
    results: list[SearchResult]
    total: int
    page: int
    per_page: int
    terms: Terms
    filters: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


_QUERY_FIELDS = ("created_from", "created_to", "due_from", "due_to", "status", "page", "per_page")


def filters_from_query(args) -> dict:
    """The filters as the search page's form and `GET /api/v1/search` name them (`args`: a
    mapping with `getlist`, e.g. a query string): board and unit may repeat; empty means none."""
    filters = {name: args.get(name) for name in _QUERY_FIELDS if args.get(name) not in (None, "")}
    filters["boards"] = [each for each in args.getlist("board") if each]
    filters["units"] = [each for each in args.getlist("unit") if each]
    filters["overdue"] = args.get("overdue") or False
    filters["archived"] = args.get("archived") or False
    return filters


def clean_filters(
    *,
    boards=None,
    units=None,
    status=None,
    archived=False,
    created_from=None,
    created_to=None,
    due_from=None,
    due_to=None,
    overdue=False,
    page=1,
    per_page=20,
) -> dict:
    """The filters, checked; raise Invalid naming every bad one (what the page and the API
    send as text is accepted too)."""
    fields = v.Fields()
    cleaned = {
        "boards": fields.clean("board", _ids, boards),
        "units": fields.clean("unit", _ids, units),
        "status": fields.clean("status", lambda x: _status(x), status),
        "archived": fields.clean("archived", _flag, archived),
        "created_from": fields.clean("created_from", v.optional_date, created_from),
        "created_to": fields.clean("created_to", v.optional_date, created_to),
        "due_from": fields.clean("due_from", v.optional_date, due_from),
        "due_to": fields.clean("due_to", v.optional_date, due_to),
        "overdue": fields.clean("overdue", _flag, overdue),
        "page": fields.clean("page", lambda x: _whole(x, 1, MAX_PAGE), page),
        "per_page": fields.clean("per_page", lambda x: _whole(x, 1, MAX_PER_PAGE), per_page),
    }
    fields.raise_if_any()
    for start, end in (("created_from", "created_to"), ("due_from", "due_to")):
        if cleaned[start] and cleaned[end] and cleaned[start] > cleaned[end]:
            raise v.invalid({end: _("Must not be before the first day.")})
    return cleaned


def _ids(value) -> list[int]:
    if value in (None, "", []):
        return []
    values = value if isinstance(value, list | tuple | set) else [value]
    if len(values) > 50:
        raise v.FieldError(_("At most 50."))
    return [v.record_id(each) for each in values if each not in (None, "")]


def _status(value) -> str | None:
    if value in (None, ""):
        return None
    if value not in STATUSES:
        raise v.FieldError(_("Must be one of: open, done, archived, all."))
    return value


def _flag(value) -> bool:
    if value in (None, "", False, "0", "false", "off", "no"):
        return False
    if value in (True, "1", "true", "on", "yes"):
        return True
    raise v.FieldError(_("Must be true or false."))


def _whole(value, minimum: int, maximum: int) -> int:
    number = v.optional_int(value, minimum=minimum, maximum=maximum)
    return minimum if number is None else number


def search(actor: User, q: str, **filters) -> SearchPage:
    """One page of the cards `actor` may see that match `q`, best first. Filters: `boards`,
    `units` (ids; a unit includes the units under it), `status` (open, done, archived, all;
    archived cards only when asked: `status="archived"`/`"all"` or `archived=True`),
    `created_from`/`created_to`, `due_from`/`due_to` (dates, inclusive), `overdue`, `page`,
    `per_page`."""
    if q is not None and not isinstance(q, str):
        raise v.invalid({"q": _("Must be text.")})
    if q and len(q) > MAX_QUERY:
        raise v.invalid({"q": _("At most %(num)d characters.", num=MAX_QUERY)})
    cleaned = clean_filters(**filters)
    terms = parse_terms(q or "")
    page, per_page = cleaned["page"], cleaned["per_page"]
    if not terms:
        return SearchPage([], 0, page, per_page, terms, cleaned)
    ranked = _ranked(actor, terms, cleaned)
    rows = db.session.execute(ranked.limit(per_page).offset((page - 1) * per_page)).all()
    if rows:
        total = rows[0].total
    elif page > 1:
        total = db.session.scalar(
            select(func.count()).select_from(ranked.order_by(None).subquery())
        )
    else:
        total = 0
    results = _load([row.card_id for row in rows], terms)
    return SearchPage(results, total, page, per_page, terms, cleaned)


def _ranked(actor: User, terms: Terms, f: dict):
    """SELECT card_id, total: the matching visible cards, best first (ties: newest first)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return _ranked_postgresql(actor, terms, f)
    card_id = _FTS.c.rowid
    stmt = (
        select(card_id.label("card_id"), func.count().over().label("total"))
        .select_from(_FTS)
        .where(literal_column("card_search_fts").op("MATCH")(terms.fts5()))
    )
    stmt = stmt.join(Card, Card.id == card_id)
    board_of, column_of = _sqlite_board_and_column()
    stmt = stmt.join(Board, Board.id == board_of).where(access.visible_boards_clause(actor))
    stmt = _filtered(stmt, f, board_of, column_of)
    # The table's default rank: bm25 with the weights of app/models/search.py. (bm25() itself
    # cannot be called beside the window function that counts the total.)
    return stmt.order_by(_FTS.c.rank, Card.id.desc())


def _ranked_postgresql(actor: User, terms: Terms, f: dict):
    """The matches on the boards the person may see (and picked) that pass the filters, with
    their rank, in a narrow materialised set: `ts_rank` (which reads each match's tsvector
    again) is computed only for the cards the filters keep, and sorting (card, rank) pairs stays
    in memory where sorting the wide index rows spilled to disk. The index row's own board and
    archived flag decide most searches; the cards table is joined only for the filters that
    need it (done or open, dates, overdue), so a common word over 100,000 cards does not read
    them all."""
    query = func.to_tsquery(literal_column("'cergas_search'"), terms.tsquery())
    tsv = literal_column("card_search.tsv")
    hits = select(
        CardSearch.card_id.label("card_id"), func.ts_rank(tsv, query).label("score")
    ).where(tsv.op("@@")(query), CardSearch.board_id.in_(_board_scope(actor, f)))
    archived = _archived_filter(f, CardSearch.archived)
    if archived is not None:
        hits = hits.where(archived)
    card_filters = _card_filters(f, Card.column_id)
    if card_filters or f["overdue"]:
        # The board scope again on the card's side, so that the planner may start from the
        # cards of a few boards (their index) rather than from every card.
        hits = hits.join(Card, Card.id == CardSearch.card_id).where(
            Card.board_id.in_(_board_scope(actor, f)), *card_filters
        )
    if f["overdue"]:
        hits = (
            hits.join(Board, Board.id == Card.board_id)
            .join(Unit, Unit.id == Board.unit_id)
            .where(_overdue(Card.column_id, bounded=True))
        )
    hits = hits.cte("hits").prefix_with("MATERIALIZED")
    return select(hits.c.card_id, func.count().over().label("total")).order_by(
        hits.c.score.desc(), hits.c.card_id.desc()
    )


def _board_scope(actor: User, f: dict):
    """SELECT the ids of the boards the person may see, narrowed by the board and unit
    filters."""
    scope = select(Board.id).where(access.visible_boards_clause(actor))
    if f["boards"]:
        scope = scope.where(Board.id.in_(f["boards"]))
    if f["units"]:
        scope = scope.where(Board.unit_id.in_(_units_under(f["units"])))
    return scope


def _units_under(unit_ids) -> set[int]:
    units: set[int] = set()
    for unit_id in unit_ids:
        units |= access.subtree(unit_id)
    return units


def _sqlite_board_and_column():
    """`cards.board_id` and `cards.column_id` as SQLite's ranked query compares them: as
    `x + 0`, which keeps their indexes out of the plan. SQLite's planner may otherwise start
    from a board's cards and probe the full-text index once per card (4 s for a board filter
    over 100,000 cards, instead of 20 ms when the matches drive the join)."""
    return Card.board_id + 0, Card.column_id + 0


def _filtered(stmt, f: dict, board_of, column_of):
    if f["boards"]:
        stmt = stmt.where(board_of.in_(f["boards"]))
    if f["units"]:
        stmt = stmt.where(Board.unit_id.in_(_units_under(f["units"])))
    archived = _archived_filter(f, Card.archived_at.is_not(None))
    if archived is not None:
        stmt = stmt.where(archived)
    card_filters = _card_filters(f, column_of)
    if card_filters:
        stmt = stmt.where(*card_filters)
    if f["overdue"]:
        stmt = stmt.join(Unit, Unit.id == Board.unit_id).where(_overdue(column_of))
    return stmt


def _archived_filter(f: dict, is_archived):
    """Archived cards only (`status="archived"`), both (`"all"` or `archived=True`), or else
    unarchived ones only; `is_archived` says it of a row (the index row's flag on PostgreSQL,
    the card's own column on SQLite)."""
    if f["status"] == "archived":
        return is_archived
    if f["status"] != "all" and not f["archived"]:
        return ~is_archived
    return None


def _card_filters(f: dict, column_of) -> list:
    """The conditions on the card's own columns: done or open, created and due dates (the
    board, unit, archived and overdue filters are applied by the callers)."""
    conditions = []
    if f["status"] in ("open", "done"):
        done = column_of.in_(select(BoardColumn.id).where(BoardColumn.kind == "done"))
        conditions.append(done if f["status"] == "done" else ~done)
    if f["created_from"]:
        conditions.append(Card.created_at >= datetime.combine(f["created_from"], time()))
    if f["created_to"]:
        end = datetime.combine(f["created_to"] + timedelta(days=1), time())
        conditions.append(Card.created_at < end)
    if f["due_from"]:
        conditions.append(Card.due_date >= f["due_from"])
    if f["due_to"]:
        conditions.append(Card.due_date <= f["due_to"])
    return conditions


def _overdue(column_of, *, bounded: bool = False):
    """Due before today in the board's unit's time zone, not done, not archived (the query
    joins the board's unit for it). `bounded` adds the latest of the zones' todays as a plain
    bound, which lets PostgreSQL read the open cards' due dates from their index
    (`ix_cards_open_due`); SQLite's plan is better left to the full-text matches."""
    today = case(
        *((Unit.timezone == name, access.local_today(name)) for name in _ZONES[1:]),
        else_=access.local_today(_ZONES[0]),
    )
    not_done = ~column_of.in_(select(BoardColumn.id).where(BoardColumn.kind == "done"))
    overdue = and_(Card.due_date < today, not_done, Card.archived_at.is_(None))
    if bounded:
        latest = max(access.local_today(zone) for zone in _ZONES)
        overdue = and_(Card.due_date < latest, overdue)
    return overdue


def _load(card_ids: list[int], terms: Terms) -> list[SearchResult]:
    """The result rows, in the order of `card_ids`, in one query."""
    if not card_ids:
        return []
    assignee = aliased(User)
    rows = db.session.execute(
        select(Card, Board, Unit, BoardColumn, assignee, CardSearch)
        .join(Board, Board.id == Card.board_id)
        .join(Unit, Unit.id == Board.unit_id)
        .join(BoardColumn, BoardColumn.id == Card.column_id)
        .outerjoin(assignee, assignee.id == Card.assignee_id)
        .join(CardSearch, CardSearch.card_id == Card.id)
        .where(Card.id.in_(card_ids))
    ).all()
    by_id = {row[0].id: row for row in rows}
    results = []
    for card_id in card_ids:
        row = by_id.get(card_id)
        if row is None:  # removed between the two queries
            continue
        card, board, unit, column, person, indexed = row
        snippet, where = None, None
        title = highlight(card.title, terms)
        # A title that matches needs no snippet from the short fields (type, labels, person).
        fields = SNIPPET_FIELDS[:4] if title is not None else SNIPPET_FIELDS
        for name, _label in fields:
            snippet = highlight(getattr(indexed, name) or "", terms, window=True)
            if snippet is not None:
                where = name
                break
        results.append(
            SearchResult(
                card=card,
                board=board,
                unit=unit,
                column=column,
                assignee=person,
                archived=card.archived_at is not None,
                title_html=title if title is not None else escape(card.title),
                snippet_html=snippet,
                snippet_field=where,
            )
        )
    return results


def snippet_label(name: str | None) -> str:
    return str(dict(SNIPPET_FIELDS).get(name, "")) if name else ""


def highlight(value: str, terms: Terms, *, window: bool = False) -> Markup | None:
    """`value` escaped, with every matching word in <mark>; None when no word matches. With
    `window`, only a stretch around the first match (… where cut)."""
    folded = fold(value)
    if not any(word in folded for word in terms.words):
        return None  # most texts: no need to look at each word
    hits = [(m.start(), m.end()) for m in _WORD.finditer(value) if terms.matches(m.group())]
    if not hits:
        return None
    start, end = 0, len(value)
    if window:
        start = max(0, hits[0][0] - SNIPPET_BEFORE)
        end = min(len(value), start + SNIPPET_LENGTH)
        # Cut at spaces, so no word is shown in part.
        if start > 0:
            space = value.find(" ", start)
            start = space + 1 if 0 <= space < hits[0][0] else start
        if end < len(value):
            space = value.rfind(" ", hits[0][1], end)
            end = space if space > 0 else end
    parts = [Markup("… ")] if start > 0 else []
    cursor = start
    for hit_start, hit_end in hits:
        if hit_start < start or hit_end > end:
            continue
        parts.append(escape(value[cursor:hit_start]))
        parts.append(Markup("<mark>%s</mark>") % value[hit_start:hit_end])
        cursor = hit_end
    parts.append(escape(value[cursor:end]))
    if end < len(value):
        parts.append(Markup(" …"))
    return Markup("").join(parts)


def visible_boards(actor: User) -> list[Board]:
    """The boards the person may see, for the filter's picker."""
    return list(
        db.session.scalars(
            select(Board).where(access.visible_boards_clause(actor)).order_by(Board.name)
        )
    )


def visible_units(actor: User) -> list[Unit]:
    """The units of the boards the person may see, for the filter's picker."""
    units = select(Board.unit_id).where(access.visible_boards_clause(actor))
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(units)).order_by(Unit.name)))


__all__ = [
    "STATUSES",
    "filters_from_query",
    "SearchPage",
    "SearchResult",
    "clean_filters",
    "highlight",
    "parse_terms",
    "search",
]
