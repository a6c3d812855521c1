"""Bulk actions on a selection of a board's cards (issue 25): move, assign, label, archive, add
to a sprint, take out of its sprint.

A bulk action is no use case of its own: each card goes through the very service function it
would go through alone (`cards.move_card`, `cards.update_card`, `archive.archive_card`,
`sprints.add_cards`, `sprints.remove_card`), each in its own transaction, so permissions, WIP
limits, plugin vetoes (the approvals plugin's paraf rule), optimistic versions and the audit
trail apply card by card, and one refusal never undoes the others. What the request as a whole
asks for (the action, the selection, the column, person, labels or sprint) is checked once,
before any card is touched: a bad request changes nothing.
"""

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Card, Sprint, User
from app.services import archive, cards, sprints
from app.services import validation as v
from app.services.access import visible_board
from app.services.errors import Invalid, ServiceError, Vetoed

# At most this many cards in one request: each is a transaction of its own.
MAX_CARDS = 200
ACTIONS = ("move", "assign", "label", "archive", "add_to_sprint", "remove_from_sprint")


@dataclass
class Outcome:
    """What happened to one card: `done` or `refused` with the refusal's code and message."""

    card_id: int
    status: str
    title: str = ""
    code: str = ""
    message: str = ""


@dataclass
class BulkResult:
    action: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def done(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "done"]

    @property
    def refused(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "refused"]


def clean_card_ids(values) -> list[int]:
    """The selection: 1 to MAX_CARDS card ids, duplicates dropped, order kept."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple) or not values:
        raise Invalid(
            "empty_selection", _("Choose at least one card."), {"card_ids": _("Choose a card.")}
        )
    ids: list[int] = []
    for value in values:
        try:
            card_id = v.record_id(value)
        except v.FieldError:
            raise v.invalid({"card_ids": _("Card ids must be whole numbers.")}) from None
        if card_id not in ids:
            ids.append(card_id)
    if len(ids) > MAX_CARDS:
        raise Invalid(
            "too_many_cards",
            _("At most %(n)d cards at once; choose fewer cards.", n=MAX_CARDS),
            {"card_ids": _("At most %(n)d cards at once.", n=MAX_CARDS)},
        )
    return ids


def _clean_params(actor: User, board, action, params: dict) -> dict:
    """The action's own fields, checked against the board; Invalid names every bad one."""
    fields = v.Fields()
    cleaned: dict = {}
    if action == "move":
        cleaned["column"] = fields.clean("column_id", _board_column, board, params.get("column_id"))
    elif action == "assign":
        try:
            person = cards.clean_card_fields({"assignee": params.get("assignee")}, board)
        except Invalid as exc:
            fields.errors.update(exc.fields)
        else:
            cleaned["assignee"] = person["assignee"]
    elif action == "label":
        add = fields.clean("add_labels", v.labels, params.get("add_labels"))
        remove = fields.clean("remove_labels", v.labels, params.get("remove_labels"))
        if not fields.errors and not add and not remove:
            fields.errors["add_labels"] = _("Name a label to add or to remove.")
        cleaned["add"], cleaned["remove"] = add or [], remove or []
    elif action == "archive":
        cleaned["reason"] = fields.clean(
            "reason", v.text, params.get("reason"), field_max=archive.REASON_MAX
        )
    elif action == "add_to_sprint":
        cleaned["sprint"] = fields.clean("sprint_id", _board_sprint, board, params.get("sprint_id"))
    fields.raise_if_any()
    return cleaned


def _board_column(board, value):
    try:
        column_id = v.record_id(value)
    except v.FieldError:
        raise v.FieldError(_("Choose a column of this board.")) from None
    for column in board.columns:
        if column.id == column_id:
            return column
    raise v.FieldError(_("Choose a column of this board."))


