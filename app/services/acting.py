"""Acting heads of a unit: a Plt (*pelaksana tugas*, for a vacant post) or a Plh (*pelaksana
harian*, while the head is away), appointed by a letter (*surat perintah*) for a span of days.

From the first to the last day (both included, in the unit's time zone) the person holds the
head's rights over the unit and the units below it: its boards, sprints, settings, WIP
overrides and paraf steps (app/services/access.py reads the dates, so the rights end by
themselves, without a scheduled job). An appointment may be ended early.

Who appoints and ends: admins and the structural heads of a unit *above* the unit. A head does
not appoint their own Plh: by the civil-service rules (BKN circular 1/2021) the official above
does, and a Plt/Plh has no authority over staffing, so acting heads appoint nobody either. The
top unit's acting heads are appointed by admins.
"""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import ACTING_KINDS, ActingHead, Membership, Unit, User, utcnow
from app.services import access, admin_log
from app.services import validation as v
from app.services.cards import find_user
from app.services.errors import Conflict, Forbidden, NotFound
from app.services.tx import write_transaction

MAX_DAYS = 366
DECREE_MAX = 120


def structural_managed_unit_ids(user: User) -> set[int]:
    """Units below a unit the user heads by membership (not by an acting appointment)."""
    if not user.active:
        return set()
    if user.is_admin:
        return access.all_unit_ids()
    headed = db.session.scalars(
        select(Membership.unit_id).where(Membership.user_id == user.id, Membership.role == "head")
    )
    found: set[int] = set()
    for unit_id in headed:
        found |= access.subtree(unit_id)
    return found


def can_appoint(user: User, unit: Unit) -> bool:
    """Admins; structural heads of a unit strictly above `unit`."""
    if user.is_admin:
        return user.active
    if unit.parent_id is None:
        return False
    return unit.parent_id in structural_managed_unit_ids(user)


def appointable_units(user: User) -> list[Unit]:
    """Active units the user may appoint a Plt/Plh for, by code."""
    statement = select(Unit).where(Unit.active.is_(True)).order_by(Unit.code)
    if not user.is_admin:
        above = structural_managed_unit_ids(user)
        if not above:
            return []
        statement = statement.where(Unit.parent_id.in_(above))
    return list(db.session.scalars(statement))


def status(item: ActingHead, today: date | None = None) -> str:
    """`current`, `upcoming`, `ended` (ended early) or `past`."""
    today = today or access.local_today(item.unit.timezone or "Asia/Jakarta")
    if item.ended_at is not None:
        return "ended"
    if item.ends_on < today:
        return "past"
    if item.starts_on > today:
        return "upcoming"
    return "current"


def acting_record(item: ActingHead) -> dict:
    return {
        "unit": item.unit.code,
        "user": item.user.login,
        "name": item.user.name,
        "kind": item.kind,
        "starts_on": item.starts_on,
        "ends_on": item.ends_on,
        "decree": item.decree,
        "ended_at": item.ended_at,
    }


def _day(value, field: str, fields: v.Fields) -> date | None:
    if value is None or value == "":
        fields.errors[field] = _("This field is required.")
        return None
    return fields.clean(field, v.optional_date, value)


