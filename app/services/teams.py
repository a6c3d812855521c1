"""Work teams (*tim kerja*): create, edit, deactivate; members and the team leader (*ketua tim*).

Who does what:
- admins and the heads of the team's unit (or of a unit above it) create and edit teams, change
  the leader, add and remove members;
- the ketua tim adds and removes members of their own team (not the leader: nobody makes
  themself leader), and manages the team's boards like a head (app/services/access.py).

A team with boards cannot be deactivated nor moved to another unit: its boards take the unit's
calendar and the heads above it, and would silently change hands. Move or delete the boards'
work first. The leader is always a member too; to remove them, name another leader first.

Removing a member takes the team's boards away from them at once. Their open cards on those
boards (`open_cards_of`) are handed over in the same transaction: each to the person chosen for
it, and unassigned when nobody is chosen, so no card stays with someone who can no longer see it.
Every change goes to the administrative log with the record before and after.
"""

import re

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Board, BoardColumn, Card, Membership, Team, TeamMember, Unit, User
from app.services import access, admin_log
from app.services import validation as v
from app.services.cards import find_user, update_card
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.tx import write_transaction

CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
MAX_MEMBERS = 200


def team_record(team: Team) -> dict:
    """The team as the log keeps it."""
    return {
        "code": team.code,
        "name": team.name,
        "unit": team.unit.code if team.unit else None,
        "leader": team.leader.login if team.leader else None,
        "active": team.active,
    }


def can_manage_team(user: User, team: Team) -> bool:
    """Admins and the heads of the team's unit or above (acting heads too, while acting)."""
    return user.active and (user.is_admin or team.unit_id in access.managed_unit_ids(user))


def can_change_members(user: User, team: Team) -> bool:
    """The team's managers, and its leader while the team is active."""
    return can_manage_team(user, team) or (team.active and team.id in access.led_team_ids(user))


def can_view_team(user: User, team: Team) -> bool:
    return can_manage_team(user, team) or team.id in access.team_ids(user)


def visible_teams(user: User) -> list[Team]:
    """Teams the user manages, belongs to or leads, by name (inactive ones for managers only)."""
    statement = select(Team).options(selectinload(Team.unit), selectinload(Team.leader))
    if not user.is_admin:
        managed = access.managed_unit_ids(user)
        mine = access.team_ids(user)
        statement = statement.where(Team.unit_id.in_(managed) | Team.id.in_(mine))
    teams = list(db.session.scalars(statement.order_by(Team.name, Team.id)))
    return [team for team in teams if team.active or can_manage_team(user, team)]


def member_counts(team_ids) -> dict[int, int]:
    ids = list(team_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(TeamMember.team_id, func.count(TeamMember.id))
        .where(TeamMember.team_id.in_(ids))
        .group_by(TeamMember.team_id)
    )
    return dict(rows.all())


def manageable_team_units(user: User) -> list[Unit]:
    """Active units where the user may make a team."""
    ids = access.managed_unit_ids(user)
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Unit).where(Unit.id.in_(ids), Unit.active.is_(True)).order_by(Unit.code)
        )
    )


def ledable_teams(user: User) -> list[Team]:
    """Active teams whose boards the user may create: those of the units they manage and those
    they lead."""
    return [
        team
        for team in visible_teams(user)
        if team.active and (can_manage_team(user, team) or team.id in access.led_team_ids(user))
    ]


def find_team(code) -> Team | None:
    if not isinstance(code, str) or not code.strip():
        return None
    return db.session.scalar(
        select(Team)
        .where(Team.code == code.strip())
        .options(selectinload(Team.unit), selectinload(Team.leader))
    )


def visible_team(user: User, code) -> Team:
    """The team, or 404 when it does not exist or the user may not see it."""
    team = find_team(code)
    if team is None or not can_view_team(user, team):
        raise NotFound("not_found", _("Team not found."))
    return team


def _managed_team(user: User, code) -> Team:
    team = visible_team(user, code)
    if not can_manage_team(user, team):
        raise Forbidden(
            "forbidden", _("Only a head of the team's unit or an admin may change this team.")
        )
    return team


def members_of(team: Team) -> list[User]:
    """The team's members (the leader among them), by name, with their memberships loaded."""
    return list(
        db.session.scalars(
            select(User)
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == team.id)
            .order_by(User.name, User.id)
        )
    )


def boards_of(team: Team) -> list[Board]:
    return list(
        db.session.scalars(select(Board).where(Board.team_id == team.id).order_by(Board.name))
    )


def _person(value, field: str, fields: v.Fields) -> User | None:
    """An active person by NIP or username, or a field error."""
    if isinstance(value, User):
        person = value
    elif isinstance(value, str) and value.strip():
        person = find_user(value.strip())
    else:
        fields.errors[field] = _("This field is required.")
        return None
    if person is None or not person.active:
        fields.errors[field] = _("No active person has this NIP or username.")
        return None
    return person


