"""The 8-week trend is rebuilt from the audit trail. A history is played through the real card
services at chosen moments (time_machine), and the expected load at each week's end is computed
here independently: by replaying the same script forwards, not by undoing events backwards."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from app.extensions import db
from app.models import Card
from app.services import cards
from plugins.workload.service import board_report
from plugins.workload.trend import week_points
from tests.conftest import get_user, make_app

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=WIB)  # a Wednesday


@pytest.fixture
def app(database_url):
    app = make_app(database_url, CERGAS_PLUGINS="workload")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def at(day: int, month: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=WIB)


def test_week_points_are_sunday_midnights_in_the_unit_zone_then_now():
    points = week_points(NOW, WIB)
    assert [p.label for p in points] == [
        "2026-10-11",
        "2026-10-18",
        "2026-10-25",
        "2026-11-01",
        "2026-11-08",
        "2026-11-15",
        "2026-11-22",
        "2026-11-25",
    ]
    # Sunday 24:00 WIB is Sunday 17:00 UTC.
    assert points[0].at == datetime(2026, 10, 11, 17, 0)
    assert points[-1].at == datetime(2026, 11, 25, 3, 0)


def test_trend_matches_a_seeded_history(app, org):
    staff, staff2 = org.users["staff"], org.users["staff2"]
    logins = {org.users[key]: org.nips[key] for key in ("staff", "staff2")}
    columns = {"backlog": org.backlog, "doing": org.doing, "review": org.review, "done": org.done}
    kind = {"backlog": "backlog", "doing": "active", "review": "active", "done": "done"}
    # The script: (when, action, card key, arguments). Cards due a week after they are made.
    script = [
        (at(1, 10), "create", "A", {"assignee": staff, "column": "doing", "estimate": 3}),
        (at(1, 10), "create", "B", {"assignee": staff2, "column": "backlog", "estimate": 5}),
        (at(14, 10), "create", "C", {"assignee": staff, "column": "doing", "estimate": None}),
        (at(15, 10), "create", "D", {"assignee": staff, "column": "doing", "estimate": 8}),
        (at(20, 10), "move", "A", {"column": "done"}),
        (at(28, 10), "assign", "C", {"assignee": staff2}),
        (at(3, 11), "move", "B", {"column": "doing"}),
        (at(3, 11, 14), "estimate", "D", {"estimate": 2}),
        (at(10, 11), "create", "E", {"assignee": staff2, "column": "review", "estimate": None}),
        (at(16, 11, 8), "move", "D", {"column": "review"}),
        (at(18, 11), "assign", "D", {"assignee": None}),
        (at(24, 11), "move", "C", {"column": "done"}),
    ]
    ids: dict[str, int] = {}
    with app.app_context():
        admin = get_user("admin", org)
        for moment, action, key, args in script:
            with time_machine.travel(moment, tick=False):
                if action == "create":
                    data = {
                        "title": f"Kartu {key}",
                        "due_date": (moment + timedelta(days=7)).date().isoformat(),
                        "assignee": logins.get(args["assignee"]),
                        "estimate": args["estimate"],
                    }
                    created = cards.create_card(
                        admin, org.board_id, data, column_id=columns[args["column"]]
                    ).card
                    ids[key] = created.id
                elif action == "move":
                    cards.move_card(admin, ids[key], columns[args["column"]])
                else:
                    card = db.session.get(Card, ids[key])
                    field = "assignee" if action == "assign" else "estimate"
                    value = logins.get(args["assignee"]) if field == "assignee" else args[field]
                    cards.update_card(admin, card.id, {field: value}, version=card.version)
        with app.test_request_context(), time_machine.travel(NOW, tick=False):
            report = board_report(get_user("kasi", org), org.board_id, with_trend=True, now=NOW)

    # Forward replay of the script, read at each point.
    default = report.workload.settings.default_estimate
    points = [p.at.replace(tzinfo=UTC) for p in week_points(NOW, WIB)]
    expected = {staff: [], staff2: []}
    for point in points:
        state: dict[str, dict] = {}
        for moment, action, key, args in script:
            if moment.astimezone(UTC) > point:
                break
            if action == "create":
                state[key] = dict(args)
            elif action == "move":
                state[key]["column"] = args["column"]
            else:
                state[key].update(args)
        for user in expected:
            held = [
                c for c in state.values() if c["assignee"] == user and kind[c["column"]] == "active"
            ]
            hours = sum(default if c["estimate"] is None else c["estimate"] for c in held)
            expected[user].append((len(held), hours))

    assert report.trend[staff] == expected[staff]
    assert report.trend[staff2] == expected[staff2]
    # The story spelled out: A, C and D; A done; C given to staff2; B started; E; D unassigned.
    assert [count for count, _hours in report.trend[staff]] == [1, 3, 2, 1, 1, 1, 0, 0]
    assert [count for count, _hours in report.trend[staff2]] == [0, 0, 0, 1, 2, 3, 3, 2]
