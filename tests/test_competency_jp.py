"""JP (jam pelajaran) from the learning log, checked to the minute against arithmetic done by
hand in each test, not by the plugin's own functions."""

from datetime import date

import pytest

from app.extensions import db
from app.services import skills
from app.services.errors import Invalid
from plugins.competency import analysis
from tests.conftest import NIPS, get_user, make_app


@pytest.fixture
def app(database_url):
    app = make_app(database_url, CERGAS_PLUGINS="competency")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def staff(app, org):
    with app.app_context():
        skills.seed_catalog()
    return org


def log(app, org, who, **data):
    with app.app_context():
        person = get_user(who, org)
        return skills.record_learning(person, person, data).minutes


def test_hours_become_whole_minutes():
    # 1.5 h = 90 min, 0.75 h = 45 min, 2 h 20 min = 7/3 h = 140 min, 10 min = 1/6 h
    assert skills.hours_to_minutes(1.5) == 90
    assert skills.hours_to_minutes(0.75) == 45
    assert skills.hours_to_minutes(7 / 3) == 140
    assert skills.hours_to_minutes(1 / 6) == 10


def test_progress_is_exact_to_the_minute_at_45_minutes_per_jp():
    # 90 + 45 + 140 + 195 = 470 minutes; 470 = 10 * 45 + 20 -> 10 JP 20 minutes.
    # Target 20 JP = 900 minutes; 900 - 470 = 430 minutes still needed.
    p = analysis.jp_progress(
        470, year=2026, today=date(2026, 7, 2), minutes_per_jp=45, target_jp=20
    )
    assert (p.whole_jp, p.rest_minutes) == (10, 20)
    assert p.target_minutes == 900
    assert p.remaining_minutes == 430
    assert p.jp == pytest.approx(10.444444, abs=1e-6)
    assert p.percent == 52  # 470 * 100 // 900
    # 2 July 2026 is day 183 of 365: an even pace reaches 900 * 183 // 365 = 451 minutes.
    assert p.expected_minutes == 451
    assert not p.behind  # 470 >= 451
    # July to December: 6 months; 430 / 6 = 71.67 -> 72 minutes a month.
    assert p.months_left == 6
    assert p.minutes_per_month_needed == 72


def test_behind_and_done_and_past_years():
    # 1 December 2026: day 335; 900 * 335 // 365 = 826 minutes expected.
    p = analysis.jp_progress(
        825, year=2026, today=date(2026, 12, 1), minutes_per_jp=45, target_jp=20
    )
    assert p.expected_minutes == 826 and p.behind and p.months_left == 1
    assert p.minutes_per_month_needed == 75  # 900 - 825
    done = analysis.jp_progress(
        900, year=2026, today=date(2026, 3, 1), minutes_per_jp=45, target_jp=20
    )
    assert done.done and not done.behind and done.remaining_minutes == 0
    past = analysis.jp_progress(
        899, year=2025, today=date(2026, 3, 1), minutes_per_jp=45, target_jp=20
    )
    assert past.months_left == 0 and past.behind and past.minutes_per_month_needed is None
    assert analysis.months_left(2026, date(2026, 1, 31)) == 12
    assert analysis.months_left(2027, date(2026, 5, 5)) == 12


def test_learning_log_sums_this_year_only(app, client, staff):
    # In 2025: 3 h (not counted in 2026). In 2026: 1.5 h + 0.75 h + 2 h 20 min + 3.25 h
    # = 90 + 45 + 140 + 195 = 470 minutes = 10 JP 20 minutes.
    log(app, staff, "staff", activity="training", date="2025-12-31", hours=3)
    for day, hours in [
        ("2026-01-01", 1.5),
        ("2026-02-10", 0.75),
        ("2026-03-03", 7 / 3),
        ("2026-04-04", 3.25),
    ]:
        log(app, staff, "staff", activity="e_learning", date=day, hours=hours)
    with app.test_request_context():
        from plugins.competency import core

        staff_user = get_user("staff", staff)
        data = core.person_competency(staff_user, NIPS["staff"], 2026)
        assert data.progress.minutes == 470
        assert (data.progress.whole_jp, data.progress.rest_minutes) == (10, 20)
        assert data.progress.remaining_minutes == 430
        assert core.person_competency(staff_user, NIPS["staff"], 2025).progress.minutes == 180


def test_minutes_per_jp_is_configurable(database_url):
    app = make_app(database_url, CERGAS_PLUGINS="competency", COMPETENCY_MINUTES_PER_JP=50)
    try:
        with app.app_context():
            from app.services import accounts

            skills.seed_catalog()
            accounts.create_unit("UNIT-X", "Unit X")
            person = accounts.create_user(
                "Tri Wahyudi", "rahasia123", username="tri", unit_code="UNIT-X"
            )
            # 470 minutes at 50 per JP: 9 JP 20 minutes; 20 JP = 1000 minutes, 530 to go.
            for hours in (1.5, 0.75, 7 / 3, 3.25):
                skills.record_learning(
                    person, person, {"activity": "seminar", "date": "2026-05-05", "hours": hours}
                )
        with app.test_request_context():
            from plugins.competency import core

            person = db.session.merge(person)
            progress = core.person_competency(person, "tri", 2026).progress
            assert (progress.whole_jp, progress.rest_minutes) == (9, 20)
            assert progress.target_minutes == 1000 and progress.remaining_minutes == 530
            assert core.jp_text(470).startswith("9 JP 20 ")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_bad_learning_input_names_each_field(app, staff):
    with app.app_context():
        person = get_user("staff", staff)
        with pytest.raises(Invalid) as refused:
            skills.record_learning(
                person,
                person,
                {
                    "activity": "nap",
                    "date": "2026-02-30",
                    "hours": "0",
                    "evidence_url": "ftp://x",
                    "skills": ["juggling"],
                },
            )
        assert set(refused.value.fields) == {"activity", "date", "hours", "evidence_url", "skills"}
