"""Read-only views of cards, columns, boards, units, people and sprints: what hooks receive and
what the helpers of `cergas.plugin` return instead of the database rows.

A view reads through to its row when an attribute is asked for (so a hook costs the queries of
what it reads, as before, and sees the row as it is at that moment), returns related records as
views and lists as tuples, and refuses every assignment and deletion with `ReadOnlyError`: an
attribute set in a veto hook can no longer be flushed with the move. Views are equal (and hash
alike) when they are views of the same kind of record with the same id.

Every attribute is declared with its type and meaning below; docs/plugins.md ("Views") lists
the same, and tests/test_plugin_views.py checks that the two agree.
"""

import functools

from app.models import Board, BoardColumn, Card, Sprint, Team, Unit, User


class ReadOnlyError(AttributeError):
    """Raised when a plugin sets or deletes an attribute of a view."""


class _Attribute:
    """One documented attribute of a view: its type (as written in the docs) and meaning."""

    def __init__(self, type_: str, doc: str, read=None):
        self.type = type_
        self.__doc__ = doc
        self._read = read
        self.name = ""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, view, owner=None):
        if view is None:
            return self
        row = _row(view)
        if self._read is None:
            return getattr(row, self.name)
        return self._read(row)

    def __set__(self, view, value):
        raise ReadOnlyError(_refusal(view, self.name))

    def __delete__(self, view):
        raise ReadOnlyError(_refusal(view, self.name))


def _refusal(view, name: str) -> str:
    return (
        f"{type(view).__name__}.{name} is read-only: a plugin changes records through the "
        "helpers of cergas.plugin (card_transaction, move_card_in_transaction, assign_card, "
        "record_card_event), never by setting attributes"
    )


class _View:
    __slots__ = ("__row",)

    def __init__(self, row):
        object.__setattr__(self, "_View__row", row)

    def __setattr__(self, name, value):
        raise ReadOnlyError(_refusal(self, name))

    def __delattr__(self, name):
        raise ReadOnlyError(_refusal(self, name))

    def __eq__(self, other):
        if not isinstance(other, _View):
            return NotImplemented
        return type(self) is type(other) and _row(self).id == _row(other).id

    def __hash__(self):
        return hash((type(self).__name__, _row(self).id))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {_row(self).id}>"

    def __reduce__(self):
        raise TypeError(f"{type(self).__name__} cannot be copied or pickled; keep its id")

    @classmethod
    def attributes(cls) -> list[_Attribute]:
        """The documented attributes, in the order they are declared."""
        found, seen = [], set()
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, _Attribute) and name not in seen:
                    seen.add(name)
                    found.append(value)
        return found


def _row(view: _View):
    return object.__getattribute__(view, "_View__row")


def _view(kind):
    """Read a related record as a view of `kind` (a class name, resolved late), or None."""

    def read(related):
        return None if related is None else globals()[kind](related)

    return read


def _related(attribute: str, kind: str):
    convert = _view(kind)
    return lambda row: convert(getattr(row, attribute))


def _parents(row) -> tuple:
    chain, seen = [], {row.id}
    parent = row.parent
    while parent is not None and parent.id not in seen:
        seen.add(parent.id)
        chain.append(UnitView(parent))
        parent = parent.parent
    return tuple(chain)


class UnitView(_View):
    """A unit (Dinas > Bidang > Seksi), read-only."""

    __slots__ = ()

    id = _Attribute("int", "The unit's id.")
    code = _Attribute("str", 'Its code, unique (e.g. `"SEKSI-PIP"`).')
    name = _Attribute("str", "Its name.")
    timezone = _Attribute(
        "str", '`"Asia/Jakarta"`, `"Asia/Makassar"` or `"Asia/Jayapura"` (WIB, WITA, WIT).'
    )
    zone_abbr = _Attribute("str", '`"WIB"`, `"WITA"` or `"WIT"`.')
    active = _Attribute("bool", "False for a unit that no longer exists (it keeps its history).")
    parent_id = _Attribute("int | None", "The id of the unit above, or None at the top.")
    parent = _Attribute(
        "UnitView | None", "The unit above, or None at the top.", _related("parent", "UnitView")
    )
    parents = _Attribute(
        "tuple[UnitView, ...]", "Every unit above, nearest first, up to the top.", _parents
    )


