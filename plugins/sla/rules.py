"""The rules that keep a clock on its card: the clock is fixed when it starts (a creation, a
move or a type change, inside that change's transaction), and the type of a card whose clock
runs is changed only by a head of the board's unit (or an admin), with a reason."""

from flask_babel import gettext as _

from cergas.plugin import MoveScope, Veto, can_manage_board, plugin_settings

from .fixed import PLUGIN, fix_clock, has_started
from .policies import policies_of

# A card entering a column of these kinds has started (Cergas sets its first_active_at once).
STARTING_KINDS = frozenset({"active", "done"})


def board_policies(board) -> dict:
    return policies_of(plugin_settings(board, PLUGIN))


def move_scope(board) -> MoveScope:
    """The moves that may start a clock: a card of a type whose policy starts when it first
    becomes active, into an active or done column. Every other move keeps the core's fast
    path; this hook never refuses a move."""
    policies = board_policies(board)
    types = frozenset(kind for kind, policy in policies.items() if policy.start == "active")
    return MoveScope(card_types=types, target_kinds=STARTING_KINDS if types else frozenset())


def on_arrival(card, source, target, board) -> None:
    """A card created into `target` (`source` None) or moved there: fix its clock if this
    starts it."""
    policy = board_policies(board).get(card.type)
    if policy is None:
        return
    if source is None:
        fix_clock(card, policy, "created" if policy.start == "created" else "active")
    elif (
        policy.start == "active" and card.first_active_at is None and target.kind in STARTING_KINDS
    ):
        fix_clock(card, policy, "active", starting=True)


def on_type_change(card, changes, reason, actor, board) -> Veto | None:
    """Before a type change (`card` has its old values): a clock that started keeps its policy
    (a card from before clocks were stored gets its clock fixed now, from its old type); a card
    without one may start one under the new type's policy. A running clock's card changes type
    only by a head, with a reason (kept in the history with the change)."""
    if "type" not in changes:
        return None
    policies = board_policies(board)
    kept = fix_clock(card, policies.get(card.type), "upgrade")
    if kept is None:
        new_policy = policies.get(changes["type"][1])
        if new_policy is not None and has_started(card, new_policy):
            fix_clock(card, new_policy, "type_change")
        return None
    if card.column.kind == "done":
        return None  # the clock has stopped; it keeps its policy and its result
    if not can_manage_board(actor, board):
        return Veto(
            _(
                "This card's service-time clock (SLA, %(policy)s) is running: only a head of "
                "the board's unit can change its type.",
                policy=kept.label,
            )
        )
    if not (reason or "").strip():
        return Veto(
            _(
                "This card's service-time clock (SLA, %(policy)s) is running: say why its type "
                "changes (Reason for this change). The clock keeps its policy.",
                policy=kept.label,
            )
        )
    return None
