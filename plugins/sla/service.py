"""Clocks of many cards at once, for badges, the card API, the tick and the report."""

from datetime import UTC, datetime

from app.plugin_api import board_columns, card_moves, plugin_settings, work_calendars

from .clock import Clock, compute
from .policies import Policy, policies_of

PLUGIN = "sla"


def now_utc() -> datetime:
    return datetime.now(UTC)


def pause_column_ids(columns, policy: Policy) -> frozenset[int]:
    names = {name.casefold() for name in policy.pause_columns}
    return frozenset(cid for cid, name, _kind in columns if name.casefold() in names)


def clocks_for(cards, *, policies, columns, calendars, unit_of, now) -> dict[int, Clock]:
    """card id -> Clock for the cards that have a policy and a started clock. `cards` are rows
    with id, board_id, type, column_id, created_at, first_active_at, done_at; `columns` maps
    board id -> [(id, name, kind)]; `policies` board id -> {type: Policy}; `unit_of` board id ->
    unit id; one query in all (the moves of cards whose policy has pause columns)."""
    kinds, pauses = {}, {}
    for board_id, cols in columns.items():
        kinds.update({cid: kind for cid, _name, kind in cols})
        for kind_name, policy in policies.get(board_id, {}).items():
            pauses[board_id, kind_name] = pause_column_ids(cols, policy)
    ruled = [c for c in cards if c.type in policies.get(c.board_id, {})]
    needs_moves = [c.id for c in ruled if pauses.get((c.board_id, c.type))]
    pause_columns = set().union(*pauses.values()) if pauses else set()
    moves = card_moves(needs_moves, touching=pause_columns) if needs_moves else {}
    result = {}
    now_points = {}
    for card in ruled:
        policy = policies[card.board_id][card.type]
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
            pauses[card.board_id, card.type],
            now,
            now_point,
        )
        if clock is not None:
            result[card.id] = clock
    return result


def board_clocks(board, cards, now=None) -> dict[int, Clock]:
    """Clocks of the cards of one board (ORM cards or rows): a fixed number of queries."""
    policies = policies_of(plugin_settings(board, PLUGIN))
    if not policies or not cards:
        return {}
    return clocks_for(
        cards,
        policies={board.id: policies},
        columns=board_columns([board.id]),
        calendars=work_calendars([board.unit_id]),
        unit_of={board.id: board.unit_id},
        now=now or now_utc(),
    )
