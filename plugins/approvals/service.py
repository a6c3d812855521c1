"""The approvals use cases: start a chain, decide a step, reassign it, delegate, remind, and the
reads behind the inbox, the panel and the API.

Everything is kept in the plugin store:

- `card/<card id>`: the chain state of one card (state, round, steps with their stamps);
- `pending/<card id>`: {"approver_id", "since", "board_id"} while a step waits (the inbox index);
- `delegation/<id>`: one Plh/Plt delegation.

Every write runs in `card_transaction` (board locked, one transaction) and writes its audit
event in that transaction, so two people deciding the same step at once are serialised: the
second one finds the step decided and gets a 409.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import g, has_app_context, url_for
from flask_babel import gettext as _

from app import plugin_api as api
from app.plugin_api import (
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    card_transaction,
    cards_by_ids,
    find_user,
    notify,
    plugin_settings,
    plugin_store,
    record_card_event,
    unit_heads,
    users_by_ids,
)
from plugins.approvals.chains import NAME, Chain, same_column

DECISIONS = ("approve", "return", "reject")
KINDS = ("plh", "plt")
MAX_NOTE = 2000


def N_(text: str) -> str:
    """Mark a message for translation without translating it: history lines are stored as
    msgid + params and translated when shown, in the reader's language."""
    return text


def store():
    return plugin_store(NAME)


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def jakarta_today() -> date:
    """Today in WIB: for lists of delegations that belong to no single unit."""
    return utcnow().astimezone(ZoneInfo("Asia/Jakarta")).date()


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def naive_utc(text: str | None) -> datetime | None:
    """An ISO stamp as the naive UTC datetime the templates' `fmt_when` expects."""
    return parse_iso(text).astimezone(UTC).replace(tzinfo=None) if text else None


# --- calendar -------------------------------------------------------------------------------


def calendars(unit_ids) -> dict:
    """unit id -> the shared working-day calendar (`work_calendars` of the plugin API), read
    once per request (or tick) for all the units asked for."""
    cache = g.setdefault("_approvals_calendars", {}) if has_app_context() else {}
    missing = {unit_id for unit_id in unit_ids if unit_id not in cache}
    if missing:
        cache.update(api.work_calendars(missing))
    return cache


def calendar(unit):
    """The shared working-day calendar of a unit."""
    return calendars([unit.id])[unit.id]


