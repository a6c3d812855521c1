"""JSON API for card templates: list and keep a board's templates, and make a card from one
(`POST /api/v1/card-templates/<id>/cards`; the board's own `POST .../cards` stays as it was)."""

from typing import Annotated

from flask import jsonify, url_for
from flask_babel import lazy_gettext as _l
from pydantic import Field

from app.api import bp
from app.api import models as m
from app.api.auth import caller
from app.api.contract import (
    ApiModel,
    ApiResponse,
    Flag,
    Integer,
    Msg,
    OptionalDate,
    OptionalInteger,
    OptionalNumber,
    OptionalText,
    Text,
    TextList,
    operation,
    request_body,
)
from app.api.serializers import one_card_json, timestamp
from app.models import CardTemplate
from app.services import card_templates

TAGS = ("card templates",)
Checklist = Annotated[list[str], Msg(_l("Must be a list of texts."))]

# Requests


class TemplateFields(ApiModel):
    name: Text = Field(None, description="1 to 120 characters.")
    type: Text = Field(None, description="A card type, e.g. `laporan`; default `tugas`.")
    title_pattern: Text = Field(
        None,
        description="The new card's title, 1 to 200 characters; may hold `{tanggal}`, `{bulan}`, "
        "`{minggu}`, `{tahun}` and `{triwulan}`, filled in on the day the card is made.",
    )
    description: Text = Field(None, description="Markdown, at most 20,000 characters.")
    checklist: Checklist = Field(None, description="At most 50 item texts of at most 500 chars.")
    labels: TextList = Field(None, description="At most 20 labels of at most 40 characters.")
    estimate: OptionalNumber = Field(None, description="0 to 1000.")
    priority: Text = Field(None, description="`low`, `normal`, `high` or `urgent`.")
    due_in_working_days: OptionalInteger = Field(
        None,
        description="0 to 365 working days of the unit's calendar after the card is made; "
        "null: no due date.",
    )


class NewTemplate(TemplateFields):
    model_config = m.examples(
        {
            "name": "Laporan bulanan",
            "type": "laporan",
            "title_pattern": "Laporan kinerja {bulan}",
            "checklist": ["Kumpulkan data", "Susun draf", "Paraf kepala seksi"],
            "due_in_working_days": 5,
        }
    )

    name: Text = Field(description="1 to 120 characters.")
    title_pattern: Text = Field(description="See `TemplateFields`.")


class TemplatePatch(TemplateFields):
    model_config = m.examples({"due_in_working_days": 3}, {"archived": False})

    archived: Flag = Field(None, description="`false` restores an archived template.")


class CardFromTemplate(ApiModel):
    model_config = m.examples({"column_id": 2}, {"title": "Laporan kinerja (revisi)"})

    column_id: Integer = Field(None, description="A column of the board; default: the first.")
    title: Text = Field(None, description="Instead of the filled-in title pattern.")
    assignee: OptionalText = Field(None, description="NIP or username of someone on the board.")
    due_date: OptionalDate = Field(None, description="Instead of the template's working days.")


# Responses


class CardTemplateOut(ApiResponse):
    id: int
    board_id: int
    name: str
    position: int
    type: str
    title_pattern: str
    description: str
    checklist: list[str]
    labels: list[str]
    estimate: float | None
    priority: str
    due_in_working_days: int | None
    archived: bool
    created_at: str | None


class CardTemplateList(ApiResponse):
    templates: list[CardTemplateOut]


def template_json(row: CardTemplate) -> dict:
    return {
        "id": row.id,
        "board_id": row.board_id,
        "name": row.name,
        "position": row.position,
        "type": row.type,
        "title_pattern": row.title_pattern,
        "description": row.description or "",
        "checklist": list(row.checklist or []),
        "labels": list(row.labels or []),
        "estimate": row.estimate,
        "priority": row.priority,
        "due_in_working_days": row.due_in_working_days,
        "archived": row.archived_at is not None,
        "created_at": timestamp(row.created_at),
    }


@bp.get("/boards/<id:board_id>/card-templates")
@operation(
    _l("List the card templates of a board"),
    description=_l("Everyone who sees the board; archived ones too, marked `archived`."),
    responses={200: CardTemplateList},
    tags=TAGS,
)
def list_card_templates(board_id: int):
    rows = card_templates.all_templates(caller(), board_id)
    return jsonify({"templates": [template_json(row) for row in rows]})


@bp.post("/boards/<id:board_id>/card-templates")
@operation(
    _l("Add a card template to a board"),
    description=_l("Those who manage the board (heads of its unit, admins)."),
    body=NewTemplate,
    responses={201: CardTemplateOut},
    errors=(403, 409),
    tags=TAGS,
)
def create_card_template(board_id: int):
    row = card_templates.create_template(caller(), board_id, dict(request_body()))
    return jsonify(template_json(row)), 201


@bp.patch("/card-templates/<id:template_id>")
@operation(
    _l("Change a card template"),
    description=_l("Those who manage the board. `archived: false` restores an archived one."),
    body=TemplatePatch,
    responses={200: CardTemplateOut},
    errors=(403,),
    tags=TAGS,
)
def update_card_template(template_id: int):
    body = dict(request_body())
    archived = body.pop("archived", None)
    user = caller()
    row = card_templates.update_template(user, template_id, body)
    if archived is True:
        row = card_templates.archive_template(user, template_id)
    elif archived is False:
        row = card_templates.restore_template(user, template_id)
    return jsonify(template_json(row))


@bp.delete("/card-templates/<id:template_id>")
@operation(
    _l("Archive a card template"),
    description=_l("Those who manage the board. Cards made from it are kept as they are."),
    responses={200: CardTemplateOut},
    errors=(403,),
    tags=TAGS,
)
def archive_card_template(template_id: int):
    return jsonify(template_json(card_templates.archive_template(caller(), template_id)))


@bp.post("/card-templates/<id:template_id>/cards")
@operation(
    _l("Make a card from a card template"),
    description=_l(
        "Everyone who sees the board, as for any new card (WIP limits and plugins' rules "
        "hold). The title pattern is filled in, the due date counted in working days, the "
        "checklist added; the fields sent replace the template's. An archived template is 409."
    ),
    body=CardFromTemplate,
    responses={201: m.Card},
    errors=(409,),
    tags=TAGS,
)
def create_card_from_template(template_id: int):
    body = dict(request_body())
    column_id = body.pop("column_id", None)
    result = card_templates.create_card_from_template(
        caller(), template_id, column_id=column_id, **body
    )
    data = one_card_json(result.card)
    if result.warnings:
        data["warnings"] = result.warnings
    response = jsonify(data)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_card", card_id=result.card.id)
    return response
