"""Evidence (*bukti dukung*) of a person's performance for a period (issue 27): their done cards
across every board, archived ones included, grouped by the RHK they count toward, then the work
linked to no RHK; each card with its board, done and due dates, deadline changes and documents.

Who sees it is app/services/performance_access.py's rule (the person and the heads above them;
anyone else 404). It is the person's own work, so it includes cards on boards the viewer cannot
open; those carry no link (`may_open` is False) and their documents no download.

A fixed number of queries whatever the number of cards: the cards with their boards and units,
the RHK with their indicators, the deadline changes, the documents.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app import clock
from app.extensions import db
from app.models import Attachment, Board, BoardColumn, Card, DeadlineChange, Membership, Unit, User
from app.models.performance import Rhk
from app.services import access, performance_access
from app.services import validation as v
from app.services.errors import NotFound

MONTH = re.compile(r"\A(\d{4})-(0[1-9]|1[0-2])\Z")
QUARTER = re.compile(r"\A(\d{4})-Q([1-4])\Z")
MAX_DAYS = 366
FIRST_YEAR, LAST_YEAR = 2000, 2100


@dataclass(frozen=True)
class Period:
    """[start, end] as local dates; `key` is "2026-10" or "2026-Q4" (None for free dates)."""

    start: date
    end: date
    key: str | None = None

    @property
    def label(self) -> str:
        if self.key and "Q" in self.key:
            year, quarter = self.key.split("-Q")
            return _("Quarter %(quarter)s %(year)s", quarter=quarter, year=year)
        if self.key:
            return format_date(self.start, "MMMM yyyy")
        return f"{format_date(self.start, 'd MMM yyyy')} – {format_date(self.end, 'd MMM yyyy')}"

    @property
    def file_part(self) -> str:
        return self.key or f"{self.start.isoformat()}_{self.end.isoformat()}"

    def overlapping_keys(self) -> set[str]:
        """The month and quarter keys of feedback that concerns this period."""
        keys = set()
        day = self.start.replace(day=1)
        while day <= self.end:
            keys.add(f"{day.year}-{day.month:02d}")
            keys.add(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
            day = (day + timedelta(days=32)).replace(day=1)
        return keys


def month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def period_of_key(key: str) -> Period | None:
    """The period a key names ("2026-10", "2026-Q4"), or None when it names none."""
    if not isinstance(key, str):
        return None
    key = key.strip()
    if found := MONTH.match(key):
        year, month = int(found[1]), int(found[2])
        if FIRST_YEAR <= year <= LAST_YEAR:
            return Period(date(year, month, 1), month_end(year, month), key)
    if found := QUARTER.match(key):
        year, quarter = int(found[1]), int(found[2])
        if FIRST_YEAR <= year <= LAST_YEAR:
            first = 3 * quarter - 2
            return Period(date(year, first, 1), month_end(year, first + 2), key)
    return None


def period_key(value) -> str:
    """A month or quarter key (a `validation` cleaner: FieldError when it is none)."""
    period = period_of_key(value) if isinstance(value, str) else None
    if period is None:
        raise v.FieldError(_("Choose a month (2026-10) or a quarter (2026-Q4)."))
    return period.key


def clean_period_key(value, field_name: str = "period") -> str:
    """A month or quarter key, or Invalid naming `field_name`."""
    try:
        return period_key(value)
    except v.FieldError as exc:
        raise v.invalid({field_name: str(exc)}) from None


def clean_period(period=None, start=None, end=None, *, today: date) -> Period:
    """The period of a request: `period` (month or quarter key) or `from`/`to` dates; with
    neither, the current month."""
    if period not in (None, ""):
        return period_of_key(clean_period_key(period))
    if start in (None, "") and end in (None, ""):
        return Period(
            today.replace(day=1), month_end(today.year, today.month), today.strftime("%Y-%m")
        )
    fields = v.Fields()
    first = fields.clean("from", v.optional_date, start)
    last = fields.clean("to", v.optional_date, end)
    fields.raise_if_any()
    if first is None or last is None:
        missing = "from" if first is None else "to"
        raise v.invalid({missing: _("Give both dates, or choose a month or a quarter.")})
    if first > last:
        raise v.invalid({"from": _("The start date must be on or before the end date.")})
    if (last - first).days >= MAX_DAYS:
        raise v.invalid({"from": _("Choose a range of at most %(n)d days.", n=MAX_DAYS)})
    return Period(first, last)


# --- whose evidence -----------------------------------------------------------------------------


def person_by_login(login) -> User | None:
    if not isinstance(login, str) or not login.strip() or len(login) > 60:
        return None
    login = login.strip()
    return db.session.scalar(select(User).where((User.nip == login) | (User.username == login)))


def performance_person(viewer: User, login) -> User:
    """The person with this NIP or username when `viewer` may see their performance records;
    404 otherwise (for a colleague exactly as for a login that does not exist)."""
    person = person_by_login(login)
    if person is None or not performance_access.can_see_performance(viewer, person):
        raise NotFound("not_found", _("Person not found."))
    return person


def home_unit(person: User) -> Unit | None:
    rows = sorted(person.memberships, key=lambda m: m.id or 0)
    return rows[0].unit if rows else None


def units_by_ids(ids) -> list[Unit]:
    """Active units by name (the units a head leads, for the performance hub)."""
    if not ids:
        return []
    return list(
        db.session.scalars(
            select(Unit).where(Unit.id.in_(list(ids)), Unit.active.is_(True)).order_by(Unit.name)
        )
    )


def owner_of(record) -> User:
    """The person a performance record (feedback, dialogue note) is about."""
    return db.session.get(User, record.user_id)


def person_today(person: User) -> date:
    unit = home_unit(person)
    return clock.today(unit.timezone if unit else "Asia/Jakarta")


# --- the evidence ---------------------------------------------------------------------------------


@dataclass
class EvidenceDocument:
    id: int
    name: str


@dataclass
class EvidenceDeadlineChange:
    old: date | None
    new: date | None
    reason: str


@dataclass
class EvidenceCard:
    id: int
    title: str
    type: str
    board: str
    board_id: int
    done_on: date
    due_date: date | None
    archived: bool
    may_open: bool
    rhk_id: int | None
    deadline_changes: list[EvidenceDeadlineChange] = field(default_factory=list)
    documents: list[EvidenceDocument] = field(default_factory=list)

    @property
    def late(self) -> bool:
        return self.due_date is not None and self.done_on > self.due_date


@dataclass
class EvidenceGroup:
    """One RHK with the cards done toward it (`rhk` None: work linked to no RHK)."""

    rhk: Rhk | None
    cards: list[EvidenceCard] = field(default_factory=list)


@dataclass
class Evidence:
    person: User
    unit: Unit | None
    period: Period
    groups: list[EvidenceGroup]
    unlinked: list[EvidenceCard]

    @property
    def card_count(self) -> int:
        return sum(len(group.cards) for group in self.groups) + len(self.unlinked)


def _local_date(moment: datetime, zone: str) -> date:
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).date()


def done_cards_of(people_ids, start: date, end: date) -> list[tuple[Card, Board, str, date]]:
    """(card, board, board's time zone, local done date) of the done cards (archived ones too)
    assigned to these people whose done date, in their board's unit's time zone, is within
    [start, end]. One query: the bounds are widened by a day (every zone of Indonesia is within
    a day of UTC) and the local date decides."""
    ids = list(people_ids)
    if not ids:
        return []
    lower = datetime.combine(start - timedelta(days=1), datetime.min.time())
    upper = datetime.combine(end + timedelta(days=2), datetime.min.time())
    rows = db.session.execute(
        select(Card, Board, Unit.timezone)
        .join(BoardColumn, BoardColumn.id == Card.column_id)
        .join(Board, Board.id == Card.board_id)
        .join(Unit, Unit.id == Board.unit_id)
        .where(
            Card.assignee_id.in_(ids),
            BoardColumn.kind == "done",
            Card.done_at.is_not(None),
            Card.done_at >= lower,
            Card.done_at < upper,
        )
        .order_by(Card.done_at, Card.id)
    ).all()
    found = []
    for card, board, zone in rows:
        done_on = _local_date(card.done_at, zone)
        if start <= done_on <= end:
            found.append((card, board, zone, done_on))
    return found


def rhks_of(person_ids, years, extra_ids=()) -> list[Rhk]:
    """The people's RHK of these years (withdrawn ones too), and any RHK named in `extra_ids`,
    with their indicators: two queries."""
    ids = list(person_ids)
    condition = (Rhk.user_id.in_(ids)) & (Rhk.year.in_(list(years)))
    if extra_ids:
        condition = or_(condition, Rhk.id.in_(list(extra_ids)))
    return list(
        db.session.scalars(
            select(Rhk)
            .where(condition)
            .options(selectinload(Rhk.indicators))
            .order_by(Rhk.user_id, Rhk.year, Rhk.kind.desc(), Rhk.position, Rhk.id)
        )
    )


def evidence(viewer: User, person: User, period: Period) -> Evidence:
    """The person's evidence for the period as `viewer` may see it (404 for anyone but the
    person and the heads above them)."""
    performance_access.require_performance_view(viewer, person)
    rows = done_cards_of([person.id], period.start, period.end)
    card_ids = [card.id for card, *_rest in rows]
    changes: dict[int, list[EvidenceDeadlineChange]] = {}
    documents: dict[int, list[EvidenceDocument]] = {}
    if card_ids:
        for change in db.session.scalars(
            select(DeadlineChange)
            .where(DeadlineChange.card_id.in_(card_ids))
            .order_by(DeadlineChange.at, DeadlineChange.id)
        ):
            changes.setdefault(change.card_id, []).append(
                EvidenceDeadlineChange(change.old_date, change.new_date, change.reason)
            )
        for attachment in db.session.scalars(
            select(Attachment)
            .where(Attachment.card_id.in_(card_ids), Attachment.removed_at.is_(None))
            .order_by(Attachment.id)
        ):
            documents.setdefault(attachment.card_id, []).append(
                EvidenceDocument(attachment.id, attachment.name)
            )
    years = range(period.start.year, period.end.year + 1)
    linked_ids = {card.rhk_id for card, *_rest in rows if card.rhk_id is not None}
    rhks = rhks_of([person.id], years, linked_ids)
    groups = {rhk.id: EvidenceGroup(rhk) for rhk in rhks}
    unlinked: list[EvidenceCard] = []
    for card, board, _zone, done_on in rows:
        item = EvidenceCard(
            id=card.id,
            title=card.title,
            type=card.type,
            board=board.name,
            board_id=board.id,
            done_on=done_on,
            due_date=card.due_date,
            archived=card.archived_at is not None,
            may_open=access.can_view_board(viewer, board),
            rhk_id=card.rhk_id,
            deadline_changes=changes.get(card.id, []),
            documents=documents.get(card.id, []),
        )
        group = groups.get(card.rhk_id) if card.rhk_id is not None else None
        (group.cards if group is not None else unlinked).append(item)
    # Withdrawn RHK are shown only when work was done toward them in the period.
    shown = [group for group in groups.values() if group.rhk.archived_at is None or group.cards]
    return Evidence(person, home_unit(person), period, shown, unlinked)


# --- coverage for heads ---------------------------------------------------------------------------


@dataclass
class PersonCoverage:
    person: User
    rhks: int
    rhk_without_work: list[Rhk]
    unlinked: list[EvidenceCard]
    linked_cards: int


@dataclass
class Coverage:
    unit: Unit
    period: Period
    people: list[PersonCoverage]


def led_unit(viewer: User, unit_id) -> Unit:
    """A unit in `viewer`'s charge as a head (acting heads while acting); 404 for any other,
    its members and a site admin who heads nothing included: its people's performance records
    are not theirs to see (the RHK tree of a unit answers the same)."""
    unit = db.session.get(Unit, unit_id) if isinstance(unit_id, int) else None
    if unit is None or unit.id not in performance_access.units_led_by(viewer):
        raise NotFound("not_found", _("Unit not found."))
    return unit


def coverage(viewer: User, unit_id, period: Period) -> Coverage:
    """For each active person of the unit and its sub-units (the viewer excepted): their RHK
    with no done work in the period, and their done work linked to no RHK. Four queries
    whatever the number of people and cards."""
    unit = led_unit(viewer, unit_id)
    people = [
        user
        for user in db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.unit_id.in_(access.subtree(unit.id)), User.id != viewer.id)
            .distinct()
            .order_by(User.name)
        )
        if user.active
    ]
    ids = [person.id for person in people]
    worked: dict[int, set[int]] = {}
    linked: dict[int, int] = {}
    unlinked: dict[int, list[EvidenceCard]] = {}
    for card, board, _zone, done_on in done_cards_of(ids, period.start, period.end):
        if card.rhk_id is not None:
            worked.setdefault(card.assignee_id, set()).add(card.rhk_id)
            linked[card.assignee_id] = linked.get(card.assignee_id, 0) + 1
            continue
        unlinked.setdefault(card.assignee_id, []).append(
            EvidenceCard(
                id=card.id,
                title=card.title,
                type=card.type,
                board=board.name,
                board_id=board.id,
                done_on=done_on,
                due_date=card.due_date,
                archived=card.archived_at is not None,
                may_open=access.can_view_board(viewer, board),
                rhk_id=None,
            )
        )
    plans: dict[int, list[Rhk]] = {}
    if ids:
        for rhk in rhks_of(ids, range(period.start.year, period.end.year + 1)):
            if rhk.archived_at is None:
                plans.setdefault(rhk.user_id, []).append(rhk)
    rows = []
    for person in people:
        mine = plans.get(person.id, [])
        done_toward = worked.get(person.id, set())
        rows.append(
            PersonCoverage(
                person=person,
                rhks=len(mine),
                rhk_without_work=[rhk for rhk in mine if rhk.id not in done_toward],
                unlinked=unlinked.get(person.id, []),
                linked_cards=linked.get(person.id, 0),
            )
        )
    return Coverage(unit, period, rows)