def _unit(value, fields: v.Fields) -> Unit | None:
    if not isinstance(value, str) or not value.strip():
        fields.errors["unit"] = _("This field is required.")
        return None
    unit = db.session.scalar(select(Unit).where(Unit.code == value.strip()))
    if unit is None or not unit.active:
        fields.errors["unit"] = _("No active unit has this code.")
        return None
    return unit


def _add_member_row(team: Team, person: User) -> bool:
    exists = db.session.scalar(
        select(TeamMember.id).where(TeamMember.team_id == team.id, TeamMember.user_id == person.id)
    )
    if exists:
        return False
    db.session.add(TeamMember(team_id=team.id, user_id=person.id))
    return True


def create_team(actor: User, code, name, unit, leader, members=()) -> Team:
    """A new team in `unit` (a unit code) led by `leader` (NIP or username), with `members`."""
    fields = v.Fields()
    code = fields.clean("code", v.text, code, field_max=40, required=True)
    if code and not CODE.fullmatch(code):
        fields.errors["code"] = _("Use letters, digits, hyphens and underscores.")
    name = fields.clean("name", v.text, name, field_max=200, required=True)
    place = _unit(unit, fields)
    head = _person(leader, "leader", fields)
    if not isinstance(members, list | tuple) or len(members) > MAX_MEMBERS:
        fields.errors["members"] = _("Give a list of at most %(n)d people.", n=MAX_MEMBERS)
        members = []
    people = []
    for login in members:
        person = find_user(login.strip()) if isinstance(login, str) else None
        if person is None or not person.active:
            fields.errors["members"] = _(
                "No active person has the NIP or username %(login)s.", login=str(login)[:60]
            )
            break
        people.append(person)
    fields.raise_if_any()
    with write_transaction():
        if not (actor.is_admin or place.id in access.managed_unit_ids(actor)):
            raise Forbidden(
                "forbidden", _("Only a head of this unit or an admin may make its teams.")
            )
        if db.session.scalar(select(Team.id).where(Team.code == code)):
            raise Conflict("duplicate", _("A team with code %(code)s exists already.", code=code))
        team = Team(code=code, name=name, unit_id=place.id, leader_id=head.id)
        db.session.add(team)
        db.session.flush()
        for person in {p.id: p for p in [head, *people]}.values():
            _add_member_row(team, person)
        db.session.flush()
        db.session.refresh(team)
        after = {**team_record(team), "members": sorted(p.login for p in [head, *people])}
        admin_log.record("team.created", actor, "team", team, after=after)
    access.forget_unit_tree()
    return team


def update_team(actor: User, code, data: dict) -> Team:
    """Change a team's name, unit, leader or active flag (managers only)."""
    if not isinstance(data, dict):
        raise v.invalid({"": _("Must be an object.")})
    unknown = sorted(set(data) - {"name", "unit", "leader", "active"})
    if unknown:
        raise v.invalid({name: _("Unknown field.") for name in unknown})
    fields = v.Fields()
    changes: dict = {}
    if "name" in data:
        changes["name"] = fields.clean("name", v.text, data["name"], field_max=200, required=True)
    if "unit" in data:
        changes["unit"] = _unit(data["unit"], fields)
    if "leader" in data:
        changes["leader"] = _person(data["leader"], "leader", fields)
    if "active" in data:
        if not isinstance(data["active"], bool):
            fields.errors["active"] = _("Must be true or false.")
        changes["active"] = data["active"]
    fields.raise_if_any()
    with write_transaction():
        team = _managed_team(actor, code)
        before = team_record(team)
        has_boards = bool(db.session.scalar(select(Board.id).where(Board.team_id == team.id)))
        if "unit" in changes and changes["unit"].id != team.unit_id:
            if not (actor.is_admin or changes["unit"].id in access.managed_unit_ids(actor)):
                raise Forbidden(
                    "forbidden", _("You may move a team only to a unit you head."), {"unit": ""}
                )
            if has_boards:
                raise Conflict(
                    "team_has_boards",
                    _("The team has boards: they belong to its unit, so it cannot move."),
                    {"unit": _("The team has boards.")},
                )
            team.unit_id = changes["unit"].id
        if changes.get("active") is False and team.active and has_boards:
            raise Conflict(
                "team_has_boards",
                _("The team still has boards; it can be deactivated once it has none."),
                {"active": _("The team has boards.")},
            )
        if "active" in changes:
            team.active = changes["active"]
        if "name" in changes:
            team.name = changes["name"]
        if "leader" in changes:
            team.leader_id = changes["leader"].id
            _add_member_row(team, changes["leader"])
        db.session.flush()
        db.session.refresh(team)
        old, new = admin_log.changed(before, team_record(team))
        if old or new:
            kind = "team.leader_changed" if set(new) == {"leader"} else "team.updated"
            admin_log.record(kind, actor, "team", team, before=old, after=new)
    access.forget_unit_tree()
    return team


def set_leader(actor: User, code, leader) -> Team:
    return update_team(actor, code, {"leader": leader})


