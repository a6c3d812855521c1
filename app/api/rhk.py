"""JSON API for SKP planned work results (RHK, issue 27): a person's RHK for a year, one RHK,
adding, changing and withdrawing one. Seen by the person and the heads above them; anyone else
gets 404. The rules are app/services/rhk.py's."""

from datetime import date
from typing import Annotated

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import Field

from app.api import bp
from app.api.auth import caller
from app.api.contract import (
    ApiModel,
    ApiResponse,
    Msg,
    OptionalInteger,
    QueryParam,
    Text,
    operation,
    or_empty,
    request_body,
)
from app.api.models import examples
from app.api.serializers import timestamp
from app.models import Rhk
from app.services import rhk as rhk_service
from app.services import validation as v

TAGS = ("rhk",)


class IndicatorFields(ApiModel):
    aspect: Text = Field(None, description="`kuantitas`, `kualitas`, `waktu` or `biaya`.")
    text: Text = Field(None, description="The indicator (Indikator Kinerja Individu).")
    target: Text = Field(None, description="The target, e.g. `120 permohonan`.")


Indicators = Annotated[list[IndicatorFields] | None, Msg(_l("Must be a list of indicators."))]


class RhkFields(ApiModel):
    kind: Text = Field(None, description="`utama` (main) or `tambahan` (additional).")
    text: Text = Field(None, description="The planned work result, at most 2,000 characters.")
    parent_id: OptionalInteger = Field(
        None, description="The leader's RHK (same year) this one supports (intervensi)."
    )
    position: OptionalInteger = Field(None, description="0-based place in the year's list.")
    indicators: Indicators = Field(None, description="1 to 10 indicators; replaces them all.")


class NewRhk(RhkFields):
    model_config = examples(
        {
            "year": 2026,
            "text": "Terlayaninya permohonan informasi publik tepat waktu",
            "indicators": [
                {
                    "aspect": "kuantitas",
                    "text": "Jumlah permohonan informasi yang dijawab",
                    "target": "120 permohonan",
                }
            ],
        }
    )

    year: OptionalInteger = Field(None, description="Default: this year.")
    text: Text = Field(description="The planned work result, at most 2,000 characters.")
    indicators: Indicators = Field(description="1 to 10 indicators.")


class RhkPatch(RhkFields):
    pass


class IndicatorOut(ApiResponse):
    aspect: str
    text: str
    target: str


class RhkParent(ApiResponse):
    id: int
    text: str
    owner: str | None = Field(description="The leader's NIP or username.")


class RhkOut(ApiResponse):
    id: int
    owner: str | None = Field(description="NIP or username of whose RHK it is.")
    year: int
    position: int
    kind: str
    text: str
    parent: RhkParent | None = Field(description="The leader's RHK it supports (intervensi).")
    indicators: list[IndicatorOut]
    card_count: int = Field(description="Cards linked to it.")
    withdrawn_at: str | None = Field(json_schema_extra={"format": "date-time"})
    created_at: str | None = Field(json_schema_extra={"format": "date-time"})
    url: str


class RhkList(ApiResponse):
    owner: str | None
    year: int
    rhk: list[RhkOut]


def rhk_json(row: Rhk, counts: dict[int, int] | None = None) -> dict:
    if counts is None:
        counts = rhk_service.card_counts([row.id])
    parent = row.parent
    return {
        "id": row.id,
        "owner": row.user.login,
        "year": row.year,
        "position": row.position,
        "kind": row.kind,
        "text": row.text,
        "parent": (
            {"id": parent.id, "text": parent.text, "owner": parent.user.login}
            if parent is not None
            else None
        ),
        "indicators": [
            {"aspect": item.aspect, "text": item.text, "target": item.target}
            for item in row.indicators
        ],
        "card_count": counts.get(row.id, 0),
        "withdrawn_at": timestamp(row.archived_at),
        "created_at": timestamp(row.created_at),
        "url": url_for("api.get_rhk", rhk_id=row.id, _external=True),
    }


def _year() -> int:
    value = request.args.get("year", "")
    if not value:
        return date.today().year
    try:
        year = v.optional_int(value, minimum=rhk_service.YEAR_MIN, maximum=rhk_service.YEAR_MAX)
    except v.FieldError as exc:
        raise v.invalid({"year": str(exc)}) from None
    return year if year is not None else date.today().year


def _with_flag() -> bool:
    value = request.args.get("withdrawn", "0")
    if value not in ("", "0", "1"):
        raise v.invalid({"withdrawn": _("Must be 0 or 1.")})
    return value == "1"


LIST_QUERY = (
    QueryParam(
        "year",
        or_empty(
            {"type": "integer", "minimum": rhk_service.YEAR_MIN, "maximum": rhk_service.YEAR_MAX}
        ),
        _l("Default: this year."),
    ),
    QueryParam(
        "withdrawn",
        {"type": "string", "enum": ["", "0", "1"]},
        _l("1: with the withdrawn RHK too."),
    ),
)


@bp.get("/users/<login>/rhk")
@operation(
    _l("A person's RHK"),
    description=_l(
        "The person's SKP planned work results (RHK) for a year with their indicators. Seen by "
        "the person and the heads above them; 404 for anyone else."
    ),
    responses={200: RhkList},
    tags=TAGS,
    query=LIST_QUERY,
)
def list_rhk(login):
    person = rhk_service.person(caller(), login)
    year = _year()
    rows = rhk_service.rhks_of(person, year, include_archived=_with_flag())
    counts = rhk_service.card_counts(row.id for row in rows)
    return jsonify(
        {"owner": person.login, "year": year, "rhk": [rhk_json(row, counts) for row in rows]}
    )


@bp.post("/users/<login>/rhk")
@operation(
    _l("Add an RHK"),
    description=_l(
        "The person adds their own; a head above them adds one for them. `parent_id` must be "
        "an RHK of one of the person's leaders for the same year."
    ),
    body=NewRhk,
    responses={201: RhkOut},
    tags=TAGS,
)
def create_rhk(login):
    body = dict(request_body())
    if body.get("year") is None:
        body["year"] = date.today().year
    row = rhk_service.create_rhk(caller(), login, body)
    response = jsonify(rhk_json(row))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_rhk", rhk_id=row.id)
    return response


@bp.get("/rhk/<id:rhk_id>")
@operation(_l("An RHK"), responses={200: RhkOut}, tags=TAGS)
def get_rhk(rhk_id: int):
    return jsonify(rhk_json(rhk_service.rhk(caller(), rhk_id)))


@bp.patch("/rhk/<id:rhk_id>")
@operation(
    _l("Change an RHK"),
    description=_l("Send the fields to change; `indicators` replaces them all. The year stays."),
    body=RhkPatch,
    responses={200: RhkOut},
    tags=TAGS,
)
def update_rhk(rhk_id: int):
    row = rhk_service.update_rhk(caller(), rhk_id, dict(request_body()))
    return jsonify(rhk_json(row))


@bp.delete("/rhk/<id:rhk_id>")
@operation(
    _l("Withdraw an RHK"),
    description=_l("It leaves the plan and takes no new cards; cards linked to it keep the link."),
    responses={200: RhkOut},
    tags=TAGS,
)
def withdraw_rhk(rhk_id: int):
    return jsonify(rhk_json(rhk_service.withdraw_rhk(caller(), rhk_id)))
