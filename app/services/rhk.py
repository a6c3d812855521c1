"""SKP planned work results (RHK, *rencana hasil kerja*, PermenPANRB 6/2022; issue 27): a person's
RHK for a year with their indicators (*Indikator Kinerja Individu*) and targets, each cascaded
from an RHK of the person's leader (*intervensi*), and the cards that count toward one.

Who sees: `performance_access` (the person and the heads above; 404 for anyone else).
Who writes: the person for themself and the heads above them (acting heads while acting).
A person's leaders are the heads of their unit (acting heads included); a head's are the heads
of the parent unit. A unit without a head passes the question up to the next unit that has one.

Every change is written to the administration log (`admin_log`, target kind "rhk") in the
transaction that makes it. A withdrawn RHK keeps its row (cards and evidence still name it) but
takes no new links; restoring it brings it back.

Cards: `clean_card_rhk` is the rule every card path shares (`cards.create_card`,
`cards.update_card`): the RHK must be an active RHK of the card's assignee for the card's year
(the due date's year, or this year). When the assignee or the year changes, `card_follows`
unlinks an RHK that no longer fits instead of refusing the change.
"""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import clock
from app.extensions import db
from app.models import (
    INDICATOR_ASPECTS,
    RHK_KINDS,
    Card,
    Membership,
    Rhk,
    RhkIndicator,
    Sprint,
    Unit,
    User,
    utcnow,
)
from app.services import access, admin_log, performance_access
from app.services import validation as v
from app.services.audit import record
from app.services.errors import Forbidden, NotFound
from app.services.tx import write_transaction

MAX_INDICATORS = 10
YEAR_MIN, YEAR_MAX = 2000, 2100
RHK_FIELDS = ("year", "kind", "text", "parent_id", "position", "indicators")


# --- reading ----------------------------------------------------------------------------------


def _with_indicators():
    return selectinload(Rhk.indicators)


def rhks_of(person: User, year: int, *, include_archived: bool = False) -> list[Rhk]:
    """The person's RHK for a year in their order, indicators loaded (no visibility check: the
    caller has asked `performance_access` about the person)."""
    query = (
        select(Rhk)
        .options(_with_indicators(), selectinload(Rhk.parent))
        .where(Rhk.user_id == person.id, Rhk.year == year)
        .order_by(Rhk.archived_at.is_not(None), Rhk.position, Rhk.id)
    )
    if not include_archived:
        query = query.where(Rhk.archived_at.is_(None))
    return list(db.session.scalars(query))


def rhks_of_people(user_ids, year: int) -> list[Rhk]:
    """The active RHK of many people for a year, with their indicators, in one query (the unit
    tree; the caller has checked the viewer leads them)."""
    user_ids = list(user_ids)
    if not user_ids:
        return []
    return list(
        db.session.scalars(
            select(Rhk)
            .options(_with_indicators())
            .where(Rhk.user_id.in_(user_ids), Rhk.year == year, Rhk.archived_at.is_(None))
            .order_by(Rhk.user_id, Rhk.position, Rhk.id)
        )
    )


def rhk(viewer: User, rhk_id) -> Rhk:
    """An RHK the viewer may see (its owner or a head above them); 404 otherwise."""
    found = db.session.get(Rhk, rhk_id) if isinstance(rhk_id, int) else None
    if found is None or not performance_access.can_see_performance(viewer, found.user):
        raise NotFound("not_found", _("RHK not found."))
    return found


def person(viewer: User, login) -> User:
    """The person with this NIP or username whose performance records the viewer may see."""
    found = None
    if isinstance(login, str) and login.strip():
        login = login.strip()
        found = db.session.scalar(
            select(User).where((User.nip == login) | (User.username == login))
        )
    if found is None:
        raise NotFound("not_found", _("Person not found."))
    performance_access.require_performance_view(viewer, found)
    return found


def heads_of(unit_ids: set[int]) -> set[int]:
    """Ids of the active heads (members with role head, and today's acting heads) of these
    units."""
    if not unit_ids:
        return set()
    members = set(
        db.session.scalars(
            select(Membership.user_id)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.unit_id.in_(unit_ids),
                Membership.role == "head",
                User.active.is_(True),
            )
        )
    )
    return members | access.acting_head_ids(unit_ids)


