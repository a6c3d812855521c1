"""JSON API for sprints and flow metrics. Heads (and admins) change sprints; members read."""

from typing import Annotated

from flask import jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from pydantic import Field

from app.api import bp
from app.api.auth import caller
from app.api.contract import (
    OPTIONAL_DATE,
    ApiModel,
    ApiResponse,
    Date,
    Msg,
    OptionalInteger,
    OptionalText,
    QueryParam,
    Text,
    operation,
    request_body,
)
from app.api.serializers import timestamp
from app.models import Sprint
from app.services import metrics, sprint_reports, sprints

TAGS = ("sprints",)

# Requests


class NewSprint(ApiModel):
    name: Text = Field(description="1 to 120 characters.")
    goal: Text = Field(description="The sprint goal, 1 to 2,000 characters.")
    start: Date = Field(description="YYYY-MM-DD.")
    end: Date = Field(description="YYYY-MM-DD, on or after the start, at most 92 days later.")
    goal_rhk_id: OptionalInteger = Field(
        None,
        description="The RHK (SKP planned work result) of a head of the board, for the year "
        "the sprint starts in, that the goal serves.",
    )


class SprintCardIds(ApiModel):
    card_ids: Annotated[list[int], Msg(_l("Must be a list of whole numbers."))] = Field(
        description="Unfinished cards of the board in no other open sprint; at most 500."
    )


class CloseSprint(ApiModel):
    goal_met: Text = Field(description="`yes`, `partly` or `no`.")
    note: OptionalText = Field(None, description="Required when the goal was not fully met.")
    carry_over: Annotated[
        str | dict[str, str],
        Msg(_l('Must be "next", "backlog", or an object {card id: "next" | "backlog"}.')),
    ] = Field(
        None,
        description="Where unfinished cards go: `next` (the next planned sprint), `backlog` "
        '(default), or per card `{"<card id>": "next" | "backlog"}`.',
    )
    next_sprint_id: OptionalInteger = Field(
        None, description="The planned sprint `next` means; default: the earliest planned one."
    )


# Responses


class SprintTally(ApiResponse):
    cards: int
    estimate: float


class SprintReviewCard(ApiResponse):
    card_id: int
    title: str
    estimate: float | None
    at: str | None = None
    by: str | None = None
    by_name: str | None = None
    to: str | None = None
    to_sprint: str | None = None


class SprintDeadlineMove(ApiResponse):
    card_id: int
    title: str
    old: str | None
    new: str | None
    reason: str
    by: str | None
    by_name: str | None = None
    at: str | None


class SprintPersonCompletion(ApiResponse):
    assignee: str | None
    name: str | None
    cards: int
    done: int
    estimate: float
    estimate_done: float


class SprintReview(ApiResponse):
    committed: SprintTally
    completed: SprintTally
    added: list[SprintReviewCard]
    removed: list[SprintReviewCard]
    carried_over: list[SprintReviewCard]
    deadline_changes: list[SprintDeadlineMove]
    people: list[SprintPersonCompletion]


class SprintBurndownDay(ApiResponse):
    day: str
    ideal: float
    remaining: int | None


class SprintGoalRhk(ApiResponse):
    id: int
    text: str
    owner: str | None = Field(description="The head's NIP or username.")


class SprintSummary(ApiResponse):
    id: int
    board_id: int
    name: str
    goal: str
    goal_rhk: SprintGoalRhk | None = Field(description="The head's RHK the goal serves.")
    start: str
    end: str
    state: str = Field(description="`planned`, `active` or `closed`.")
    started_at: str | None
    closed_at: str | None
    goal_met: str | None
    note: str | None


class SprintDetail(SprintSummary):
    card_ids: list[int]
    burndown: list[SprintBurndownDay] = Field(None, description="Once started.")
    working_days_left: int = Field(None, description="While active.")
    progress: SprintReview = Field(None, description="While active: the review as of now.")
    review: SprintReview = Field(None, description="Once closed.")


class SprintList(ApiResponse):
    sprints: list[SprintSummary]


class SprintCardsAdded(ApiResponse):
    added: list[int]
    sprint: SprintDetail


class ThroughputWeek(ApiResponse):
    week: str
    start: str
    end: str
    done: int


class DurationBucket(ApiResponse):
    label: str
    count: int


class DurationDistribution(ApiResponse):
    count: int
    median: float | None = Field(description="Days.")
    p85: float | None = Field(description="Days; linear interpolation between ranks.")
    histogram: list[DurationBucket]


class CfdColumn(ApiResponse):
    id: int
    name: str
    kind: str
    counts: list[int]


class CumulativeFlow(ApiResponse):
    days: list[str]
    columns: list[CfdColumn]


class BoardMetrics(ApiResponse):
    from_: str = Field(alias="from")
    to: str
    throughput: list[ThroughputWeek]
    lead_time: DurationDistribution
    cycle_time: DurationDistribution
    cfd: CumulativeFlow


# An empty value takes the default, as in the report page's form (the service reads both).
RANGE = (
    QueryParam("from", OPTIONAL_DATE, _l("Default: 29 days before `to`.")),
    QueryParam("to", OPTIONAL_DATE, _l("Default: today.")),
)


