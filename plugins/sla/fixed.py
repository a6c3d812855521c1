"""A card's clock is fixed when it starts: the policy it runs under is stored with the card.

A clock starts when a card of a type with a policy comes in (`start: created`) or first enters
an active (or done) column (`start: active`); a type change into such a type starts it too,
counted from the same moment (the card came in, or first became active), so a late
reclassification buys no time. From then on the clock keeps that policy: a later type change
or a change of the board's policies does not move its due moment, hide it or take the card out
of the report.

The policy is kept in the plugin store, one key per card, written in the transaction of the
creation, move or edit that started the clock (the veto hooks), so it is stored if and only if
that change is:

    clock:<card id>      ["<digest>", "<fixed at, ISO UTC>", "<origin>"]
    policy:<digest>      {"type": "pengaduan", "duration": 3, "unit": "working_days",
                          "start": "created", "pause_columns": [...], "at_risk": 0.75}

The policy itself is stored once per distinct content (`digest`: its SHA-256, 16 hex digits),
so the record of each card stays small: a tick reads the records of every open card, and a
short list is decoded in half the time of the whole policy. A policy record never changes (its
key is its content), so a process keeps the ones it has read.

`origin` says what fixed it: `created`, `active` (a move), `type_change`, or `upgrade` (a card
whose clock started before clocks were stored, fixed by `cergas tick`, `cergas sla fix-clocks`
or just before its type changes). The start moment is the card's own `created_at` or
`first_active_at`, which Cergas sets once and never changes; the calendar is the board's
unit's (a day off an administrator adds later counts, as it should).

A card without a stored clock (from before this version, or whose policy came after it)
still gets one from the policy of its current type, computed when it is read, until it is
fixed: nothing disappears on an upgrade.
"""

import hashlib
import json

from flask import g, has_request_context

from cergas.plugin import (
    SettingError,
    boards_with_settings,
    plugin_store,
    plugin_transaction,
    scan_cards,
)
from cergas.plugin import now as api_now

from .policies import Policy, clean_policies, policies_of

PLUGIN = "sla"
CLOCK = "clock:"
POLICY = "policy:"
# The open cards whose clock `cergas tick` fixes in one run, at most (after an upgrade, a tick
# stays short; `cergas sla fix-clocks` does them all at once).
FIX_PER_TICK = 1000

# digest -> Policy (or None: not a valid policy), for every policy record this process read.
_KNOWN: dict[str, Policy | None] = {}


def clock_key(card_id: int) -> str:
    return f"{CLOCK}{card_id}"


def digest_of(policy: Policy) -> str:
    text = json.dumps(policy.as_json(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def has_started(card, policy: Policy) -> bool:
    """Whether `policy`'s clock has started for `card` (ORM card or row)."""
    anchor = card.created_at if policy.start == "created" else card.first_active_at
    return anchor is not None


def _policy(item) -> Policy | None:
    try:
        (clean,) = clean_policies([item])
    except (SettingError, ValueError):  # not a policy (a damaged record)
        return None
    return Policy.from_clean(clean)


def _digest(record) -> str | None:
    if isinstance(record, list) and record and isinstance(record[0], str):
        return record[0]
    return None


def _policies(store, digests) -> dict[str, Policy | None]:
    """digest -> Policy for these digests: from this process's memory, else one query."""
    unknown = [d for d in digests if d not in _KNOWN]
    if unknown:
        found = store.get_many(POLICY + d for d in unknown)
        for d in unknown:
            item = found.get(POLICY + d)
            if item is not None:  # a missing one may yet be committed: ask again next time
                _KNOWN[d] = _policy(item)
    return {d: _KNOWN.get(d) for d in digests}


def fixed_policies(card_ids) -> dict[int, Policy]:
    """card id -> the policy its stored clock runs under, for those that have one: one query
    (two when a policy is new to this process; none for cards already read in this request, as
    a board page asks for badges, warnings and the API data of the same cards)."""
    ids = [card_id for card_id in card_ids if isinstance(card_id, int)]
    cache = g.setdefault("_sla_fixed", {}) if has_request_context() else {}
    missing = [card_id for card_id in ids if card_id not in cache]
    if missing:
        store = plugin_store(PLUGIN)
        found = store.get_many(clock_key(card_id) for card_id in missing)
        digests = {card_id: _digest(found.get(clock_key(card_id))) for card_id in missing}
        known = _policies(store, {d for d in digests.values() if d})
        for card_id in missing:
            digest = digests[card_id]
            cache[card_id] = known.get(digest) if digest else None
    return {card_id: cache[card_id] for card_id in ids if cache[card_id] is not None}


def _forget(card_id: int) -> None:
    if has_request_context():
        g.get("_sla_fixed", {}).pop(card_id, None)


def _store(store, card_id: int, policy: Policy, origin: str, written=None) -> bool:
    """Store the clock (and its policy, once per content: `written` holds the digests this
    transaction stored already) unless the card has one; True when this call stored it.
    `PluginStore.add` (insert unless present): a tick fixing the same card at the same moment
    cannot make this fail; the first one stored wins."""
    digest = digest_of(policy)
    if written is None or digest not in written:
        store.add(POLICY + digest, policy.as_json())
        if written is not None:
            written.add(digest)
    _forget(card_id)
    return store.add(clock_key(card_id), [digest, api_now().isoformat(), origin])


def stored_policy(card_id: int) -> Policy | None:
    """The policy of `card_id`'s stored clock, read now (not from the request's cache)."""
    _forget(card_id)
    return fixed_policies([card_id]).get(card_id)


def fix_clock(card, policy: Policy | None, origin: str, *, starting=False) -> Policy | None:
    """Store `card`'s clock under `policy` if that clock has started (or, `starting`, starts
    with the change being written: a move that sets the card's first_active_at) and the card
    has none yet; the policy its clock runs under (the one stored before, if any), or None when
    it has no started clock. Inside a use case the writes join its transaction."""
    kept = stored_policy(card.id)
    if kept is not None:
        return kept
    if policy is None or not (starting or has_started(card, policy)):
        return None
    if _store(plugin_store(PLUGIN), card.id, policy, origin):
        return policy
    return stored_policy(card.id) or policy


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


def store_missing(store, pairs, known: dict, limit: int | None = None) -> int:
    """Store, in one transaction, the clock of each (card, policy) that started and has none
    (`known`: card id -> the policy of those that have one), at most `limit`; how many were
    stored."""
    todo = [
        (card, policy)
        for card, policy in pairs
        if card.id not in known and has_started(card, policy)
    ][:limit]
    if not todo:
        return 0
    stored, written = 0, set()
    with plugin_transaction(PLUGIN):
        for card, policy in todo:
            stored += _store(store, card.id, policy, "upgrade", written)
    return stored
