"""Board use cases: create and configure boards and their columns; load a board for display."""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import COLUMN_KINDS, WIP_POLICIES, Board, BoardColumn, Card, Team, Unit, User
from app.services import card_types
from app.services import validation as v
from app.services.access import (
    led_team_ids,
    managed_board,
    managed_unit_ids,
    visible_board,
    visible_boards_clause,
)
from app.services.archive import COUNT_CAP as ARCHIVE_COUNT_CAP
from app.services.audit import record
from app.services.errors import Conflict, Forbidden, Invalid
from app.services.tx import lock_board, write_transaction
from app.services.units import active_unit_by_code

COLUMN_FIELDS = ("name", "wip_limit", "wip_policy", "kind")


def default_columns() -> list[dict]:
    return [
        {"name": _("Backlog"), "kind": "backlog", "wip_limit": None, "wip_policy": "hard"},
        {"name": _("In progress"), "kind": "active", "wip_limit": 5, "wip_policy": "hard"},
        {"name": _("Review"), "kind": "active", "wip_limit": 3, "wip_policy": "soft"},
        {"name": _("Done"), "kind": "done", "wip_limit": None, "wip_policy": "hard"},
    ]


def clean_column(data: dict, *, partial: bool = False) -> dict:
    if not isinstance(data, dict):
        raise v.invalid({"": _("Each column must be an object.")}) from None
    unknown = sorted(set(data) - set(COLUMN_FIELDS))
    if unknown:
        raise v.invalid({name: _("Unknown field.") for name in unknown}) from None
    fields = v.Fields()
    cleaners = {
        "name": lambda x: v.text(x, field_max=80, required=True),
        "wip_limit": lambda x: v.optional_int(x, minimum=1, maximum=999),
        "wip_policy": lambda x: v.choice(x, WIP_POLICIES, default="hard"),
        "kind": lambda x: v.choice(x, COLUMN_KINDS, default="active"),
    }
    names = data.keys() if partial else COLUMN_FIELDS
    cleaned = {name: fields.clean(name, cleaners[name], data.get(name)) for name in names}
    fields.raise_if_any()
    return cleaned


def _clean_personal_limit(value) -> int | None:
    try:
        return v.optional_int(value, minimum=1, maximum=999)
    except v.FieldError as exc:
        raise v.invalid({"personal_wip_limit": str(exc)}) from None


def visible_boards(user: User) -> list[Board]:
    return list(
        db.session.scalars(
            select(Board)
            .where(visible_boards_clause(user))
            .options(selectinload(Board.unit), selectinload(Board.team))
            .order_by(Board.name, Board.id)
        )
    )


def manageable_units(user: User) -> list[Unit]:
    units = managed_unit_ids(user)
    if not units:
        return []
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(units)).order_by(Unit.code)))


def create_board(
    actor: User, name, unit_code, columns=None, personal_wip_limit=None, team=None
) -> Board:
    """A new board of a unit, or of a work team (`team`, a team code: the board then sits in
    the team's unit; `unit_code` may be left out). A unit's board: heads of the unit or above and
    admins. A team's board: the same, and the team's leader (ketua tim)."""
    fields = v.Fields()
    name = fields.clean("name", v.text, name, field_max=120, required=True)
    unit = owner = None
    if team is not None and team != "":
        owner = _team_for_board(team, fields)
        if owner is not None:
            unit = owner.unit
            if isinstance(unit_code, str) and unit_code.strip() and unit_code.strip() != unit.code:
                fields.errors["unit"] = _("A team's board sits in the team's unit.")
    else:
        try:
            unit = active_unit_by_code(unit_code)
        except Invalid as exc:
            fields.errors.update(exc.fields)
    if columns is None or columns == []:
        columns = default_columns()
    if not isinstance(columns, list) or len(columns) > 20:
        fields.errors["columns"] = _("Give a list of at most 20 columns.")
    fields.raise_if_any()
    cleaned_columns = []
    for index, column in enumerate(columns):
        try:
            cleaned_columns.append(clean_column(column))
        except Invalid as exc:
            exc.fields = {
                f"columns[{index}]" + (f".{name}" if name else ""): msg
                for name, msg in exc.fields.items()
            }
            raise
    personal = _clean_personal_limit(personal_wip_limit)
    with write_transaction():
        if owner is not None:
            if not (unit.id in managed_unit_ids(actor) or owner.id in led_team_ids(actor)):
                raise Forbidden(
                    "forbidden",
                    _("Only the team's leader, a head above it or an admin may create its boards."),
                )
        elif unit.id not in managed_unit_ids(actor):
            raise Forbidden(
                "forbidden", _("Only a head of this unit or an admin may create its boards.")
            )
        board = Board(
            name=name,
            unit_id=unit.id,
            team_id=owner.id if owner is not None else None,
            personal_wip_limit=personal,
        )
        board.columns = [
            BoardColumn(position=i, **column) for i, column in enumerate(cleaned_columns)
        ]
        db.session.add(board)
        db.session.flush()
        card_types.seed_defaults(board)  # the board's card types (issue 26)
        details = {"team": owner.code} if owner is not None else {}
        record("board_created", actor, board_id=board.id, name=name, unit=unit.code, **details)
    return board


