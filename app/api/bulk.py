"""JSON API for bulk actions on a board's cards and for a person's saved filters (issue 25)."""

from typing import Annotated

from flask import jsonify, url_for
from flask_babel import lazy_gettext as _l
from pydantic import Field

from app.api import bp
from app.api.auth import caller
from app.api.contract import (
    ApiModel,
    ApiResponse,
    Msg,
    OptionalInteger,
    OptionalText,
    Text,
    operation,
    request_body,
)
from app.api.serializers import timestamp
from app.models import SavedFilter
from app.services import bulk, saved_filters

# Requests


class BulkRequest(ApiModel):
    action: Text = Field(
        description="`move`, `assign`, `label`, `archive`, `add_to_sprint` or "
        "`remove_from_sprint` (from the card's own sprint)."
    )
    card_ids: Annotated[list[int], Msg(_l("Must be a list of whole numbers."))] = Field(
        description=f"The selection: cards of this board, 1 to {bulk.MAX_CARDS}."
    )
    column_id: OptionalInteger = Field(None, description="`move`: a column of the board.")
    assignee: OptionalText = Field(
        None, description="`assign`: a NIP or username; null or empty gives the cards to nobody."
    )
    add_labels: Annotated[list[str] | None, Msg(_l("Must be a list of text values."))] = Field(
        None, description="`label`: labels to add."
    )
    remove_labels: Annotated[list[str] | None, Msg(_l("Must be a list of text values."))] = Field(
        None, description="`label`: labels to remove."
    )
    reason: OptionalText = Field(
        None, description="`archive`: why; required for cards that are not done."
    )
    sprint_id: OptionalInteger = Field(
        None, description="`add_to_sprint`: a planned or active sprint of the board."
    )
    versions: Annotated[dict[str, int] | None, Msg(_l("Must be an object {card id: version}."))] = (
        Field(
            None,
            description="`assign`, `label`: the version each card was seen at; a card changed "
            "since is refused with `version_conflict`.",
        )
    )


class NewSavedFilter(ApiModel):
    name: Text = Field(description="1 to 80 characters, unique among your filters of the board.")
    query: Text = Field(
        description="The board page's query string, e.g. `label=ppid&overdue=1`; only the "
        "filter parameters (`q`, `assignee`, `label`, `overdue`, `mine`) are kept."
    )


class SavedFilterChange(ApiModel):
    name: Text = Field(description="1 to 80 characters.")


# Responses


class BulkError(ApiResponse):
    code: str
    message: str


class BulkOutcome(ApiResponse):
    card_id: int
    status: str = Field(description="`done` or `refused`.")
    error: BulkError = Field(None, description="Why the card was refused.")


class BulkAnswer(ApiResponse):
    results: list[BulkOutcome]
    done: int
    refused: int


class SavedFilterOut(ApiResponse):
    id: int
    board_id: int
    name: str
    query: str
    url: str = Field(description="The board filtered so: a link anyone who sees the board may use.")
    created_at: str | None


class SavedFilterList(ApiResponse):
    filters: list[SavedFilterOut]


class SavedFilterDeleted(ApiResponse):
    id: int
    deleted: bool


def outcome_json(outcome: bulk.Outcome) -> dict:
    data = {"card_id": outcome.card_id, "status": outcome.status}
    if outcome.status == "refused":
        data["error"] = {"code": outcome.code, "message": outcome.message}
    return data


def saved_filter_json(saved: SavedFilter) -> dict:
    return {
        "id": saved.id,
        "board_id": saved.board_id,
        "name": saved.name,
        "query": saved.query,
        "url": url_for("boards.board", board_id=saved.board_id) + "?" + saved.query,
        "created_at": timestamp(saved.created_at),
    }


@bp.post("/boards/<id:board_id>/cards/bulk")
@operation(
    _l("Apply one action to several cards"),
    description=_l(
        "Each card goes through the same rules as alone (permissions, WIP limits, plugin "
        "vetoes, versions) in its own transaction; one refusal never undoes the others. A bad "
        "action, an empty or too large selection, or a bad column, person, label or sprint "
        "refuses the whole request and changes nothing."
    ),
    body=BulkRequest,
    responses={200: BulkAnswer},
    tags=("cards",),
)
def bulk_cards(board_id: int):
    body = request_body()
    params = {name: body.get(name) for name in BulkRequest.model_fields}
    result = bulk.apply(
        caller(),
        board_id,
        body["card_ids"],
        body["action"],
        params,
        versions=body.get("versions"),
    )
    return jsonify(
        {
            "results": [outcome_json(outcome) for outcome in result.outcomes],
            "done": len(result.done),
            "refused": len(result.refused),
        }
    )


@bp.get("/boards/<id:board_id>/filters")
@operation(
    _l("Your saved filters of a board"),
    responses={200: SavedFilterList},
    tags=("boards",),
)
def list_saved_filters(board_id: int):
    found = saved_filters.list_filters(caller(), board_id)
    return jsonify({"filters": [saved_filter_json(saved) for saved in found]})


@bp.post("/boards/<id:board_id>/filters")
@operation(
    _l("Save a filter of a board"),
    description=_l("A filter is yours alone; its `url` shows the same cards to anyone."),
    body=NewSavedFilter,
    responses={201: SavedFilterOut},
    tags=("boards",),
)
def create_saved_filter(board_id: int):
    body = request_body()
    saved = saved_filters.create_filter(caller(), board_id, body["name"], body["query"])
    return jsonify(saved_filter_json(saved)), 201


@bp.patch("/filters/<id:filter_id>")
@operation(
    _l("Rename a saved filter"),
    description=_l("Your own filters only; anyone else's is not found."),
    body=SavedFilterChange,
    responses={200: SavedFilterOut},
    tags=("boards",),
)
def rename_saved_filter(filter_id: int):
    body = request_body()
    saved = saved_filters.rename_filter(caller(), filter_id, body["name"])
    return jsonify(saved_filter_json(saved))


@bp.delete("/filters/<id:filter_id>")
@operation(
    _l("Delete a saved filter"),
    description=_l("Your own filters only; anyone else's is not found."),
    responses={200: SavedFilterDeleted},
    tags=("boards",),
)
def delete_saved_filter(filter_id: int):
    saved_filters.delete_filter(caller(), filter_id)
    return jsonify({"id": filter_id, "deleted": True})
