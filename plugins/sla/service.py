"""Clocks of many cards at once, for badges, the card API, the tick and the report."""

from datetime import datetime

from cergas.plugin import board_columns, card_moves, now, plugin_settings, work_calendars

from .clock import Clock, compute
from .fixed import PLUGIN, fixed_policies
from .policies import Policy, policies_of

__all__ = ["PLUGIN", "board_clocks", "clocks_for", "now_utc", "pause_column_ids", "policy_for"]


def now_utc() -> datetime:
    return now()


def pause_column_ids(columns, policy: Policy) -> frozenset[int]:
    names = {name.casefold() for name in policy.pause_columns}
    return frozenset(cid for cid, name, _kind in columns if name.casefold() in names)


def policy_for(card, policies: dict, fixed: dict) -> Policy | None:
    """The policy `card`'s clock runs under: the one fixed when it started, else (a card from
    before clocks were stored, or whose policy came later) the board's policy for its type."""
    return fixed.get(card.id) or policies.get(card.board_id, {}).get(card.type)


def clocks_for(
    cards, *, policies, columns, calendars, unit_of, now, fixed=None
) -> dict[int, Clock]:
    """card id -> Clock for the cards that have a clock that started. `cards` are rows with id,
    board_id, type, column_id, created_at, first_active_at, done_at; `columns` maps board id ->
    [(id, name, kind)]; `policies` board id -> {type: Policy}; `unit_of` board id -> unit id;
    `fixed` card id -> the policy stored when its clock started (read here when None). At most
    two queries in all (the stored clocks; the moves of cards whose policy has pause columns)."""
    if fixed is None:
        fixed = fixed_policies([card.id for card in cards])
    kinds = {}
    for cols in columns.values():
        kinds.update({cid: kind for cid, _name, kind in cols})
    ruled, pauses = [], {}
    for card in cards:
        policy = policy_for(card, policies, fixed)
        if policy is None:
            continue
        if (card.board_id, policy) not in pauses:
            found = pause_column_ids(columns.get(card.board_id, ()), policy)
            pauses[card.board_id, policy] = found
        ruled.append((card, policy))
    needs_moves = [card.id for card, policy in ruled if pauses[card.board_id, policy]]
    moves = {}
    if needs_moves:
        pause_columns = set().union(*pauses.values())
        moves = card_moves(needs_moves, touching=pause_columns)
    result = {}
    now_points = {}
    for card, policy in ruled:
        cal = calendars[unit_of[card.board_id]]
        now_point = now_points.get(id(cal))
        if now_point is None:
            now_point = now_points[id(cal)] = cal.worked(now)
        clock = compute(
            card,
            kinds.get(card.column_id, "active"),
            policy,
            cal,
            moves.get(card.id, ()),
            pauses[card.board_id, policy],
            now,
            now_point,
        )
        if clock is not None:
            clock.fixed = card.id in fixed
            result[card.id] = clock
    return result


def board_clocks(board, cards, now=None) -> dict[int, Clock]:
    """Clocks of the cards of one board (ORM cards or rows): a fixed number of queries, none
    but the stored clocks' on a board without policies or clocks."""
    if not cards:
        return {}
    fixed = fixed_policies([card.id for card in cards])
    policies = policies_of(plugin_settings(board, PLUGIN))
    if not policies and not fixed:
        return {}
    return clocks_for(
        cards,
        policies={board.id: policies},
        columns=board_columns([board.id]),
        calendars=work_calendars([board.unit_id]),
        unit_of={board.id: board.unit_id},
        now=now or now_utc(),
        fixed=fixed,
    )
