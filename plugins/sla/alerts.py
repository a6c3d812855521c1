"""`cergas tick`: tell the assignee and the unit's heads when a card becomes at risk and when it
is breached, each crossing once; and fix the clocks of open cards from before clocks were
stored (fixed.py).

"Once" holds across ticks and hosts: a crossing is claimed with `PluginStore.add` (an insert
that does nothing when the key exists) in the same transaction as its notifications, so a
second tick, here or elsewhere, finds the key and sends nothing; if the transaction fails,
neither the claim nor the notifications stay.
"""

from contextlib import nullcontext

from flask_babel import force_locale
from flask_babel import gettext as _

from cergas.plugin import (
    board_columns,
    boards_with_settings,
    heads_of_units,
    notify,
    plugin_store,
    plugin_transaction,
    scan_cards,
    users_by_ids,
    work_calendars,
)

from .fixed import FIX_PER_TICK, fixed_policies, store_missing
from .policies import policies_of
from .service import PLUGIN, clocks_for, policy_for
from .text import duration_text

CROSSINGS = ("at_risk", "breached")


def alert_key(card_id: int, crossing: str) -> str:
    return f"alert:{card_id}:{crossing}"


def run_tick(now, *, batch_size: int = 2000) -> dict[str, int]:
    """Check every open card with a clock; returns how many cards were checked, how many
    crossings were alerted, and how many clocks from before clocks were stored it fixed
    (`fixed`)."""
    counts = {"checked": 0, "at_risk": 0, "breached": 0, "fixed": 0}
    # Every board with the plugin on and its settings saved: a board whose policies were
    # removed still has the clocks that started under them.
    boards = boards_with_settings(PLUGIN)
    if not boards:
        return counts
    policies = {board_id: policies_of(settings) for board_id, settings in boards.items()}
    columns = board_columns(policies)
    calendars: dict = {}
    store = plugin_store(PLUGIN)
    # Every type: a card whose type changed after its clock started keeps its clock.
    for batch in scan_cards(policies, kinds=("backlog", "active"), batch_size=batch_size):
        fixed = fixed_policies([card.id for card in batch])
        ruled = [card for card in batch if policy_for(card, policies, fixed)]
        if not ruled:
            continue
        unit_of = {card.board_id: card.unit_id for card in ruled}
        missing = set(unit_of.values()) - calendars.keys()
        if missing:
            calendars.update(work_calendars(missing))
        clocks = clocks_for(
            ruled,
            policies=policies,
            columns=columns,
            calendars=calendars,
            unit_of=unit_of,
            now=now,
            fixed=fixed,
        )
        counts["checked"] += len(clocks)
        # Clocks that started before clocks were stored: fixed now, under the policy they run
        # (a bounded number per tick).
        room = FIX_PER_TICK - counts["fixed"]
        unfixed = [(card, clocks[card.id].policy) for card in ruled if card.id in clocks]
        unfixed = [(card, policy) for card, policy in unfixed if not clocks[card.id].fixed]
        if unfixed and room > 0:
            counts["fixed"] += store_missing(store, unfixed, fixed, limit=room)
        crossed = [
            (card, clocks[card.id])
            for card in ruled
            if card.id in clocks and clocks[card.id].state in CROSSINGS
        ]
        if not crossed:
            continue
        sent = store.get_many(alert_key(card.id, clock.state) for card, clock in crossed)
        todo = [(c, k) for c, k in crossed if alert_key(c.id, k.state) not in sent]
        if todo:
            for crossing in _alert(store, todo, calendars):
                counts[crossing] += 1
    return counts


def _alert(store, todo, calendars) -> list[str]:
    assignees = users_by_ids({card.assignee_id for card, _ in todo if card.assignee_id})
    heads = heads_of_units({card.unit_id for card, _ in todo})
    done = []
    with plugin_transaction(PLUGIN):
        for card, clock in todo:
            claim = {"due_at": clock.due_at.isoformat(), "policy": clock.policy.type}
            if not store.add(alert_key(card.id, clock.state), claim):
                continue  # another tick claimed it first
            if clock.state == "breached":
                # A card first seen breached is not told "at risk" afterwards.
                store.add(alert_key(card.id, "at_risk"), claim)
            people = {user.id: user for user in heads.get(card.unit_id, [])}
            assignee = assignees.get(card.assignee_id)
            if assignee is not None and assignee.active:
                people[assignee.id] = assignee
            for person in people.values():
                _notify(person, card, clock, calendars[card.unit_id])
            done.append(clock.state)
    return done


def _notify(person, card, clock, cal) -> None:
    with force_locale(person.locale) if person.locale else nullcontext():
        due = f"{clock.due_at.strftime('%d-%m-%Y %H:%M')} {clock.due_at.tzname() or ''}".strip()
        if clock.state == "breached":
            title = _("SLA breached: %(title)s", title=card.title)
            body = _(
                "The card is past its service time (%(policy)s): it was due %(due)s and is "
                "%(late)s late.",
                policy=clock.policy.label,
                due=due,
                late=duration_text(clock, clock.remaining_seconds, cal),
            )
        else:
            title = _("SLA at risk: %(title)s", title=card.title)
            body = _(
                "The card has used most of its service time (%(policy)s): it is due %(due)s, "
                "%(left)s left.",
                policy=clock.policy.label,
                due=due,
                left=duration_text(clock, clock.remaining_seconds, cal),
            )
    notify(
        person,
        title,
        body,
        link=f"/cards/{card.id}",
        card=card,
        kind=f"sla_{clock.state}",
        plugin=PLUGIN,
    )
