"""Plh/Plt delegations: who stands in for an approver, when, and who may name a stand-in.

Plh (pelaksana harian) stands in during an absence, Plt (pelaksana tugas) for a vacant post.
"""

import uuid
from datetime import date, timedelta

from flask_babel import gettext as _

from cergas import plugin as api
from cergas.plugin import Conflict, Forbidden, Invalid, NotFound, find_user, notify, users_by_ids
from plugins.approvals import store
from plugins.approvals.chains import NAME
from plugins.approvals.clock import iso, jakarta_today, local_today, utcnow
from plugins.approvals.models import Delegation
from plugins.approvals.posts import may_stand_in

KINDS = ("plh", "plt")
MAX_DAYS = 90  # a longer absence is a vacancy: name a Plt again when it runs out
MAX_AHEAD_DAYS = 366


def _newest_first(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda d: (d["start"], d["created_at"], d["id"]), reverse=True)


def delegations() -> list[dict]:
    """Every delegation, newest first."""
    return _newest_first(store.all_delegations())


def delegations_to(user_id: int, day: date | None = None) -> list[dict]:
    """The delegations (not revoked) through which `user_id` stands in, newest first; with
    `day`, only those that may be active on it in some time zone (a day either side)."""
    conditions = [Delegation.to_id == user_id, Delegation.revoked_at.is_(None)]
    if day is not None:
        conditions += [
            Delegation.end >= day - timedelta(days=1),
            Delegation.start <= day + timedelta(days=1),
        ]
    return _newest_first(store.delegations_where(*conditions))


def active_on(delegation: dict, day: date) -> bool:
    return not delegation.get("revoked_at") and date.fromisoformat(
        delegation["start"]
    ) <= day <= date.fromisoformat(delegation["end"])


def acting_for(user_id: int, day: date, all_delegations=None) -> dict[int, dict]:
    """approver id -> the delegation through which `user_id` acts for them on `day`."""
    found = {}
    items = all_delegations if all_delegations is not None else delegations_to(user_id, day)
    for item in items:
        if item["to_id"] == user_id and active_on(item, day):
            found[item["from_id"]] = item
    return found


def capacity(
    user, approver_id: int | None, day: date, all_delegations=None, spec: dict | None = None
) -> dict | None:
    """How `user` may decide a step held by `approver_id` on `day`: {"as": None} in person,
    {"as": approver id, "kind": "plh"|"plt", "delegation": id} as a stand-in (a delegation of
    this plugin, or, for a `head_of` step given as `spec`, an acting head of that unit appointed
    in Cergas: "delegation" is then None), or None."""
    if approver_id is not None and user.id == approver_id:
        return {"as": None, "kind": None, "delegation": None}
    if approver_id is not None:
        item = acting_for(user.id, day, all_delegations).get(approver_id)
        if item is not None:
            return {"as": approver_id, "kind": item["kind"], "delegation": item["id"]}
    code = (spec or {}).get("head_of")
    if code:
        for person, kind in api.acting_heads([code]).get(code, []):
            if person.id == user.id:
                return {"as": approver_id, "kind": kind, "delegation": None}
    return None


def _clean_date(value, field: str, errors: dict) -> date | None:
    try:
        if not isinstance(value, str):
            raise ValueError
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[field] = _("Use the format YYYY-MM-DD.")
        return None


def may_manage_delegations_of(actor, person) -> bool:
    """The person themself, a head of one of their units (or an ancestor unit), or an admin."""
    return actor.is_admin or actor.id == person.id or api.is_head_of(actor, person)


def _refused_stand_in() -> str:
    # One wording whatever the reason (unknown, inactive, the approver themself, outside their
    # neighbourhood, away in the period): a refusal tells nothing about people elsewhere.
    return _(
        "Choose an active colleague of the approver's own or a neighbouring unit who is not "
        "away in these dates."
    )


