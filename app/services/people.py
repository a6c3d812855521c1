"""People administration: the list, creating and editing a person, their role and admin flag,
a transfer to another unit (*mutasi*) with a decision for each open card they would lose, and
deactivating (retirement, leaving, long leave) and reactivating an account.

Who may do what: admins manage everyone. A head (an acting head too, while acting) manages
the people whose unit lies in the head's unit tree, places people only into units they
manage, never grants admin, and edits neither admins nor themselves beyond their own profile
fields. Everyone may edit their own profile fields. Nobody removes the last active admin or
deactivates themselves. Every change is written to the administrative log with before and
after (app/services/admin_log.py), in the transaction that makes it.
"""

from dataclasses import dataclass, field
from math import ceil

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import (
    ROLES,
    ActingHead,
    BoardColumn,
    Card,
    Membership,
    Unit,
    User,
    utcnow,
)
from app.services import access, accounts, acting, admin_log, cards, live, person_fields
from app.services import validation as v
from app.services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from app.services.tx import write_transaction

PER_PAGE = 25
ROLE_NAMES = {"member": _l("Member"), "head": _l("Head")}
# Why an account is closed: the reason's code and how the pages name it.
DEACTIVATION_REASONS = {
    "retired": _l("Retirement (pensiun)"),
    "left": _l("Moved to another agency (pindah instansi)"),
    "long_leave": _l("Long leave (cuti besar)"),
    "other": _l("Other reason"),
}
# The fields a person may change on their own profile; the rest is for those who manage them.
PROFILE_FIELDS = ("name", "position", "email", "phone", "locale")


# Finding people -------------------------------------------------------------------------------


def find_person(login) -> User | None:
    """A person by NIP or username (surrounding spaces ignored)."""
    if not isinstance(login, str) or not login.strip():
        return None
    return cards.find_user(login.strip())


def visible_person(actor: User, login) -> User:
    """The person named, if the actor may see them; else 404 (their existence stays hidden)."""
    person = find_person(login)
    if person is None or not access.can_view_person(actor, person):
        raise NotFound("not_found", _("Person not found."))
    return person


def may_manage(actor: User, person: User) -> bool:
    """Admins manage everyone; a head manages the people of their unit tree, but not admins,
    not themselves, and a fellow head only from strictly above (`may_appoint_head`): a head
    cannot remove, move or take over a co-head of their own unit."""
    if actor.is_admin:
        return True
    if actor.id == person.id or person.is_admin:
        return False
    if not access.is_head_of(actor, person):
        return False
    headed = [m.unit for m in person.memberships if m.role == "head"]
    return all(may_appoint_head(actor, unit) for unit in headed)


def may_appoint_head(actor: User | None, unit: Unit) -> bool:
    """Who may make someone head of `unit`, or stop them being one: administrators (and the
    server's command line), and structural heads of a unit strictly above it, as for a Plt/Plh
    (app/services/acting.py). A head cannot make a second head of their own unit: that account
    would hold the head's rights and could, for one, decide the head's own paraf steps."""
    return actor is None or actor.is_admin or acting.can_appoint(actor, unit)


def _require_head_appointer(actor: User, unit: Unit) -> None:
    if not may_appoint_head(actor, unit):
        message = _(
            "Only an administrator or a head of a unit above %(unit)s may make someone its head.",
            unit=unit.name,
        )
        raise Forbidden("forbidden", message, {"role": message})


def may_administer(actor: User) -> bool:
    """May open the people pages at all: admins and heads (acting heads while acting)."""
    return actor.is_admin or bool(access.managed_unit_ids(actor))


def managed_person(actor: User, login) -> User:
    """The person named, if the actor manages them: 404 when unseen, 403 when only seen."""
    person = visible_person(actor, login)
    if not may_manage(actor, person):
        if actor.id == person.id:
            message = _("Only the people who manage you may change this.")
        elif person.is_admin:
            message = _("Only an administrator may change an administrator's account.")
        else:
            message = _("Only a head of their unit or an administrator may change this.")
        raise Forbidden("forbidden", message)
    return person


