"""JSON API for a person's performance records (issue 27): evidence for a period, the heads'
feedback, and the performance-dialogue notes of a sprint review. The person and the heads above
them see them; anyone else gets 404. Rules: app/services/evidence.py and feedback.py."""

from flask import jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from pydantic import Field

from app.api import bp
from app.api.auth import caller
from app.api.contract import (
    ApiModel,
    ApiResponse,
    QueryParam,
    Text,
    operation,
    or_empty,
    request_body,
)
from app.api.serializers import timestamp
from app.services import evidence, feedback, sprints

TAGS = ("performance",)
PERIOD = QueryParam(
    "period",
    or_empty({"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$"}),
    _l("A month (2026-10) or a quarter (2026-Q4). Default: the current month."),
)
FROM = QueryParam("from", or_empty({"type": "string", "format": "date"}), _l("First day."))
TO = QueryParam("to", or_empty({"type": "string", "format": "date"}), _l("Last day."))


class Indicator(ApiResponse):
    aspect: str
    text: str
    target: str


class EvidenceDocument(ApiResponse):
    id: int
    name: str
    url: str | None


class EvidenceChange(ApiResponse):
    old: str | None
    new: str | None
    reason: str


class EvidenceCard(ApiResponse):
    id: int
    title: str
    type: str
    board: str
    done_on: str
    due_date: str | None
    archived: bool
    url: str | None = Field(description="Null when the caller cannot open the card's board.")
    deadline_changes: list[EvidenceChange]
    documents: list[EvidenceDocument]


class EvidenceRhk(ApiResponse):
    id: int
    year: int
    kind: str
    text: str
    withdrawn: bool
    indicators: list[Indicator]
    cards: list[EvidenceCard]


class EvidencePeriod(ApiResponse):
    key: str | None
    start: str
    end: str


class Evidence(ApiResponse):
    user: str
    name: str
    unit: str | None
    period: EvidencePeriod
    rhk: list[EvidenceRhk]
    unlinked: list[EvidenceCard]


class Feedback(ApiResponse):
    id: int
    user: str
    period: str
    body: str
    author: str | None
    author_name: str | None
    created_at: str
    updated_at: str


class FeedbackList(ApiResponse):
    feedback: list[Feedback]


class NewFeedback(ApiModel):
    period: Text = Field(description="A month (2026-10) or a quarter (2026-Q4).")
    body: Text = Field(description="At most 4000 characters.")


class FeedbackPatch(ApiModel):
    body: Text = Field(description="At most 4000 characters.")


class DialogueNote(ApiResponse):
    user: str
    name: str
    body: str
    updated_at: str


class DialogueNotes(ApiResponse):
    notes: list[DialogueNote]


class NewDialogueNote(ApiModel):
    user: Text = Field(description="NIP or username of a person who held cards in the sprint.")
    body: Text = Field(description="At most 4000 characters.")


def _day(value):
    return value.isoformat() if value is not None else None


def card_json(card) -> dict:
    return {
        "id": card.id,
        "title": card.title,
        "type": card.type,
        "board": card.board,
        "done_on": card.done_on.isoformat(),
        "due_date": _day(card.due_date),
        "archived": card.archived,
        "url": url_for("cards.card", card_id=card.id, _external=True) if card.may_open else None,
        "deadline_changes": [
            {"old": _day(c.old), "new": _day(c.new), "reason": c.reason}
            for c in card.deadline_changes
        ],
        "documents": [
            {
                "id": d.id,
                "name": d.name,
                "url": url_for(
                    "cards.download_attachment", card_id=card.id, attachment_id=d.id, _external=True
                )
                if card.may_open
                else None,
            }
            for d in card.documents
        ],
    }


def evidence_json(data) -> dict:
    return {
        "user": data.person.login,
        "name": data.person.name,
        "unit": data.unit.code if data.unit else None,
        "period": {
            "key": data.period.key,
            "start": data.period.start.isoformat(),
            "end": data.period.end.isoformat(),
        },
        "rhk": [
            {
                "id": group.rhk.id,
                "year": group.rhk.year,
                "kind": group.rhk.kind,
                "text": group.rhk.text,
                "withdrawn": group.rhk.archived_at is not None,
                "indicators": [
                    {"aspect": i.aspect, "text": i.text, "target": i.target}
                    for i in group.rhk.indicators
                ],
                "cards": [card_json(card) for card in group.cards],
            }
            for group in data.groups
        ],
        "unlinked": [card_json(card) for card in data.unlinked],
    }