def local_today(unit, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(calendar(unit).tz).date()


def waited_working_days(unit, since: datetime, now: datetime | None = None) -> int:
    return calendar(unit).working_days_between(since, now or utcnow())


# --- reading state --------------------------------------------------------------------------


def state_of(card_id: int) -> dict | None:
    return store().get(f"card/{card_id}")


def states_of(card_ids) -> dict[int, dict]:
    """card id -> state for many cards, in one query."""
    wanted = {f"card/{card_id}" for card_id in card_ids}
    if not wanted:
        return {}
    found = store().items("card/") if len(wanted) > 200 else store().get_many(wanted)
    return {int(key.split("/", 1)[1]): value for key, value in found.items() if key in wanted}


def _save(card_id: int, state: dict) -> None:
    store().set(f"card/{card_id}", state)
    step = current(state)
    if state["state"] == "pending" and step is not None and step.get("approver_id"):
        store().set(
            f"pending/{card_id}",
            {
                "approver_id": step["approver_id"],
                "since": state["since"],
                "board_id": state["board_id"],
                "tz": state.get("tz") or "Asia/Jakarta",
            },
        )
    else:
        store().delete(f"pending/{card_id}")


def current(state: dict | None) -> dict | None:
    if not state or state.get("state") != "pending" or not state.get("current_step"):
        return None
    return state["steps"][state["current_step"] - 1]


# --- delegations ----------------------------------------------------------------------------


def delegations() -> list[dict]:
    """Every delegation, newest first."""
    items = list(store().items("delegation/").values())
    return sorted(items, key=lambda d: (d["start"], d["created_at"]), reverse=True)


def active_on(delegation: dict, day: date) -> bool:
    return not delegation.get("revoked_at") and date.fromisoformat(
        delegation["start"]
    ) <= day <= date.fromisoformat(delegation["end"])


def acting_for(user_id: int, day: date, all_delegations=None) -> dict[int, dict]:
    """approver id -> the delegation through which `user_id` acts for them on `day`."""
    found = {}
    for item in all_delegations if all_delegations is not None else delegations():
        if item["to_id"] == user_id and active_on(item, day):
            found[item["from_id"]] = item
    return found


def capacity(user, approver_id: int | None, day: date, all_delegations=None) -> dict | None:
    """How `user` may decide a step held by `approver_id` on `day`: {"as": None} in person,
    {"as": approver id, "kind": "plh"|"plt", "delegation": id} as a stand-in, or None."""
    if approver_id is None:
        return None
    if user.id == approver_id:
        return {"as": None, "kind": None, "delegation": None}
    item = acting_for(user.id, day, all_delegations).get(approver_id)
    if item is not None:
        return {"as": approver_id, "kind": item["kind"], "delegation": item["id"]}
    return None


def _clean_date(value, field: str, errors: dict) -> date | None:
    try:
        if not isinstance(value, str):
            raise ValueError
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[field] = _("Use the format YYYY-MM-DD.")
        return None


def may_manage_delegations_of(actor, person) -> bool:
    """The person themself, a head of one of their units (or an ancestor unit), or an admin."""
    return actor.is_admin or actor.id == person.id or api.is_head_of(actor, person)


def create_delegation(actor, data: dict) -> dict:
    """Record that `to` acts for `from` (Plh: an absence; Plt: a vacant post) from `start` to
    `end` inclusive. Refused: unknown people, bad dates, a stand-in who is themself acting for
    someone in that period (a delegate cannot delegate further), an overlapping delegation."""
    errors: dict = {}
    giver = find_user(data.get("from")) if data.get("from") is not None else actor
    if giver is None:
        errors["from"] = _("No active user has that NIP or username.")
    taker = find_user(data.get("to"))
    if taker is None:
        errors["to"] = _("No active user has that NIP or username.")
    kind = data.get("kind")
    if kind not in KINDS:
        errors["kind"] = _("Must be plh or plt.")
    start = _clean_date(data.get("start"), "start", errors)
    end = _clean_date(data.get("end"), "end", errors)
    if start and end and end < start:
        errors["end"] = _("The end date must not be before the start date.")
    if giver is not None and taker is not None and giver.id == taker.id:
        errors["to"] = _("A person cannot be their own Plh or Plt.")
    if errors:
        raise Invalid("validation_error", _("Check the highlighted fields."), errors)
    if not may_manage_delegations_of(actor, giver):
        raise Forbidden(
            "forbidden",
            _("Only %(name)s, their head or an admin may name their Plh or Plt.", name=giver.name),
        )
    with api.plugin_transaction(NAME):
        existing = [d for d in delegations() if not d.get("revoked_at")]
        for item in existing:
            overlaps = date.fromisoformat(item["start"]) <= end and start <= date.fromisoformat(
                item["end"]
            )
            if not overlaps:
                continue
            if item["to_id"] == giver.id:
                raise Invalid(
                    "delegate_cannot_delegate",
                    _(
                        "%(name)s acts as stand-in for someone in this period; "
                        "a delegate cannot delegate further.",
                        name=giver.name,
                    ),
                    {"from": _("A delegate cannot delegate further.")},
                )
            if item["from_id"] == taker.id:
                raise Invalid(
                    "delegate_is_away",
                    _("%(name)s has a stand-in of their own in this period.", name=taker.name),
                    {"to": _("This person is away in this period.")},
                )
            if item["from_id"] == giver.id:
                raise Conflict(
                    "delegation_overlap",
                    _(
                        "%(name)s already has a stand-in from %(start)s to %(end)s.",
                        name=giver.name,
                        start=item["start"],
                        end=item["end"],
                    ),
                )
        delegation = {
            "id": uuid.uuid4().hex[:12],
            "from_id": giver.id,
            "to_id": taker.id,
            "kind": kind,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "created_by_id": actor.id,
            "created_at": iso(utcnow()),
            "revoked_at": None,
            "revoked_by_id": None,
        }
        store().set(f"delegation/{delegation['id']}", delegation)
    title = _("You are %(kind)s of %(name)s", kind=kind.capitalize(), name=giver.name)
    body = _("From %(start)s to %(end)s you may give paraf in their place.", start=start, end=end)
    notify(taker, title, body, kind="approvals_delegation", plugin=NAME)
    return delegation


def revoke_delegation(actor, delegation_id: str) -> dict:
    with api.plugin_transaction(NAME):
        item = (
            store().get(f"delegation/{delegation_id}") if isinstance(delegation_id, str) else None
        )
        if item is None:
            raise NotFound("not_found", _("Delegation not found."))
        people = users_by_ids([item["from_id"], item["to_id"]])
        giver = people.get(item["from_id"])
        if giver is None or not (
            may_manage_delegations_of(actor, giver) or actor.id == item["to_id"]
        ):
            raise NotFound("not_found", _("Delegation not found."))
        if item.get("revoked_at"):
            return item
        item = {**item, "revoked_at": iso(utcnow()), "revoked_by_id": actor.id}
        store().set(f"delegation/{delegation_id}", item)
    return item


def visible_delegations(actor) -> list[dict]:
    """Delegations the actor gave, received or may manage."""
    items = delegations()
    if actor.is_admin:
        return items
    ids = {d["from_id"] for d in items}
    people = users_by_ids(ids)
    return [
        d
        for d in items
        if actor.id in (d["from_id"], d["to_id"])
        or (d["from_id"] in people and may_manage_delegations_of(actor, people[d["from_id"]]))
    ]


def delegation_json(item: dict, people: dict) -> dict:
    def login(user_id):
        user = people.get(user_id)
        return user.login if user else None

    return {
        "id": item["id"],
        "from": login(item["from_id"]),
        "to": login(item["to_id"]),
        "kind": item["kind"],
        "start": item["start"],
        "end": item["end"],
        "active": active_on(item, jakarta_today()),
        "revoked": bool(item.get("revoked_at")),
        "created_by": login(item.get("created_by_id")),
        "created_at": item["created_at"],
    }


# --- chains ---------------------------------------------------------------------------------


def step_label(spec: dict, units: dict) -> str:
    if spec.get("label"):
        return spec["label"]
    if "head_of" in spec:
        # The post is named by its unit ("Bidang TIK"): data, the same in every language.
        unit = units.get(spec["head_of"])
        return unit.name if unit else spec["head_of"]
    user = find_user(spec.get("user"))
    return user.name if user else spec.get("user", "?")


def resolve(spec: dict) -> tuple[int | None, str]:
    """(approver id or None, label) of a step, resolved now."""
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
    approver_id, label = resolve(step["spec"])
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


def stand_ins(approver_id: int, card) -> list:
    """The users acting today for an approver."""
    day = local_today(card.board.unit)
    ids = [d["to_id"] for d in delegations() if d["from_id"] == approver_id and active_on(d, day)]
    return list(users_by_ids(ids).values())


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
        "steps": [
            {
                "spec": dict(spec),
                "label": resolve(spec)[1],
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


def withdraw(card, state: dict, actor, target_name: str) -> None:
    """The card left its review column while waiting: the round ends without a decision."""
    state = {**state, "state": "none", "current_step": None}
    for step in state["steps"]:
        if step["status"] == "current":
            step["status"] = "waiting"
    record_card_event(
        "approval_withdrawn",
        actor,
        card,
        text=N_("took the card out of paraf (to %(column)s)"),
        params={"column": target_name},
        round=state["round"],
    )
    _save(card.id, state)


def waiting_message(state: dict | None, chain: Chain) -> str:
    """The veto text for a card that may not reach Done yet."""
    step = current(state)
    if step is not None:
        approver = users_by_ids([step["approver_id"]]).get(step["approver_id"])
        name = approver.name if approver else _("nobody holds this post")
        return _("Waiting for paraf of %(step)s: %(name)s", step=step["label"], name=name)
    if state and state.get("state") == "rejected":
        return _("The paraf chain rejected this card; it cannot be completed.")
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
    return step is not None and capacity(user, step["approver_id"], day) is not None


def may_see(user, card, state: dict | None = None) -> bool:
    """Whoever may see the board, and the approvers of the card's chain (who may sit in another
    unit, e.g. a Sekretaris): they see the card through the plugin's own card page."""
    if api.can_view_card(user, card):
        return True
    if state is None:
        state = state_of(card.id)
    return involved(user, state, local_today(card.board.unit))


def self_approval_reason(card, user) -> str | None:
    if user.id == getattr(card, "created_by_id", None):
        return _("You created this card, so you may not give it paraf.")
    if card.assignee_id is not None and user.id == card.assignee_id:
        return _("You are assigned to this card, so you may not give it paraf.")
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
        all_delegations = delegations()
        how = capacity(actor, held["approver_id"], day, all_delegations)
        if how is None:
            earlier = [
                s
                for s in state["steps"][: number - 1]
                if capacity(actor, s["approver_id"], day, all_delegations)
            ]
            if earlier:
                raise Conflict(
                    "step_not_current", _("Your step was already decided: reload the card.")
                )
            raise Forbidden(
                "not_your_step",
                _("This step waits on %(step)s, not on you.", step=held["label"]),
            )
        refusal = self_approval_reason(card, actor)
        if refusal:
            raise Forbidden("self_approval", refusal)
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
            state.update(state="approved", current_step=None, finished_at=iso(now))
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
    """An admin or a head of the board gives the current step to another person (e.g. when its
    approver is the card's author, or the post is vacant)."""
    with card_transaction(actor, card_id) as card:
        if not api.can_manage_board(actor, card.board):
            raise Forbidden(
                "forbidden", _("Only an admin or a head of this unit may reassign a paraf step.")
            )
        person = find_user(to)
        if person is None:
            raise Invalid(
                "validation_error",
                _("Check the highlighted fields."),
                {"to": _("No active user has that NIP or username.")},
            )
        state = state_of(card.id)
        if not state or state.get("state") != "pending":
            raise Conflict("not_pending", _("No paraf is waiting on this card."))
        if step is not None and step != state["current_step"]:
            raise Conflict(
                "step_not_current", _("Step %(n)d is no longer waiting: reload the card.", n=step)
            )
        held = state["steps"][state["current_step"] - 1]
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


# --- inbox and reminders --------------------------------------------------------------------


@dataclass
class InboxItem:
    card: object
    step: int
    label: str
    since: datetime
    waited: int
    acting_as: object  # the approver a stand-in acts for, or None
    kind: str | None


def inbox(user, now: datetime | None = None) -> list[InboxItem]:
    """Cards waiting on `user` (in person or as Plh/Plt), oldest first. Constant queries."""
    now = now or utcnow()
    pending = store().items("pending/")
    if not pending:
        return []
    # Delegations to me, whatever their dates: each card checks them on its unit's local day.
    roles: dict = {user.id: None}
    for item in delegations():
        if item["to_id"] == user.id and not item.get("revoked_at"):
            roles.setdefault(item["from_id"], [])
            if isinstance(roles[item["from_id"]], list):
                roles[item["from_id"]].append(item)
    mine = {
        int(key.split("/", 1)[1]): value
        for key, value in pending.items()
        if value.get("approver_id") in roles
    }
    if not mine:
        return []
    cards = cards_by_ids(mine)
    calendars({card.board.unit_id for card in cards.values()})
    states = states_of(mine)
    people = users_by_ids([v["approver_id"] for v in mine.values()])
    items = []
    for card_id, entry in mine.items():
        card, state = cards.get(card_id), states.get(card_id)
        step = current(state)
        if card is None or step is None:
            continue
        delegation = None
        if entry["approver_id"] != user.id:
            day = local_today(card.board.unit, now)
            delegation = next((d for d in roles[entry["approver_id"]] if active_on(d, day)), None)
            if delegation is None:
                continue
        since = parse_iso(entry["since"])
        items.append(
            InboxItem(
                card=card,
                step=state["current_step"],
                label=step["label"],
                since=since,
                waited=waited_working_days(card.board.unit, since, now),
                acting_as=people.get(entry["approver_id"]) if delegation else None,
                kind=delegation["kind"] if delegation else None,
            )
        )
    items.sort(key=lambda item: (item.since, item.card.id))
    return items


def inbox_count(user) -> int:
    """For the nav counter: two queries, no calendar work."""
    pending = store().items("pending/")
    if not pending:
        return 0
    now = utcnow()
    mine = [d for d in delegations() if d["to_id"] == user.id and not d.get("revoked_at")]
    count = 0
    for value in pending.values():
        if value.get("approver_id") == user.id:
            count += 1
            continue
        day = now.astimezone(ZoneInfo(value.get("tz") or "Asia/Jakarta")).date()
        if any(d["from_id"] == value.get("approver_id") and active_on(d, day) for d in mine):
            count += 1
    return count


def remind(now: datetime) -> int:
    """Remind each approver once per working day about cards that waited longer than the
    board's `remind_after_days`. Idempotent: a second run on the same day sends nothing."""
    pending = store().items("pending/")
    if not pending:
        return 0
    ids = [int(key.split("/", 1)[1]) for key in pending]
    cards = cards_by_ids(ids)
    calendars({card.board.unit_id for card in cards.values()})
    sent = 0
    for card_id in ids:
        card = cards.get(card_id)
        if card is None:
            continue
        unit = card.board.unit
        cal = calendar(unit)
        today = now.astimezone(cal.tz).date()
        if not cal.is_working_day(today):
            continue
        limit = plugin_settings(card.board, NAME)["remind_after_days"]
        entry = pending[f"pending/{card_id}"]
        waited = cal.working_days_between(parse_iso(entry["since"]), now)
        if waited <= limit:
            continue
        with card_transaction(None, card_id) as locked:
            state = state_of(card_id)
            step = current(state)
            if step is None or state.get("reminded_on") == today.isoformat():
                continue
            approver = users_by_ids([step["approver_id"]]).get(step["approver_id"])
            if approver is None:
                continue
            state["reminded_on"] = today.isoformat()
            store().set(f"card/{card_id}", state)
            record_card_event(
                "approval_reminder",
                None,
                locked,
                text=N_("reminded %(name)s: paraf waiting %(days)d working days"),
                params={"name": approver.name, "days": waited},
                step=state["current_step"],
                approver=approver.login,
                waited=waited,
                day=today.isoformat(),
            )
            for person in [approver, *stand_ins(approver.id, locked)]:
                notify(
                    person,
                    _("Reminder: paraf waiting on %(title)s", title=locked.title),
                    _(
                        "Waiting %(days)d working days at %(step)s.",
                        days=waited,
                        step=step["label"],
                    ),
                    card=locked,
                    link=card_url(locked),
                    kind="approvals_reminder",
                    plugin=NAME,
                )
            sent += 1
    return sent


def state_json(state: dict | None, people: dict) -> dict:
    if not state:
        return {"state": "none", "current_step": None, "round": 0, "steps": []}

    def login(user_id):
        user = people.get(user_id)
        return user.login if user else None

    return {
        "state": state["state"],
        "current_step": state.get("current_step"),
        "round": state.get("round", 0),
        "since": state.get("since") if state["state"] == "pending" else None,
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
            }
            for index, step in enumerate(state["steps"], start=1)
        ],
    }


def people_of(states) -> dict:
    ids = set()
    for state in states:
        for step in (state or {}).get("steps", []):
            ids.update(x for x in (step["approver_id"], step["by_id"], step["as_id"]) if x)
    return users_by_ids(ids)
