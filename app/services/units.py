"""Units (Dinas > Bidang > Seksi): create, rename, move under another parent, change the time zone,
deactivate and reactivate; the tree the admin page shows. Every change is recorded in the
administrative log (app/services/admin_log.py) with the values before and after.

`actor` is the person doing it; None means the command line (whoever runs `cergas` on the server
already owns the database). Through the pages and the API only administrators change units.

An inactive unit keeps its row, its boards' history and its reports, but takes no new people,
boards or teams: others look units up with `active_unit_by_code`."""

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from app.extensions import db
from app.models import TIMEZONES, Board, Membership, Team, Unit, User
from app.services import admin_log
from app.services import validation as v
from app.services.access import forget_unit_tree, subtree, visible_unit_ids
from app.services.errors import Conflict, Forbidden, NotFound
from app.services.tx import write_transaction

CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
# What people type for a zone: its name or its abbreviation.
ZONE_BY_ABBR = {abbr: zone for zone, abbr in TIMEZONES.items()}
EDITABLE = ("name", "parent", "timezone", "active", "colleagues_see_competency")


def clean_code(value) -> str:
    code = v.text(value, field_max=40, required=True)
    if not CODE_PATTERN.fullmatch(code):
        raise v.FieldError(_("Use letters, digits, hyphens and underscores."))
    return code


def clean_name(value) -> str:
    return " ".join(v.text(value, field_max=200, required=True).split())


def clean_timezone(value) -> str:
    """A zone name (Asia/Jakarta) or its abbreviation (WIB, WITA, WIT)."""
    if isinstance(value, str):
        value = value.strip()
        value = ZONE_BY_ABBR.get(value.upper(), value)
    if value not in TIMEZONES:
        raise v.FieldError(
            _("Choose one of: %(options)s.", options=", ".join(ZONE_BY_ABBR)),
        )
    return value


def _require_admin(actor: User | None) -> None:
    if actor is not None and not actor.is_admin:
        raise Forbidden("forbidden", _("Only an administrator may change units."))


def unit_by_code(code) -> Unit:
    """The unit with this code, active or not; NotFound otherwise."""
    unit = None
    if isinstance(code, str) and code.strip() and not v.has_unstorable_text(code):
        unit = db.session.scalar(select(Unit).where(Unit.code == code.strip()))
    if unit is None:
        raise NotFound("not_found", _("No unit has this code."))
    return unit


def active_unit_by_code(code, field: str = "unit") -> Unit:
    """The active unit with this code, for putting people, boards or teams into it; otherwise
    Invalid naming `field` (unknown code, or a unit that no longer exists)."""
    if not isinstance(code, str) or not code.strip():
        raise v.invalid({field: _("This field is required.")})
    unit = None
    if not v.has_unstorable_text(code):
        unit = db.session.scalar(select(Unit).where(Unit.code == code.strip()))
    if unit is None:
        raise v.invalid({field: _("No unit has this code.")})
    if not unit.active:
        raise v.invalid(
            {field: _("The unit %(name)s is no longer active.", name=unit.name)},
        )
    return unit


def snapshot(unit: Unit) -> dict:
    """A unit as the log keeps it."""
    return {
        "code": unit.code,
        "name": unit.name,
        "parent": unit.parent.code if unit.parent is not None else None,
        "timezone": unit.timezone,
        "active": unit.active,
    }


def create_unit(
    code, name, parent_code=None, timezone="Asia/Jakarta", *, actor: User | None = None
) -> Unit:
    """A new unit, under `parent_code` (an active unit) or at the top."""
    _require_admin(actor)
    fields = v.Fields()
    code = fields.clean("code", clean_code, code)
    name = fields.clean("name", clean_name, name)
    timezone = fields.clean("timezone", clean_timezone, timezone or "Asia/Jakarta")
    if parent_code is not None and not isinstance(parent_code, str):
        fields.errors["parent"] = _("Must be text.")
    fields.raise_if_any()
    with write_transaction():
        if db.session.scalar(select(Unit.id).where(Unit.code == code)):
            raise Conflict("duplicate", _("A unit with code %(code)s exists already.", code=code))
        parent = None
        if parent_code and parent_code.strip():
            parent = active_unit_by_code(parent_code, "parent")
        unit = Unit(code=code, name=name, parent=parent, timezone=timezone, active=True)
        db.session.add(unit)
        admin_log.record("unit.created", actor, "unit", unit, after=snapshot(unit))
    forget_unit_tree()
    return unit


