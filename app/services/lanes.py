"""Swimlanes: the board's cards grouped in rows by assignee, card type or label (issue 25), and
the drop of a card into another lane.

Grouping works on the cards `boards.load_board` already loaded, so a board in lanes costs the
same queries as the board in columns. A card sits in exactly one lane: its assignee's, its
type's, or its **first** label's (a card without labels sits in "No label"), so a drag always
says which value to set.

A drop into another lane is an edit of that field through `cards.update_card` (the version check,
the plugins' `cergas_card_before_update` vetoes, the personal WIP limit on an assignment) and,
when the column changed too, a move through `moves.move_card_locked` (every move rule and veto),
both in one transaction: when either refuses, nothing changes.
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _

from app.extensions import db
from app.models import Card, User
from app.services import cards as card_service
from app.services import validation as v
from app.services.access import visible_card
from app.services.boards import BoardView
from app.services.card_types import BoardLists
from app.services.errors import Conflict
from app.services.moves import MoveResult, column_of, move_card_locked
from app.services.tx import lock_board, write_transaction

LANE_KINDS = ("assignee", "type", "label")
# The lane key of the cards without a value (no assignee, no label). Types always have one.
NONE_KEY = ""


@dataclass
class Lane:
    key: str  # what a drop sends: a person's id, a type, a label, or NONE_KEY
    title: str
    cards: dict[int, list[Card]] = field(default_factory=dict)  # column id -> cards
    person: User | None = None

    @property
    def count(self) -> int:
        return sum(len(items) for items in self.cards.values())


def lane_kind(value) -> str | None:
    """The lane grouping asked for in the URL (`?lanes=`), None for the plain columns."""
    return value if value in LANE_KINDS else None


def lane_key(card: Card, kind: str) -> str:
    if kind == "assignee":
        return str(card.assignee_id) if card.assignee_id else NONE_KEY
    if kind == "type":
        return card.type or "tugas"
    return card.labels[0] if card.labels else NONE_KEY


def group(
    view: BoardView,
    shown: dict[int, list[Card]],
    kind: str,
    people: list[User],
    names: BoardLists | None = None,
) -> list[Lane]:
    """The lanes of a board: `shown` (column id -> cards, filtered) grouped by `kind`. Assignee
    lanes: unassigned first, then the people holding cards by name, then the other people who see
    the board (empty lanes to drop a card in). Type and label lanes: the values in use, titled
    and ordered by the board's names for them (`names`, the board's lists; without them the
    value made readable), "No label" last. Board order is kept inside every cell."""
    names = names if names is not None else BoardLists()
    lanes: dict[str, Lane] = {}
    if kind == "assignee":
        lanes[NONE_KEY] = Lane(NONE_KEY, _("Not assigned"))
        holders = {c.assignee_id: c.assignee for c in _all(view) if c.assignee is not None}
        for person in sorted(holders.values(), key=lambda p: (p.name.casefold(), p.id)):
            lanes[str(person.id)] = Lane(str(person.id), person.name, person=person)
        for person in people:
            lanes.setdefault(str(person.id), Lane(str(person.id), person.name, person=person))
    elif kind == "type":
        used = {c.type or "tugas" for c in _all(view)}
        titled = [(names.type_name(value), value) for value in used]
        for title, value in sorted(titled, key=lambda pair: (pair[0].casefold(), pair[1])):
            lanes[value] = Lane(value, title)
    else:
        used = {c.labels[0] for c in _all(view) if c.labels}
        titled = [(names.label_name(value), value) for value in used]
        for title, value in sorted(titled, key=lambda pair: (pair[0].casefold(), pair[1])):
            lanes[value] = Lane(value, title)
        lanes[NONE_KEY] = Lane(NONE_KEY, _("No label"))
    for lane in lanes.values():
        lane.cards = {column.id: [] for column in view.columns}
    for column in view.columns:
        for card in shown.get(column.id, []):
            key = lane_key(card, kind)
            if key not in lanes:  # e.g. a card assigned to someone who no longer sees the board
                title = card.assignee.name if kind == "assignee" and card.assignee else key
                lanes[key] = Lane(key, title, {c.id: [] for c in view.columns}, card.assignee)
            lanes[key].cards[column.id].append(card)
    return list(lanes.values())


def _all(view: BoardView):
    return (card for items in view.cards.values() for card in items)


def _new_value(card: Card, kind: str, key) -> dict:
    """The edit that puts the card in lane `key`: {} when it is already there."""
    if not isinstance(key, str) or len(key) > 100:
        raise v.invalid({"lane": _("Choose a lane of this board.")})
    if lane_key(card, kind) == key:
        return {}
    if kind == "assignee":
        if key == NONE_KEY:
            return {"assignee": None}
        person_id = v.ascii_int(key, minimum=1, maximum=v.MAX_ID)
        person = db.session.get(User, person_id) if person_id else None
        if person is None:
            raise v.invalid({"lane": _("No member of this board has that NIP or username.")})
        return {"assignee": person}
    if kind == "type":
        return {"type": key}
    # Labels: the lane is the first label. Dropping in lane X puts X first in place of the label
    # of the lane the card came from; dropping in "No label" takes the labels off.
    if key == NONE_KEY:
        return {"labels": []}
    rest = [label for label in (card.labels or [])[1:] if label != key]
    return {"labels": [key, *rest]}


def drop_in_lane(
    actor: User, card_id, *, kind, lane, column_id, position=None, version=None
) -> MoveResult:
    """A card dropped into lane `lane` (see `Lane.key`) of grouping `kind` and into a column at
    `position`: the lane's field is edited like on the card page and the card is moved like any
    drag, in one transaction. `version` is the card's version the page showed.

    The personal WIP limit counts cards in `active` columns, so the order matters: a card
    entering an active column is first given its new assignee (the move then checks that
    person's limit); any other card is first moved (a card leaving an active column does not
    count against its new assignee)."""
    if kind not in LANE_KINDS:
        raise v.invalid({"lanes": _("Choose how to group the lanes.")})
    with write_transaction():
        card = visible_card(actor, card_id)
        lock_board(card.board_id)
        db.session.refresh(card)
        try:
            expected = v.record_id(version)
        except v.FieldError as exc:
            raise v.invalid({"version": str(exc)}) from None
        if expected != card.version:
            raise Conflict(
                "version_conflict",
                _("Someone else changed this card since you opened it. Reload it and try again."),
            )
        changes = _new_value(card, kind, lane)
        target = column_of(card.board, column_id)
        edit_first = target.kind == "active" and card.column.kind != "active"
        if changes and edit_first:
            card = card_service.update_card(actor, card.id, changes, version=card.version)
        result = move_card_locked(actor, card, target.id, position)
        if changes and not edit_first:
            card = card_service.update_card(actor, card.id, changes, version=card.version)
            result.card = card
    return result
