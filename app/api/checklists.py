"""JSON API for a card's checklist. Whoever may see the card may change its checklist (as they
may edit the card); the service keeps the card's counts, history and live updates."""

from flask import jsonify, url_for
from flask_babel import lazy_gettext as _l
from pydantic import Field

from app.api import bp
from app.api.auth import caller
from app.api.contract import (
    ApiModel,
    ApiResponse,
    Flag,
    OptionalDate,
    OptionalInteger,
    OptionalText,
    Text,
    operation,
    request_body,
)
from app.api.serializers import login, timestamp
from app.models import ChecklistItem
from app.services import checklists

TAGS = ("checklists",)

# Requests


class NewChecklistItem(ApiModel):
    text: Text = Field(description="1 to 500 characters.")
    assignee: OptionalText = Field(
        None, description="NIP or username of someone who may see the board."
    )
    due_date: OptionalDate = Field(None, description="YYYY-MM-DD.")


class ChecklistItemPatch(ApiModel):
    text: Text = Field(None, description="1 to 500 characters.")
    done: Flag = Field(
        None,
        description="Tick or untick. On a board that requires finished checklists in its done "
        "columns, a card in such a column cannot be unticked (409 `checklist_card_done`).",
    )
    assignee: OptionalText = Field(
        None, description="NIP or username of someone who may see the board; null: nobody."
    )
    due_date: OptionalDate = Field(None, description="YYYY-MM-DD; null: none.")
    position: OptionalInteger = Field(None, description="0-based place in the list.")


# Responses


class ChecklistItemOut(ApiResponse):
    id: int
    card_id: int
    position: int
    text: str
    done: bool
    done_at: str | None = Field(json_schema_extra={"format": "date-time"})
    assignee: str | None
    due_date: str | None = Field(json_schema_extra={"format": "date"})
    created_at: str | None = Field(json_schema_extra={"format": "date-time"})


class Checklist(ApiResponse):
    card_id: int
    total: int
    done: int
    version: int = Field(description="The card's version (every checklist change bumps it).")
    items: list[ChecklistItemOut]


def item_json(item: ChecklistItem) -> dict:
    return {
        "id": item.id,
        "card_id": item.card_id,
        "position": item.position,
        "text": item.text,
        "done": item.done,
        "done_at": timestamp(item.done_at),
        "assignee": login(item.assignee),
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "created_at": timestamp(item.created_at),
    }


def checklist_json(card_id: int) -> dict:
    card, items = checklists.checklist(caller(), card_id)
    return {
        "card_id": card.id,
        "total": card.checklist_total,
        "done": card.checklist_done,
        "version": card.version,
        "items": [item_json(item) for item in items],
    }


@bp.get("/cards/<id:card_id>/checklist")
@operation(_l("A card's checklist"), responses={200: Checklist}, tags=TAGS)
def get_checklist(card_id: int):
    return jsonify(checklist_json(card_id))


@bp.post("/cards/<id:card_id>/checklist")
@operation(
    _l("Add a checklist item"),
    description=_l(
        "At the end of the list. On a board that requires finished checklists in its done "
        "columns, a card in such a column takes no new item (409 `checklist_card_done`)."
    ),
    body=NewChecklistItem,
    responses={201: ChecklistItemOut},
    errors=(409,),
    tags=TAGS,
)
def add_checklist_item(card_id: int):
    item = checklists.add_item(caller(), card_id, dict(request_body()))
    response = jsonify(item_json(item))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_checklist", card_id=card_id)
    return response


@bp.patch("/checklist-items/<id:item_id>")
@operation(
    _l("Change a checklist item"),
    description=_l("Its text, tick, assignee, due date or place; send only what changes."),
    body=ChecklistItemPatch,
    responses={200: ChecklistItemOut},
    errors=(409,),
    tags=TAGS,
)
def update_checklist_item(item_id: int):
    item = checklists.update_item(caller(), item_id, dict(request_body()))
    return jsonify(item_json(item))


@bp.delete("/checklist-items/<id:item_id>")
@operation(
    _l("Delete a checklist item"),
    description=_l("Answers the card's checklist as it is afterwards."),
    responses={200: Checklist},
    tags=TAGS,
)
def delete_checklist_item(item_id: int):
    card = checklists.delete_item(caller(), item_id)
    return jsonify(checklist_json(card.id))
