"""Posts in the unit tree, as the paraf chain sees them: who stands above the post of a step
(and so may reassign it), and who may plausibly stand in for an approver.

A step's post is the one its definition names: `{"head_of": U}` is the head of unit U;
`{"user": X}` is X's own place (their units, as member or head). Someone is *above* a post when
they head a unit strictly above it (for a member of a unit: that unit or one above it). Heads
are the unit's memberships with the role `head` and whoever acts as its head today (Plt/Plh
appointed in Cergas), as everywhere in Cergas.
"""

from cergas.plugin import (
    can_manage_unit,
    find_unit,
    find_user,
    memberships_of,
    unit_tree_ids,
    visible_units,
)


def _headed(user) -> list[int]:
    return [unit_id for unit_id, role in memberships_of([user.id])[user.id] if role == "head"]


def above_step(actor, spec: dict, board=None) -> bool:
    """True when `actor` is an admin or stands above the post of a step defined by `spec`. Above
    a team leader's step (`team_lead`) stand the heads of the team's unit or above."""
    if actor.is_admin:
        return True
    if spec.get("team_lead"):
        team = getattr(board, "team", None) if board is not None else None
        return team is not None and actor.id != team.leader_id and can_manage_unit(actor, team.unit)
    headed = _headed(actor)
    if not headed:
        return False
    if "head_of" in spec:
        unit = find_unit(spec["head_of"])
        return unit is not None and any(
            mine != unit.id and unit.id in unit_tree_ids(mine) for mine in headed
        )
    person = find_user(spec.get("user"))
    if person is None or person.id == actor.id:
        return False
    for unit_id, role in memberships_of([person.id])[person.id]:
        for mine in headed:
            if unit_id in unit_tree_ids(mine) and (role != "head" or mine != unit_id):
                return True
    return False


def neighbourhood(person) -> set[int]:
    """The units where a plausible stand-in for `person` works: each of their units, the unit
    directly above it, the units beside it (under the same parent) and everything below these.
    A unit at the top of the tree stands for itself and everything below it."""
    mine = memberships_of([person.id])[person.id]
    if not mine:
        return set()
    parents = {unit.id: unit.parent_id for unit in visible_units(person)}
    found: set[int] = set()
    for unit_id, _role in mine:
        parent = parents.get(unit_id)
        found |= unit_tree_ids(parent if parent is not None else unit_id)
    return found


def may_stand_in(giver, taker) -> bool:
    """True when `taker` works in `giver`'s neighbourhood (see `neighbourhood`)."""
    if giver.id == taker.id:
        return False
    units = {unit_id for unit_id, _role in memberships_of([taker.id])[taker.id]}
    return bool(units & neighbourhood(giver))
