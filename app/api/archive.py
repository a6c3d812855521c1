"""JSON API of the archive (issue 25): archive a card, restore it. Archived cards are off the
board and read-only; `app/services/archive.py` holds the rules."""

from flask import jsonify, request
from flask_babel import lazy_gettext as _l
from pydantic import Field

from app.api import bp
from app.api import models as m
from app.api.auth import caller
from app.api.contract import (
    ApiModel,
    Flag,
    Integer,
    OptionalInteger,
    OptionalText,
    Text,
    operation,
    request_body,
)
from app.api.models import examples
from app.api.serializers import board_json, one_card_json
from app.services import archive, boards

TAGS = ("cards",)


class ArchiveCard(ApiModel):
    model_config = examples({"reason": "Permohonan ditarik kembali oleh pemohon."})

    reason: OptionalText = Field(
        None,
        description="Why the card is archived; required (managers only) for a card that is "
        "not in a done column.",
    )


class RestoreCard(ApiModel):
    model_config = examples({})

    override_reason: OptionalText = Field(
        None, description="Heads only: why a hard WIP limit may be exceeded by the restore."
    )


class BoardChanges(ApiModel):
    model_config = examples({"archive_after_days": 30}, {"personal_wip_limit": None})

    name: Text = Field(None, description="1 to 120 characters.")
    personal_wip_limit: OptionalInteger = Field(
        None, description="1 to 999 active cards per person; null: no limit."
    )
    checklist_required_for_done: Flag = Field(
        None, description="A card enters a done column only with its whole checklist ticked."
    )
    archive_after_days: Integer = Field(
        None,
        description="Done cards leave the board for its archive after this many days, "
        "0 to 365; 0: never.",
    )


@bp.patch("/boards/<id:board_id>")
@operation(
    _l("Change a board's settings"),
    description=_l(
        "Heads of the board's unit and above (the team leader, admins): its name, the personal "
        "WIP limit, the checklist rule of done columns and the archive delay. Only the fields "
        "sent change. Answers the board."
    ),
    body=BoardChanges,
    responses={200: m.Board},
    errors=(403,),
    tags=("boards",),
)
def update_board(board_id: int):
    body = request_body()
    boards.update_board(caller(), board_id, dict(body))
    view = boards.load_board(caller(), board_id)
    return jsonify(board_json(view.board, view.columns, view.cards))


def _optional_body() -> dict:
    """The body is optional: none at all counts as `{}`."""
    if not request.content_length and not request.is_json:
        return {}
    return request_body()


@bp.post("/cards/<id:card_id>/archive")
@operation(
    _l("Archive a card"),
    description=_l(
        "Takes the card off its board; it stays readable, in reports and exports, but refuses "
        "every change until restored. A card in a done column: whoever may move it. Any other "
        "card: heads of the board's unit only, with a reason. An archived card: 409 `archived`."
    ),
    body=ArchiveCard,
    body_optional=True,
    responses={200: m.Card},
    errors=(403, 409),
    tags=TAGS,
)
def archive_card(card_id: int):
    body = _optional_body()
    card = archive.archive_card(caller(), card_id, reason=body.get("reason") or "")
    return jsonify(one_card_json(card))


@bp.post("/cards/<id:card_id>/restore")
@operation(
    _l("Restore an archived card"),
    description=_l(
        "Puts the card back at the end of its column, under the column's and the personal WIP "
        "limits. A card that is not archived: 409 `not_archived`."
    ),
    body=RestoreCard,
    body_optional=True,
    responses={200: m.Card},
    errors=(403, 409),
    tags=TAGS,
)
def restore_card(card_id: int):
    body = _optional_body()
    card = archive.restore_card(caller(), card_id, override_reason=body.get("override_reason"))
    return jsonify(one_card_json(card))