def membership_of(person: User) -> Membership | None:
    """The person's unit membership (people have one; the oldest, if an old database has
    more)."""
    rows = sorted(person.memberships, key=lambda m: m.id or 0)
    return rows[0] if rows else None


def state(person: User) -> dict:
    """The person as the administrative log keeps them."""
    member = membership_of(person)
    return {
        "nip": person.nip,
        "username": person.username,
        "name": person.name,
        "position": person.position,
        "email": person.email,
        "phone": person.phone,
        "unit": member.unit.code if member else None,
        "role": member.role if member else None,
        "admin": person.is_admin,
        "locale": person.locale,
        "active": person.active,
    }


# The list -------------------------------------------------------------------------------------


@dataclass
class Page:
    items: list[User]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))


def unit_choices(actor: User, *, active_only: bool = True) -> list[tuple[Unit, int]]:
    """The units the actor manages, as (unit, depth) in tree order: what the pickers offer."""
    managed = access.managed_unit_ids(actor)
    statement = select(Unit).where(Unit.id.in_(managed))
    if active_only:
        statement = statement.where(Unit.active.is_(True))
    units = {unit.id: unit for unit in db.session.scalars(statement)}
    children: dict[int | None, list[Unit]] = {}
    for unit in units.values():
        parent = unit.parent_id if unit.parent_id in units else None
        children.setdefault(parent, []).append(unit)
    ordered: list[tuple[Unit, int]] = []

    def walk(parent, depth):
        for unit in sorted(children.get(parent, []), key=lambda u: (u.name.lower(), u.code)):
            ordered.append((unit, depth))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return ordered


def clean_filters(args: dict) -> dict:
    """The list's filters from a query string (pages and the API alike), or Invalid."""
    fields = v.Fields()
    query = fields.clean("q", v.text, args.get("q"), field_max=100) or ""
    unit = fields.clean("unit", v.text, args.get("unit"), field_max=40) or None
    role = args.get("role") or None
    if role is not None and role not in ROLES:
        fields.errors["role"] = _("Choose one of: %(options)s.", options=", ".join(ROLES))
    status = args.get("status") or "active"
    if status not in ("active", "inactive", "all"):
        fields.errors["status"] = _("Choose one of: %(options)s.", options="active, inactive, all")
    sub_units = fields.clean("sub_units", person_fields.flag, args.get("sub_units", "1"))
    page = fields.clean("page", v.optional_int, args.get("page") or None, minimum=1, maximum=10**6)
    fields.raise_if_any()
    return {
        "q": query,
        "unit": unit,
        "role": role,
        "status": status,
        "sub_units": sub_units,
        "page": page or 1,
    }


