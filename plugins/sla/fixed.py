"""A card's clock is fixed when it starts: the policy it runs under is stored with the card.

A clock starts when a card of a type with a policy comes in (`start: created`) or first enters
an active (or done) column (`start: active`); a type change into such a type starts it too,
counted from the same moment (the card came in, or first became active), so a late
reclassification buys no time. From then on the clock keeps that policy: a later type change
or a change of the board's policies does not move its due moment, hide it or take the card out
of the report.

The policy is kept in the plugin store, one key per card (`clock:<card id>`), written in the
transaction of the creation, move or edit that started the clock (the veto hooks), so it is
stored if and only if that change is:

    {"policy": {"type": "pengaduan", "duration": 3, "unit": "working_days", "start": "created",
                "pause_columns": ["Menunggu kelengkapan"], "at_risk": 0.75},
     "fixed_at": "2026-12-23T03:00:00+00:00", "origin": "created"}

`origin` says what fixed it: `created`, `active` (a move), `type_change`, or `upgrade` (a card
whose clock started before clocks were stored, fixed by `cergas tick`, `cergas sla fix-clocks`
or just before its type changes). The start moment is the card's own `created_at` or
`first_active_at`, which Cergas sets once and never changes; the calendar is the board's
unit's (a day off an administrator adds later counts, as it should).

A card without a stored clock (from before this version, or whose policy came after it)
still gets one from the policy of its current type, computed when it is read, until the tick
fixes it: nothing disappears on an upgrade.
"""

from datetime import UTC, datetime
from functools import lru_cache

from flask import g, has_request_context

from app.plugin_api import (
    SettingError,
    boards_with_settings,
    plugin_store,
    plugin_transaction,
    scan_cards,
)

from .policies import Policy, clean_policies, policies_of

PLUGIN = "sla"
PREFIX = "clock:"
ORIGINS = ("created", "active", "type_change", "upgrade")


def clock_key(card_id: int) -> str:
    return f"{PREFIX}{card_id}"


def has_started(card, policy: Policy) -> bool:
    """Whether `policy`'s clock has started for `card` (ORM card or row)."""
    anchor = card.created_at if policy.start == "created" else card.first_active_at
    return anchor is not None


def record_of(policy: Policy, origin: str, now: datetime | None = None) -> dict:
    return {
        "policy": policy.as_json(),
        "fixed_at": (now or datetime.now(UTC)).isoformat(),
        "origin": origin,
    }


@lru_cache(maxsize=512)
def _policy(type_, duration, unit, start, pause_columns, at_risk) -> Policy | None:
    item = {
        "type": type_,
        "duration": duration,
        "unit": unit,
        "start": start,
        "pause_columns": list(pause_columns),
        "at_risk": at_risk,
    }
    try:
        (clean,) = clean_policies([item])
    except SettingError:  # a damaged record: the card's type decides, as before
        return None
    return Policy(
        type=clean["type"],
        duration=clean["duration"],
        unit=clean["unit"],
        start=clean["start"],
        pause_columns=tuple(clean["pause_columns"]),
        at_risk=clean["at_risk"],
    )


def policy_of_record(record) -> Policy | None:
    """The policy a stored clock runs under (None: not a clock record)."""
    if not isinstance(record, dict) or not isinstance(record.get("policy"), dict):
        return None
    item = record["policy"]
    pauses = item.get("pause_columns", [])
    try:
        return _policy(
            item.get("type"),
            item.get("duration"),
            item.get("unit", "working_days"),
            item.get("start", "created"),
            tuple(pauses) if isinstance(pauses, list) else pauses,
            item.get("at_risk", 0.75),
        )
    except TypeError:  # something unhashable
        return None


def fixed_policies(card_ids) -> dict[int, Policy]:
    """card id -> the policy its stored clock runs under, for those that have one; one query
    (none for cards already read in this request: a board page asks for badges, warnings and
    the API data of the same cards)."""
    ids = [card_id for card_id in card_ids if isinstance(card_id, int)]
    cache = g.setdefault("_sla_fixed", {}) if has_request_context() else {}
    missing = [card_id for card_id in ids if card_id not in cache]
    if missing:
        found = plugin_store(PLUGIN).get_many(clock_key(card_id) for card_id in missing)
        for card_id in missing:
            cache[card_id] = policy_of_record(found.get(clock_key(card_id)))
    return {card_id: cache[card_id] for card_id in ids if cache[card_id] is not None}


def _forget(card_id: int) -> None:
    if has_request_context():
        g.get("_sla_fixed", {}).pop(card_id, None)


def fix_clock(card, policy: Policy | None, origin: str, *, starting=False) -> Policy | None:
    """Store `card`'s clock under `policy` if that clock has started (or, `starting`, starts
    with the change being written: a move that sets the card's first_active_at) and the card
    has none yet; the policy its clock runs under (the one stored before, if any), or None when
    it has no started clock. Inside a use case the write joins its transaction.

    `PluginStore.add` (insert unless present): a tick fixing the same card at the same moment
    cannot make this fail; the first one stored wins."""
    store = plugin_store(PLUGIN)
    key = clock_key(card.id)
    _forget(card.id)
    kept = policy_of_record(store.get(key))
    if kept is not None:
        return kept
    if policy is None or not (starting or has_started(card, policy)):
        return None
    if store.add(key, record_of(policy, origin)):
        return policy
    return policy_of_record(store.get(key)) or policy


def fix_started_clocks(board_ids=None, *, batch_size: int = 2000) -> int:
    """Store the clock of every card (open or done) of these boards (default: every board with
    the plugin on and its settings saved) whose clock started under the policy of its type but
    was never stored: cards from before clocks were stored, or whose type got its policy later.
    `cergas sla fix-clocks` after an upgrade; the demo after it sets its policies. One query per
    batch of cards and one insert per clock stored; returns how many were stored."""
    boards = boards_with_settings(PLUGIN)
    wanted = boards if board_ids is None else [b for b in board_ids if b in boards]
    store = plugin_store(PLUGIN)
    stored = 0
    for board_id in sorted(wanted):
        policies = policies_of(boards[board_id])
        if not policies:
            continue
        for batch in scan_cards([board_id], types=policies, batch_size=batch_size):
            pairs = [(card, policies[card.type]) for card in batch]
            stored += store_missing(store, pairs, fixed_policies([card.id for card in batch]))
    return stored


def store_missing(store, pairs, known: dict) -> int:
    """Store, in one transaction, the clock of each (card, policy) that started and has none
    (`known`: card id -> the policy of those that have one); how many were stored."""
    todo = [
        (card, policy)
        for card, policy in pairs
        if card.id not in known and has_started(card, policy)
    ]
    if not todo:
        return 0
    stored = 0
    with plugin_transaction(PLUGIN):
        for card, policy in todo:
            _forget(card.id)
            stored += store.add(clock_key(card.id), record_of(policy, "upgrade"))
    return stored
