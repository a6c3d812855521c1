"""JSON API for units (everyone reads the units they may see; administrators change them) and
the administrative log (administrators)."""

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import Field

from app.api import bp
from app.api.auth import caller
from app.api.contract import (
    OPTIONAL_DATE,
    ApiModel,
    ApiResponse,
    Flag,
    OptionalText,
    QueryParam,
    Text,
    operation,
    or_empty,
    request_body,
)
from app.api.models import examples
from app.api.serializers import timestamp
from app.services import admin_log, admin_log_view
from app.services import units as service
from app.services import validation as v
from app.services.errors import Forbidden

UNIT_CODE = "string(maxlength=40)"
TAGS = ("units",)

# Requests


class NewUnit(ApiModel):
    model_config = examples(
        {"code": "BID-APTIKA", "name": "Bidang Aplikasi Informatika", "parent": "DISKOMINFO"}
    )

    code: Text = Field(description="Short unique code: letters, digits, `-` and `_`.")
    name: Text = Field(description="1 to 200 characters.")
    parent: OptionalText = Field(None, description="The code of an active parent unit.")
    timezone: OptionalText = Field(
        None,
        description="`Asia/Jakarta` (WIB, default), `Asia/Makassar` (WITA), `Asia/Jayapura` (WIT); "
        "the abbreviations work too.",
    )


class UnitPatch(ApiModel):
    model_config = examples({"name": "Bidang Aptika"}, {"parent": None}, {"active": False})

    name: Text = Field(None, description="1 to 200 characters.")
    parent: OptionalText = Field(
        None, description="The code of an active unit not below this one; null: a top unit."
    )
    timezone: Text = Field(None, description="A zone name or WIB, WITA, WIT.")
    active: Flag = Field(
        None,
        description="false deactivates (refused with 409 `unit_in_use` while it has active "
        "people, boards, active sub-units or teams); true reactivates.",
    )


# Responses


class Unit(ApiResponse):
    code: str
    name: str
    parent: str | None = Field(description="The parent unit's code; null for a top unit.")
    timezone: str
    zone: str = Field(description="WIB, WITA or WIT.")
    active: bool


class UnitList(ApiResponse):
    units: list[Unit]


class LogEntry(ApiResponse):
    id: int
    at: str
    actor: str | None = Field(description="The actor's NIP or username; null: the command line.")
    actor_name: str | None
    kind: str = Field(description="e.g. `unit.moved`, `user.created`.")
    description: str = Field(description="What happened, in the caller's language.")
    target_kind: str
    target_id: int | None
    target_label: str
    before: dict | None
    after: dict | None
    note: str


class LogPage(ApiResponse):
    entries: list[LogEntry]
    next_before_id: int | None = Field(
        description="Pass as `before_id` for the next (older) page; null on the last page."
    )


def unit_json(unit) -> dict:
    return {
        "code": unit.code,
        "name": unit.name,
        "parent": unit.parent.code if unit.parent is not None else None,
        "timezone": unit.timezone,
        "zone": unit.zone_abbr,
        "active": unit.active,
    }


@bp.get("/units")
@operation(_l("The units you may see"), responses={200: UnitList}, tags=TAGS)
def list_units():
    """Every unit for administrators; for others the units whose boards they see. In tree
    order (a parent before its sub-units)."""
    return jsonify({"units": [unit_json(row.unit) for row in service.tree(caller())]})


@bp.post("/units")
@operation(_l("Create a unit"), body=NewUnit, responses={201: Unit}, errors=(403, 409), tags=TAGS)
def create_unit():
    """Administrators only. 409 `duplicate` when the code is taken."""
    body = request_body()
    unit = service.create_unit(
        body["code"],
        body["name"],
        body.get("parent"),
        body.get("timezone") or "Asia/Jakarta",
        actor=_admin(),
    )
    response = jsonify(unit_json(unit))
    response.status_code = 201
    response.headers["Location"] = url_for("api.list_units")
    return response


@bp.patch(f"/units/<{UNIT_CODE}:code>")
@operation(_l("Change a unit"), body=UnitPatch, responses={200: Unit}, errors=(403, 409), tags=TAGS)
def update_unit(code):
    """Administrators only: rename, move (`parent`; not under itself or its sub-units),
    change the time zone, deactivate or reactivate. Every change is in the administrative log."""
    body = request_body()
    return jsonify(unit_json(service.edit_unit(_admin(), code, body)))


def _admin():
    user = caller()
    if not user.is_admin:
        raise Forbidden("forbidden", _("Only an administrator may change units."))
    return user


LOG_QUERY = (
    QueryParam(
        "what",
        {"type": "string", "enum": ["", *admin_log.TARGET_KINDS]},
        _l("Only entries about this kind of thing."),
    ),
    QueryParam("who", {"type": "string"}, _l("Only what this person did (NIP or username).")),
    QueryParam("from", OPTIONAL_DATE, _l("From this day (WIB).")),
    QueryParam("to", OPTIONAL_DATE, _l("Until this day (WIB).")),
    QueryParam("q", {"type": "string"}, _l("Text in the target's name or the note.")),
    QueryParam(
        "before_id", or_empty({"type": "integer", "minimum": 1}), _l("Entries older than this id.")
    ),
    QueryParam(
        "limit",
        or_empty({"type": "integer", "minimum": 1, "maximum": 200, "default": 50}),
        _l("At most."),
    ),
)


@bp.get("/admin/log")
@operation(
    _l("The administrative log"),
    responses={200: LogPage},
    errors=(403, 422),
    tags=("admin",),
    query=LOG_QUERY,
)
def admin_log_entries():
    """Administrators only: who changed units, people, teams, acting heads, imports and the
    first start, newest first. A bad filter value is a 422 naming it."""
    from app.services.cards import find_user

    if not caller().is_admin:
        raise Forbidden("forbidden", _("Only an administrator may read the administrative log."))
    args = request.args
    fields = v.Fields()
    chosen: dict = {"zone": "Asia/Jakarta"}
    what = args.get("what")
    if what:
        chosen["target_kind"] = fields.clean("what", v.choice, what, admin_log.TARGET_KINDS)
    who = fields.clean("who", v.text, args.get("who"), field_max=60)
    if who:
        person = find_user(who)
        if person is None:
            fields.errors["who"] = _("No user has the NIP or username %(login)s.", login=who[:40])
        else:
            chosen["actor_id"] = person.id
    chosen["since"] = fields.clean("from", v.optional_date, args.get("from"))
    chosen["until"] = fields.clean("to", v.optional_date, args.get("to"))
    query = fields.clean("q", v.text, args.get("q"), field_max=100)
    if query:
        chosen["query"] = query
    before_id = fields.clean(
        "before_id", v.optional_int, args.get("before_id"), minimum=1, maximum=v.MAX_ID
    )
    if before_id:
        chosen["before_id"] = before_id
    limit = fields.clean("limit", v.optional_int, args.get("limit"), minimum=1, maximum=200)
    fields.raise_if_any()
    limit = limit or 50
    events = admin_log.entries(**chosen, limit=limit + 1)
    page = events[:limit]
    return jsonify(
        {
            "entries": [_entry_json(event) for event in page],
            "next_before_id": page[-1].id if len(events) > limit else None,
        }
    )


def _entry_json(event) -> dict:
    actor = event.actor
    return {
        "id": event.id,
        "at": timestamp(event.at),
        "actor": actor.login if actor is not None else None,
        "actor_name": actor.name if actor is not None else None,
        "kind": event.kind,
        "description": admin_log_view.sentence(event),
        "target_kind": event.target_kind,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "before": event.before,
        "after": event.after,
        "note": event.note,
    }
