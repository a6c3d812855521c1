"""A card's checklist: add, edit, tick, reorder and delete its items.

Whoever may work on the card (see it, as for editing it in `app.services.cards`) may change its
checklist. Every change, under the board lock like the card's other edits:

- keeps the card's counters `checklist_total` and `checklist_done` (the board's "3/5" badge
  reads them, no query) in the same transaction;
- bumps the card's `version` and `updated_at`: a move checked on an earlier read (its premises
  include the version, `app.services.moves`) then sees that the checklist changed;
- records a card event (the card's history, and the live update of open boards).

The board rule `checklist_required_for_done` (`moves.require_checklist_done`) is strict on this
side too: on a card in a done column of such a board, no item may be added unticked and none
unticked; the card is moved back out of the done column first.
"""

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Card, ChecklistItem, User, utcnow
from app.services import validation as v
from app.services.access import visible_card
from app.services.archive import require_not_archived
from app.services.audit import record
from app.services.cards import _clean_assignee
from app.services.errors import Conflict, NotFound
from app.services.tx import lock_board, write_transaction

# Enough for any real procedure; a bound so one card cannot grow without end.
MAX_ITEMS = 100
MAX_TEXT = 500
ITEM_FIELDS = ("text", "assignee", "due_date", "done", "position")


def items_of(card_id: int) -> list[ChecklistItem]:
    """The items of a card in order, with their assignees."""
    return list(
        db.session.scalars(
            select(ChecklistItem)
            .where(ChecklistItem.card_id == card_id)
            .options(selectinload(ChecklistItem.assignee))
            .order_by(ChecklistItem.position, ChecklistItem.id)
        )
    )


def checklist(actor: User, card_id) -> tuple[Card, list[ChecklistItem]]:
    """The card (if `actor` may see it) and its checklist."""
    card = visible_card(actor, card_id)
    return card, items_of(card.id)


def _done_flag(value) -> bool:
    """A tick from JSON (true/false) or a form ("1"/"0", "on")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "on", "yes"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "off", "no", ""):
        return False
    raise v.FieldError(_("Must be true or false."))


def _clean(data: dict, card: Card) -> dict:
    """Validate the item fields present in `data`; raise Invalid naming every bad one."""
    unknown = sorted(set(data) - set(ITEM_FIELDS))
    if unknown:
        raise v.invalid({name: _("Unknown field.") for name in unknown})
    cleaners = {
        "text": lambda x: v.text(x, field_max=MAX_TEXT, required=True),
        "assignee": lambda x: _clean_assignee(x, card.board),
        "due_date": v.optional_date,
        "done": _done_flag,
        "position": lambda x: v.optional_int(x, minimum=0, maximum=MAX_ITEMS),
    }
    fields = v.Fields()
    cleaned = {name: fields.clean(name, cleaners[name], value) for name, value in data.items()}
    fields.raise_if_any()
    return cleaned


def _open_card(actor: User, card_id) -> Card:
    """The card, read again under its board's lock inside the write transaction."""
    card = visible_card(actor, card_id)
    lock_board(card.board_id)
    db.session.refresh(card)
    require_not_archived(card)  # archived cards are read-only
    return card


def _open_item(actor: User, item_id, card_id=None) -> tuple[Card, ChecklistItem]:
    """The item and its card, under the board's lock. `card_id`: the card the caller named (the
    card page's addresses); an item of another card is not found."""
    try:
        item_id = v.record_id(item_id)
    except v.FieldError:
        raise NotFound("not_found", _("Checklist item not found.")) from None
    item = db.session.get(ChecklistItem, item_id)
    if item is None or (card_id is not None and item.card_id != card_id):
        raise NotFound("not_found", _("Checklist item not found."))
    card = _open_card(actor, item.card_id)
    db.session.refresh(item)
    return card, item


def _refuse_open_item_in_done(card: Card) -> None:
    """The strict side of the board rule: no open item appears on a card in a done column."""
    if card.column.kind == "done" and card.board.checklist_required_for_done:
        raise Conflict(
            "checklist_card_done",
            _(
                "This card is in %(column)s, which takes only finished checklists: move it "
                "back first.",
                column=card.column.name,
            ),
        )


def _recount(card: Card) -> None:
    """Keep the card's counters with its items, and mark the card changed (version, time)."""
    db.session.flush()
    total, done = db.session.execute(
        select(
            func.count(ChecklistItem.id), func.sum(case((ChecklistItem.done, 1), else_=0))
        ).where(ChecklistItem.card_id == card.id)
    ).one()
    card.checklist_total = total or 0
    card.checklist_done = done or 0
    card.version += 1
    card.updated_at = utcnow()