def sprint_summary_json(sprint: Sprint) -> dict:
    return {
        "id": sprint.id,
        "board_id": sprint.board_id,
        "name": sprint.name,
        "goal": sprint.goal,
        "goal_rhk": (
            {
                "id": sprint.goal_rhk.id,
                "text": sprint.goal_rhk.text,
                "owner": sprint.goal_rhk.user.login,
            }
            if sprint.goal_rhk_id is not None
            else None
        ),
        "start": sprint.start_date.isoformat(),
        "end": sprint.end_date.isoformat(),
        "state": sprint.state,
        "started_at": timestamp(sprint.started_at),
        "closed_at": timestamp(sprint.closed_at),
        "goal_met": sprint.goal_met,
        "note": sprint.review_note or None,
    }


def sprint_json(sprint: Sprint) -> dict:
    """A sprint with its cards, its burndown once started, and its review once closed (a live
    `progress` of the same shape while it runs)."""
    data = sprint_summary_json(sprint)
    data["card_ids"] = [card.id for card in sprints.sprint_cards(sprint)]
    if sprint.state != "planned":
        data["burndown"] = [
            {"day": day.day.isoformat(), "ideal": day.ideal, "remaining": day.remaining}
            for day in sprint_reports.burndown(sprint)
        ]
    if sprint.state == "active":
        data["working_days_left"] = sprint_reports.working_days_left(
            sprint, sprint_reports.local_today(sprint.board)
        )
        data["progress"] = sprint_reports.review(sprint).to_dict()
    if sprint.state == "closed":
        data["review"] = sprint_reports.review(sprint).to_dict()
    return data


@bp.get("/boards/<id:board_id>/sprints")
@operation(_l("List the sprints of a board"), responses={200: SprintList}, tags=TAGS)
def list_sprints(board_id: int):
    _board, items = sprints.board_sprints(caller(), board_id)
    return jsonify({"sprints": [sprint_summary_json(sprint) for sprint in items]})


@bp.post("/boards/<id:board_id>/sprints")
@operation(
    _l("Plan a sprint"),
    description=_l("Heads of the unit and administrators. The sprint starts out planned."),
    body=NewSprint,
    responses={201: SprintDetail},
    errors=(403,),
    tags=TAGS,
)
def create_sprint(board_id: int):
    body = request_body()
    sprint = sprints.create_sprint(caller(), board_id, body)
    response = jsonify(sprint_json(sprint))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_sprint", sprint_id=sprint.id)
    return response


@bp.get("/sprints/<id:sprint_id>")
@operation(
    _l("A sprint, with its burndown and its review"),
    description=_l(
        "The review (committed, completed, added, removed, carried over, deadlines "
        "moved, people) once closed; `progress` of the same shape while active."
    ),
    responses={200: SprintDetail},
    tags=TAGS,
)
def get_sprint(sprint_id: int):
    sprint = sprints.visible_sprint(caller(), sprint_id)
    return jsonify(sprint_json(sprint))


@bp.post("/sprints/<id:sprint_id>/cards")
@operation(
    _l("Commit cards to a sprint"),
    description=_l("Heads only. After the start each card is recorded as a scope change."),
    body=SprintCardIds,
    responses={200: SprintCardsAdded},
    errors=(403, 409),
    tags=TAGS,
)
def add_sprint_cards(sprint_id: int):
    body = request_body()
    added = sprints.add_cards(caller(), sprint_id, body["card_ids"])
    sprint = sprints.visible_sprint(caller(), sprint_id)
    return jsonify({"added": [card.id for card in added], "sprint": sprint_json(sprint)})


@bp.delete("/sprints/<id:sprint_id>/cards/<id:card_id>")
@operation(
    _l("Take a card out of a sprint"),
    description=_l("Heads only. After the start the removal is recorded as a scope change."),
    responses={200: SprintDetail},
    errors=(403, 409),
    tags=TAGS,
)
def remove_sprint_card(sprint_id: int, card_id: int):
    sprints.remove_card(caller(), sprint_id, card_id)
    return jsonify(sprint_json(sprints.visible_sprint(caller(), sprint_id)))


@bp.post("/sprints/<id:sprint_id>/start")
@operation(
    _l("Start a sprint"),
    description=_l(
        "Heads only. Snapshots the committed cards and estimates; one active sprint per board."
    ),
    responses={200: SprintDetail},
    errors=(403, 409),
    tags=TAGS,
)
def start_sprint(sprint_id: int):
    sprint = sprints.start_sprint(caller(), sprint_id)
    return jsonify(sprint_json(sprint))


@bp.post("/sprints/<id:sprint_id>/close")
@operation(
    _l("Close the active sprint"),
    description=_l("Heads only. Records whether the goal was met and where unfinished cards go."),
    body=CloseSprint,
    responses={200: SprintDetail},
    errors=(403, 409),
    tags=TAGS,
)
def close_sprint(sprint_id: int):
    body = request_body()
    sprint = sprints.close_sprint(
        caller(),
        sprint_id,
        body["goal_met"],
        body.get("note") or "",
        body.get("carry_over", "backlog"),
        body.get("next_sprint_id"),
    )
    return jsonify(sprint_json(sprint))


@bp.get("/boards/<id:board_id>/metrics")
@operation(
    _l("Flow metrics of a board"),
    responses={200: BoardMetrics},
    errors=(422,),
    tags=("reports",),
    query=RANGE,
)
def board_metrics(board_id: int):
    """Throughput per week, lead and cycle time (count, median, p85, histogram) and the CFD
    series for `?from=YYYY-MM-DD&to=YYYY-MM-DD` (default: the last 30 days)."""
    args = request.args
    _board, data = metrics.board_metrics(caller(), board_id, args.get("from"), args.get("to"))
    return jsonify(data)
