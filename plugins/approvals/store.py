"""Where the approvals plugin keeps its records: its own tables (plugins/approvals/models.py).

The rest of the plugin works on plain dicts, as it did when these lived in the key-value store:
a card's round is `{"state", "round", "board_id", "tz", "type", "review_column",
"return_column", "current_step", "since", "started_at", "finished_at", "reminded_on",
"content_stamp", "stamp", "assignees", "documents", "voided", "steps": [...]}` with ISO-8601
stamps; a delegation is
`{"id", "from_id", "to_id", "kind", "start", "end", "created_by_id", "created_at",
"revoked_at", "revoked_by_id"}`. This module turns them into rows and back.
"""

from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from cergas.plugin import plugin_session, plugin_write
from plugins.approvals.models import Delegation, Pending, Round, Step

ROUND_FIELDS = (
    "state",
    "round",
    "board_id",
    "tz",
    "type",
    "review_column",
    "return_column",
    "current_step",
    "content_stamp",
    "stamp",
    "documents",
    "voided",
)
ROUND_TIMES = ("since", "started_at", "finished_at")
STEP_FIELDS = (
    "spec",
    "label",
    "approver_id",
    "status",
    "by_id",
    "as_id",
    "as_kind",
    "note",
    "stamp",
    "reassigned_by_id",
    "documents",
)
DELEGATION_FIELDS = ("id", "from_id", "to_id", "kind", "created_by_id", "revoked_by_id")


def N_(text: str) -> str:
    """Mark a message for translation without translating it: history lines are stored as
    msgid + params and translated when shown, in the reader's language."""
    return text


def to_iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def from_iso(text: str | None) -> datetime | None:
    """An ISO stamp as a naive UTC datetime (as the tables keep it)."""
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _day(text) -> date | None:
    return date.fromisoformat(text) if text else None


# --- rounds -----------------------------------------------------------------------------------


def round_dict(row: Round) -> dict:
    state = {name: getattr(row, name) for name in ROUND_FIELDS}
    state.update({name: to_iso(getattr(row, name)) for name in ROUND_TIMES})
    state["reminded_on"] = row.reminded_on.isoformat() if row.reminded_on else None
    state["assignees"] = list(row.assignees or [])
    # Written only when the round is about documents, or started because the one before it was
    # voided: a round of a card without documents reads as it did before documents existed.
    for name in ("documents", "voided"):
        if state[name] is None:
            del state[name]
    state["steps"] = [
        {**{name: getattr(step, name) for name in STEP_FIELDS}, "at": to_iso(step.at)}
        for step in row.steps
    ]
    for step in state["steps"]:
        # Written only once a step is decided (stamp, documents) or given to someone else
        # (reassigned).
        for name in ("stamp", "reassigned_by_id", "documents"):
            if step[name] is None:
                del step[name]
        step["spec"] = dict(step["spec"] or {})
    return state


def load_state(card_id: int) -> dict | None:
    row = plugin_session().get(Round, card_id)
    return round_dict(row) if row is not None else None


def load_states(card_ids) -> dict[int, dict]:
    """card id -> round, in two queries (rounds, then their steps) whatever the number."""
    ids = sorted({int(card_id) for card_id in card_ids})
    if not ids:
        return {}
    session = plugin_session()
    # The steps in one query of their own: the relationship's selectin loading would ask again
    # for every 500 rounds, so an inbox's query count would grow with its size.
    rows = list(
        session.scalars(select(Round).where(Round.card_id.in_(ids)).options(lazyload(Round.steps)))
    )
    steps: dict[int, list[Step]] = {row.card_id: [] for row in rows}
    if rows:
        query = (
            select(Step).where(Step.card_id.in_(list(steps))).order_by(Step.card_id, Step.number)
        )
        for step in session.scalars(query):
            steps[step.card_id].append(step)
    for row in rows:
        set_committed_value(row, "steps", steps[row.card_id])
    return {row.card_id: round_dict(row) for row in rows}