def clean_changes(data: dict) -> dict:
    """The fields of an edit that are present in `data`, cleaned; Invalid naming each bad one.
    `parent` is a unit code, or empty/None for the top of the tree."""
    fields = v.Fields()
    changes = {}
    unknown = sorted(set(data) - set(EDITABLE))
    for key in unknown:
        fields.errors[str(key)[:100]] = _("Unknown field.")
    if "name" in data:
        changes["name"] = fields.clean("name", clean_name, data["name"])
    if "timezone" in data:
        changes["timezone"] = fields.clean("timezone", clean_timezone, data["timezone"])
    if "parent" in data:
        parent = data["parent"]
        if parent is None or (isinstance(parent, str) and not parent.strip()):
            changes["parent"] = None
        elif isinstance(parent, str):
            changes["parent"] = parent.strip()
        else:
            fields.errors["parent"] = _("Must be text.")
    if "colleagues_see_competency" in data:  # issue 27
        allowed = data["colleagues_see_competency"]
        if isinstance(allowed, bool):
            changes["colleagues_see_competency"] = allowed
        else:
            fields.errors["colleagues_see_competency"] = _("Must be true or false.")
    if "active" in data:
        active = data["active"]
        if isinstance(active, bool):
            changes["active"] = active
        else:
            fields.errors["active"] = _("Must be true or false.")
    fields.raise_if_any()
    return changes


def edit_unit(actor: User | None, code, data: dict) -> Unit:
    """Change a unit's name, parent, time zone and/or whether it is active, in one transaction;
    each kind of change is its own log entry (`unit.updated`, `unit.moved`,
    `unit.deactivated`, `unit.reactivated`)."""
    _require_admin(actor)
    changes = clean_changes(data)
    with write_transaction():
        unit = unit_by_code(code)
        before = snapshot(unit)
        if "parent" in changes and changes["parent"] != before["parent"]:
            _move(unit, changes["parent"])
        if "name" in changes:
            unit.name = changes["name"]
        if "timezone" in changes:
            unit.timezone = changes["timezone"]
        if changes.get("colleagues_see_competency", unit.colleagues_see_competency) != (
            unit.colleagues_see_competency
        ):
            old = unit.colleagues_see_competency
            unit.colleagues_see_competency = changes["colleagues_see_competency"]
            admin_log.record(
                "unit.updated",
                actor,
                "unit",
                unit,
                before={"colleagues_see_competency": old},
                after={"colleagues_see_competency": unit.colleagues_see_competency},
            )
        if changes.get("active") is False and unit.active:
            _check_can_deactivate(unit)
            unit.active = False
        if changes.get("active") is True and not unit.active:
            if unit.parent is not None and not unit.parent.active:
                raise Conflict(
                    "parent_inactive",
                    _(
                        "Its parent unit %(name)s is inactive: reactivate that first, or move "
                        "this unit under an active one.",
                        name=unit.parent.name,
                    ),
                )
            unit.active = True
        db.session.flush()
        _record_changes(actor, unit, before, snapshot(unit))
    forget_unit_tree()
    return unit


def _move(unit: Unit, parent_code: str | None) -> None:
    if parent_code is None:
        unit.parent = None
        return
    parent = active_unit_by_code(parent_code, "parent")
    if parent.id in subtree(unit.id):
        message = (
            _("A unit cannot be placed under itself.")
            if parent.id == unit.id
            else _(
                "%(name)s lies under this unit: a unit cannot be placed under its own sub-unit.",
                name=parent.name,
            )
        )
        raise v.invalid({"parent": message})
    unit.parent = parent


def _record_changes(actor, unit: Unit, before: dict, after: dict) -> None:
    groups = (
        ("unit.moved", ("parent",)),
        ("unit.updated", ("name", "timezone")),
    )
    for kind, keys in groups:
        old, new = admin_log.changed(
            {key: before[key] for key in keys}, {key: after[key] for key in keys}
        )
        if new:
            admin_log.record(kind, actor, "unit", unit, before=old, after=new)
    if before["active"] != after["active"]:
        kind = "unit.reactivated" if after["active"] else "unit.deactivated"
        admin_log.record(
            kind,
            actor,
            "unit",
            unit,
            before={"active": before["active"]},
            after={"active": after["active"]},
        )