def appoint(actor: User, unit_code, person, kind, starts_on, ends_on, decree="") -> ActingHead:
    """Appoint `person` (NIP or username) Plt or Plh of the unit from `starts_on` to `ends_on`."""
    fields = v.Fields()
    unit = None
    if not isinstance(unit_code, str) or not unit_code.strip():
        fields.errors["unit"] = _("This field is required.")
    else:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code.strip()))
        if unit is None or not unit.active:
            fields.errors["unit"] = _("No active unit has this code.")
    user = find_user(person.strip()) if isinstance(person, str) and person.strip() else None
    if user is None or not user.active:
        fields.errors["user"] = _("No active person has this NIP or username.")
    kind = fields.clean("kind", v.choice, kind, ACTING_KINDS)
    first = _day(starts_on, "starts_on", fields)
    last = _day(ends_on, "ends_on", fields)
    decree = fields.clean("decree", v.text, decree, field_max=DECREE_MAX, required=True)
    if first and last:
        if last < first:
            fields.errors["ends_on"] = _("The last day must not be before the first day.")
        elif (last - first).days + 1 > MAX_DAYS:
            fields.errors["ends_on"] = _(
                "An appointment lasts at most %(n)d days; appoint again when it runs out.",
                n=MAX_DAYS,
            )
        elif unit is not None and last < access.local_today(unit.timezone or "Asia/Jakarta"):
            fields.errors["ends_on"] = _("This date has passed.")
    fields.raise_if_any()
    with write_transaction():
        if not can_appoint(actor, unit):
            raise Forbidden(
                "forbidden",
                _("Only a head of a unit above this one or an admin may appoint its Plt or Plh."),
            )
        clash = db.session.scalar(
            select(ActingHead).where(
                ActingHead.unit_id == unit.id,
                ActingHead.kind == kind,
                ActingHead.ended_at.is_(None),
                ActingHead.starts_on <= last,
                ActingHead.ends_on >= first,
            )
        )
        if clash is not None:
            raise Conflict(
                "acting_overlap",
                _(
                    "%(unit)s already has a %(kind)s from %(start)s to %(end)s.",
                    unit=unit.name,
                    kind=kind.capitalize(),
                    start=clash.starts_on.isoformat(),
                    end=clash.ends_on.isoformat(),
                ),
                {"starts_on": _("Overlaps another appointment.")},
            )
        item = ActingHead(
            unit_id=unit.id,
            user_id=user.id,
            kind=kind,
            starts_on=first,
            ends_on=last,
            decree=decree,
            created_by_id=actor.id,
        )
        db.session.add(item)
        db.session.flush()
        db.session.refresh(item)
        admin_log.record(
            "acting.appointed",
            actor,
            "acting_head",
            item,
            label=f"{kind.capitalize()} {unit.code} {user.login} {user.name}",
            after=acting_record(item),
        )
    access.forget_unit_tree()
    return item


def find(item_id) -> ActingHead | None:
    if isinstance(item_id, bool) or not isinstance(item_id, int):
        return None
    return db.session.get(
        ActingHead, item_id, options=(selectinload(ActingHead.unit), selectinload(ActingHead.user))
    )


def end(actor: User, item_id, note="") -> ActingHead:
    """End an appointment now: from this moment the person no longer acts."""
    note = v.text(note, field_max=500) if isinstance(note, str) else ""
    with write_transaction():
        item = find(item_id)
        if item is None or not (
            can_appoint(actor, item.unit) or item.unit_id in access.managed_unit_ids(actor)
        ):
            raise NotFound("not_found", _("Appointment not found."))
        if not can_appoint(actor, item.unit):
            raise Forbidden(
                "forbidden",
                _("Only a head of a unit above this one or an admin may end this appointment."),
            )
        if status(item) in ("ended", "past"):
            raise Conflict("acting_over", _("This appointment is already over."))
        before = acting_record(item)
        item.ended_at = utcnow()
        item.ended_by_id = actor.id
        db.session.flush()
        admin_log.record(
            "acting.ended",
            actor,
            "acting_head",
            item,
            label=f"{item.kind.capitalize()} {item.unit.code} {item.user.login} {item.user.name}",
            before=before,
            after=acting_record(item),
            note=note,
        )
    access.forget_unit_tree()
    return item


def appointments(actor: User, unit_code=None) -> list[ActingHead]:
    """Appointments of the units the actor manages (or of one of them), newest first."""
    statement = select(ActingHead).options(
        selectinload(ActingHead.unit), selectinload(ActingHead.user)
    )
    if unit_code is not None:
        unit = db.session.scalar(select(Unit).where(Unit.code == str(unit_code)))
        if unit is None or not access.can_manage_unit(actor, unit):
            raise NotFound("not_found", _("Unit not found."))
        statement = statement.where(ActingHead.unit_id == unit.id)
    elif not actor.is_admin:
        ids = access.managed_unit_ids(actor)
        mine = select(ActingHead.id).where(ActingHead.user_id == actor.id)
        statement = statement.where(ActingHead.unit_id.in_(ids) | ActingHead.id.in_(mine))
    return list(
        db.session.scalars(
            statement.order_by(ActingHead.starts_on.desc(), ActingHead.id.desc()).limit(500)
        )
    )


def ended_by_names(items) -> dict[int, str]:
    ids = {item.ended_by_id for item in items if item.ended_by_id}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
