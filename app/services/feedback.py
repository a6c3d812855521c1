"""A head's feedback to a person for a period (issue 27; *umpan balik berkelanjutan*,
PermenPANRB 6/2022) and the performance-dialogue notes of a sprint review.

Feedback: the heads above the person write it (never the person themself); the person and the
heads above them read it (performance_access.py; anyone else 404); only its author edits it.
Dialogue notes: those who manage the sprint's board write one per person of the sprint; the
person reads their own; the heads above the person read it too; nobody else sees it.

Every write is recorded in the administrative log (who, when, whose, which period) without the
text: the site administrator reads that log, and the feedback is not theirs to read. An edit
keeps the length and a digest of the text before and after, so a changed feedback shows.
"""

import hashlib

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Card, Sprint, SprintCard, User, utcnow
from app.models.performance import DialogueNote, PerformanceFeedback
from app.services import access, admin_log, performance_access
from app.services import validation as v
from app.services.errors import Forbidden, NotFound
from app.services.evidence import Period, performance_person, period_key
from app.services.tx import write_transaction

BODY_MAX = 4000


def _digest(body: str) -> dict:
    return {"chars": len(body), "sha256": hashlib.sha256(body.encode()).hexdigest()[:16]}


def clean_body(value) -> str:
    try:
        return v.text(value, field_max=BODY_MAX, required=True)
    except v.FieldError as exc:
        raise v.invalid({"body": str(exc)}) from None


# --- feedback -----------------------------------------------------------------------------------


def feedback_for(viewer: User, person: User, period: Period | None = None) -> list:
    """The feedback `viewer` may read about `person`, newest first; with a period, the feedback
    of its months and quarters."""
    performance_access.require_performance_view(viewer, person)
    query = (
        select(PerformanceFeedback)
        .where(PerformanceFeedback.user_id == person.id)
        .order_by(PerformanceFeedback.period.desc(), PerformanceFeedback.created_at.desc())
    )
    if period is not None:
        query = query.where(PerformanceFeedback.period.in_(sorted(period.overlapping_keys())))
    return list(db.session.scalars(query))


def _require_head(author: User, person: User) -> None:
    if not performance_access.leads(author, person):
        raise Forbidden("forbidden", _("Only a head of the person's unit writes feedback to them."))


def write_feedback(author: User, login, period, body) -> PerformanceFeedback:
    """New feedback from a head to the person with this NIP or username for a month or quarter."""
    person = performance_person(author, login)
    _require_head(author, person)
    fields = v.Fields()
    period = fields.clean("period", period_key, period)
    body = fields.clean("body", v.text, body, field_max=BODY_MAX, required=True)
    fields.raise_if_any()
    with write_transaction():
        row = PerformanceFeedback(user_id=person.id, author_id=author.id, period=period, body=body)
        db.session.add(row)
        db.session.flush()
        admin_log.record(
            "feedback.written",
            author,
            "feedback",
            row,
            label=f"{admin_log.user_label(person)} {period}",
            after={"period": period, **_digest(body)},
        )
    return row


def visible_feedback(viewer: User, feedback_id) -> PerformanceFeedback:
    row = db.session.get(PerformanceFeedback, feedback_id) if isinstance(feedback_id, int) else None
    person = db.session.get(User, row.user_id) if row is not None else None
    if person is None or not performance_access.can_see_performance(viewer, person):
        raise NotFound("not_found", _("Feedback not found."))
    return row


def edit_feedback(author: User, feedback_id, body) -> PerformanceFeedback:
    """Change one's own feedback (the log keeps that it changed, when, and by whom)."""
    row = visible_feedback(author, feedback_id)
    if row.author_id != author.id:
        raise Forbidden("forbidden", _("Only the head who wrote this feedback may change it."))
    person = db.session.get(User, row.user_id)
    _require_head(author, person)
    body = clean_body(body)
    with write_transaction():
        before = _digest(row.body)
        row.body = body
        row.updated_at = utcnow()
        admin_log.record(
            "feedback.edited",
            author,
            "feedback",
            row,
            label=f"{admin_log.user_label(person)} {row.period}",
            before=before,
            after=_digest(body),
        )
    return row


# --- performance-dialogue notes of a sprint review ------------------------------------------------


def sprint_people(sprint: Sprint) -> list[User]:
    """The people holding cards of the sprint (as it ended, or now while it runs), by name."""
    closed = sprint.state == "closed"
    column = SprintCard.assignee_at_close_id if closed else Card.assignee_id
    ids = set(
        db.session.scalars(
            select(column)
            .select_from(SprintCard)
            .join(Card, Card.id == SprintCard.card_id)
            .where(SprintCard.sprint_id == sprint.id, SprintCard.removed_at.is_(None))
        )
    ) - {None}
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.name)))


def may_write_dialogue(viewer: User, sprint: Sprint) -> bool:
    return access.can_manage_board(viewer, sprint.board)


def dialogue_notes(viewer: User, sprint: Sprint) -> dict[int, DialogueNote]:
    """person id -> note, for the notes `viewer` may read: all of them for those who manage the
    board, otherwise the viewer's own and those of people they head."""
    notes = list(
        db.session.scalars(select(DialogueNote).where(DialogueNote.sprint_id == sprint.id))
    )
    if may_write_dialogue(viewer, sprint):
        return {note.user_id: note for note in notes}
    led = performance_access.units_led_by(viewer)
    found = {}
    for note in notes:
        if note.user_id == viewer.id:
            found[note.user_id] = note
        elif led:
            person = db.session.get(User, note.user_id)
            if performance_access.leads(viewer, person):
                found[note.user_id] = note
    return found


def save_dialogue_note(author: User, sprint: Sprint, login, body) -> DialogueNote:
    """Write (or change) the dialogue note of one person of the sprint. `sprint` is one the
    author sees (sprints.visible_sprint)."""
    if not may_write_dialogue(author, sprint):
        raise Forbidden(
            "forbidden", _("Only those who manage this board record performance dialogues.")
        )
    person = None
    if isinstance(login, str) and login.strip():
        person = db.session.scalar(
            select(User).where((User.nip == login.strip()) | (User.username == login.strip()))
        )
    if person is None or person.id not in {user.id for user in sprint_people(sprint)}:
        raise v.invalid({"user": _("Choose a person who worked in this sprint.")})
    body = clean_body(body)
    with write_transaction():
        note = db.session.scalar(
            select(DialogueNote).where(
                DialogueNote.sprint_id == sprint.id, DialogueNote.user_id == person.id
            )
        )
        before = _digest(note.body) if note is not None else None
        if note is None:
            note = DialogueNote(sprint_id=sprint.id, user_id=person.id, body=body)
            db.session.add(note)
        note.body = body
        note.author_id = author.id
        note.updated_at = utcnow()
        db.session.flush()
        admin_log.record(
            "dialogue.saved",
            author,
            "feedback",
            note,
            label=f"{admin_log.user_label(person)} {sprint.name}",
            before=before,
            after=_digest(body),
        )
    return note
