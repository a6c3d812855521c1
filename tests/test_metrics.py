"""Flow metrics over the seeded history match the timeline, computed here independently:
CFD per column per day, weekly throughput, lead and cycle time with median and p85, aging WIP."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.extensions import db
from app.models import Board
from app.services import metrics
from tests.conftest import get_user
from tests.sprint_history import (  # noqa: F401  (clock_fixture provides `clock`)
    CARDS,
    CREATED_AT,
    TIMELINE,
    clock_fixture,
    column_at,
    moment_of_move,
    seed,
)

pytestmark = pytest.mark.pg

WIB = ZoneInfo("Asia/Jakarta")
COLUMNS = ["Backlog", "Dikerjakan", "Review", "Selesai"]


def end_of_local_day(day) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), WIB).astimezone(UTC)


def pct(values, p):
    """The textbook definition: linear interpolation between closest ranks."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (rank - low), 2)


def days_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 86400


def test_cumulative_flow_counts_each_column_at_the_end_of_each_day(app, org, clock):
    seed(app, org, clock)
    start, end = date(2026, 10, 3), date(2026, 10, 14)
    created = datetime(*CREATED_AT, tzinfo=UTC)
    expected = {name: [] for name in COLUMNS}
    day = start
    while day <= end:
        moment = end_of_local_day(day)
        for column in COLUMNS:
            expected[column].append(
                sum(1 for card in CARDS if created <= moment and column_at(card, moment) == column)
            )
        day += timedelta(days=1)
    with app.app_context():
        _board, data = metrics.board_metrics(
            get_user("staff", org), org.board_id, start.isoformat(), end.isoformat()
        )
    cfd = data["cfd"]
    assert cfd["days"][0] == "2026-10-03" and cfd["days"][-1] == "2026-10-14"
    assert {c["name"]: c["counts"] for c in cfd["columns"]} == expected
    assert expected["Selesai"][-1] == 3 and expected["Backlog"][2] == 6


def test_cfd_starts_from_what_happened_before_the_range(app, org, clock):
    seed(app, org, clock)
    with app.app_context():
        _board, data = metrics.board_metrics(
            get_user("staff", org), org.board_id, "2026-10-13", "2026-10-13"
        )
    counts = {c["name"]: c["counts"] for c in data["cfd"]["columns"]}
    moment = end_of_local_day(date(2026, 10, 13))
    assert counts == {col: [sum(column_at(c, moment) == col for c in CARDS)] for col in COLUMNS}


def test_throughput_lead_and_cycle_time(app, org, clock):
    seed(app, org, clock)
    created = datetime(*CREATED_AT, tzinfo=UTC)
    finished = [
        card for card in CARDS if column_at(card, datetime(2026, 10, 31, tzinfo=UTC)) == "Selesai"
    ]
    done = {card: moment_of_move(card, "Selesai") for card in finished}
    active = {card: moment_of_move(card, "Dikerjakan") for card in finished}
    lead = [days_between(created, done[c]) for c in finished]
    cycle = [days_between(active[c], done[c]) for c in finished]
    with app.app_context():
        _board, data = metrics.board_metrics(
            get_user("staff", org), org.board_id, "2026-10-01", "2026-10-14"
        )
    assert data["lead_time"]["count"] == 3
    assert data["lead_time"]["median"] == pct(lead, 50)
    assert data["lead_time"]["p85"] == pct(lead, 85)
    assert data["cycle_time"]["median"] == pct(cycle, 50)
    assert data["cycle_time"]["p85"] == pct(cycle, 85)
    assert sum(b["count"] for b in data["lead_time"]["histogram"]) == 3
    per_week = {}
    for card in finished:
        local = done[card].astimezone(WIB).date()
        iso = local.isocalendar()
        per_week[f"{iso.year}-W{iso.week:02d}"] = per_week.get(f"{iso.year}-W{iso.week:02d}", 0) + 1
    weeks = {week["week"]: week["done"] for week in data["throughput"]}
    assert weeks == {"2026-W40": 0, **per_week}
    assert weeks == {"2026-W40": 0, "2026-W41": 2, "2026-W42": 1}
    assert data["throughput"][0]["start"] == "2026-10-01"  # partial first week


def test_done_outside_the_range_is_not_counted(app, org, clock):
    seed(app, org, clock)
    with app.app_context():
        _board, data = metrics.board_metrics(
            get_user("staff", org), org.board_id, "2026-10-09", "2026-10-11"
        )
    assert data["lead_time"]["count"] == 0 and data["lead_time"]["median"] is None
    assert sum(week["done"] for week in data["throughput"]) == 0


def test_aging_wip_lists_cards_active_longer_than_the_threshold_oldest_first(app, org, clock):
    history = seed(app, org, clock)
    now = datetime(2026, 10, 16, 9)
    with app.app_context():
        board = db.session.get(Board, org.board_id)
        aging = metrics.aging_wip(board, 5, now=now)
        everything = metrics.aging_wip(board, 0, now=now)
    # C went active on 10-09 04:00 (7.2 days before), D on 10-12 07:00 (4.1 days).
    assert [item["card_id"] for item in aging] == [history.ids["C"]]
    assert [item["card_id"] for item in everything] == [history.ids["C"], history.ids["D"]]
    assert aging[0]["age_days"] == round(
        days_between(moment_of_move("C", "Dikerjakan"), now.replace(tzinfo=UTC)), 1
    )


def test_percentile_interpolates_between_ranks():
    assert metrics.percentile([1, 2, 3, 4], 50) == 2.5
    assert metrics.percentile([10], 85) == 10
    assert metrics.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 85) == 9.5
    assert metrics.percentile([], 50) is None


def test_metrics_take_a_constant_number_of_queries(app, org, clock):
    from tests.query_counter import count_queries

    seed(app, org, clock)
    with app.app_context(), count_queries(app) as small:
        metrics.board_metrics(get_user("staff", org), org.board_id, "2026-10-01", "2026-10-20")
    with app.app_context():
        from app.services import cards

        staff = get_user("staff", org)
        for i in range(20):
            cards.create_card(staff, org.board_id, {"title": f"Tambahan {i}"})
    with app.app_context(), count_queries(app) as large:
        metrics.board_metrics(get_user("staff", org), org.board_id, "2026-10-01", "2026-10-20")
    assert len(large) == len(small)


def test_timeline_is_what_the_tests_think(app):
    """Guard for the helpers above: the history has moves on five days."""
    assert len({step.at[:3] for step in TIMELINE if step.action == "move"}) == 5
