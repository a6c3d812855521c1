"""The approver's inbox: the cards waiting on a person (in person or as Plh/Plt), the nav
counter, and the daily reminders."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from cergas.plugin import (
    acting_heads,
    card_transaction,
    cards_by_ids,
    notify,
    plugin_settings,
    record_card_event,
    users_by_ids,
)
from plugins.approvals.chains import NAME
from plugins.approvals.clock import (
    calendar,
    calendars,
    local_today,
    parse_iso,
    utcnow,
    waited_working_days,
)
from plugins.approvals.delegations import active_on, delegations, stand_ins
from plugins.approvals.paraf import card_url, current, state_of, states_of
from plugins.approvals.store import N_, store


@dataclass
class InboxItem:
    card: object
    step: int
    label: str
    since: datetime
    waited: int
    acting_as: object  # the approver a stand-in acts for, or None
    kind: str | None


def waiting_on(user, now: datetime | None = None) -> list[InboxItem]:
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
    acting = _acting_kinds(user, pending.values())
    mine = {
        int(key.split("/", 1)[1]): value
        for key, value in pending.items()
        if value.get("approver_id") in roles or value.get("head_of") in acting
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
            delegation = next(
                (d for d in roles.get(entry["approver_id"]) or [] if active_on(d, day)), None
            )
            if delegation is None and entry.get("head_of") in acting:
                delegation = {"kind": acting[entry["head_of"]]}
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


def _acting_kinds(user, entries) -> dict[str, str]:
    """unit code -> "plt" | "plh" for the units of waiting `head_of` steps that `user` acts as
    head of today (appointed in Cergas, app/services/acting.py)."""
    codes = {entry.get("head_of") for entry in entries if entry.get("head_of")}
    found = {}
    for code, people in acting_heads(codes).items():
        for person, kind in people:
            if person.id == user.id:
                found[code] = kind
    return found


def inbox_count(user) -> int:
    """For the nav counter: two queries, no calendar work."""
    pending = store().items("pending/")
    if not pending:
        return 0
    now = utcnow()
    mine = [d for d in delegations() if d["to_id"] == user.id and not d.get("revoked_at")]
    acting = _acting_kinds(user, pending.values())
    count = 0
    for value in pending.values():
        if value.get("approver_id") == user.id or value.get("head_of") in acting:
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
