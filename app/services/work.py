"""Read-only queries for the HTML pages: "My work", board filters, the people of a board.

Nothing here writes. The board filters work on the cards `boards.load_board` already loaded, so
filtering a board costs no extra query.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import clock
from app.extensions import db
from app.models import Board, BoardColumn, Card, Comment, Unit, User
from app.services import access
from app.services import validation as v
from app.services.boards import BoardView


def today_in(timezone: str) -> date:
    """Today's date where the unit works (WIB, WITA or WIT)."""
    return clock.today(timezone)


@dataclass
class WorkItem:
    card: Card
    board_id: int
    board_name: str
    column_name: str
    today: date

    @property
    def overdue(self) -> bool:
        return self.card.due_date is not None and self.card.due_date < self.today

    @property
    def due_today(self) -> bool:
        return self.card.due_date == self.today


def my_work(user: User) -> list[WorkItem]:
    """The user's open cards (not in `done` columns) on boards they can see: overdue first,
    then by due date, cards without a due date last."""
    rows = db.session.execute(
        select(Card, Board.id, Board.name, BoardColumn.name, Unit.timezone)
        .join(Board, Card.board_id == Board.id)
        .join(BoardColumn, Card.column_id == BoardColumn.id)
        .join(Unit, Board.unit_id == Unit.id)
        .where(
            Card.assignee_id == user.id,
            BoardColumn.kind != "done",
            Card.archived_at.is_(None),
            access.visible_boards_clause(user),
        )
    ).all()
    todays: dict[str, date] = {}
    items = []
    for card, board_id, board_name, column_name, timezone in rows:
        if timezone not in todays:
            todays[timezone] = today_in(timezone)
        items.append(WorkItem(card, board_id, board_name, column_name, todays[timezone]))
    items.sort(
        key=lambda item: (
            not item.overdue,
            item.card.due_date is None,
            item.card.due_date or date.max,
            item.board_name,
            item.card.id,
        )
    )
    return items


@dataclass
class BoardFilters:
    """What the board page's filter form asks for. Unusable values are ignored, not refused."""

    assignee: int | None = None
    label: str = ""
    overdue: bool = False
    mine: bool = False
    q: str = ""
    # Only the cards of the board's active sprint.
    sprint: bool = False

    @classmethod
    def from_args(cls, args) -> "BoardFilters":
        return cls(
            assignee=v.ascii_int(args.get("assignee"), minimum=1, maximum=v.MAX_ID),
            label=(args.get("label") or "").strip()[:40],
            overdue=args.get("overdue") in ("1", "on", "true"),
            mine=args.get("mine") in ("1", "on", "true"),
            q=" ".join((args.get("q") or "").split())[:100],
            sprint=args.get("sprint") in ("1", "on", "true"),
        )

    @property
    def active(self) -> bool:
        return bool(
            self.assignee or self.label or self.overdue or self.mine or self.q or self.sprint
        )

    def query_args(self) -> dict:
        """The filters as URL query arguments (empty ones left out)."""
        args = {"assignee": self.assignee, "label": self.label, "q": self.q}
        args = {key: value for key, value in args.items() if value}
        if self.overdue:
            args["overdue"] = "1"
        if self.mine:
            args["mine"] = "1"
        if self.sprint:
            args["sprint"] = "1"
        return args


def filter_board(
    view: BoardView,
    filters: BoardFilters,
    user: User,
    today: date,
    active_sprint_id: int | None = None,
) -> dict[int, list[Card]]:
    """column id -> the column's cards that pass the filters, in board order (`sprint`: the
    cards of the active sprint `active_sprint_id`; none when no sprint is running)."""
    if not filters.active:
        return view.cards
    needle = filters.q.casefold()
    kinds = {column.id: column.kind for column in view.columns}

    def keep(card: Card) -> bool:
        if filters.assignee and card.assignee_id != filters.assignee:
            return False
        if filters.mine and card.assignee_id != user.id:
            return False
        if filters.sprint and (active_sprint_id is None or card.sprint_id != active_sprint_id):
            return False
        if filters.label and filters.label not in (card.labels or []):
            return False
        if filters.overdue and not (
            card.due_date is not None
            and card.due_date < today
            and kinds.get(card.column_id) != "done"
        ):
            return False
        return not needle or needle in card.title.casefold()

    return {column_id: [c for c in items if keep(c)] for column_id, items in view.cards.items()}


def labels_in_use(view: BoardView) -> list[str]:
    found = {
        label for items in view.cards.values() for card in items for label in card.labels or []
    }
    return sorted(found, key=str.casefold)


def card_comments(card_id: int) -> list[Comment]:
    """A card's comments, oldest first, with their authors."""
    return list(
        db.session.scalars(
            select(Comment)
            .where(Comment.card_id == card_id)
            .options(selectinload(Comment.author))
            .order_by(Comment.created_at, Comment.id)
        )
    )


def column_card_counts(board_id: int) -> dict[int, int]:
    """column id -> number of cards, for every column of the board that has any."""
    rows = db.session.execute(
        select(Card.column_id, func.count(Card.id))
        .where(Card.board_id == board_id, Card.archived_at.is_(None))
        .group_by(Card.column_id)
    )
    return dict(rows.all())
