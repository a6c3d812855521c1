"""JSON API for work teams (*tim kerja*) and acting heads (Plt/Plh): app/services/teams.py and
app/services/acting.py decide; these views parse, call and serialise."""

from flask import jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from pydantic import Field

from app.api import bp
from app.api.auth import caller
from app.api.contract import (
    ApiModel,
    ApiResponse,
    Date,
    Flag,
    OptionalText,
    QueryParam,
    Text,
    TextList,
    operation,
    request_body,
)
from app.api.serializers import timestamp
from app.models import ActingHead, Team
from app.services import acting, teams

TEAM_TAGS = ("teams",)
ACTING_TAGS = ("acting heads",)
TEAM_CODE = "string(maxlength=40)"
LOGIN = "string(maxlength=60)"

# Requests


class NewTeam(ApiModel):
    code: Text = Field(description="Letters, digits, hyphens and underscores; at most 40.")
    name: Text = Field(description="1 to 200 characters.")
    unit: Text = Field(description="The code of the unit the team sits in.")
    leader: Text = Field(description="NIP or username of the team leader (ketua tim).")
    members: TextList = Field(None, description="NIPs or usernames of the first members.")


class TeamPatch(ApiModel):
    name: OptionalText = None
    unit: OptionalText = Field(None, description="Only while the team has no boards.")
    leader: OptionalText = Field(None, description="NIP or username; heads and admins only.")
    active: Flag = Field(None, description="false only while the team has no boards.")


class NewMember(ApiModel):
    user: Text = Field(description="NIP or username.")


class NewActingHead(ApiModel):
    unit: Text = Field(description="The unit's code.")
    user: Text = Field(description="NIP or username of the person acting.")
    kind: Text = Field(description="`plt` (vacant post) or `plh` (the head is away).")
    starts_on: Date = Field(description="First day, YYYY-MM-DD (the unit's time zone).")
    ends_on: Date = Field(description="Last day, included; at most 366 days after the first.")
    decree: Text = Field(description="The number of the letter (surat perintah).")


# Responses


class TeamPerson(ApiResponse):
    login: str
    name: str
    units: list[str] = Field(description="Names of the person's units.")


class TeamBoard(ApiResponse):
    id: int
    name: str


class TeamSummary(ApiResponse):
    code: str
    name: str
    unit: str
    leader: str | None
    active: bool


class TeamList(ApiResponse):
    teams: list[TeamSummary]


class TeamDetail(TeamSummary):
    members: list[TeamPerson]
    boards: list[TeamBoard]


class MemberRemoved(ApiResponse):
    handed_over: list[int] = Field(
        description="Open cards of the person on the team's boards, now unassigned (give them "
        "to someone first with PATCH /cards/{card_id} to choose who takes them over)."
    )


class ActingHeadJson(ApiResponse):
    id: int
    unit: str
    user: str
    name: str
    kind: str
    starts_on: str
    ends_on: str
    decree: str
    status: str = Field(description="`current`, `upcoming`, `ended` (ended early) or `past`.")
    ended_at: str | None


class ActingHeadList(ApiResponse):
    acting_heads: list[ActingHeadJson]


def team_summary_json(team: Team) -> dict:
    return {
        "code": team.code,
        "name": team.name,
        "unit": team.unit.code,
        "leader": team.leader.login if team.leader else None,
        "active": team.active,
    }


def team_json(team: Team) -> dict:
    members = teams.members_of(team)
    units = teams.units_of_people(members)
    return {
        **team_summary_json(team),
        "members": [
            {"login": p.login, "name": p.name, "units": units.get(p.id, [])} for p in members
        ],
        "boards": [{"id": b.id, "name": b.name} for b in teams.boards_of(team)],
    }


def acting_json(item: ActingHead) -> dict:
    return {
        "id": item.id,
        "unit": item.unit.code,
        "user": item.user.login,
        "name": item.user.name,
        "kind": item.kind,
        "starts_on": item.starts_on.isoformat(),
        "ends_on": item.ends_on.isoformat(),
        "decree": item.decree,
        "status": acting.status(item),
        "ended_at": timestamp(item.ended_at) if item.ended_at else None,
    }