def leader_ids(person: User) -> set[int]:
    """Ids of the person's leaders: for each unit the person belongs to, the heads of that unit
    (for a unit the person heads, of its parent), climbing past units that have no head."""
    memberships = db.session.execute(
        select(Membership.unit_id, Membership.role).where(Membership.user_id == person.id)
    ).all()
    # Whether the person is a head is their own post: a member acting as Plt/Plh of their unit
    # keeps the unit's head as their leader (acting heads lead the others while acting).
    headed = {unit_id for unit_id, role in memberships if role == "head"}
    parents = dict(db.session.execute(select(Unit.id, Unit.parent_id)).all())
    found: set[int] = set()
    starts = {unit_id for unit_id, _role in memberships}
    for start in starts:
        unit_id = parents.get(start) if start in headed else start
        seen = set()
        while unit_id is not None and unit_id not in seen:
            seen.add(unit_id)
            heads = heads_of({unit_id}) - {person.id}
            if heads:
                found |= heads
                break
            unit_id = parents.get(unit_id)
    return found


def _active_rhks_of(user_ids, year: int) -> list[Rhk]:
    """The active RHK of these people for a year, with their owners, in one query."""
    return list(
        db.session.scalars(
            select(Rhk)
            .options(selectinload(Rhk.user))
            .where(Rhk.user_id.in_(user_ids), Rhk.year == year, Rhk.archived_at.is_(None))
            .order_by(Rhk.user_id, Rhk.position, Rhk.id)
        )
    )


def leader_rhks(person: User, year: int) -> list[Rhk]:
    """The active RHK of the person's leaders for a year: what the person's RHK may support."""
    ids = leader_ids(person)
    if not ids:
        return []
    return _active_rhks_of(ids, year)


def card_counts(rhk_ids) -> dict[int, int]:
    """rhk id -> number of cards linked to it (archived cards too), in one query."""
    rhk_ids = list(rhk_ids)
    if not rhk_ids:
        return {}
    rows = db.session.execute(
        select(Card.rhk_id, func.count(Card.id))
        .where(Card.rhk_id.in_(rhk_ids))
        .group_by(Card.rhk_id)
    )
    return dict(rows.all())


def linked_cards(rhk_row: Rhk) -> list[Card]:
    """The cards linked to an RHK, newest first (the RHK's viewer sees them all: they are the
    person's own work, whoever's board it is on)."""
    return list(
        db.session.scalars(
            select(Card)
            .options(selectinload(Card.board), selectinload(Card.column))
            .where(Card.rhk_id == rhk_row.id)
            .order_by(Card.id.desc())
        )
    )


def children_of(rhk_ids) -> list[Rhk]:
    """The RHK (active) that support any of these RHK."""
    rhk_ids = list(rhk_ids)
    if not rhk_ids:
        return []
    return list(
        db.session.scalars(
            select(Rhk)
            .options(selectinload(Rhk.user))
            .where(Rhk.parent_id.in_(rhk_ids), Rhk.archived_at.is_(None))
            .order_by(Rhk.user_id, Rhk.position, Rhk.id)
        )
    )


def card_year(card_due: date | None) -> int:
    """The year a card counts in: its due date's, or this year."""
    return card_due.year if card_due is not None else clock.today().year


def linkable(assignee: User | None, year: int) -> list[Rhk]:
    """The RHK a card of this assignee and year may be linked to (the card page's picker)."""
    if assignee is None:
        return []
    return rhks_of(assignee, year)


# --- validation -------------------------------------------------------------------------------


def _clean_year(value) -> int:
    year = v.optional_int(value, minimum=YEAR_MIN, maximum=YEAR_MAX)
    if year is None:
        raise v.FieldError(_("This field is required."))
    return year


def _clean_parent(value, person: User, year: int, own_id: int | None) -> int | None:
    if value is None or value == "":
        return None
    parent_id = v.record_id(value)
    allowed = {row.id: row for row in leader_rhks(person, year)}
    if parent_id not in allowed:
        raise v.FieldError(_("Choose an RHK of your leader for the same year."))
    # No cycles: walk the chain up from the chosen parent.
    seen: set[int] = set()
    current = allowed[parent_id]
    while current is not None and current.id not in seen:
        if own_id is not None and current.id == own_id:
            raise v.FieldError(_("An RHK cannot support itself."))
        seen.add(current.id)
        current = current.parent
    return parent_id