def _team_for_board(code, fields: v.Fields) -> Team | None:
    team = None
    if isinstance(code, str) and code.strip():
        team = db.session.scalar(select(Team).where(Team.code == code.strip()))
    if team is None or not team.active:
        fields.errors["team"] = _("No active team has this code.")
        return None
    return team


def manageable_owners(user: User) -> list[tuple[str, str, str]]:
    """What the user may create boards for, as (kind, code, name): their units, then the
    active teams they lead or manage (`unit` or `team`)."""
    from app.services.teams import ledable_teams

    owners = [("unit", unit.code, unit.name) for unit in manageable_units(user)]
    owners += [("team", team.code, team.name) for team in ledable_teams(user)]
    return owners


def update_board(actor: User, board_id, data: dict) -> Board:
    known = {"name", "personal_wip_limit", "checklist_required_for_done", "archive_after_days"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise v.invalid({name: _("Unknown field.") for name in unknown}) from None
    fields = v.Fields()
    changes = {}
    if "name" in data:
        changes["name"] = fields.clean("name", v.text, data["name"], field_max=120, required=True)
    if "personal_wip_limit" in data:
        changes["personal_wip_limit"] = fields.clean(
            "personal_wip_limit", v.optional_int, data["personal_wip_limit"], minimum=1, maximum=999
        )
    if "archive_after_days" in data:
        # Done cards leave the board after this many days (app/services/archive.py); 0: never.
        days = fields.clean(
            "archive_after_days", v.optional_int, data["archive_after_days"], minimum=0, maximum=365
        )
        if days is None and "archive_after_days" not in fields.errors:
            fields.errors["archive_after_days"] = _("Enter a number of days (0: never).")
        elif days is not None:
            changes["archive_after_days"] = days
    if "checklist_required_for_done" in data:
        rule = data["checklist_required_for_done"]
        if isinstance(rule, bool):
            changes["checklist_required_for_done"] = rule
        else:
            fields.errors["checklist_required_for_done"] = _("Must be true or false.")
    fields.raise_if_any()
    with write_transaction():
        board = managed_board(actor, board_id)
        lock_board(board.id)
        diff = {
            k: [getattr(board, k), new] for k, new in changes.items() if getattr(board, k) != new
        }
        for key, (_old, new) in diff.items():
            setattr(board, key, new)
        if diff:
            record("board_updated", actor, board_id=board.id, changes=diff)
    return board


def _renumber(board: Board) -> None:
    for index, column in enumerate(sorted(board.columns, key=lambda c: c.position)):
        column.position = index


def add_column(actor: User, board_id, data: dict) -> BoardColumn:
    cleaned = clean_column(data)
    with write_transaction():
        board = managed_board(actor, board_id)
        lock_board(board.id)
        if len(board.columns) >= 20:
            raise Conflict("too_many_columns", _("A board has at most 20 columns."))
        column = BoardColumn(board=board, position=len(board.columns), **cleaned)
        db.session.add(column)
        db.session.flush()
        # `kind` names the event itself in record(), so the column's kind goes in as column_kind.
        details = {
            ("column_kind" if key == "kind" else key): value for key, value in cleaned.items()
        }
        record("column_added", actor, board_id=board.id, column_id=column.id, **details)
    return column


def _column(board: Board, column_id) -> BoardColumn:
    try:
        column_id = v.record_id(column_id)
    except v.FieldError as exc:
        raise v.invalid({"column_id": str(exc)}) from None
    for column in board.columns:
        if column.id == column_id:
            return column
    raise v.invalid({"column_id": _("This board has no such column.")}) from None


def update_column(actor: User, board_id, column_id, data: dict) -> BoardColumn:
    cleaned = clean_column(data, partial=True)
    with write_transaction():
        board = managed_board(actor, board_id)
        lock_board(board.id)
        column = _column(board, column_id)
        diff = {
            k: [getattr(column, k), new] for k, new in cleaned.items() if getattr(column, k) != new
        }
        if "kind" in diff and diff["kind"][1] != "backlog":
            undated = db.session.scalar(
                select(func.count(Card.id)).where(
                    Card.column_id == column.id, Card.due_date.is_(None)
                )
            )
            if undated:
                raise Invalid(
                    "due_date_required",
                    _(
                        "%(n)d cards in this column have no due date; give them one first.",
                        n=undated,
                    ),
                    {"kind": _("Cards without a due date cannot be in this kind of column.")},
                )
        for key, (_old, new) in diff.items():
            setattr(column, key, new)
        if diff:
            record("column_updated", actor, board_id=board.id, column_id=column.id, changes=diff)
        if "name" in diff:
            # Plugin settings naming the column (a paraf chain, an SLA pause) follow it.
            from app.services.plugins import follow_column_rename

            follow_column_rename(board, diff["name"][0], diff["name"][1], actor)
    return column


def move_column(actor: User, board_id, column_id, position) -> BoardColumn:
    try:
        position = v.optional_int(position, minimum=0, maximum=100)
    except v.FieldError as exc:
        raise v.invalid({"position": str(exc)}) from None
    if position is None:
        raise v.invalid({"position": _("This field is required.")}) from None
    with write_transaction():
        board = managed_board(actor, board_id)
        lock_board(board.id)
        column = _column(board, column_id)
        ordered = [c for c in sorted(board.columns, key=lambda c: c.position) if c.id != column.id]
        position = min(position, len(ordered))
        old = column.position
        ordered.insert(position, column)
        for index, each in enumerate(ordered):
            each.position = index
        if old != position:
            record(
                "column_moved", actor, board_id=board.id, column_id=column.id, old=old, new=position
            )
    return column


def delete_column(actor: User, board_id, column_id) -> None:
    with write_transaction():
        board = managed_board(actor, board_id)
        lock_board(board.id)
        column = _column(board, column_id)
        if db.session.scalar(
            select(func.count(Card.id)).where(
                Card.column_id == column.id, Card.archived_at.is_(None)
            )
        ):
            raise Conflict(
                "column_not_empty", _("Move the cards out of column %(c)s first.", c=column.name)
            )
        if db.session.scalar(select(func.count(Card.id)).where(Card.column_id == column.id)):
            # Archived cards keep their column (their history and reports name it).
            raise Conflict(
                "column_has_archive",
                _(
                    "Column %(c)s keeps archived cards, so it stays; rename it if it is no "
                    "longer used.",
                    c=column.name,
                ),
            )
        if len(board.columns) == 1:
            raise Conflict("last_column", _("A board needs at least one column."))
        board.columns.remove(column)
        db.session.flush()
        _renumber(board)
        record("column_deleted", actor, board_id=board.id, column_id=column_id, name=column.name)


@dataclass
class BoardView:
    board: Board
    columns: list[BoardColumn]
    cards: dict[int, list[Card]] = field(default_factory=dict)  # column id -> cards in order
    counts: dict[int, int] = field(default_factory=dict)  # column id -> all cards, before filters
    archived: int = 0  # archived cards, counted up to archive.COUNT_CAP (the header's link)


def load_board(actor: User, board_id) -> BoardView:
    """The board with all its cards and assignees, in a fixed number of queries."""
    board = visible_board(actor, board_id)
    # The board's archived cards are counted (up to a cap) in the columns' query: no query more.
    archived = (
        select(func.count())
        .select_from(
            select(Card.id)
            .where(Card.board_id == board.id, Card.archived_at.is_not(None))
            .limit(ARCHIVE_COUNT_CAP)
            .subquery()
        )
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(BoardColumn, archived)
        .where(BoardColumn.board_id == board.id)
        .order_by(BoardColumn.position)
    ).all()
    columns = [column for column, _n in rows]
    cards = db.session.scalars(
        select(Card)
        .where(Card.board_id == board.id, Card.archived_at.is_(None))  # archived: off the board
        .options(selectinload(Card.assignee))
        .order_by(Card.column_id, Card.position, Card.id)
    ).all()
    view = BoardView(board, columns, {c.id: [] for c in columns})
    for card in cards:
        view.cards.setdefault(card.column_id, []).append(card)
    view.counts = {column_id: len(items) for column_id, items in view.cards.items()}
    view.archived = rows[0][1] if rows else 0
    return view
