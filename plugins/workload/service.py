"""Gathering what the computation needs, for one board or one unit tree, in a fixed number of
queries whatever the number of people, cards or events (see tests/test_workload_web.py)."""

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from cergas.plugin import (
    assign_card,
    can_manage_board,
    card_events_since,
    card_rows,
    cards_by_ids,
    column_kinds,
    memberships_of,
    plugin_settings,
    skill_catalog,
    skills_of_users,
    unit_boards,
    unit_people,
    unit_tree_ids,
    users_by_ids,
    users_by_logins,
    visible_board,
    visible_unit,
    work_calendar,
)
from cergas.plugin import now as api_now

from . import trend
from .load import Settings, Workload, compute

NAME = "workload"


@dataclass
class Report:
    """A workload with what the page shows around it."""

    title: str
    workload: Workload
    boards: list
    today: date
    zone: ZoneInfo
    unit: object
    board: object | None = None
    trend: dict | None = None  # user id -> [(cards, hours)] per point
    points: list | None = None
    can_manage: set | None = None  # board ids the viewer may reassign on


def horizon_end(unit, today: date, days: int) -> date:
    """The last of the next `days` working days of the unit's calendar (national holidays,
    cuti bersama and the unit's own days off left out), today counted when it is a working
    day."""
    is_working = work_calendar(unit).is_working_day
    day, counted = today, 0
    for _step in range(days * 7 + 30):
        if is_working(day):
            counted += 1
            if counted >= days:
                return day
        day += timedelta(days=1)
    return day


def _can_take(memberships: dict, boards_by_id: dict):
    """Whether a person may be given a card: a member of the card's board's unit, or a head of
    it or of a unit above it (the people who see the board)."""
    trees: dict[int, set[int]] = {}

    def allowed(user, card) -> bool:
        board = boards_by_id.get(card.board_id)
        if board is None:
            return False
        for unit_id, role in memberships.get(user.id, ()):
            if unit_id == board.unit_id:
                return True
            if role == "head":
                if unit_id not in trees:
                    trees[unit_id] = unit_tree_ids(unit_id)
                if board.unit_id in trees[unit_id]:
                    return True
        return False

    return allowed


def _build(
    viewer, *, title, unit, boards, team_unit_ids, settings, board=None, with_trend=False, now=None
) -> Report:
    now = now or api_now()
    zone = ZoneInfo(unit.timezone)
    today = now.astimezone(zone).date()
    board_ids = [b.id for b in boards]
    boards_by_id = {b.id: b for b in boards}
    rows = card_rows(board_ids, kinds=("backlog", "active"))
    team = unit_people(team_unit_ids) if team_unit_ids else []
    known = {user.id for user in team}
    holders = {
        row.assignee_id for row in rows if row.column_kind != "done" and row.assignee_id is not None
    }
    extra = users_by_ids(holders - known)
    people = team + sorted(extra.values(), key=lambda u: (u.name, u.id))
    ids = [user.id for user in people]
    skills = skills_of_users(ids)
    names = {skill.slug: skill.name for skill in skill_catalog()}
    workload = compute(
        people,
        rows,
        today=today,
        horizon_end=horizon_end(unit, today, settings.horizon_days),
        settings=settings,
        wip_limits={b.id: b.personal_wip_limit for b in boards},
        skills=skills,
        can_take=_can_take(memberships_of(ids), boards_by_id),
        skill_names=names,
    )
    report = Report(title, workload, boards, today, zone, unit, board)
    report.can_manage = {b.id for b in boards if can_manage_board(viewer, b)}
    if with_trend:
        points = trend.week_points(now, zone)
        events = card_events_since(board_ids, points[0].at, kinds=trend.HISTORY_KINDS)
        logins = {user.login: user.id for user in people}
        unknown = {
            e.data.get("old")
            for e in events
            if e.kind == "assigned" and isinstance(e.data.get("old"), str)
        } - set(logins)
        logins.update({login: user.id for login, user in users_by_logins(unknown).items()})
        report.points = points
        done = card_rows(board_ids, kinds=("done",), done_since=points[0].at)
        report.trend = trend.rebuild(
            rows + done, events, column_kinds(board_ids), logins, points, settings.default_estimate
        )
    return report


def board_settings(board) -> Settings:
    return Settings.of(plugin_settings(board, NAME))


def board_report(viewer, board_id, *, with_trend=False, now=None) -> Report:
    board = visible_board(viewer, board_id)
    return _build(
        viewer,
        title=board.name,
        unit=board.unit,
        boards=[board],
        team_unit_ids=[board.unit_id],
        settings=board_settings(board),
        board=board,
        with_trend=with_trend,
        now=now,
    )


def unit_report(viewer, code, *, with_trend=False, now=None) -> Report:
    """The unit and every unit below it: the boards the viewer may see there, and every member
    of those units. A unit has no settings of its own: the plugin's defaults apply."""
    unit = visible_unit(viewer, code)
    return _build(
        viewer,
        title=unit.name,
        unit=unit,
        boards=unit_boards(viewer, unit),
        team_unit_ids=unit_tree_ids(unit),
        settings=Settings(),
        with_trend=with_trend,
        now=now,
    )


def board_warnings(board, cards) -> Workload:
    """For the board page hook: the cards it already loaded, the board's settings."""
    from .load import compute as run

    zone = ZoneInfo(board.unit.timezone)
    today = api_now().astimezone(zone).date()
    settings = board_settings(board)
    rows = [row_of(card) for card in cards]
    team = unit_people([board.unit_id])
    known = {user.id for user in team}
    holders = {r.assignee_id for r in rows if r.column_kind != "done" and r.assignee_id}
    people = team + list(users_by_ids(holders - known).values())
    names = {skill.slug: skill.name for skill in skill_catalog()}
    return run(
        people,
        rows,
        today=today,
        horizon_end=horizon_end(board.unit, today, settings.horizon_days),
        settings=settings,
        wip_limits={board.id: board.personal_wip_limit},
        skills=skills_of_users([user.id for user in people]),
        skill_names=names,
    )


def row_of(card):
    """A CardRow from a card object the core handed to a hook."""
    from cergas.plugin import CardRow

    return CardRow(
        id=card.id,
        board_id=card.board_id,
        title=card.title,
        column_id=card.column_id,
        column_kind=card.column.kind,
        assignee_id=card.assignee_id,
        estimate=card.estimate,
        due_date=card.due_date,
        labels=tuple(card.labels or ()),
        version=card.version,
    )


def reassign(viewer, card_id: int, assignee, version):
    """One-click reassignment by a head: through the core card service (WIP rules, version
    check, `assigned` audit event). Members may not (403); an unseen card is 404."""
    from flask_babel import gettext as _

    from cergas.plugin import Forbidden, Invalid, NotFound

    card = cards_by_ids([card_id]).get(card_id)
    if card is None or card.board_id is None:
        raise NotFound("not_found", _("Card not found."))
    visible_board(viewer, card.board_id)
    if not can_manage_board(viewer, card.board):
        raise Forbidden(
            "forbidden", _("Only a head of this unit or an admin may reassign its cards.")
        )
    if not assignee or "\x00" in assignee or len(assignee) > 60:
        message = _("Choose the person who takes the card.")
        raise Invalid("validation_error", message, {"assignee": message})
    return assign_card(viewer, card_id, assignee, version=version)
