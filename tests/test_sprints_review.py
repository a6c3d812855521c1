"""The review and the burndown of a seeded sprint match what the timeline says, computed here
independently of the services."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.extensions import db
from app.models import Card, Sprint
from app.services import sprint_reports, sprints
from tests.sprint_history import (  # noqa: F401  (clock_fixture provides `clock`)
    CARDS,
    CLOSED_AT,
    COMMITTED,
    DEADLINE_REASON,
    SPRINT_END,
    SPRINT_START,
    STARTED_AT,
    clock_fixture,
    column_at,
    in_sprint_at,
    seed,
)

WIB = ZoneInfo("Asia/Jakarta")


def end_of_local_day(day) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), WIB).astimezone(UTC)


def done_at(name, moment) -> bool:
    return column_at(name, moment) == "Selesai"


def test_review_counts_committed_completed_added_removed_and_carried(app, org, clock):
    history = seed(app, org, clock)
    closed = datetime(*CLOSED_AT, tzinfo=UTC)
    at_close = [name for name in CARDS if in_sprint_at(name, closed)]
    finished = [name for name in at_close if done_at(name, closed)]
    with app.app_context():
        sprint = db.session.get(Sprint, history.sprint_id)
        review = sprint_reports.review(sprint)
        assert sprint.state == "closed" and sprint.goal_met == "partly"
        assert review.committed.cards == len(COMMITTED)
        assert review.committed.estimate == sum(CARDS[n][1] or 0 for n in COMMITTED)
        assert review.completed.cards == len(finished) == 3
        assert review.completed.estimate == sum(CARDS[n][1] or 0 for n in finished)
        assert [item["card_id"] for item in review.added] == [history.ids["F"]]
        assert [item["card_id"] for item in review.removed] == [history.ids["E"]]
        carried = {item["card_id"]: item["to"] for item in review.carried_over}
        assert carried == {history.ids["C"]: "next", history.ids["D"]: "backlog"}
        assert [
            (c["card_id"], c["reason"], c["old"], c["new"]) for c in review.deadline_changes
        ] == [(history.ids["C"], DEADLINE_REASON, "2026-10-30", "2026-11-06")]


def test_review_gives_completion_per_person(app, org, clock):
    history = seed(app, org, clock)
    closed = datetime(*CLOSED_AT, tzinfo=UTC)
    expected = {}
    for name, (person, estimate) in CARDS.items():
        if not in_sprint_at(name, closed):
            continue
        row = expected.setdefault(org.nips[person], {"cards": 0, "done": 0, "estimate": 0.0})
        row["cards"] += 1
        row["estimate"] += estimate or 0
        row["done"] += done_at(name, closed)
    with app.app_context():
        review = sprint_reports.review(db.session.get(Sprint, history.sprint_id))
        got = {
            p["assignee"]: {"cards": p["cards"], "done": p["done"], "estimate": p["estimate"]}
            for p in review.people
        }
    assert got == expected


def test_closing_sends_unfinished_cards_where_the_head_chose(app, org, clock):
    history = seed(app, org, clock)
    with app.app_context():
        card_c = db.session.get(Card, history.ids["C"])
        card_d = db.session.get(Card, history.ids["D"])
        card_a = db.session.get(Card, history.ids["A"])
        assert card_c.sprint_id == history.next_sprint_id
        assert card_d.sprint_id is None
        assert card_a.sprint_id == history.sprint_id  # done cards keep the sprint they were done in
        following = db.session.get(Sprint, history.next_sprint_id)
        assert [c.id for c in sprints.sprint_cards(following)] == [history.ids["C"]]


def test_burndown_matches_the_timeline_day_by_day(app, org, clock):
    history = seed(app, org, clock)
    days = [SPRINT_START + timedelta(days=i) for i in range((SPRINT_END - SPRINT_START).days + 1)]
    working = [day.weekday() < 5 for day in days]
    expected_ideal, burnt = [], 0
    for is_working in working:
        burnt += is_working
        expected_ideal.append(round(len(COMMITTED) * (1 - burnt / sum(working)), 2))
    expected_remaining = []
    for day in days:
        moment = end_of_local_day(day)
        scope = [name for name in CARDS if in_sprint_at(name, moment)]
        expected_remaining.append(sum(not done_at(name, moment) for name in scope))
    with app.app_context():
        sprint = db.session.get(Sprint, history.sprint_id)
        burndown = sprint_reports.burndown(sprint, today=SPRINT_END)
    assert [d.day for d in burndown] == days
    assert [d.ideal for d in burndown] == expected_ideal
    assert [d.remaining for d in burndown] == expected_remaining
    assert expected_remaining == [5, 5, 5, 3, 3, 3, 3, 2, 2, 2, 2, 2]


def test_burndown_of_a_running_sprint_stops_at_today(app, org, clock):
    history = seed(app, org, clock, close=False)
    with app.app_context():
        sprint = db.session.get(Sprint, history.sprint_id)
        burndown = sprint_reports.burndown(sprint, today=SPRINT_START + timedelta(days=3))
    assert [d.remaining for d in burndown[:4]] == [5, 5, 5, 3]
    assert all(d.remaining is None for d in burndown[4:])


def test_live_review_of_a_running_sprint_lists_the_unfinished(app, org, clock):
    history = seed(app, org, clock, close=False)
    with app.app_context():
        review = sprint_reports.review(db.session.get(Sprint, history.sprint_id))
    assert review.carried_over == []
    assert {item["card_id"] for item in review.unfinished} == {history.ids["C"], history.ids["D"]}
    assert review.completed.cards == 3


def test_velocity_reports_the_closed_sprint(app, org, clock):
    from app.services import metrics

    seed(app, org, clock)
    with app.app_context():
        board = db.session.get(Sprint, 1).board
        assert metrics.velocity(board) == [
            {
                "sprint_id": 1,
                "name": "Sprint 1",
                "goal_met": "partly",
                "committed": {"cards": 5, "estimate": 13.0},
                "completed": {"cards": 3, "estimate": 5.0},
            }
        ]


@pytest.mark.parametrize("started", [STARTED_AT])
def test_the_start_snapshot_keeps_the_estimates_of_the_start(app, org, clock, started):
    """Changing an estimate after the start changes neither the committed figure nor the
    snapshot; the completed figure uses the estimate at close."""
    from app.services import cards
    from tests.conftest import get_user

    history = seed(app, org, clock, close=False)
    with app.app_context():
        card = db.session.get(Card, history.ids["A"])
        cards.update_card(get_user("kasi", org), card.id, {"estimate": 8}, version=card.version)
        review = sprint_reports.review(db.session.get(Sprint, history.sprint_id))
    assert review.committed.estimate == 13.0
    assert review.completed.estimate == 8.0 + 2.0