def _clean_indicators(value, fields: v.Fields) -> list[dict] | None:
    if not isinstance(value, list) or not value:
        fields.errors["indicators"] = _("An RHK needs at least one indicator.")
        return None
    if len(value) > MAX_INDICATORS:
        fields.errors["indicators"] = _("At most %(n)d indicators.", n=MAX_INDICATORS)
        return None
    cleaned = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            fields.errors[f"indicators[{index}]"] = _("Must be an object.")
            continue
        unknown = set(item) - {"aspect", "text", "target"}
        for name in sorted(unknown):
            fields.errors[f"indicators[{index}].{name}"] = _("Unknown field.")
        cleaned.append(
            {
                "aspect": fields.clean(
                    f"indicators[{index}].aspect",
                    lambda x: v.choice(x, INDICATOR_ASPECTS, default="kuantitas"),
                    item.get("aspect"),
                ),
                "text": fields.clean(
                    f"indicators[{index}].text",
                    lambda x: v.text(x, field_max=1000, required=True),
                    item.get("text"),
                ),
                "target": fields.clean(
                    f"indicators[{index}].target",
                    lambda x: v.text(x, field_max=200, required=True),
                    item.get("target"),
                ),
            }
        )
    return cleaned


def _clean(data: dict, person: User, *, creating: bool, current: Rhk | None = None) -> dict:
    unknown = sorted(set(data) - set(RHK_FIELDS))
    if unknown:
        raise v.invalid({name: _("Unknown field.") for name in unknown})
    if not creating and "year" in data and data["year"] not in (None, "", current.year):
        raise v.invalid({"year": _("The year of an RHK cannot change; add a new one.")})
    fields = v.Fields()
    cleaned: dict = {}
    if creating:
        cleaned["year"] = fields.clean("year", _clean_year, data.get("year"))
    year = cleaned.get("year") if creating else current.year
    if creating or "kind" in data:
        cleaned["kind"] = fields.clean(
            "kind", lambda x: v.choice(x, RHK_KINDS, default="utama"), data.get("kind")
        )
    if creating or "text" in data:
        cleaned["text"] = fields.clean(
            "text", lambda x: v.text(x, field_max=2000, required=True), data.get("text")
        )
    if (creating or "parent_id" in data) and year is not None:
        cleaned["parent_id"] = fields.clean(
            "parent_id",
            _clean_parent,
            data.get("parent_id"),
            person,
            year,
            current.id if current is not None else None,
        )
    if "position" in data:
        cleaned["position"] = fields.clean(
            "position", lambda x: v.optional_int(x, minimum=0, maximum=1000), data["position"]
        )
    if creating or "indicators" in data:
        cleaned["indicators"] = _clean_indicators(data.get("indicators"), fields)
    fields.raise_if_any()
    return cleaned


# --- writing ----------------------------------------------------------------------------------


def _require_writer(actor: User, person: User) -> None:
    """Only the person and the heads above them write a person's RHK; others see nothing."""
    performance_access.require_performance_view(actor, person)
    if not actor.active:
        raise Forbidden("forbidden", _("Only the person or a head above them may change this."))


def state(row: Rhk) -> dict:
    """An RHK as the administration log keeps it."""
    return {
        "year": row.year,
        "kind": row.kind,
        "text": row.text,
        # The leader's RHK by its text: the log shows words, not ids.
        "leader_rhk": row.parent.text if row.parent_id is not None else None,
        "place": row.position + 1,
        "indicators": [
            {"aspect": item.aspect, "text": item.text, "target": item.target}
            for item in row.indicators
        ],
    }


def _label(row: Rhk, person: User) -> str:
    return f"{admin_log.user_label(person)} RHK {row.year}"


def _renumber(person: User, year: int, moved: Rhk | None = None, to: int | None = None) -> None:
    rows = [
        row
        for row in db.session.scalars(
            select(Rhk)
            .where(Rhk.user_id == person.id, Rhk.year == year)
            .order_by(Rhk.position, Rhk.id)
        )
        if row is not moved
    ]
    if moved is not None:
        rows.insert(min(max(to or 0, 0), len(rows)), moved)
    for index, row in enumerate(rows):
        if row.position != index:
            row.position = index


