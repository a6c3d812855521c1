"""The approver's inbox: the cards waiting on a person (in person or as Plh/Plt), the nav
counter, and the daily reminders."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from cergas.plugin import (
    acting_heads,
    card_transaction,
    cards_by_ids,
    notify,
    plugin_session,
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
from plugins.approvals.delegations import active_on, delegations_to, stand_ins
from plugins.approvals.models import Pending
from plugins.approvals.paraf import card_url, current, state_of, states_of
from plugins.approvals.store import N_, pending_entry, pending_rows, set_reminded


@dataclass
class InboxItem:
    card: object
    step: int
    label: str
    since: datetime
    waited: int
    acting_as: object  # the approver a stand-in acts for, or None
    kind: str | None


def _live_roles(user, now: datetime) -> dict:
    """approver id -> the delegations through which `user` may stand in for them around today
    (a day either side: each card checks them on its unit's local day); `user.id` -> None."""
    roles: dict = {user.id: None}
    for item in delegations_to(user.id, now.date()):
        roles.setdefault(item["from_id"], []).append(item)
    return roles


def _waiting_codes() -> set[str]:
    """The units of the `head_of` steps waiting now (one indexed query, one row per unit)."""
    query = select(Pending.head_of).where(Pending.head_of.is_not(None)).distinct()
    return set(plugin_session().scalars(query))


def waiting_on(user, now: datetime | None = None) -> list[InboxItem]:
    """Cards waiting on `user` (in person or as Plh/Plt), oldest first. Constant queries."""
    now = now or utcnow()
    roles = _live_roles(user, now)
    acting = _acting_kinds(user, _waiting_codes())
    conditions = [Pending.approver_id.in_(roles)]
    if acting:
        conditions.append(Pending.head_of.in_(acting))
    rows = plugin_session().scalars(select(Pending).where(or_(*conditions)))
    mine = {row.card_id: pending_entry(row) for row in rows}
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


def _acting_kinds(user, codes) -> dict[str, str]:
    """unit code -> "plt" | "plh" for the units among `codes` (of waiting `head_of` steps) that
    `user` acts as head of today (appointed in Cergas, app/services/acting.py)."""
    found = {}
    for code, people in acting_heads(codes).items():
        for person, kind in people:
            if person.id == user.id:
                found[code] = kind
    return found


def inbox_count(user) -> int:
    """For the nav counter, on every page. Whatever the history (decided rounds, delegations
    long over), a constant number of indexed queries: the user's live delegations (by stand-in
    and end date), one grouped count of the waiting steps that may be theirs (by approver, or
    with a unit for its acting heads), and the acting heads of those units (only when some)."""
    now = utcnow()
    roles = _live_roles(user, now)
    query = (
        select(Pending.tz, Pending.approver_id, Pending.head_of, func.count())
        .where(or_(Pending.approver_id.in_(roles), Pending.head_of.is_not(None)))
        .group_by(Pending.tz, Pending.approver_id, Pending.head_of)
    )
    groups = plugin_session().execute(query).all()
    if not groups:
        return 0
    codes = {head_of for _tz, approver_id, head_of, _n in groups if head_of}
    acting = _acting_kinds(user, codes) if codes else {}
    count = 0
    for tz, approver_id, head_of, number in groups:
        if approver_id == user.id or head_of in acting:
            count += number
            continue
        day = now.astimezone(ZoneInfo(tz or "Asia/Jakarta")).date()
        if any(active_on(d, day) for d in roles.get(approver_id) or []):
            count += number
    return count


def remind(now: datetime) -> int:
    """Remind each approver once per working day about cards that waited longer than the
    board's `remind_after_days`. Idempotent: a second run on the same day sends nothing."""
    pending = {row.card_id: pending_entry(row) for row in pending_rows()}
    if not pending:
        return 0
    ids = list(pending)
    cards = cards_by_ids(ids)
    calendars({card.board.unit_id for card in cards.values()})
    sent = 0
    for card_id in ids:
        card = cards.get(card_id)
        if card is None or card.archived_at is not None:  # archived: read-only, no reminders
            continue
        unit = card.board.unit
        cal = calendar(unit)
        today = now.astimezone(cal.tz).date()
        if not cal.is_working_day(today):
            continue
        limit = plugin_settings(card.board, NAME)["remind_after_days"]
        entry = pending[card_id]
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
            set_reminded(card_id, today)
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