def list_people(actor: User, filters: dict, *, per_page: int = PER_PAGE) -> Page:
    """One page of the people the actor manages (admins: everyone), by name; three queries
    whatever the page holds (the page, its count, the units of its people)."""
    if not may_administer(actor):
        raise Forbidden("forbidden", _("Only heads and administrators manage people."))
    statement = select(User)
    if not actor.is_admin:
        managed = access.managed_unit_ids(actor)
        statement = statement.where(
            exists().where(Membership.user_id == User.id, Membership.unit_id.in_(managed))
        )
    query = filters.get("q")
    if query:
        pattern = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern += "%"
        statement = statement.where(
            or_(
                func.lower(User.name).like(pattern, escape="\\"),
                User.nip.like(pattern, escape="\\"),
                func.lower(User.username).like(pattern, escape="\\"),
            )
        )
    if filters.get("unit"):
        unit = db.session.scalar(select(Unit).where(Unit.code == filters["unit"]))
        if unit is None:
            raise v.invalid({"unit": _("No unit has this code.")})
        unit_ids = access.subtree(unit.id) if filters.get("sub_units") else {unit.id}
        statement = statement.where(
            exists().where(Membership.user_id == User.id, Membership.unit_id.in_(unit_ids))
        )
    if filters.get("role"):
        statement = statement.where(
            exists().where(Membership.user_id == User.id, Membership.role == filters["role"])
        )
    status = filters.get("status", "active")
    if status != "all":
        statement = statement.where(User.active.is_(status == "active"))
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    page = max(1, int(filters.get("page") or 1))
    items = list(
        db.session.scalars(
            statement.options(selectinload(User.memberships).joinedload(Membership.unit))
            .order_by(func.lower(User.name), User.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return Page(items, total, page, per_page)


# Creating and editing -----------------------------------------------------------------------


def _target_unit(actor: User, code, *, field_name: str = "unit") -> Unit:
    """The active unit with this code, into which the actor may place people; else Invalid
    (unknown, inactive) or Forbidden (a unit the actor does not manage)."""
    if not isinstance(code, str) or not code.strip():
        raise v.invalid({field_name: _("Choose a unit.")})
    unit = db.session.scalar(select(Unit).where(Unit.code == code.strip()))
    if unit is None:
        raise v.invalid({field_name: _("No unit has this code.")})
    if not unit.active:
        raise v.invalid({field_name: _("%(unit)s is no longer active.", unit=unit.name)})
    if not access.can_manage_unit(actor, unit):
        raise Forbidden(
            "forbidden",
            _(
                "You may only place people into units you head (%(unit)s is not one).",
                unit=unit.name,
            ),
            {field_name: _("You do not head this unit.")},
        )
    return unit


def create_person(actor: User, data: dict, *, password=None) -> User:
    """A new person in one unit with a role. Heads create in the units they manage and never
    create admins. Without a password the account waits for a reset link."""
    if not may_administer(actor):
        raise Forbidden("forbidden", _("Only heads and administrators add people."))
    errors: dict[str, str] = {}
    try:
        cleaned = person_fields.clean_person(data)
    except Invalid as exc:
        errors, cleaned = dict(exc.fields), {"admin": False, "unit": data.get("unit")}
    unit_code = cleaned.get("unit")
    if not (isinstance(unit_code, str) and unit_code.strip()) and not cleaned["admin"]:
        errors["unit"] = _("Choose a unit.")
    if errors:
        raise v.invalid(errors)
    if cleaned["admin"] and not actor.is_admin:
        raise Forbidden(
            "forbidden",
            _("Only an administrator may make someone an administrator."),
            {"admin": _("Only an administrator may grant this.")},
        )
    with write_transaction():
        unit = None
        if cleaned.get("unit") or not (actor.is_admin and cleaned["admin"]):
            unit = _target_unit(actor, cleaned.get("unit"))
            if cleaned["role"] == "head":
                _require_head_appointer(actor, unit)
        person = accounts.create_user(
            cleaned["name"],
            password if password not in ("", None) else None,
            nip=cleaned["nip"],
            username=cleaned["username"],
            unit_code=unit.code if unit else None,
            role=cleaned["role"],
            admin=cleaned["admin"],
            email=cleaned["email"],
            locale=cleaned["locale"],
            position=cleaned["position"],
            phone=cleaned["phone"],
        )
        admin_log.record("user.created", actor, "user", person, after=state(person))
    access.forget_unit_tree()
    return person


def _active_admins_besides(person: User) -> int:
    return db.session.scalar(
        select(func.count(User.id)).where(
            User.is_admin.is_(True), User.active.is_(True), User.id != person.id
        )
    )


def update_person(actor: User, login, data: dict, *, cards_decisions=None) -> User:
    """Change the fields present in `data`. One's own profile fields: anyone. The rest (NIP,
    username, role, admin flag, unit) for those who manage the person; a new `unit` is a
    transfer (`transfer`, with the decisions for the open cards)."""
    unknown = sorted(set(data) - set(person_fields.PERSON_FIELDS))
    if unknown:
        raise v.invalid({name: _("Unknown field.") for name in unknown})
    cleaned = person_fields.clean_person(data, partial=True)
    with write_transaction():
        person = visible_person(actor, login)
        before = state(person)
        changes = {
            name: value
            for name, value in cleaned.items()
            if name not in ("unit", "role") and before.get(name) != value
        }
        member = membership_of(person)
        if "role" in cleaned and (member is None or member.role != cleaned["role"]):
            changes["role"] = cleaned["role"]
        moving = "unit" in cleaned and cleaned["unit"] not in (None, "", before["unit"])
        if not changes and not moving:
            return person
        own_only = set(changes) <= set(PROFILE_FIELDS) and not moving
        if not (actor.id == person.id and own_only) and not may_manage(actor, person):
            managed_person(actor, login)  # raises the right refusal
        if "admin" in changes:
            _check_admin_change(actor, person, changes["admin"])
        if "nip" in changes and not (changes["nip"] or person.username):
            raise v.invalid({"nip": _("Give a NIP or, for non-ASN staff, a username.")})
        if "username" in changes and not (changes["username"] or changes.get("nip", person.nip)):
            raise v.invalid({"username": _("Give a NIP or, for non-ASN staff, a username.")})
        accounts.check_logins_free(
            changes.get("nip"), changes.get("username"), exclude_id=person.id
        )
        if "role" in changes:
            if member is None:
                raise v.invalid({"role": _("This person belongs to no unit; transfer them first.")})
            if "head" in (member.role, changes["role"]) and not moving:
                _require_head_appointer(actor, member.unit)
            member.role = changes["role"]
        for name, value in changes.items():
            if name == "admin":
                person.is_admin = value
            elif name != "role":
                setattr(person, name, value)
        if changes:
            old, new = admin_log.changed(before, state(person))
            if old or new:
                admin_log.record("user.updated", actor, "user", person, before=old, after=new)
        if moving:
            transfer(
                actor,
                person.login,
                cleaned["unit"],
                cards_decisions or {},
                role=changes.get("role"),
            )
    access.forget_unit_tree()
    return person


def _check_admin_change(actor: User, person: User, grant: bool) -> None:
    if not actor.is_admin:
        raise Forbidden(
            "forbidden",
            _("Only an administrator may grant or revoke administrator rights."),
            {"admin": _("Only an administrator may grant this.")},
        )
    if not grant and person.active and _active_admins_besides(person) == 0:
        raise Conflict(
            "last_admin",
            _(
                "%(name)s is the last active administrator; make someone else one first.",
                name=person.name,
            ),
            {"admin": _("The last active administrator keeps this right.")},
        )


# Transfer (mutasi) ----------------------------------------------------------------------------


@dataclass
class TransferPlan:
    """What a transfer would do: where to, and the open cards on boards the person would no
    longer see, with who could take each one over (the board's viewers, the person aside)."""

    person: User
    unit: Unit
    role: str
    cards: list[Card] = field(default_factory=list)
    candidates: dict[int, list[User]] = field(default_factory=dict)


def _lost_cards(person: User, unit: Unit, role: str) -> list[Card]:
    """The person's open cards (not in a done column) on boards they would not see after the
    move, by board and title."""
    if person.is_admin:
        return []
    open_cards = db.session.scalars(
        select(Card)
        .join(BoardColumn, BoardColumn.id == Card.column_id)
        .where(
            Card.assignee_id == person.id, BoardColumn.kind != "done", Card.archived_at.is_(None)
        )
        .options(joinedload(Card.board), joinedload(Card.column))
        .order_by(Card.board_id, Card.id)
    ).all()
    after = access.standing_with_unit(person, unit.id, role)
    return [card for card in open_cards if not access.sees_board(after, card.board)]


def _transfer_target(actor: User, person: User, unit_code, role) -> tuple[Unit, str]:
    unit = _target_unit(actor, unit_code)
    member = membership_of(person)
    if role in (None, ""):
        role = member.role if member else "member"
    try:
        role = person_fields.role(role)
    except v.FieldError as exc:
        raise v.invalid({"role": str(exc)}) from None
    if member is not None and member.unit_id == unit.id and member.role == role:
        raise v.invalid({"unit": _("%(name)s is in this unit already.", name=person.name)})
    if role == "head":
        _require_head_appointer(actor, unit)
    return unit, role


def plan_transfer(actor: User, login, unit_code, *, role=None) -> TransferPlan:
    """Step one of a transfer: check it may happen and list the open cards to decide on."""
    person = managed_person(actor, login)
    unit, role = _transfer_target(actor, person, unit_code, role)
    plan = TransferPlan(person=person, unit=unit, role=role, cards=_lost_cards(person, unit, role))
    boards = {card.board_id: card.board for card in plan.cards}
    for board_id, board in boards.items():
        plan.candidates[board_id] = [u for u in access.board_viewers(board) if u.id != person.id]
    return plan


def _decision(raw) -> tuple[str, str | None] | None:
    """("assign", login), ("unassign", None), or None for no decision, from a form value
    (a login, or "-" to unassign) or an API object ({"assignee": login} or {"unassign": true})."""
    if isinstance(raw, dict):
        if raw.get("unassign") is True:
            return ("unassign", None)
        assignee = raw.get("assignee")
        if isinstance(assignee, str) and assignee.strip():
            return ("assign", assignee.strip())
        return None
    if isinstance(raw, str) and raw.strip():
        return ("unassign", None) if raw.strip() == "-" else ("assign", raw.strip())
    return None


class DecisionsMissing(Conflict):
    """A transfer with open cards left undecided: 409, listing the cards."""

    def __init__(self, plan: TransferPlan, missing: list[Card]):
        super().__init__(
            "card_decisions_required",
            _(
                "Decide for each open card who takes it over (or unassign it) before the "
                "transfer: %(count)d undecided.",
                count=len(missing),
            ),
            {f"cards.{card.id}": _("Choose who takes this card over.") for card in missing},
        )
        self.plan = plan
        self.cards = plan.cards

    def to_dict(self) -> dict:
        body = super().to_dict()
        body["error"]["cards"] = [
            {
                "id": card.id,
                "title": card.title,
                "board_id": card.board_id,
                "board": card.board.name,
                "column": card.column.name,
                "candidates": [u.login for u in self.plan.candidates.get(card.board_id, [])],
            }
            for card in self.cards
        ]
        return body


def transfer(actor: User, login, unit_code, decisions: dict, *, role=None) -> TransferPlan:
    """Move a person to another unit (*mutasi*), in one transaction: each open card on a board
    they will no longer see is reassigned (to someone who sees that board, under the card rules:
    the personal WIP limit, the plugins) or unassigned, as `decisions` says ({card id: login or
    "-"}, or the API's objects); a card left undecided refuses the whole transfer. The card
    history and the administrative log keep the old unit."""
    decisions = {str(key): value for key, value in (decisions or {}).items()}
    with write_transaction():
        plan = plan_transfer(actor, login, unit_code, role=role)
        person, unit = plan.person, plan.unit
        chosen = {card.id: _decision(decisions.get(str(card.id))) for card in plan.cards}
        missing = [card for card in plan.cards if chosen[card.id] is None]
        if missing:
            raise DecisionsMissing(plan, missing)
        refusals: dict[str, str] = {}
        reason = _("Transfer to %(unit)s", unit=unit.name)
        outcome = []
        for card in plan.cards:
            how, target = chosen[card.id]
            key = f"cards.{card.id}"
            if how == "assign":
                allowed = {u.login: u for u in plan.candidates.get(card.board_id, [])}
                if target not in allowed:
                    refusals[key] = _("This person cannot see the card's board.")
                    continue
            try:
                cards.update_card(
                    actor,
                    card.id,
                    {"assignee": target if how == "assign" else None},
                    version=card.version,
                    reason=reason,
                )
            except ServiceError as exc:
                refusals[key] = exc.message
                continue
            outcome.append({"card": card.id, "title": card.title, "to": target})
        if refusals:
            raise Invalid(
                "card_decisions_refused",
                _("Some cards cannot go where you chose; choose again for them."),
                refusals,
            )
        before = state(person)
        for member in list(person.memberships):
            person.memberships.remove(member)
            db.session.delete(member)
        db.session.flush()
        person.memberships.append(Membership(unit=unit, role=plan.role))
        db.session.flush()
        admin_log.record(
            "user.transferred",
            actor,
            "user",
            person,
            before={"unit": before["unit"], "role": before["role"]},
            after={"unit": unit.code, "role": plan.role, "cards": outcome},
            note=_("From %(old)s to %(new)s", old=before["unit"] or "-", new=unit.code),
        )
    access.forget_unit_tree()
    return plan


# Deactivate and reactivate --------------------------------------------------------------------


def clean_deactivation(reason, note) -> tuple[str, str]:
    fields = v.Fields()
    if reason not in DEACTIVATION_REASONS:
        fields.errors["reason"] = _("Choose why the account closes.")
    note = fields.clean("note", v.text, note, field_max=150) or ""
    if reason == "other" and not note and "note" not in fields.errors:
        fields.errors["note"] = _("Say why, in a few words.")
    fields.raise_if_any()
    return reason, note


def reason_text(person: User) -> str:
    """How the pages say why an account was closed."""
    code, _sep, note = (person.deactivation_reason or "").partition(":")
    label = DEACTIVATION_REASONS.get(code)
    if label is None:
        return person.deactivation_reason or ""
    return f"{label}: {note.strip()}" if note.strip() else str(label)


def _flag_open_cards(person: User) -> None:
    """Redraw the boards where the person holds open cards (their badge changes)."""
    rows = db.session.execute(
        select(Card.board_id, Card.id)
        .join(BoardColumn, BoardColumn.id == Card.column_id)
        .where(
            Card.assignee_id == person.id, BoardColumn.kind != "done", Card.archived_at.is_(None)
        )
    ).all()
    by_board: dict[int, list[int]] = {}
    for board_id, card_id in rows:
        by_board.setdefault(board_id, []).append(card_id)
    for board_id, card_ids in by_board.items():
        live.refresh_board(board_id, card_ids)


def open_card_count(person: User) -> int:
    return db.session.scalar(
        select(func.count(Card.id))
        .join(BoardColumn, BoardColumn.id == Card.column_id)
        .where(
            Card.assignee_id == person.id, BoardColumn.kind != "done", Card.archived_at.is_(None)
        )
    )


def deactivate(actor: User, login, reason, note="") -> User:
    """Close an account: it cannot sign in, its sessions and API tokens end at once, its acting
    appointments end; its open cards stay assigned, flagged on their boards for reassignment."""
    reason, note = clean_deactivation(reason, note)
    with write_transaction():
        person = visible_person(actor, login)
        if person.id == actor.id:
            raise Forbidden("forbidden", _("You cannot deactivate your own account."))
        person = managed_person(actor, login)
        if not person.active:
            raise Conflict("inactive", _("%(name)s is inactive already.", name=person.name))
        if person.is_admin and _active_admins_besides(person) == 0:
            raise Conflict(
                "last_admin",
                _("%(name)s is the last active administrator.", name=person.name),
            )
        now = utcnow()
        person.active = False
        person.deactivated_at = now
        person.deactivation_reason = f"{reason}: {note}" if note else reason
        sessions, tokens = accounts.sign_out_everywhere(person)
        appointments = db.session.execute(
            update(ActingHead)
            .where(ActingHead.user_id == person.id, ActingHead.ended_at.is_(None))
            .values(ended_at=now, ended_by_id=actor.id)
        ).rowcount
        admin_log.record(
            "user.deactivated",
            actor,
            "user",
            person,
            before={"active": True},
            after={
                "active": False,
                "reason": reason,
                "note": note,
                "sessions_ended": sessions,
                "tokens_revoked": tokens,
                "acting_ended": appointments,
                "open_cards": open_card_count(person),
            },
            note=note or reason,
        )
        _flag_open_cards(person)
    access.forget_unit_tree()
    return person


def reactivate(actor: User, login) -> User:
    """Open a closed account again; the person signs in with their password, or with a reset
    link if they never had one."""
    with write_transaction():
        person = managed_person(actor, login)
        if person.active:
            raise Conflict("active", _("%(name)s is active already.", name=person.name))
        before = {"active": False, "reason": person.deactivation_reason}
        person.active = True
        person.deactivated_at = None
        person.deactivation_reason = ""
        admin_log.record(
            "user.reactivated", actor, "user", person, before=before, after={"active": True}
        )
        _flag_open_cards(person)
    access.forget_unit_tree()
    return person