def _renumber(items: list[ChecklistItem]) -> None:
    for index, item in enumerate(items):
        if item.position != index:
            item.position = index


def _record(kind: str, actor: User, card: Card, item: ChecklistItem, **data) -> None:
    record(kind, actor, board_id=card.board_id, card_id=card.id, item_id=item.id, **data)


def add_item(actor: User, card_id, data: dict) -> ChecklistItem:
    """Add an item at the end of the card's checklist: `text`, optional `assignee` (NIP or
    username of someone who may see the board) and `due_date`."""
    unknown = sorted(set(data) - {"text", "assignee", "due_date"})
    if unknown:
        raise v.invalid({name: _("Unknown field.") for name in unknown})
    data = {"text": data.get("text"), **data}
    with write_transaction():
        card = _open_card(actor, card_id)
        cleaned = _clean(data, card)
        if card.checklist_total >= MAX_ITEMS:
            raise v.invalid({"text": _("A checklist has at most %(n)d items.", n=MAX_ITEMS)})
        _refuse_open_item_in_done(card)
        item = ChecklistItem(
            card_id=card.id,
            position=card.checklist_total,
            text=cleaned["text"],
            assignee=cleaned.get("assignee"),
            due_date=cleaned.get("due_date"),
            created_by_id=actor.id,
        )
        db.session.add(item)
        _recount(card)
        _record("checklist_item_added", actor, card, item, text=item.text)
    return item


def _describe(name: str, value):
    if name == "assignee":
        return value.login if value is not None else None
    if name == "due_date":
        return value.isoformat() if value is not None else None
    return value


def update_item(actor: User, item_id, data: dict, *, card_id=None) -> ChecklistItem:
    """Change an item's `text`, `assignee`, `due_date`, tick (`done`) or place (`position`,
    0-based). Each kind of change is its own event in the card's history."""
    with write_transaction():
        card, item = _open_item(actor, item_id, card_id)
        cleaned = _clean(data, card)
        if "position" in cleaned and cleaned["position"] is None:
            raise v.invalid({"position": _("This field is required.")})
        changed = False
        edits = {}
        for name in ("text", "assignee", "due_date"):
            if name in cleaned and getattr(item, name) != cleaned[name]:
                edits[name] = [_describe(name, getattr(item, name)), _describe(name, cleaned[name])]
                setattr(item, name, cleaned[name])
        if edits:
            changed = True
            _record("checklist_item_edited", actor, card, item, text=item.text, changes=edits)
        if "done" in cleaned and cleaned["done"] != item.done:
            changed = True
            if not cleaned["done"]:
                _refuse_open_item_in_done(card)
            item.done = cleaned["done"]
            item.done_at = utcnow() if item.done else None
            item.done_by_id = actor.id if item.done else None
            kind = "checklist_item_ticked" if item.done else "checklist_item_unticked"
            _record(kind, actor, card, item, text=item.text)
        if "position" in cleaned:
            changed = _reorder(actor, card, item, cleaned["position"]) or changed
        if changed:
            _recount(card)
    return item


def _reorder(actor: User, card: Card, item: ChecklistItem, position: int) -> bool:
    ordered = items_of(card.id)
    old = next(i for i, each in enumerate(ordered) if each.id == item.id)
    items = [each for each in ordered if each.id != item.id]
    position = min(position, len(items))
    if position == old:
        return False
    items.insert(position, item)
    _renumber(items)
    _record(
        "checklist_item_moved", actor, card, item, text=item.text, old=old + 1, new=position + 1
    )
    return True


def move_item(actor: User, item_id, position) -> ChecklistItem:
    """Move an item to `position` (0-based; past the end: the end)."""
    return update_item(actor, item_id, {"position": position})


def set_done(actor: User, item_id, done) -> ChecklistItem:
    return update_item(actor, item_id, {"done": done})


def delete_item(actor: User, item_id, *, card_id=None) -> Card:
    """Remove an item (its text stays in the card's history); answers the card."""
    with write_transaction():
        card, item = _open_item(actor, item_id, card_id)
        _record("checklist_item_deleted", actor, card, item, text=item.text)
        db.session.delete(item)
        db.session.flush()
        _renumber(items_of(card.id))
        _recount(card)
    return card
