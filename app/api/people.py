"""JSON API for people administration: the list, a person, creating and changing one (a new
`unit` is a transfer, with a decision for each open card it would take away), deactivating
and reactivating. The rules are app/services/people.py's."""

from typing import Annotated

from flask import jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from pydantic import Field

from app.api import bp
from app.api.auth import caller
from app.api.contract import (
    ApiModel,
    ApiResponse,
    Msg,
    OptionalText,
    QueryParam,
    Text,
    operation,
    or_empty,
    request_body,
)
from app.api.serializers import timestamp
from app.models import User
from app.services import people, person_fields

TAGS = ("people",)


class PersonFields(ApiModel):
    nip: OptionalText = Field(
        None, description="18 digits, checked for a plausible birth date and TMT."
    )
    username: OptionalText = Field(None, description="For non-ASN staff without a NIP.")
    name: OptionalText = Field(None, description="Full name with degrees.")
    position: OptionalText = Field(None, description="Jabatan.")
    email: OptionalText = None
    phone: OptionalText = Field(None, description="Kept in international form, +62...")
    unit: OptionalText = Field(None, description="Unit code.")
    role: OptionalText = Field(None, description="`member` or `head`.")
    admin: Annotated[bool | None, Msg(_l("Must be true or false."))] = Field(
        None, description="Only administrators grant or revoke it."
    )
    locale: OptionalText = Field(None, description="`id` or `en`.")


class NewPerson(PersonFields):
    name: Text = Field(description="Full name with degrees.")
    password: OptionalText = Field(
        None, description="Optional; without one the person needs a reset link to sign in."
    )


class CardDecision(ApiModel):
    assignee: OptionalText = Field(None, description="Login of who takes the card over.")
    unassign: Annotated[bool | None, Msg(_l("Must be true or false."))] = None


class PersonPatch(PersonFields):
    cards: Annotated[dict[str, CardDecision], Msg(_l("Must be an object."))] = Field(
        None,
        description='For a transfer: {"<card id>": {"assignee": login} or {"unassign": true}} '
        "for each open card on a board the person will no longer see.",
    )


class Deactivation(ApiModel):
    reason: Text = Field(description="`retired`, `left`, `long_leave` or `other`.")
    note: OptionalText = Field(None, description="Required for `other`; at most 150 characters.")


class Person(ApiResponse):
    login: str
    nip: str | None
    username: str | None
    name: str
    position: str
    email: str | None
    phone: str | None
    unit: str | None
    unit_name: str | None
    role: str | None
    admin: bool
    locale: str | None
    active: bool
    deactivated_at: str | None
    deactivation_reason: str
    url: str


class PersonList(ApiResponse):
    users: list[Person]
    total: int
    page: int
    pages: int
    per_page: int


def person_json(person: User) -> dict:
    member = people.membership_of(person)
    return {
        "login": person.login,
        "nip": person.nip,
        "username": person.username,
        "name": person.name,
        "position": person.position,
        "email": person.email,
        "phone": person.phone,
        "unit": member.unit.code if member else None,
        "unit_name": member.unit.name if member else None,
        "role": member.role if member else None,
        "admin": person.is_admin,
        "locale": person.locale,
        "active": person.active,
        "deactivated_at": timestamp(person.deactivated_at),
        "deactivation_reason": person.deactivation_reason or "",
        "url": url_for("people.profile", login=person.login, _external=True),
    }


TEXT = {"type": "string"}
LIST_QUERY = (
    QueryParam("q", TEXT, _l("Part of a name, NIP or username.")),
    QueryParam("unit", TEXT, _l("A unit code.")),
    QueryParam(
        "sub_units",
        {"type": "string", "enum": sorted(person_fields.FLAG_WORDS)},
        _l("With the unit's sub-units: 1 (default) or 0."),
    ),
    QueryParam("role", {"type": "string", "enum": ["", "member", "head"]}),
    QueryParam(
        "status",
        {"type": "string", "enum": ["", "active", "inactive", "all"]},
        _l("Default: active."),
    ),
    QueryParam("page", or_empty({"type": "integer", "minimum": 1})),
)


@bp.get("/users")
@operation(
    _l("List people"),
    description=_l("The people the caller manages (admins: everyone), by name, 25 a page."),
    responses={200: PersonList},
    errors=(403, 422),
    tags=TAGS,
    query=LIST_QUERY,
)
def list_users():
    page = people.list_people(caller(), people.clean_filters(request.args))
    return jsonify(
        {
            "users": [person_json(person) for person in page.items],
            "total": page.total,
            "page": page.page,
            "pages": page.pages,
            "per_page": page.per_page,
        }
    )


@bp.post("/users")
@operation(
    _l("Add a person"),
    body=NewPerson,
    responses={201: Person},
    errors=(403, 409),
    tags=TAGS,
)
def create_user():
    body = request_body()
    password = body.pop("password", None)
    person = people.create_person(caller(), body, password=password)
    response = jsonify(person_json(person))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_user", login=person.login)
    return response


@bp.get("/users/<login>")
@operation(_l("A person"), responses={200: Person}, tags=TAGS)
def get_user(login):
    return jsonify(person_json(people.visible_person(caller(), login)))


@bp.patch("/users/<login>")
@operation(
    _l("Change a person"),
    description=_l(
        "Change the fields sent. Anyone changes their own name, position, email, phone and "
        "language; the rest is for those who manage the person. A new `unit` is a transfer: "
        "when the person holds open cards on boards they will no longer see, send a decision "
        "for each in `cards`; without them the answer is 409 listing the cards."
    ),
    body=PersonPatch,
    responses={200: Person},
    errors=(403, 409),
    tags=TAGS,
)
def update_user(login):
    body = request_body()
    decisions = body.pop("cards", None) or {}
    person = people.update_person(caller(), login, body, cards_decisions=decisions)
    return jsonify(person_json(person))


@bp.post("/users/<login>/deactivate")
@operation(
    _l("Deactivate a person"),
    description=_l(
        "The person can no longer sign in; their sessions and API tokens end at once; their "
        "open cards stay assigned, flagged for reassignment."
    ),
    body=Deactivation,
    responses={200: Person},
    errors=(403, 409),
    tags=TAGS,
)
def deactivate_user(login):
    body = request_body()
    person = people.deactivate(caller(), login, body.get("reason"), body.get("note") or "")
    return jsonify(person_json(person))


@bp.post("/users/<login>/reactivate")
@operation(_l("Reactivate a person"), responses={200: Person}, errors=(403, 409), tags=TAGS)
def reactivate_user(login):
    return jsonify(person_json(people.reactivate(caller(), login)))