class UserView(_View):
    """A person, read-only. Never their password, phone or sign-in data."""

    __slots__ = ()

    id = _Attribute("int", "The person's id.")
    login = _Attribute("str", "How the API and exports name them: the NIP, else the username.")
    nip = _Attribute("str | None", "The 18-digit civil-servant number, or None.")
    username = _Attribute("str | None", "The username of a person without a NIP, or None.")
    name = _Attribute("str", "Their full name.")
    email = _Attribute("str | None", "Their email address, or None.")
    locale = _Attribute("str | None", 'Their language (`"id"`, `"en"`), or None: the default.')
    position = _Attribute("str", 'Their post (jabatan) as the staff register writes it, or "".')
    is_admin = _Attribute("bool", "Whether they administer this Cergas.")
    active = _Attribute("bool", "False once their account is closed.")


class TeamView(_View):
    """A work team (tim kerja) that owns a board, read-only."""

    __slots__ = ()

    id = _Attribute("int", "The team's id.")
    code = _Attribute("str", "Its code, unique.")
    name = _Attribute("str", "Its name.")
    active = _Attribute("bool", "False once the team is closed.")
    unit_id = _Attribute("int", "The unit it sits in (its boards follow that unit's calendar).")
    unit = _Attribute("UnitView", "The unit it sits in.", _related("unit", "UnitView"))
    leader_id = _Attribute("int | None", "Its leader (ketua tim), or None.")
    leader = _Attribute("UserView | None", "Its leader, or None.", _related("leader", "UserView"))


class BoardView(_View):
    """A board, read-only."""

    __slots__ = ()

    id = _Attribute("int", "The board's id.")
    name = _Attribute("str", "Its name.")
    unit_id = _Attribute(
        "int", "Its unit (for a team's board: the team's unit, whose calendar it follows)."
    )
    unit = _Attribute("UnitView", "Its unit.", _related("unit", "UnitView"))
    team_id = _Attribute("int | None", "The team (tim kerja) it belongs to, or None.")
    team = _Attribute(
        "TeamView | None", "The team it belongs to, or None.", _related("team", "TeamView")
    )
    personal_wip_limit = _Attribute(
        "int | None", "Most cards one person may hold in its active columns; None: no limit."
    )
    created_at = _Attribute("datetime", "When it was created (naive UTC).")
    columns = _Attribute(
        "tuple[ColumnView, ...]",
        "Its columns, in board order.",
        lambda row: tuple(ColumnView(column) for column in row.columns),
    )


class ColumnView(_View):
    """A column of a board, read-only."""

    __slots__ = ()

    id = _Attribute("int", "The column's id.")
    board_id = _Attribute("int", "Its board.")
    board = _Attribute("BoardView", "Its board.", _related("board", "BoardView"))
    name = _Attribute("str", "Its name.")
    position = _Attribute("int", "Its place on the board, from 0 on the left.")
    kind = _Attribute("str", '`"backlog"`, `"active"` or `"done"` (what flow metrics use).')
    wip_limit = _Attribute("int | None", "Most cards it may hold, or None: no limit.")
    wip_policy = _Attribute("str", '`"hard"` (a full column refuses) or `"soft"` (it warns).')


class CardView(_View):
    """A card, read-only."""

    __slots__ = ()

    id = _Attribute("int", "The card's id.")
    title = _Attribute("str", "Its title.")
    description = _Attribute("str", "Its description (Markdown, as written).")
    type = _Attribute("str", 'Its type, e.g. `"tugas"`, `"surat-keluar"`.')
    priority = _Attribute("str", '`"low"`, `"normal"`, `"high"` or `"urgent"`.')
    labels = _Attribute(
        "tuple[str, ...]",
        "Its labels (e.g. `skill:graphic-design`).",
        lambda row: tuple(row.labels or ()),
    )
    version = _Attribute("int", "Grows by one at every change (optimistic locking).")
    board_id = _Attribute("int", "Its board.")
    board = _Attribute("BoardView", "Its board.", _related("board", "BoardView"))
    unit_id = _Attribute("int", "Its board's unit.", lambda row: row.board.unit_id)
    column_id = _Attribute("int", "The column it is in.")
    column = _Attribute("ColumnView", "The column it is in.", _related("column", "ColumnView"))
    column_kind = _Attribute(
        "str",
        "The kind of the column it is in (`backlog`, `active`, `done`).",
        lambda row: row.column.kind,
    )
    position = _Attribute("int", "Its place in its column, from 0 at the top.")
    assignee_id = _Attribute("int | None", "Who holds it, or None.")
    assignee = _Attribute(
        "UserView | None", "Who holds it, or None.", _related("assignee", "UserView")
    )
    created_by_id = _Attribute("int | None", "Who created it, or None (an import, a plugin).")
    due_date = _Attribute("date | None", "Its due date, or None.")
    deadline_changes = _Attribute("int", "How often its due date was changed (with a reason).")
    checklist_total = _Attribute("int", "How many items its checklist has (0: none).")
    checklist_done = _Attribute("int", "How many of its checklist items are ticked.")
    attachment_count = _Attribute(
        "int",
        "How many documents it holds (removed ones not counted); `card_attachments` lists them.",
    )
    estimate = _Attribute("float | None", "Estimated hours, or None.")
    sprint_id = _Attribute("int | None", "The planned or active sprint it is in, or None.")
    created_at = _Attribute("datetime", "When it was created (naive UTC).")
    updated_at = _Attribute("datetime", "When it last changed (naive UTC).")
    first_active_at = _Attribute(
        "datetime | None", "When it first entered an active column (naive UTC), or None."
    )
    done_at = _Attribute(
        "datetime | None", "When it entered a done column (naive UTC); None while not done."
    )
    archived_at = _Attribute(
        "datetime | None",
        "When it was archived (naive UTC): off its board and read-only; None while on it.",
    )