@dataclass(frozen=True)
class Usage:
    """What still lives in a unit: active people, boards, active sub-units, active teams."""

    people: int
    boards: int
    children: int
    teams: int

    @property
    def empty(self) -> bool:
        return not (self.people or self.boards or self.children or self.teams)


def usage(unit: Unit) -> Usage:
    people = db.session.scalar(
        select(func.count(func.distinct(Membership.user_id)))
        .join(User, User.id == Membership.user_id)
        .where(Membership.unit_id == unit.id, User.active.is_(True))
    )
    boards = db.session.scalar(select(func.count(Board.id)).where(Board.unit_id == unit.id))
    children = db.session.scalar(
        select(func.count(Unit.id)).where(Unit.parent_id == unit.id, Unit.active.is_(True))
    )
    teams = db.session.scalar(
        select(func.count(Team.id)).where(Team.unit_id == unit.id, Team.active.is_(True))
    )
    return Usage(people or 0, boards or 0, children or 0, teams or 0)


def _check_can_deactivate(unit: Unit) -> None:
    found = usage(unit)
    if found.empty:
        return
    reasons = []
    if found.people:
        reasons.append(ngettext("%(num)d active person", "%(num)d active people", found.people))
    if found.boards:
        reasons.append(ngettext("%(num)d board", "%(num)d boards", found.boards))
    if found.children:
        reasons.append(
            ngettext("%(num)d active sub-unit", "%(num)d active sub-units", found.children)
        )
    if found.teams:
        reasons.append(ngettext("%(num)d active team", "%(num)d active teams", found.teams))
    raise Conflict(
        "unit_in_use",
        _(
            "%(name)s still has %(what)s. Move or deactivate them first.",
            name=unit.name,
            what=", ".join(reasons),
        ),
    )


def rename_unit(actor, code, name) -> Unit:
    return edit_unit(actor, code, {"name": name})


def move_unit(actor, code, parent_code) -> Unit:
    return edit_unit(actor, code, {"parent": parent_code})


def set_timezone(actor, code, timezone) -> Unit:
    return edit_unit(actor, code, {"timezone": timezone})


def deactivate_unit(actor, code) -> Unit:
    return edit_unit(actor, code, {"active": False})


def reactivate_unit(actor, code) -> Unit:
    return edit_unit(actor, code, {"active": True})


# Reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeRow:
    unit: Unit
    depth: int
    people: int
    boards: int
    # False when an ancestor is inactive (the unit itself may still be active).
    reachable: bool


def _counts(statement) -> dict[int, int]:
    return dict(db.session.execute(statement).all())


def tree(actor: User | None = None) -> list[TreeRow]:
    """Every unit the actor may see (admins: all), depth-first by code, each with its active
    people and its boards; a fixed number of queries whatever the size of the tree."""
    units = db.session.scalars(select(Unit).order_by(Unit.code)).all()
    if actor is not None and not actor.is_admin:
        visible = visible_unit_ids(actor)
        units = [unit for unit in units if unit.id in visible]
    people = _counts(
        select(Membership.unit_id, func.count(func.distinct(Membership.user_id)))
        .join(User, User.id == Membership.user_id)
        .where(User.active.is_(True))
        .group_by(Membership.unit_id)
    )
    boards = _counts(select(Board.unit_id, func.count(Board.id)).group_by(Board.unit_id))
    ids = {unit.id for unit in units}
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        # A unit whose parent the actor does not see is a root of what they see.
        parent = unit.parent_id if unit.parent_id in ids else None
        children.setdefault(parent, []).append(unit)
    rows: list[TreeRow] = []

    def walk(parent_id, depth, reachable):
        for unit in children.get(parent_id, []):
            rows.append(
                TreeRow(unit, depth, people.get(unit.id, 0), boards.get(unit.id, 0), reachable)
            )
            walk(unit.id, depth + 1, reachable and unit.active)

    walk(None, 0, True)
    return rows


def choices(*, exclude: Unit | None = None) -> list[tuple[Unit, int]]:
    """(unit, depth) of the active units, as a picker lists them; without `exclude` and the
    units below it (where a unit may not move)."""
    barred = subtree(exclude.id) if exclude is not None else set()
    return [
        (row.unit, row.depth)
        for row in tree()
        if row.unit.active and row.reachable and row.unit.id not in barred
    ]


def has_units() -> bool:
    return db.session.scalar(select(Unit.id).limit(1)) is not None