def create_delegation(actor, data: dict) -> dict:
    """Record that `to` acts for `from` (Plh: an absence; Plt: a vacant post) from `start` to
    `end` inclusive, at most MAX_DAYS days. `from` is the actor (the default), someone they head,
    or anyone for an admin. `to` works in the approver's neighbourhood (`posts.neighbourhood`;
    admins may name anyone) and is not away in the period; any refusal of `to` has one wording.
    Being someone's stand-in never stops a person from naming their own."""
    errors: dict = {}
    if data.get("from") is not None:
        giver = find_user(data.get("from"))
        if giver is None or not may_manage_delegations_of(actor, giver):
            message = _("You may name a Plh or Plt only for yourself or for someone you head.")
            raise Forbidden("forbidden", message, {"from": message})
    else:
        giver = actor
    taker = find_user(data.get("to"))
    if taker is None or taker.id == giver.id or not (actor.is_admin or may_stand_in(giver, taker)):
        errors["to"] = _refused_stand_in()
    kind = data.get("kind")
    if kind not in KINDS:
        errors["kind"] = _("Must be plh or plt.")
    start = _clean_date(data.get("start"), "start", errors)
    end = _clean_date(data.get("end"), "end", errors)
    today = jakarta_today()
    if start and end and end < start:
        errors["end"] = _("The end date must not be before the start date.")
    elif start and end and (end - start).days + 1 > MAX_DAYS:
        errors["end"] = _("A delegation lasts at most %(n)d days.", n=MAX_DAYS)
    elif end and end < today - timedelta(days=1):
        errors["end"] = _("This date has passed.")
    if start and "end" not in errors and start > today + timedelta(days=MAX_AHEAD_DAYS):
        errors["start"] = _("Start within a year from today.")
    if errors:
        raise Invalid("validation_error", _("Check the highlighted fields."), errors)
    with api.plugin_transaction(NAME):
        existing = store.delegations_where(
            Delegation.from_id.in_({giver.id, taker.id}),
            Delegation.revoked_at.is_(None),
            Delegation.start <= end,
            Delegation.end >= start,
        )
        for item in _newest_first(existing):
            overlaps = date.fromisoformat(item["start"]) <= end and start <= date.fromisoformat(
                item["end"]
            )
            if not overlaps:
                continue
            if item["from_id"] == taker.id:
                raise Invalid(
                    "validation_error",
                    _("Check the highlighted fields."),
                    {"to": _refused_stand_in()},
                )
            if item["from_id"] == giver.id:
                raise Conflict(
                    "delegation_overlap",
                    _(
                        "%(name)s already has a stand-in from %(start)s to %(end)s.",
                        name=giver.name,
                        start=item["start"],
                        end=item["end"],
                    ),
                )
        delegation = {
            "id": uuid.uuid4().hex[:12],
            "from_id": giver.id,
            "to_id": taker.id,
            "kind": kind,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "created_by_id": actor.id,
            "created_at": iso(utcnow()),
            "revoked_at": None,
            "revoked_by_id": None,
        }
        store.save_delegation(delegation)
    title = _("You are %(kind)s of %(name)s", kind=kind.capitalize(), name=giver.name)
    body = _("From %(start)s to %(end)s you may give paraf in their place.", start=start, end=end)
    notify(taker, title, body, kind="approvals_delegation", plugin=NAME)
    return delegation


def revoke_delegation(actor, delegation_id: str) -> dict:
    with api.plugin_transaction(NAME):
        item = store.load_delegation(delegation_id) if isinstance(delegation_id, str) else None
        if item is None:
            raise NotFound("not_found", _("Delegation not found."))
        people = users_by_ids([item["from_id"], item["to_id"]])
        giver = people.get(item["from_id"])
        if giver is None or not (
            may_manage_delegations_of(actor, giver) or actor.id == item["to_id"]
        ):
            raise NotFound("not_found", _("Delegation not found."))
        if item.get("revoked_at"):
            return item
        item = {**item, "revoked_at": iso(utcnow()), "revoked_by_id": actor.id}
        store.save_delegation(item)
    return item


def visible_delegations(actor) -> list[dict]:
    """Delegations the actor gave, received or may manage."""
    items = delegations()
    if actor.is_admin:
        return items
    ids = {d["from_id"] for d in items}
    people = users_by_ids(ids)
    return [
        d
        for d in items
        if actor.id in (d["from_id"], d["to_id"])
        or (d["from_id"] in people and may_manage_delegations_of(actor, people[d["from_id"]]))
    ]


def delegation_json(item: dict, people: dict) -> dict:
    def login(user_id):
        user = people.get(user_id)
        return user.login if user else None

    return {
        "id": item["id"],
        "from": login(item["from_id"]),
        "to": login(item["to_id"]),
        "kind": item["kind"],
        "start": item["start"],
        "end": item["end"],
        "active": active_on(item, jakarta_today()),
        "revoked": bool(item.get("revoked_at")),
        "created_by": login(item.get("created_by_id")),
        "created_at": item["created_at"],
    }


def stand_ins(approver_id: int, card) -> list:
    """The users acting today for an approver."""
    day = local_today(card.board.unit)
    items = store.delegations_where(
        Delegation.from_id == approver_id,
        Delegation.revoked_at.is_(None),
        Delegation.start <= day,
        Delegation.end >= day,
    )
    ids = [d["to_id"] for d in items if active_on(d, day)]
    return list(users_by_ids(ids).values())