class SprintView(_View):
    """A sprint of a board, read-only."""

    __slots__ = ()

    id = _Attribute("int", "The sprint's id.")
    board_id = _Attribute("int", "Its board.")
    board = _Attribute("BoardView", "Its board.", _related("board", "BoardView"))
    name = _Attribute("str", "Its name.")
    goal = _Attribute("str", "The goal its head wrote.")
    start_date = _Attribute("date", "Its first day.")
    end_date = _Attribute("date", "Its last day.")
    state = _Attribute("str", '`"planned"`, `"active"` or `"closed"`.')
    created_by_id = _Attribute("int | None", "Who planned it, or None.")
    created_at = _Attribute("datetime", "When it was planned (naive UTC).")
    started_at = _Attribute("datetime | None", "When it started (naive UTC), or None.")
    closed_at = _Attribute("datetime | None", "When it closed (naive UTC), or None.")
    goal_met = _Attribute(
        "str | None", 'At the close review: `"yes"`, `"partly"` or `"no"`; None before.'
    )
    review_note = _Attribute("str", 'The note of the close review, or "".')


VIEWS = (CardView, ColumnView, BoardView, UnitView, UserView, SprintView, TeamView)
_VIEW_OF = {
    Card: CardView,
    BoardColumn: ColumnView,
    Board: BoardView,
    Unit: UnitView,
    User: UserView,
    Sprint: SprintView,
    Team: TeamView,
}
_ROW_OF = {view: model for model, view in _VIEW_OF.items()}


def view_of(value):
    """The view of a card, column, board, unit, user or sprint row; a list or tuple of them as
    a tuple of views; anything else (a view, a dict of changes, a date) unchanged."""
    kind = _VIEW_OF.get(type(value))
    if kind is not None:
        return kind(value)
    if isinstance(value, list | tuple) and value and type(value[0]) in _VIEW_OF:
        return tuple(view_of(item) for item in value)
    return value


def views_of(arguments: dict) -> dict:
    """The keyword arguments of a hook call with every record replaced by its view."""
    return {name: view_of(value) for name, value in arguments.items()}


def row_of(value, model=None):
    """The row behind a view (a helper resolving what a plugin passed); a row, an id or None
    unchanged. With `model`, a view of another kind of record is a TypeError."""
    if isinstance(value, _View):
        if model is not None and _ROW_OF[type(value)] is not model:
            raise TypeError(f"expected a {model.__name__}, got a {type(value).__name__}")
        return _row(value)
    return value


def viewed(value):
    """A helper's answer as plugins get it: every record in it (alone, in a list or tuple, or
    as a value of a dict) replaced by its view."""
    kind = _VIEW_OF.get(type(value))
    if kind is not None:
        return kind(value)
    if isinstance(value, list):
        return [viewed(item) for item in value]
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(viewed(item) for item in value)
    if isinstance(value, dict):
        return {key: viewed(item) for key, item in value.items()}
    return value


def for_plugins(function):
    """A helper of `cergas.plugin` as plugins call it: views among its arguments are resolved
    to their rows, and the records it answers come back as views. The helper itself (for the
    core) stays reachable as `__wrapped__`."""

    @functools.wraps(function)
    def helper(*args, **kwargs):
        args = tuple(row_of(value) for value in args)
        kwargs = {name: row_of(value) for name, value in kwargs.items()}
        return viewed(function(*args, **kwargs))

    return helper


def _document(view) -> None:
    lines = [f"    {a.name} ({a.type}): {a.__doc__}" for a in view.attributes()]
    view.__doc__ = f"{view.__doc__}\n\nAttributes:\n" + "\n".join(lines)


for _kind in VIEWS:
    _document(_kind)