def _board_sprint(board, value) -> Sprint:
    try:
        sprint_id = v.record_id(value)
    except v.FieldError:
        raise v.FieldError(_("Choose a sprint of this board.")) from None
    sprint = db.session.get(Sprint, sprint_id)
    if sprint is None or sprint.board_id != board.id or sprint.state == "closed":
        raise v.FieldError(_("Choose a planned or active sprint of this board."))
    return sprint


def _unchanged_from(card: Card, versions: dict) -> int:
    """The version the caller saw the card at (`versions`), else the card's own."""
    seen = versions.get(card.id, versions.get(str(card.id)))
    return card.version if seen is None else seen


def _apply_one(actor: User, card: Card, action: str, params: dict, versions: dict) -> str:
    """Run the card's own use case; return a note for a card left as it was ("" otherwise)."""
    if action == "move":
        column = params["column"]
        if card.column_id == column.id:
            return _("Already in that column.")
        cards.move_card(actor, card.id, column.id)
    elif action == "assign":
        cards.update_card(
            actor,
            card.id,
            {"assignee": params["assignee"]},
            version=_unchanged_from(card, versions),
        )
    elif action == "label":
        labels = [label for label in card.labels or [] if label not in params["remove"]]
        labels += [label for label in params["add"] if label not in labels]
        cards.update_card(
            actor, card.id, {"labels": labels}, version=_unchanged_from(card, versions)
        )
    elif action == "archive":
        archive.archive_card(actor, card.id, reason=params["reason"] or "")
    elif action == "add_to_sprint":
        if card.sprint_id == params["sprint"].id:
            return _("Already in that sprint.")
        sprints.add_cards(actor, params["sprint"].id, [card.id])
    elif action == "remove_from_sprint":
        if card.sprint_id is None:
            raise Invalid("not_in_sprint", _("This card is in no sprint."))
        sprints.remove_card(actor, card.sprint_id, card.id)
    return ""


def refusal_message(exc: ServiceError) -> str:
    """The refusal as one sentence for a person: the plugins' own words for a veto (not the
    plugins' names), the field messages for a refused value."""
    if isinstance(exc, Vetoed):
        return " ".join(veto["message"] for veto in exc.vetoes)
    if exc.code == "validation_error" and exc.fields:
        return " ".join(str(message) for message in exc.fields.values())
    return exc.message


def apply(
    actor: User, board_id, card_ids, action, params: dict | None = None, *, versions=None
) -> BulkResult:
    """Apply `action` to each selected card of the board, card by card. Cards that are not on
    this board (or not visible) are refused as not found. `versions` ({card id: version}) makes
    an edit refuse a card changed since the caller saw it."""
    board = visible_board(actor, board_id)
    if action not in ACTIONS:
        raise Invalid(
            "unknown_action",
            _("Choose what to do with the cards."),
            {"action": _("Choose one of the actions offered.")},
        )
    ids = clean_card_ids(card_ids)
    cleaned = _clean_params(actor, board, action, params or {})
    if versions is not None and not isinstance(versions, dict):
        raise v.invalid({"versions": _("Must be an object {card id: version}.")})
    found = {
        card.id: card
        for card in db.session.scalars(
            select(Card).where(Card.id.in_(ids), Card.board_id == board.id)
        )
    }
    # What each card is called in the answer, read before any of them changes.
    titles = {card_id: card.title for card_id, card in found.items()}
    result = BulkResult(action)
    for card_id in ids:
        card = found.get(card_id)
        if card is None:
            result.outcomes.append(
                Outcome(card_id, "refused", code="not_found", message=_("Card not found."))
            )
            continue
        try:
            note = _apply_one(actor, card, action, cleaned, versions or {})
        except ServiceError as exc:
            result.outcomes.append(
                Outcome(
                    card_id,
                    "refused",
                    titles[card_id],
                    code=exc.code,
                    message=refusal_message(exc),
                )
            )
        else:
            result.outcomes.append(Outcome(card_id, "done", titles[card_id], message=note))
    return result