def open_rounds(board_id: int) -> dict[str, int]:
    query = (
        select(Round.type, func.count())
        .where(Round.board_id == board_id, Round.state == "pending")
        .group_by(Round.type)
    )
    return dict(plugin_session().execute(query).all())


def fill_round(row: Round, state: dict) -> None:
    for name in ROUND_FIELDS:
        setattr(row, name, state.get(name))
    for name in ROUND_TIMES:
        setattr(row, name, from_iso(state.get(name)))
    row.reminded_on = _day(state.get("reminded_on"))
    row.assignees = list(state.get("assignees") or [])
    existing = {step.number: step for step in row.steps}
    steps = []
    for number, values in enumerate(state.get("steps") or [], start=1):
        step = existing.get(number) or Step(number=number)
        for name in STEP_FIELDS:
            setattr(step, name, values.get(name))
        step.spec = dict(values.get("spec") or {})
        step.at = from_iso(values.get("at"))
        steps.append(step)
    row.steps = steps


def fill_pending(card_id: int, state: dict, step: dict | None) -> None:
    """The inbox row of a card: present while a step with an approver waits."""
    session = plugin_session()
    row = session.get(Pending, card_id)
    if state["state"] == "pending" and step is not None and step.get("approver_id"):
        if row is None:
            row = Pending(card_id=card_id)
            session.add(row)
        row.approver_id = step["approver_id"]
        row.since = from_iso(state["since"])
        row.board_id = state["board_id"]
        row.tz = state.get("tz") or "Asia/Jakarta"
        # For the inbox of whoever acts as head of that unit (Plt/Plh).
        row.head_of = (step.get("spec") or {}).get("head_of")
    elif row is not None:
        session.delete(row)


def save_state(card_id: int, state: dict, step: dict | None) -> None:
    """Write a card's round and its inbox row (in the caller's transaction, or one of its own)."""

    def write():
        session = plugin_session()
        row = session.get(Round, card_id)
        if row is None:
            row = Round(card_id=card_id)
            session.add(row)
        fill_round(row, state)
        fill_pending(card_id, state, step)

    plugin_write(write)


def set_reminded(card_id: int, day: date) -> None:
    def write():
        row = plugin_session().get(Round, card_id)
        if row is not None:
            row.reminded_on = day

    plugin_write(write)


def pending_rows() -> list[Pending]:
    return list(plugin_session().scalars(select(Pending).order_by(Pending.card_id)))


def pending_entry(row: Pending) -> dict:
    return {
        "approver_id": row.approver_id,
        "since": to_iso(row.since),
        "board_id": row.board_id,
        "tz": row.tz,
        "head_of": row.head_of,
    }


# --- delegations ------------------------------------------------------------------------------


def delegation_dict(row: Delegation) -> dict:
    item = {name: getattr(row, name) for name in DELEGATION_FIELDS}
    item.update(
        start=row.start.isoformat(),
        end=row.end.isoformat(),
        created_at=to_iso(row.created_at),
        revoked_at=to_iso(row.revoked_at),
    )
    return item


def fill_delegation(row: Delegation, item: dict) -> None:
    for name in DELEGATION_FIELDS:
        setattr(row, name, item.get(name))
    row.start = _day(item["start"])
    row.end = _day(item["end"])
    row.created_at = from_iso(item["created_at"])
    row.revoked_at = from_iso(item.get("revoked_at"))


def all_delegations() -> list[dict]:
    rows = plugin_session().scalars(select(Delegation))
    return [delegation_dict(row) for row in rows]


def delegations_where(*conditions) -> list[dict]:
    rows = plugin_session().scalars(select(Delegation).where(*conditions))
    return [delegation_dict(row) for row in rows]


def load_delegation(delegation_id: str) -> dict | None:
    row = plugin_session().get(Delegation, delegation_id)
    return delegation_dict(row) if row is not None else None


def save_delegation(item: dict) -> None:
    def write():
        session = plugin_session()
        row = session.get(Delegation, item["id"])
        if row is None:
            row = Delegation(id=item["id"])
            session.add(row)
        fill_delegation(row, item)

    plugin_write(write)