def add_member(actor: User, code, login) -> Team:
    fields = v.Fields()
    person = _person(login, "user", fields)
    fields.raise_if_any()
    with write_transaction():
        team = visible_team(actor, code)
        if not can_change_members(actor, team):
            raise Forbidden(
                "forbidden", _("Only the team's leader, a head above it or an admin may do this.")
            )
        if not team.active:
            raise Conflict("team_inactive", _("This team is no longer active."))
        if not _add_member_row(team, person):
            raise Conflict(
                "already_member",
                _("%(name)s is already in this team.", name=person.name),
                {"user": _("Already in this team.")},
            )
        count = db.session.scalar(
            select(func.count(TeamMember.id)).where(TeamMember.team_id == team.id)
        )
        if count > MAX_MEMBERS:
            raise Conflict(
                "too_many_members", _("A team has at most %(n)d members.", n=MAX_MEMBERS)
            )
        admin_log.record(
            "team.member_added",
            actor,
            "team",
            team,
            before=None,
            after={"member": person.login, "name": person.name},
        )
    access.forget_unit_tree()
    return team


def open_cards_of(team: Team, person: User) -> list[Card]:
    """The person's unfinished cards on the team's boards, by board and title."""
    return list(
        db.session.scalars(
            select(Card)
            .join(Board, Board.id == Card.board_id)
            .join(BoardColumn, BoardColumn.id == Card.column_id)
            .where(
                Board.team_id == team.id,
                Card.assignee_id == person.id,
                BoardColumn.kind != "done",
                Card.archived_at.is_(None),
            )
            .options(selectinload(Card.board))
            .order_by(Board.name, Card.title, Card.id)
        )
    )


def remove_member(actor: User, code, login, handover: dict | None = None) -> list[Card]:
    """Take `login` out of the team. Their open cards on its boards go to the person named in
    `handover` ({card id: NIP or username}) or are unassigned. Returns the cards handed over."""
    fields = v.Fields()
    # Inactive people can be taken out of a team too.
    person = find_user(login.strip()) if isinstance(login, str) and login.strip() else None
    if person is None:
        fields.errors["user"] = _("No person has this NIP or username.")
    handover = handover or {}
    if not isinstance(handover, dict):
        fields.errors["handover"] = _("Must be an object of card ids and people.")
        handover = {}
    fields.raise_if_any()
    with write_transaction():
        team = visible_team(actor, code)
        if not can_change_members(actor, team):
            raise Forbidden(
                "forbidden", _("Only the team's leader, a head above it or an admin may do this.")
            )
        row = db.session.scalar(
            select(TeamMember).where(TeamMember.team_id == team.id, TeamMember.user_id == person.id)
        )
        if row is None:
            raise NotFound("not_member", _("%(name)s is not in this team.", name=person.name))
        if team.leader_id == person.id:
            raise Conflict(
                "team_leader",
                _("%(name)s leads this team: name another leader first.", name=person.name),
                {"user": _("The team leader cannot be removed.")},
            )
        cards = open_cards_of(team, person)
        known = {str(card.id) for card in cards}
        stray = sorted(str(key) for key in handover if str(key) not in known)
        if stray:
            raise v.invalid(
                {f"handover.{key}": _("Not an open card of this person here.") for key in stray}
            )
        db.session.delete(row)
        db.session.flush()
        access.forget_unit_tree()
        handed = []
        for card in cards:
            target = handover.get(str(card.id)) or handover.get(card.id) or None
            if target is None and access.can_view_board(person, card.board):
                continue  # they still see the board (a head above): the card stays theirs
            try:
                update_card(actor, card.id, {"assignee": target}, version=card.version)
            except Invalid as exc:
                raise v.invalid(
                    {f"handover.{card.id}": exc.fields.get("assignee", exc.message)}
                ) from None
            handed.append(card)
        admin_log.record(
            "team.member_removed",
            actor,
            "team",
            team,
            before={"member": person.login, "name": person.name},
            after={
                "cards": {
                    str(card.id): (card.assignee.login if card.assignee else None)
                    for card in handed
                }
            },
        )
    access.forget_unit_tree()
    return handed


def people_to_pick() -> list[tuple[str, str, str]]:
    """Every active person as (NIP or username, name, their units' names), by name: the person
    picker of the team and acting pages (two queries)."""
    people = list(
        db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name, User.id))
    )
    units: dict[int, list[str]] = {}
    rows = db.session.execute(
        select(Membership.user_id, Unit.name)
        .join(Unit, Unit.id == Membership.unit_id)
        .order_by(Membership.id)
    )
    for user_id, name in rows:
        units.setdefault(user_id, []).append(name)
    return [(p.login, p.name, ", ".join(units.get(p.id, []))) for p in people]


def units_of_people(people) -> dict[int, list[str]]:
    """user id -> names of their units, in one query."""
    ids = [person.id for person in people]
    found: dict[int, list[str]] = {uid: [] for uid in ids}
    if ids:
        rows = db.session.execute(
            select(Membership.user_id, Unit.name)
            .join(Unit, Unit.id == Membership.unit_id)
            .where(Membership.user_id.in_(ids))
            .order_by(Membership.id)
        )
        for user_id, name in rows:
            found[user_id].append(name)
    return found
