"""The paraf state machine of one card: a chain starts when the card enters its review column,
each step is approved, returned or rejected (in person or by a Plh/Plt), a head may reassign
the waiting step, and leaving the review column withdraws the round.

Every write runs in `card_transaction` (board locked, one transaction) and writes its audit
event in that transaction, so two people deciding the same step at once are serialised: the
second one finds the step decided and gets a 409.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime

from flask import url_for
from flask_babel import gettext as _

from cergas import plugin as api
from cergas.plugin import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    card_transaction,
    find_user,
    notify,
    record_card_event,
    unit_heads,
    users_by_ids,
)
from plugins.approvals import store
from plugins.approvals.chains import NAME, Chain, same_column
from plugins.approvals.clock import iso, local_today, utcnow
from plugins.approvals.delegations import capacity, delegations_to, stand_ins
from plugins.approvals.posts import above_step
from plugins.approvals.store import N_

DECISIONS = ("approve", "return", "reject")
MAX_NOTE = 2000
# What an approval vouches for: the card's content as it was approved, these fields and, when
# the card has documents, each document's latest version (id, version number, sha256; see
# `content_of`). A card without documents stamps exactly what it stamped before documents
# existed, so approvals given then still match.
STAMPED_FIELDS = ("title", "description", "type")


def state_of(card_id: int) -> dict | None:
    return store.load_state(card_id)


def document_entry(info) -> dict:
    """What a paraf records of one document (an `AttachmentInfo`): its latest version."""
    return {"id": info.id, "name": info.name, "version": info.version, "sha256": info.sha256}


def documents_of(card) -> list[dict]:
    """The card's documents as a paraf sees them, oldest first: `[{id, name, version,
    sha256}]`. No query for a card without documents (its `attachment_count` is 0)."""
    if not getattr(card, "attachment_count", 0):
        return []
    return [document_entry(info) for info in api.card_attachments(card.id)]


def documents_by_card(cards) -> dict[int, list[dict]]:
    """card id -> `documents_of(card)` for many cards, in two queries whatever their number
    (none when no card has documents)."""
    with_documents = [card for card in cards if getattr(card, "attachment_count", 0)]
    if not with_documents:
        return {}
    found = api.cards_attachments(with_documents)
    return {card_id: [document_entry(info) for info in infos] for card_id, infos in found.items()}


def content_of(card, changes: dict | None = None, documents: list | None = None) -> dict:
    """The content an approval stamps, read from `card`; with `changes` (field -> [old, new], as
    an edit gives them) the content the card will have after the edit. The card's documents
    (`documents`, else read with `documents_of`) join it only when it has some: the stamp of a
    card without documents is the one it had before documents existed."""
    content = {name: getattr(card, name) or "" for name in STAMPED_FIELDS}
    for name, (_old, new) in (changes or {}).items():
        if name in content:
            content[name] = new or ""
    if documents is None:
        documents = documents_of(card)
    if documents:
        content["documents"] = [
            {"id": doc["id"], "version": doc["version"], "sha256": doc["sha256"]}
            for doc in documents
        ]
    return content


def stamp_of(content: dict) -> str:
    raw = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def approval_holds(state: dict | None, card, documents: list | None = None) -> bool:
    """True when the chain approved the card's current content (title, description, type and
    the latest version of each document; `documents` when already read): the only condition
    under which a card of a chained type may stand in a done column."""
    return (
        bool(state)
        and state.get("state") == "approved"
        and state.get("stamp") is not None
        and state.get("stamp") == stamp_of(content_of(card, documents=documents))
    )


def changed_documents(seen: list | None, now: list) -> list[dict]:
    """The documents of `now` that are not as a paraf saw them (`seen`): new ones, and new
    versions. A removed document is not listed (it is not on the card any more)."""
    before = {doc["id"]: doc for doc in seen or []}
    return [
        doc
        for doc in now
        if doc["id"] not in before
        or (before[doc["id"]]["version"], before[doc["id"]]["sha256"])
        != (doc["version"], doc["sha256"])
    ]


def states_of(card_ids) -> dict[int, dict]:
    """card id -> state for many cards, in two queries whatever their number."""
    return store.load_states(card_ids)


def open_rounds(board_id: int) -> dict[str, int]:
    """card type -> how many of the board's cards wait for paraf (one indexed query)."""
    return store.open_rounds(board_id)


def _save(card_id: int, state: dict) -> None:
    store.save_state(card_id, state, current(state))


def current(state: dict | None) -> dict | None:
    if not state or state.get("state") != "pending" or not state.get("current_step"):
        return None
    return state["steps"][state["current_step"] - 1]


def step_label(spec: dict, units: dict, board=None) -> str:
    if spec.get("label"):
        return spec["label"]
    if spec.get("team_lead"):
        team = getattr(board, "team", None) if board is not None else None
        if team is not None:
            return _("Team leader of %(team)s", team=team.name)
        return _("Team leader")
    if "head_of" in spec:
        # The post is named by its unit ("Bidang TIK"): data, the same in every language.
        unit = units.get(spec["head_of"])
        return unit.name if unit else spec["head_of"]
    user = find_user(spec.get("user"))
    return user.name if user else spec.get("user", "?")


def team_leader_id(board) -> int | None:
    """The leader of the board's team when the team and its leader are active, else None."""
    team = getattr(board, "team", None) if board is not None else None
    if team is None or not team.active or team.leader is None or not team.leader.active:
        return None
    return team.leader_id


def resolve(spec: dict, board=None) -> tuple[int | None, str]:
    """(approver id or None, label) of a step of a card on `board`, resolved now."""
    if spec.get("team_lead"):
        return team_leader_id(board), step_label(spec, {}, board)
    if "head_of" in spec:
        heads = unit_heads([spec["head_of"]]).get(spec["head_of"]) or []
        unit = api.find_unit(spec["head_of"])
        label = step_label(spec, {spec["head_of"]: unit} if unit else {})
        return (heads[0].id if heads else None), label
    user = find_user(spec.get("user"))
    return (user.id if user else None), step_label(spec, {})


def _request_step(card, state: dict, actor, now: datetime) -> None:
    """Make step `state["current_step"]` current: resolve its approver, tell them, log it."""
    step = state["steps"][state["current_step"] - 1]
    approver_id, label = resolve(step["spec"], card.board)
    step.update(status="current", approver_id=approver_id, label=label)
    state["since"] = iso(now)
    state["reminded_on"] = None
    approver = users_by_ids([approver_id]).get(approver_id) if approver_id else None
    if approver is None:
        text = N_("asked for paraf of %(step)s, but nobody holds that post")
    else:
        text = N_("asked %(name)s (%(step)s) for paraf")
    record_card_event(
        "approval_requested",
        actor,
        card,
        text=text,
        params={"step": label, "name": approver.name if approver else ""},
        round=state["round"],
        step=state["current_step"],
        approver=approver.login if approver else None,
    )
    if approver is not None:
        for person in [approver, *stand_ins(approver_id, card)]:
            notify(
                person,
                _("Paraf requested: %(title)s", title=card.title),
                _("Step %(n)d: %(step)s", n=state["current_step"], step=label),
                card=card,
                link=card_url(card),
                kind="approvals_request",
                plugin=NAME,
            )


def card_url(card) -> str:
    try:
        return url_for("cards.card", card_id=card.id)
    except RuntimeError:
        return f"/cards/{card.id}"


def start_chain(card, chain: Chain, actor) -> dict:
    """A card entered its review column: a new round starts at step 1. Inside the caller's
    transaction (the move's, or a card_transaction)."""
    previous = state_of(card.id) or {}
    now = utcnow()
    # Who was assignee during the round. A round withdrawn or voided (taken out of review,
    # edited) hands its list on: unassigning oneself and resubmitting changes nothing. After a
    # return, the drafter's revision starts a fresh list.
    assignees = list(previous.get("assignees") or []) if previous.get("state") == "none" else []
    if card.assignee_id and card.assignee_id not in assignees:
        assignees.append(card.assignee_id)
    documents = documents_of(card)
    state = {
        "state": "pending",
        "round": int(previous.get("round") or 0) + 1,
        "board_id": card.board_id,
        "tz": card.board.unit.timezone,
        "type": card.type,
        "review_column": chain.review_column,
        "return_column": chain.return_column,
        "current_step": 1,
        "since": iso(now),
        "started_at": iso(now),
        "reminded_on": None,
        # The content the round is about, and everyone assigned to the card during the round
        # (nobody of them decides a step of it).
        "content_stamp": stamp_of(content_of(card, documents=documents)),
        "assignees": assignees,
        # The documents the round is about, and what voided the round before it (when that made
        # this one start: an edit, a new version of a document).
        "documents": documents or None,
        "voided": previous.get("voided") if previous.get("state") == "none" else None,
        "steps": [
            {
                "spec": dict(spec),
                "label": resolve(spec, card.board)[1],
                "approver_id": None,
                "status": "waiting",
                "by_id": None,
                "as_id": None,
                "as_kind": None,
                "at": None,
                "note": None,
            }
            for spec in chain.steps
        ],
    }
    _request_step(card, state, actor, now)
    _save(card.id, state)
    return state


def _stopped(state: dict, **changes) -> dict:
    """The round without a decision in progress: no current step (it waits again)."""
    stopped = {**state, "state": "none", "current_step": None, **changes}
    stopped["steps"] = [
        {**step, "status": "waiting"} if step["status"] == "current" else step
        for step in state["steps"]
    ]
    return stopped


def withdraw(card, state: dict, actor, target_name: str) -> None:
    """The card left its review column while waiting: the round ends without a decision."""
    state = _stopped(state, voided=None)
    record_card_event(
        "approval_withdrawn",
        actor,
        card,
        text=N_("took the card out of paraf (to %(column)s)"),
        params={"column": target_name},
        round=state["round"],
    )
    _save(card.id, state)


def void(card, state: dict, actor, text: str, params: dict | None = None, **data) -> dict:
    """The round (waiting or approved) no longer stands: what it was about changed, or the card
    left review. Records `approval_voided` in the card's history; the state becomes `none`."""
    params = {"round": state["round"], **(params or {})}
    voided = _stopped(
        state,
        stamp=None,
        voided={
            "round": state["round"],
            "text": text,
            "params": params,
            "by_id": getattr(actor, "id", None),
        },
    )
    record_card_event(
        "approval_voided",
        actor,
        card,
        text=text,
        params=params,
        round=state["round"],
        previous=state["state"],
        **data,
    )
    _save(card.id, voided)
    return voided


def note_assignee(card_id: int, state: dict, old_id: int | None, new_id: int | None) -> None:
    """An assignment changed: remember both assignees for the round (waiting, or withdrawn and
    so handing its list on to the next one)."""
    assignees = list(state.get("assignees") or [])
    for person in (old_id, new_id):
        if person is not None and person not in assignees:
            assignees.append(person)
    if assignees != state.get("assignees"):
        _save(card_id, {**state, "assignees": assignees})


def waiting_message(state: dict | None, chain: Chain) -> str:
    """The veto text for a card that may not reach Done yet."""
    step = current(state)
    if step is not None:
        approver = users_by_ids([step["approver_id"]]).get(step["approver_id"])
        name = approver.name if approver else _("nobody holds this post")
        return _("Waiting for paraf of %(step)s: %(name)s", step=step["label"], name=name)
    if state and state.get("state") == "rejected":
        return _("The paraf chain rejected this card; it cannot be completed.")
    if state and state.get("state") == "approved":
        return _(
            "What was approved is not what the card says now: take it out of %(column)s and "
            "back for a new round of paraf.",
            column=chain.review_column,
        )
    if state and state.get("state") == "returned":
        return _(
            "The card was returned for revision; move it to %(column)s for paraf again.",
            column=chain.review_column,
        )
    return _("This card needs paraf first: move it to %(column)s.", column=chain.review_column)


@dataclass
class Outcome:
    state: dict
    card: object


def _note(value, required: bool) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(
                "validation_error",
                _("Write a note: say what must change."),
                {"note": _("A note is required to return or reject.")},
            )
        return None
    if not isinstance(value, str) or len(value) > MAX_NOTE or "\x00" in value:
        raise Invalid(
            "validation_error",
            _("Check the highlighted fields."),
            {"note": _("Must be text of at most %(max)d characters.", max=MAX_NOTE)},
        )
    return value.strip()


def involved(user, state: dict | None, day: date) -> bool:
    """True when `user` holds or decided a step of the card's current round, or stands in today
    for the approver of the waiting step."""
    if not state:
        return False
    for step in state.get("steps", []):
        if user.id in (step.get("approver_id"), step.get("by_id")):
            return True
    step = current(state)
    return (
        step is not None
        and capacity(user, step["approver_id"], day, spec=step.get("spec")) is not None
    )


def may_see(user, card, state: dict | None = None) -> bool:
    """Whoever may see the board, and the approvers of the card's chain (who may sit in another
    unit, e.g. a Sekretaris): they see the card through the plugin's own card page."""
    if api.can_view_card(user, card):
        return True
    if state is None:
        state = state_of(card.id)
    return involved(user, state, local_today(card.board.unit))


def self_approval_reason(card, user, state: dict | None = None) -> str | None:
    """Why `user` may not decide a step of the card's round: they created the card, or are (or
    were, at any moment of the round) its assignee. None when they may."""
    if user.id == getattr(card, "created_by_id", None):
        return _("You created this card, so you may not give it paraf.")
    if card.assignee_id is not None and user.id == card.assignee_id:
        return _("You are assigned to this card, so you may not give it paraf.")
    if state and user.id in (state.get("assignees") or []):
        return _(
            "You were assigned to this card during this round of paraf, so you may not decide it."
        )
    return None


def conflicted(card, state: dict | None, user_id: int | None) -> bool:
    """True when the person created the card or was its assignee during the round."""
    if user_id is None:
        return False
    return user_id in (
        getattr(card, "created_by_id", None),
        card.assignee_id,
        *((state or {}).get("assignees") or []),
    )


def deciders(state: dict | None) -> set[int]:
    """Whoever gave paraf at a step of the round, in person or through a stand-in (both the
    stand-in and the approver they acted for): one person decides at most one step."""
    found = set()
    for step in (state or {}).get("steps", []):
        if step.get("status") == "approved":
            found.update(x for x in (step.get("by_id"), step.get("as_id")) if x)
    return found


def decision_refusal(card, state: dict, user, how: dict) -> tuple[str, str] | None:
    """(code, message) when `user`, able to act on the waiting step as `how` says, still may
    not decide it; None when they may."""
    refusal = self_approval_reason(card, user, state)
    if refusal:
        return "self_approval", refusal
    if how["as"] is not None and conflicted(card, state, how["as"]):
        return "self_approval", _(
            "The approver of this step created or was assigned to this card, so their Plh or "
            "Plt may not decide it either: someone above the post must reassign the step."
        )
    decided = deciders(state)
    if user.id in decided or (how["as"] is not None and how["as"] in decided):
        return "one_step_per_round", _(
            "You already decided a step of this round (in person or through a stand-in); "
            "one person decides at most one step, so someone above the post must reassign it."
        )
    return None


def decide(actor, card_id, decision, note=None, step=None) -> Outcome:
    """Approve, return or reject the current step. One transaction with its audit event; a
    decision on a step that is no longer current is a 409 conflict."""
    errors = {}
    if decision not in DECISIONS:
        errors["decision"] = _("Must be approve, return or reject.")
    if step is not None and (isinstance(step, bool) or not isinstance(step, int)):
        errors["step"] = _("Must be a whole number.")
    if errors:
        raise Invalid("validation_error", _("Check the highlighted fields."), errors)
    note = _note(note, required=decision in ("return", "reject"))
    with card_transaction(None, card_id) as card:
        state = state_of(card.id)
        if not may_see(actor, card, state):
            raise NotFound("not_found", _("Card not found."))
        if not state or state.get("state") != "pending":
            raise Conflict("not_pending", _("No paraf is waiting on this card."))
        number = state["current_step"]
        if step is not None and step != number:
            raise Conflict(
                "step_not_current",
                _("Step %(n)d is no longer waiting: reload the card.", n=step),
            )
        held = state["steps"][number - 1]
        day = local_today(card.board.unit)
        all_delegations = delegations_to(actor.id, day)
        how = capacity(actor, held["approver_id"], day, all_delegations, spec=held.get("spec"))
        if how is None:
            earlier = [
                s
                for s in state["steps"][: number - 1]
                if capacity(actor, s["approver_id"], day, all_delegations, spec=s.get("spec"))
            ]
            if earlier:
                raise Conflict(
                    "step_not_current", _("Your step was already decided: reload the card.")
                )
            raise Forbidden(
                "not_your_step",
                _("This step waits on %(step)s, not on you.", step=held["label"]),
            )
        refusal = decision_refusal(card, state, actor, how)
        if refusal:
            raise Forbidden(*refusal)
        documents = documents_of(card)
        current_stamp = stamp_of(content_of(card, documents=documents))
        if state.get("content_stamp", current_stamp) != current_stamp:
            # Only possible when the card was edited while the plugin was switched off.
            raise Conflict(
                "content_changed",
                _(
                    "The card changed since this round started: take it out of %(column)s "
                    "and back for a new round.",
                    column=state["review_column"],
                ),
            )
        state["content_stamp"] = current_stamp
        state["documents"] = documents or None
        now = utcnow()
        people = users_by_ids([held["approver_id"]])
        approver = people.get(held["approver_id"])
        status = {"approve": "approved", "return": "returned", "reject": "rejected"}[decision]
        held.update(
            status=status,
            by_id=actor.id,
            as_id=how["as"],
            as_kind=how["kind"],
            at=iso(now),
            note=note,
            stamp=current_stamp,
            documents=documents,
        )
        if how["as"] is None:
            text = {
                "approve": N_("gave paraf for %(step)s"),
                "return": N_("returned the card at %(step)s"),
                "reject": N_("rejected the card at %(step)s"),
            }[decision]
        else:
            text = {
                "approve": N_("gave paraf for %(step)s as %(kind)s of %(name)s"),
                "return": N_("returned the card at %(step)s as %(kind)s of %(name)s"),
                "reject": N_("rejected the card at %(step)s as %(kind)s of %(name)s"),
            }[decision]
        record_card_event(
            f"approval_{status}",
            actor,
            card,
            text=text,
            params={
                "step": held["label"],
                "kind": (how["kind"] or "").capitalize(),
                "name": approver.name if approver else "",
            },
            note=note,
            round=state["round"],
            step=number,
            approver=approver.login if approver else None,
            acting_as=how["kind"],
            delegation=how["delegation"],
        )
        owners = [
            u
            for u in users_by_ids([card.created_by_id, card.assignee_id]).values()
            if u.id != actor.id
        ]
        if decision == "approve" and number < len(state["steps"]):
            state["current_step"] = number + 1
            _request_step(card, state, actor, now)
            _save(card.id, state)
        elif decision == "approve":
            state.update(
                state="approved", current_step=None, finished_at=iso(now), stamp=current_stamp
            )
            _save(card.id, state)
            for person in owners:
                notify(
                    person,
                    _("Paraf complete: %(title)s", title=card.title),
                    card=card,
                    link=card_url(card),
                    kind="approvals_done",
                    plugin=NAME,
                )
        else:
            state.update(state=status, current_step=None, finished_at=iso(now))
            _save(card.id, state)
            if decision == "return":
                target = next(
                    (c for c in card.board.columns if same_column(c.name, state["return_column"])),
                    None,
                )
                if target is None:
                    raise Conflict(
                        "return_column_missing",
                        _(
                            "This board has no column %(column)s to return the card to; "
                            "ask a head to fix the paraf chain.",
                            column=state["return_column"],
                        ),
                    )
                if target.id != card.column_id:
                    api.move_card_in_transaction(actor, card, target.id)
            title = (
                _("Returned for revision: %(title)s", title=card.title)
                if decision == "return"
                else _("Rejected: %(title)s", title=card.title)
            )
            for person in owners:
                notify(
                    person,
                    title,
                    note or "",
                    card=card,
                    link=card_url(card),
                    kind=f"approvals_{status}",
                    plugin=NAME,
                )
    return Outcome(state, card)


def reassign(actor, card_id, to, step=None) -> Outcome:
    """An admin, or someone above the post of the waiting step, gives the step to another person
    (e.g. when its approver created or was assigned to the card, or the post is vacant). Never
    to oneself, nor to someone who may not decide a step of this round."""
    with card_transaction(actor, card_id) as card:
        state = state_of(card.id)
        if not state or state.get("state") != "pending":
            raise Conflict("not_pending", _("No paraf is waiting on this card."))
        if step is not None and step != state["current_step"]:
            raise Conflict(
                "step_not_current", _("Step %(n)d is no longer waiting: reload the card.", n=step)
            )
        held = state["steps"][state["current_step"] - 1]
        if not above_step(actor, held["spec"], card.board):
            raise Forbidden(
                "forbidden",
                _(
                    "Only someone above the post of %(step)s, or an admin, may reassign this step.",
                    step=held["label"],
                ),
            )
        person = find_user(to)
        problem = None
        if person is None:
            problem = _("No active user has that NIP or username.")
        elif person.id == actor.id:
            problem = _("You cannot give a step to yourself.")
        elif conflicted(card, state, person.id):
            problem = _(
                "This person created or was assigned to the card during this round, so they "
                "may not decide it."
            )
        elif person.id in deciders(state):
            problem = _(
                "This person already decided a step of this round; one person decides at most "
                "one step."
            )
        elif person.id == held["approver_id"]:
            problem = _("This person already holds the step.")
        if problem:
            raise Invalid("validation_error", _("Check the highlighted fields."), {"to": problem})
        old = users_by_ids([held["approver_id"]]).get(held["approver_id"])
        held["approver_id"] = person.id
        held["reassigned_by_id"] = actor.id
        state["since"] = iso(utcnow())
        state["reminded_on"] = None
        record_card_event(
            "approval_reassigned",
            actor,
            card,
            text=N_("gave the paraf of %(step)s to %(name)s"),
            params={"step": held["label"], "name": person.name},
            step=state["current_step"],
            old=old.login if old else None,
            new=person.login,
        )
        _save(card.id, state)
        notify(
            person,
            _("Paraf requested: %(title)s", title=card.title),
            _("Step %(n)d: %(step)s", n=state["current_step"], step=held["label"]),
            card=card,
            link=card_url(card),
            kind="approvals_request",
            plugin=NAME,
        )
    return Outcome(state, card)


def state_json(state: dict | None, people: dict) -> dict:
    if not state:
        return {"state": "none", "current_step": None, "round": 0, "documents": [], "steps": []}

    def login(user_id):
        user = people.get(user_id)
        return user.login if user else None

    return {
        "state": state["state"],
        "current_step": state.get("current_step"),
        "round": state.get("round", 0),
        "since": state.get("since") if state["state"] == "pending" else None,
        "documents": [dict(doc) for doc in state.get("documents") or []],
        "steps": [
            {
                "number": index,
                "label": step["label"],
                "approver": login(step["approver_id"]),
                "status": step["status"],
                "decided_by": login(step["by_id"]),
                "acting_as": step["as_kind"],
                "acting_for": login(step["as_id"]),
                "at": step["at"],
                "note": step["note"],
                "documents": (
                    [dict(doc) for doc in step["documents"]]
                    if step.get("documents") is not None
                    else None
                ),
            }
            for index, step in enumerate(state["steps"], start=1)
        ],
    }


def people_of(states) -> dict:
    ids = set()
    for state in states:
        by_id = ((state or {}).get("voided") or {}).get("by_id")
        if by_id:
            ids.add(by_id)
        for step in (state or {}).get("steps", []):
            ids.update(x for x in (step["approver_id"], step["by_id"], step["as_id"]) if x)
    return users_by_ids(ids)
