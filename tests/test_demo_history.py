"""The demo office has a past: twelve weeks of work played through the services with the clock
moved (app/demo/history.py), so every report has true, varied figures to show. One office with
the built-in plugins is built for the module and only read."""

from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app import demo
from app.extensions import db
from app.models import Board, BoardColumn, Card, Event, Sprint, User
from app.services import metrics
from tests.conftest import make_app

# Builds the whole demo office with its history: in the full run (`.ci/run`).
pytestmark = pytest.mark.slow

DESK = demo.LAYANAN_INFORMASI.name
DIMAS = "199101052015031002"


@pytest.fixture(scope="module")
def office():
    app = make_app("sqlite://", CERGAS_PLUGINS="approvals,sla,workload,competency")
    with app.app_context():
        summary = demo.create_demo()
    yield app, summary
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def ctx(office):
    app, _summary = office
    with app.app_context():
        yield app


def board(name: str) -> Board:
    return db.session.scalar(select(Board).where(Board.name == name))


def person(login: str) -> User:
    return db.session.scalar(select(User).where(User.nip == login))


def test_every_card_of_the_office_ends_where_its_data_says_and_no_move_was_left_refused(office):
    app, summary = office
    assert summary.refused == []
    with app.app_context():
        for spec in demo.office.BOARDS:
            columns = [column.name for column in board(spec.name).columns]
            for item in spec.cards:
                card = db.session.scalar(select(Card).where(Card.title == item.title))
                assert card.column.name == columns[item.column], item.title


def test_the_work_is_spread_over_twelve_weeks_of_working_days(ctx):
    today = demo.local_today()
    created = [c.created_at.date() for c in db.session.scalars(select(Card))]
    assert min(created) <= today - timedelta(weeks=11)
    weeks = {day.isocalendar()[:2] for day in created}
    assert len(weeks) >= 12
    moves = db.session.scalars(select(Event.at).where(Event.kind == "moved")).all()
    # Nobody works on Sundays (UTC 17:00 Saturday .. 17:00 Sunday is Sunday in WIB).
    assert all((moment + timedelta(hours=7)).weekday() != 6 for moment in moves)
    assert len(moves) >= 400


def test_lead_and_cycle_times_are_true_and_varied(ctx):
    today = demo.local_today()
    for name in (DESK, demo.PENGEMBANGAN_APLIKASI.name, demo.PERSURATAN.name):
        lead, cycle = metrics.flow_times(board(name), today - timedelta(days=84), today)
        assert lead.count >= 20, name
        assert lead.median and lead.median >= 3, name
        assert lead.p85 > lead.median, name
        assert cycle.median and 0 < cycle.median < lead.p85, name
        assert sum(1 for bucket in lead.histogram if bucket["count"]) >= 3, name


def test_the_cumulative_flow_grows_over_the_weeks(ctx):
    today = demo.local_today()
    flow = metrics.cumulative_flow(board(DESK), today - timedelta(days=84), today)
    done = next(column["counts"] for column in flow["columns"] if column["kind"] == "done")
    assert done == sorted(done) and done[-1] - done[0] >= 30
    assert len(set(done)) >= 20  # not one spike: it grows week after week
    for column in flow["columns"]:
        assert max(column["counts"]) > 0, column["name"]


def test_sla_clocks_show_every_state(ctx):
    from plugins.sla.service import board_clocks

    desk = board(DESK)
    cards = db.session.scalars(select(Card).where(Card.board_id == desk.id)).all()
    states = Counter(clock.state for clock in board_clocks(desk, cards).values())
    assert {"on_track", "at_risk", "breached", "met", "missed"} <= set(states), states


def test_the_desk_runs_paraf_rounds_in_its_menunggu_paraf_column(ctx):
    desk = board(DESK)
    kinds = Counter(
        db.session.scalars(
            select(Event.kind).where(Event.board_id == desk.id, Event.kind.like("approval_%"))
        )
    )
    assert kinds["approval_requested"] >= 20
    assert kinds["approval_approved"] >= 15
    assert kinds["approval_returned"] >= 1
    from plugins.approvals import paraf

    waiting = [
        paraf.state_of(card.id)
        for card in db.session.scalars(
            select(Card)
            .join(BoardColumn, Card.column_id == BoardColumn.id)
            .where(BoardColumn.name == "Menunggu Paraf", Card.type == "surat-keluar")
        )
    ]
    assert waiting and all(state["state"] == "pending" for state in waiting)


def test_sprints_have_reviews_with_different_verdicts_and_one_runs_now(ctx):
    desk = board(DESK)
    found = db.session.scalars(
        select(Sprint).where(Sprint.board_id == desk.id).order_by(Sprint.start_date)
    ).all()
    states = [sprint.state for sprint in found]
    assert states == ["closed"] * 5 + ["active", "planned"]
    closed = found[:5]
    assert len({sprint.goal_met for sprint in closed}) >= 2
    assert all(sprint.closed_at.date() <= sprint.end_date for sprint in closed)
    assert all(s.review_note for s in closed if s.goal_met != "yes")


def test_wip_overrides_and_deadline_slips_happen_now_and_then_with_reasons(ctx):
    overrides = db.session.scalars(select(Event).where(Event.kind == "wip_override")).all()
    assert 1 <= len(overrides) <= 15
    assert all(len(event.data["reason"]) > 20 for event in overrides)
    slips = db.session.scalar(select(func.count()).where(Event.kind == "deadline_changed"))
    assert slips >= 10


def test_dimas_finished_cards_on_two_boards_this_quarter(ctx):
    today = demo.local_today()
    quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    dimas = person(DIMAS)
    boards = db.session.scalars(
        select(Card.board_id)
        .where(Card.assignee_id == dimas.id, Card.done_at >= quarter)
        .distinct()
    ).all()
    assert len(boards) >= 2


def test_the_load_moves_between_people_over_the_weeks(ctx):
    from plugins.workload.service import board_report

    head = person("198204182006042012")
    report = board_report(head, board(DESK).id, with_trend=True)
    series = {user: [cards for cards, _hours in points] for user, points in report.trend.items()}
    assert any(len(set(points)) >= 3 for points in series.values())
    # Who carries the most is not the same person every week.
    points = len(next(iter(series.values())))
    busiest = {max(series, key=lambda user_id: series[user_id][n]) for n in range(points)}
    assert len(busiest) >= 2