@bp.get("/teams")
@operation(
    _l("List the work teams you can see"),
    description=_l("Those you belong to or lead, and those of the units you head (admins: all)."),
    responses={200: TeamList},
    tags=TEAM_TAGS,
)
def list_teams():
    return jsonify({"teams": [team_summary_json(t) for t in teams.visible_teams(caller())]})


@bp.post("/teams")
@operation(
    _l("Create a work team"),
    description=_l("Heads of the team's unit (or a unit above) and administrators."),
    body=NewTeam,
    responses={201: TeamDetail},
    errors=(403, 409),
    tags=TEAM_TAGS,
)
def create_team():
    body = request_body()
    team = teams.create_team(
        caller(),
        body["code"],
        body["name"],
        body["unit"],
        body["leader"],
        body.get("members") or [],
    )
    response = jsonify(team_json(team))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_team", code=team.code)
    return response


@bp.get(f"/teams/<{TEAM_CODE}:code>")
@operation(
    _l("A work team with its members and boards"), responses={200: TeamDetail}, tags=TEAM_TAGS
)
def get_team(code: str):
    return jsonify(team_json(teams.visible_team(caller(), code)))


@bp.patch(f"/teams/<{TEAM_CODE}:code>")
@operation(
    _l("Change a work team"),
    description=_l("Name, unit, leader or active flag; heads above the team and admins."),
    body=TeamPatch,
    responses={200: TeamDetail},
    errors=(403, 409),
    tags=TEAM_TAGS,
)
def update_team(code: str):
    team = teams.update_team(caller(), code, dict(request_body()))
    return jsonify(team_json(team))


@bp.post(f"/teams/<{TEAM_CODE}:code>/members")
@operation(
    _l("Add a member to a work team"),
    description=_l("The team leader, heads above the team and administrators."),
    body=NewMember,
    responses={200: TeamDetail},
    errors=(403, 409),
    tags=TEAM_TAGS,
)
def add_team_member(code: str):
    team = teams.add_member(caller(), code, request_body()["user"])
    return jsonify(team_json(team))


@bp.delete(f"/teams/<{TEAM_CODE}:code>/members/<{LOGIN}:login>")
@operation(
    _l("Remove a member from a work team"),
    description=_l(
        "The team leader, heads above the team and administrators. The person loses the team's "
        "boards at once; their open cards there are unassigned."
    ),
    responses={200: MemberRemoved},
    errors=(403, 409),
    tags=TEAM_TAGS,
)
def remove_team_member(code: str, login: str):
    handed = teams.remove_member(caller(), code, login)
    return jsonify({"handed_over": [card.id for card in handed]})


@bp.get("/acting-heads")
@operation(
    _l("List acting heads (Plt/Plh)"),
    description=_l(
        "Appointments of the units you head (and your own), newest first; admins see all."
    ),
    responses={200: ActingHeadList},
    errors=(404,),
    query=(
        QueryParam(
            "unit",
            {"type": "string"},
            _l("Only this unit (its code); 404 for a unit you do not head."),
        ),
    ),
    tags=ACTING_TAGS,
)
def list_acting_heads():
    unit = request.args.get("unit")
    items = acting.appointments(caller(), unit if unit else None)
    return jsonify({"acting_heads": [acting_json(item) for item in items]})


@bp.post("/acting-heads")
@operation(
    _l("Appoint an acting head (Plt/Plh)"),
    description=_l("Heads of a unit above the unit and administrators."),
    body=NewActingHead,
    responses={201: ActingHeadJson},
    errors=(403, 409),
    tags=ACTING_TAGS,
)
def appoint_acting_head():
    body = request_body()
    item = acting.appoint(
        caller(),
        body["unit"],
        body["user"],
        body["kind"],
        body["starts_on"],
        body["ends_on"],
        body["decree"],
    )
    response = jsonify(acting_json(item))
    response.status_code = 201
    return response


@bp.post("/acting-heads/<id:item_id>/end")
@operation(
    _l("End an acting appointment now"),
    description=_l("Heads of a unit above the unit and administrators."),
    responses={200: ActingHeadJson},
    errors=(403, 409),
    tags=ACTING_TAGS,
)
def end_acting_head(item_id: int):
    return jsonify(acting_json(acting.end(caller(), item_id)))