def _set_indicators(row: Rhk, indicators: list[dict]) -> None:
    row.indicators[:] = [
        RhkIndicator(
            position=index, aspect=item["aspect"], text=item["text"], target=item["target"]
        )
        for index, item in enumerate(indicators)
    ]


def create_rhk(actor: User, person_login, data: dict) -> Rhk:
    """Add an RHK (with its indicators) to a person's plan for a year, at the end of it.
    `person_login`: the person's NIP or username (or the `User`)."""
    if not isinstance(data, dict):
        raise v.invalid({"text": _("This field is required.")})
    with write_transaction():
        if isinstance(person_login, User):
            owner = person_login
            _require_writer(actor, owner)
        else:
            owner = person(actor, person_login)
        cleaned = _clean(data, owner, creating=True)
        last = db.session.scalar(
            select(func.max(Rhk.position)).where(
                Rhk.user_id == owner.id, Rhk.year == cleaned["year"]
            )
        )
        row = Rhk(
            user_id=owner.id,
            year=cleaned["year"],
            position=(last + 1) if last is not None else 0,
            kind=cleaned["kind"],
            text=cleaned["text"],
            parent_id=cleaned["parent_id"],
            created_by_id=actor.id,
        )
        row.user = owner
        _set_indicators(row, cleaned["indicators"])
        db.session.add(row)
        db.session.flush()
        if cleaned.get("position") is not None:
            _renumber(owner, row.year, row, cleaned["position"])
        admin_log.record(
            "rhk.created", actor, "rhk", row, label=_label(row, owner), after=state(row)
        )
    return row


def update_rhk(actor: User, rhk_id, data: dict) -> Rhk:
    """Change an RHK's kind, text, leader's RHK, place in the list or indicators (all of them,
    replaced). Its year stays."""
    if not isinstance(data, dict):
        raise v.invalid({"text": _("This field is required.")})
    with write_transaction():
        row = rhk(actor, rhk_id)
        owner = row.user
        _require_writer(actor, owner)
        cleaned = _clean(data, owner, creating=False, current=row)
        before = state(row)
        for name in ("kind", "text", "parent_id"):
            if name in cleaned:
                setattr(row, name, cleaned[name])
        if cleaned.get("indicators") is not None and before["indicators"] != cleaned["indicators"]:
            _set_indicators(row, cleaned["indicators"])
        if cleaned.get("position") is not None:
            _renumber(owner, row.year, row, cleaned["position"])
        db.session.flush()
        old, new = admin_log.changed(before, state(row))
        if new:
            admin_log.record(
                "rhk.updated", actor, "rhk", row, label=_label(row, owner), before=old, after=new
            )
    return row


def withdraw_rhk(actor: User, rhk_id) -> Rhk:
    """Withdraw an RHK: it leaves the plan and takes no new cards; linked cards keep it."""
    with write_transaction():
        row = rhk(actor, rhk_id)
        _require_writer(actor, row.user)
        if row.archived_at is None:
            row.archived_at = utcnow()
            admin_log.record("rhk.withdrawn", actor, "rhk", row, label=_label(row, row.user))
    return row


def restore_rhk(actor: User, rhk_id) -> Rhk:
    """Bring a withdrawn RHK back into the plan."""
    with write_transaction():
        row = rhk(actor, rhk_id)
        _require_writer(actor, row.user)
        if row.archived_at is not None:
            row.archived_at = None
            admin_log.record("rhk.restored", actor, "rhk", row, label=_label(row, row.user))
    return row


# --- cards ------------------------------------------------------------------------------------


def clean_card_rhk(
    value, assignee: User | None, due: date | None, actor: User | None = None
) -> Rhk | None:
    """The RHK a card may be linked to: an active RHK of its assignee for the card's year.
    Raises `FieldError` otherwise (never says whose RHK another id is). Only the assignee and
    the heads above them (who see the assignee's RHK) link or unlink a card: a colleague who
    sees the card sees none of the assignee's RHK."""
    if (
        actor is not None
        and assignee is not None
        and not performance_access.can_see_performance(actor, assignee)
    ):
        raise v.FieldError(
            _("Only the assignee or a head above them may link this card to an RHK.")
        )
    if value is None or value == "":
        return None
    if isinstance(value, Rhk):
        found = value
    else:
        try:
            rhk_id = v.record_id(value)
        except v.FieldError:
            raise v.FieldError(_("Choose an RHK from the list.")) from None
        found = db.session.get(Rhk, rhk_id)
    if assignee is None:
        raise v.FieldError(_("Assign the card to someone before linking it to an RHK."))
    if (
        found is None
        or found.user_id != assignee.id
        or found.archived_at is not None
        or found.year != card_year(due)
    ):
        raise v.FieldError(
            _("Choose one of the assignee's active RHK for %(year)d.", year=card_year(due))
        )
    return found