def feedback_json(row, person) -> dict:
    return {
        "id": row.id,
        "user": person.login,
        "period": row.period,
        "body": row.body,
        "author": row.author.login if row.author else None,
        "author_name": row.author.name if row.author else None,
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.updated_at),
    }


@bp.get("/users/<login>/evidence")
@operation(
    _l("A person's performance evidence"),
    description=_l(
        "The person's done cards of the period across every board (archived ones too), grouped "
        "by RHK with indicators, then the work linked to no RHK. For the person and the heads "
        "above them; anyone else gets 404. Give `period`, or `from` and `to`."
    ),
    responses={200: Evidence},
    errors=(422,),
    tags=TAGS,
    query=(PERIOD, FROM, TO),
)
def user_evidence(login):
    viewer = caller()
    person = evidence.performance_person(viewer, login)
    args = request.args
    period = evidence.clean_period(
        args.get("period"), args.get("from"), args.get("to"), today=evidence.person_today(person)
    )
    return jsonify(evidence_json(evidence.evidence(viewer, person, period)))


@bp.get("/users/<login>/feedback")
@operation(
    _l("Feedback to a person"),
    description=_l("Newest first; with `period`, the feedback of its months and quarters."),
    responses={200: FeedbackList},
    errors=(422,),
    tags=TAGS,
    query=(PERIOD,),
)
def user_feedback(login):
    viewer = caller()
    person = evidence.performance_person(viewer, login)
    key = request.args.get("period")
    period = evidence.period_of_key(evidence.clean_period_key(key)) if key else None
    rows = feedback.feedback_for(viewer, person, period)
    return jsonify({"feedback": [feedback_json(row, person) for row in rows]})


@bp.post("/users/<login>/feedback")
@operation(
    _l("Write feedback to a person"),
    description=_l("For the heads above the person (not the person themself)."),
    body=NewFeedback,
    responses={201: Feedback},
    errors=(403,),
    tags=TAGS,
)
def create_feedback(login):
    body = request_body()
    row = feedback.write_feedback(caller(), login, body.get("period"), body.get("body"))
    response = jsonify(feedback_json(row, evidence.owner_of(row)))
    response.status_code = 201
    return response


@bp.patch("/feedback/<id:feedback_id>")
@operation(
    _l("Change feedback"),
    description=_l("Only its author, while still a head above the person."),
    body=FeedbackPatch,
    responses={200: Feedback},
    errors=(403,),
    tags=TAGS,
)
def change_feedback(feedback_id: int):
    body = request_body()
    row = feedback.edit_feedback(caller(), feedback_id, body.get("body"))
    return jsonify(feedback_json(row, evidence.owner_of(row)))


def notes_json(viewer, sprint) -> dict:
    people = {person.id: person for person in feedback.sprint_people(sprint)}
    notes = feedback.dialogue_notes(viewer, sprint)
    out = []
    for user_id, note in sorted(notes.items()):
        person = people.get(user_id) or evidence.owner_of(note)
        out.append(
            {
                "user": person.login,
                "name": person.name,
                "body": note.body,
                "updated_at": timestamp(note.updated_at),
            }
        )
    return {"notes": out}


@bp.get("/sprints/<id:sprint_id>/dialogue")
@operation(
    _l("Performance-dialogue notes of a sprint review"),
    description=_l(
        "All notes for those who manage the board; otherwise the caller's own (and those of "
        "people they head)."
    ),
    responses={200: DialogueNotes},
    tags=TAGS,
)
def sprint_dialogue(sprint_id: int):
    viewer = caller()
    return jsonify(notes_json(viewer, sprints.visible_sprint(viewer, sprint_id)))


@bp.post("/sprints/<id:sprint_id>/dialogue")
@operation(
    _l("Record a performance-dialogue note"),
    description=_l("One note per person of the sprint; sending again replaces it."),
    body=NewDialogueNote,
    responses={200: DialogueNotes},
    errors=(403,),
    tags=TAGS,
)
def save_sprint_dialogue(sprint_id: int):
    viewer = caller()
    sprint = sprints.visible_sprint(viewer, sprint_id)
    body = request_body()
    feedback.save_dialogue_note(viewer, sprint, body.get("user"), body.get("body"))
    return jsonify(notes_json(viewer, sprint))
