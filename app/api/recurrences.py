"""JSON API for recurring cards: a board's rules (`GET/POST /api/v1/boards/<id>/recurrences`),
changing, pausing (`"paused": true`) and deleting one (`/api/v1/recurrences/<id>`). Each answer
carries the rule's next five days on the unit's calendar."""

from flask import jsonify
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
    OptionalDate,
    OptionalInteger,
    OptionalText,
    Text,
    operation,
    request_body,
)
from app.api.serializers import timestamp
from app.models import Recurrence
from app.services import recurrences

TAGS = ("recurring cards",)


class RecurrenceFields(ApiModel):
    template_id: Integer = Field(None, description="An active card template of the board.")
    column_id: OptionalInteger = Field(None, description="A column; null: the first one.")
    kind: Text = Field(
        None,
        description="`weekly`, `monthly_day`, `monthly_last_working_day`, `nth_working_day` "
        "or `yearly`.",
    )
    weekday: OptionalInteger = Field(None, description="`weekly`: 0 Monday to 6 Sunday.")
    day: OptionalInteger = Field(None, description="`monthly_day`, `yearly`: 1 to 31.")
    month: OptionalInteger = Field(None, description="`yearly`: 1 to 12.")
    n: OptionalInteger = Field(None, description="`nth_working_day`: the n-th working day.")
    period: OptionalText = Field(
        None, description="`nth_working_day`: `month`, `quarter` or `year`."
    )
    on_holiday: OptionalText = Field(
        None,
        description="When the day is not a working day: `before` (default), `after` or "
        "`skip`; not for the working-day kinds.",
    )
    starts_on: OptionalDate = Field(None, description="Default: the unit's today.")
    ends_on: OptionalDate = Field(None, description="Optional last day.")


class NewRecurrence(RecurrenceFields):
    model_config = m.examples(
        {"template_id": 1, "kind": "monthly_last_working_day"},
        {"template_id": 1, "kind": "yearly", "month": 8, "day": 17, "on_holiday": "before"},
    )

    template_id: Integer = Field(description="An active card template of the board.")
    kind: Text = Field(description="See `RecurrenceFields`.")


class RecurrencePatch(RecurrenceFields):
    model_config = m.examples({"paused": True}, {"kind": "weekly", "weekday": 0})

    paused: Flag = Field(None, description="`true` pauses, `false` resumes from today.")


class RecurrenceOut(ApiResponse):
    id: int
    board_id: int
    template_id: int
    column_id: int | None
    kind: str
    weekday: int | None
    day: int | None
    month: int | None
    n: int | None
    period: str | None
    on_holiday: str
    starts_on: str
    ends_on: str | None
    paused: bool
    rule_text: str
    next_dates: list[str]
    problem: str | None
    created_at: str | None


class RecurrenceList(ApiResponse):
    recurrences: list[RecurrenceOut]


class RecurrenceDeleted(ApiResponse):
    id: int
    deleted: bool


def recurrence_json(row: Recurrence) -> dict:
    return {
        "id": row.id,
        "board_id": row.board_id,
        "template_id": row.template_id,
        "column_id": row.column_id,
        "kind": row.kind,
        "weekday": row.weekday,
        "day": row.day,
        "month": row.month,
        "n": row.n,
        "period": row.period,
        "on_holiday": row.on_holiday,
        "starts_on": row.starts_on.isoformat(),
        "ends_on": row.ends_on.isoformat() if row.ends_on else None,
        "paused": row.paused_at is not None,
        "rule_text": recurrences.describe(row),
        "next_dates": [day.isoformat() for day in recurrences.next_dates(row)],
        "problem": recurrences.state(row),
        "created_at": timestamp(row.created_at),
    }


@bp.get("/boards/<id:board_id>/recurrences")
@operation(
    _l("List the recurring cards of a board"),
    description=_l("Everyone who sees the board; each with its next five days."),
    responses={200: RecurrenceList},
    tags=TAGS,
)
def list_recurrences(board_id: int):
    rows = recurrences.board_recurrences(caller(), board_id)
    return jsonify({"recurrences": [recurrence_json(row) for row in rows]})


@bp.post("/boards/<id:board_id>/recurrences")
@operation(
    _l("Add a recurring card to a board"),
    description=_l(
        "Those who manage the board. `cergas tick` makes the card from the template on each "
        "day of the rule, on the unit's working-day calendar."
    ),
    body=NewRecurrence,
    responses={201: RecurrenceOut},
    errors=(403,),
    tags=TAGS,
)
def create_recurrence(board_id: int):
    row = recurrences.create_recurrence(caller(), board_id, dict(request_body()))
    return jsonify(recurrence_json(row)), 201


@bp.patch("/recurrences/<id:recurrence_id>")
@operation(
    _l("Change, pause or resume a recurring card"),
    description=_l("Those who manage the board; resuming does not make up for the paused days."),
    body=RecurrencePatch,
    responses={200: RecurrenceOut},
    errors=(403,),
    tags=TAGS,
)
def update_recurrence(recurrence_id: int):
    body = dict(request_body())
    paused = body.pop("paused", None)
    user = caller()
    row = recurrences.get_recurrence(user, recurrence_id)
    if body:
        row = recurrences.update_recurrence(user, recurrence_id, body)
    if paused is True:
        row = recurrences.pause_recurrence(user, recurrence_id)
    elif paused is False:
        row = recurrences.resume_recurrence(user, recurrence_id)
    return jsonify(recurrence_json(row))


@bp.delete("/recurrences/<id:recurrence_id>")
@operation(
    _l("Delete a recurring card"),
    description=_l("Those who manage the board. The cards it made stay."),
    responses={200: RecurrenceDeleted},
    errors=(403,),
    tags=TAGS,
)
def delete_recurrence(recurrence_id: int):
    recurrences.delete_recurrence(caller(), recurrence_id)
    return jsonify({"id": recurrence_id, "deleted": True})