def still_fits(card_rhk: Rhk | None, assignee: User | None, due: date | None) -> bool:
    """Whether a card's existing link still fits after its assignee or due date changed (a
    withdrawn RHK stays linked: the work was done toward it)."""
    if card_rhk is None:
        return True
    return (
        assignee is not None and card_rhk.user_id == assignee.id and card_rhk.year == card_year(due)
    )


def label(row: Rhk | None) -> str | None:
    """How history lines name an RHK: its text, cut to a line."""
    if row is None:
        return None
    text = " ".join(row.text.split())
    return text if len(text) <= 120 else text[:119] + "…"


def require_writer(actor: User, person_row: User) -> None:
    """Raise unless `actor` may write `person_row`'s RHK (pages use it to offer the forms)."""
    _require_writer(actor, person_row)


def can_write(actor: User, person_row: User) -> bool:
    return actor.active and performance_access.can_see_performance(actor, person_row)


# --- sprint goals -----------------------------------------------------------------------------


def board_manager_ids(board) -> set[int]:
    """Ids of the people who lead the board's work as heads: the heads (and today's acting
    heads) of the board's unit and the units above it, and the leader of its work team."""
    parents = dict(db.session.execute(select(Unit.id, Unit.parent_id)).all())
    chain, unit_id = set(), board.unit_id
    while unit_id is not None and unit_id not in chain:
        chain.add(unit_id)
        unit_id = parents.get(unit_id)
    found = heads_of(chain)
    if board.team_id is not None and board.team is not None and board.team.leader_id:
        found.add(board.team.leader_id)
    return found


def goal_rhks(board, year: int) -> list[Rhk]:
    """The RHK a sprint goal of this board may serve: the active RHK of the board's heads for
    the sprint's year (the sprint form's picker)."""
    ids = board_manager_ids(board)
    if not ids:
        return []
    return _active_rhks_of(ids, year)


def clean_goal_rhk(value, board, start: date | None) -> int | None:
    """The RHK a sprint goal names: an active RHK of one of the board's heads for the year the
    sprint starts in. Raises `FieldError` otherwise."""
    if value is None or value == "":
        return None
    try:
        rhk_id = v.record_id(value)
    except v.FieldError:
        raise v.FieldError(_("Choose an RHK from the list.")) from None
    year = start.year if start is not None else clock.today().year
    if rhk_id not in {row.id for row in goal_rhks(board, year)}:
        raise v.FieldError(_("Choose an RHK of a head of this board for %(year)d.", year=year))
    return rhk_id


def set_sprint_goal_rhk(actor: User, sprint_id, value):
    """Name (or clear) the head's RHK a planned or active sprint's goal serves; those who
    manage the board do it."""
    with write_transaction():
        sprint = db.session.get(Sprint, sprint_id) if isinstance(sprint_id, int) else None
        if sprint is None or not access.can_view_board(actor, sprint.board):
            raise NotFound("not_found", _("Sprint not found."))
        board = access.managed_board(actor, sprint.board_id)
        if sprint.state == "closed":
            raise v.invalid({"goal_rhk_id": _("This sprint is closed.")})
        try:
            goal_rhk_id = clean_goal_rhk(value, board, sprint.start_date)
        except v.FieldError as exc:
            raise v.invalid({"goal_rhk_id": str(exc)}) from None
        if goal_rhk_id != sprint.goal_rhk_id:
            old = sprint.goal_rhk_id
            sprint.goal_rhk_id = goal_rhk_id
            record(
                "sprint_goal_rhk_changed",
                actor,
                board_id=board.id,
                sprint_id=sprint.id,
                old=old,
                new=goal_rhk_id,
            )
    return sprint
