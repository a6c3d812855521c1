"""Recurring cards: the rules' days on the unit's working-day calendar (holidays, cuti bersama),
the tick that makes each day's card exactly once (late ticks catch up, a second tick or a
second host makes nothing more), pause and resume, refusals, who may do what, the API and the
settings page."""

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Card, Event, Recurrence, RecurrenceOccurrence
from app.services import card_templates as ct
from app.services import recurrences as rc
from app.services.errors import Forbidden, Invalid
from app.workcal import default_calendar
from tests.conftest import get_user, make_app, pg_url

TEMPLATE = {"name": "Laporan bulanan", "title_pattern": "Laporan {bulan}", "checklist": ["Data"]}
TEMPLATE["due_in_working_days"] = 2


def days(rule, first, last):
    return rc.occurrences(rule, default_calendar(), first, last)


def test_the_last_working_day_of_december_2026_skips_christmas_and_cuti_bersama():
    found = days(rc.Rule("monthly_last_working_day"), date(2026, 11, 1), date(2027, 1, 31))
    assert found == [date(2026, 11, 30), date(2026, 12, 31), date(2027, 1, 29)]
    december = days(
        rc.Rule("weekly", weekday=3, on_holiday="skip"), date(2026, 12, 1), date(2026, 12, 31)
    )
    # Thursday 24 December is cuti bersama: no card that week.
    assert date(2026, 12, 24) not in december and date(2026, 12, 17) in december
    before = days(rc.Rule("weekly", weekday=3), date(2026, 12, 21), date(2026, 12, 27))
    assert before == [date(2026, 12, 23)]
    after = days(
        rc.Rule("weekly", weekday=3, on_holiday="after"), date(2026, 12, 21), date(2026, 12, 31)
    )
    # 24 and 25 off, 26-27 the weekend: Monday 28; then 31 itself.
    assert after == [date(2026, 12, 28), date(2026, 12, 31)]


@pytest.mark.parametrize(
    "on_holiday, expected",
    [
        # 2025: Sunday 17 August, Monday 18 cuti bersama; 2027: Tuesday 17 August.
        ("before", [date(2025, 8, 15), date(2027, 8, 16)]),
        ("after", [date(2025, 8, 19), date(2027, 8, 18)]),
        ("skip", []),
    ],
)
def test_17_august_is_a_holiday_every_year(on_holiday, expected):
    rule = rc.Rule("yearly", month=8, day=17, on_holiday=on_holiday)
    assert (
        days(rule, date(2025, 1, 1), date(2025, 12, 31))
        + days(rule, date(2027, 1, 1), date(2027, 12, 31))
        == expected
    )


def test_working_day_n_of_a_quarter_and_a_missing_month_day():
    rule = rc.Rule("nth_working_day", n=5, period="quarter")
    # 1-2 October 2026 (Thu, Fri), 5, 6, 7.
    assert days(rule, date(2026, 7, 1), date(2026, 12, 31)) == [date(2026, 7, 7), date(2026, 10, 7)]
    assert days(
        rc.Rule("nth_working_day", n=2, period="month"), date(2026, 12, 1), date(2026, 12, 31)
    ) == [date(2026, 12, 2)]
    # Day 31: the month's last day (30 April 2027, a Friday); Sunday 31 January → Friday 29.
    monthly = days(rc.Rule("monthly_day", day=31), date(2027, 1, 1), date(2027, 4, 30))
    assert monthly == [date(2027, 1, 29), date(2027, 2, 26), date(2027, 3, 31), date(2027, 4, 30)]


def test_rules_in_indonesian_words(app):
    with app.test_request_context(headers={"Accept-Language": "id"}):
        row = Recurrence(kind="weekly", weekday=0, on_holiday="before")
        assert rc.describe(row).startswith("Setiap Senin")
        row = Recurrence(kind="yearly", day=17, month=8, on_holiday="before")
        assert rc.describe(row) == "Setiap 17 Agustus; bila libur, hari kerja sebelumnya"
        assert rc.describe(Recurrence(kind="monthly_last_working_day")) == (
            "Hari kerja terakhir setiap bulan"
        )
        row = Recurrence(kind="nth_working_day", n=5, period="quarter")
        assert rc.describe(row) == "Hari kerja ke-5 setiap triwulan"
        assert rc.long_date(date(2026, 12, 31)) == "Kamis, 31 Desember 2026"


def at(day: date, hour=8) -> datetime:
    # 08:00 in Jakarta.
    return datetime(day.year, day.month, day.day, hour - 7, tzinfo=UTC)


def make_rule(org, who="kasi", **data):
    template = ct.create_template(get_user(who, org), org.board_id, TEMPLATE)
    values = {"template_id": template.id, "kind": "monthly_last_working_day"}
    values["starts_on"] = "2026-10-01"
    return rc.create_recurrence(get_user(who, org), org.board_id, {**values, **data})


def made(recurrence_id):
    return list(
        db.session.scalars(
            select(RecurrenceOccurrence.occurs_on)
            .where(RecurrenceOccurrence.recurrence_id == recurrence_id)
            .order_by(RecurrenceOccurrence.occurs_on)
        )
    )


def test_a_late_tick_catches_up_once_and_a_second_tick_makes_nothing(app, org):
    with app.app_context():
        rule = make_rule(org)
        assert rc.next_dates(rule, after=date(2026, 12, 1)) == [
            date(2026, 12, 31),
            date(2027, 1, 29),
            date(2027, 2, 26),
            date(2027, 3, 31),
            date(2027, 4, 30),
        ]
        assert rc.run_due(at(date(2026, 10, 29))).made == 0
        report = rc.run_due(at(date(2026, 12, 31)))
        assert report.made == 3
        assert made(rule.id) == [date(2026, 10, 30), date(2026, 11, 30), date(2026, 12, 31)]
        assert rc.run_due(at(date(2026, 12, 31), 9)).made == 0
        titles = db.session.scalars(
            select(Card.title).where(Card.board_id == org.board_id).order_by(Card.id)
        ).all()
        assert titles == ["Laporan Oktober 2026", "Laporan November 2026", "Laporan Desember 2026"]
        cards = db.session.scalars(select(Card).where(Card.board_id == org.board_id)).all()
        assert {card.column_id for card in cards} == {org.backlog}
        assert all(card.checklist_total == 1 for card in cards)
        kinds = db.session.scalars(select(Event.kind).where(Event.board_id == org.board_id)).all()
        assert "recurrence_created" in kinds and kinds.count("created") == 3


def test_paused_makes_nothing_and_resuming_does_not_back_fill(app, org):
    with app.app_context():
        rule = make_rule(org, kind="weekly", weekday=0, starts_on="2026-12-07")
        kasi = get_user("kasi", org)
        rc.pause_recurrence(kasi, rule.id)
        assert rc.run_due(at(date(2026, 12, 14))).made == 0
        rc.resume_recurrence(kasi, rule.id)
        row = db.session.get(Recurrence, rule.id)
        row.resumed_on = date(2026, 12, 21)  # resumed that Monday (the unit's today)
        db.session.commit()
        rc.run_due(at(date(2026, 12, 21)))
        assert made(rule.id) == [date(2026, 12, 21)]


def test_archived_template_or_full_column_leaves_the_day_for_the_next_tick(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        rule = make_rule(org)
        ct.archive_template(kasi, rule.template_id)
        report = rc.run_due(at(date(2026, 11, 30)))
        assert (report.made, report.problems) == (0, 1)
        row = db.session.get(Recurrence, rule.id)
        assert "diarsipkan" in row.problem and "30 Oktober 2026" in row.problem
        assert rc.state(row)
        ct.restore_template(kasi, rule.template_id)
        # Full column: Review (soft limit 2) is fine, Dikerjakan hard 3; fill it.
        rc.update_recurrence(kasi, rule.id, {"column_id": org.doing})
        for i in range(3):
            from app.services import cards

            cards.create_card(
                kasi,
                org.board_id,
                {"title": f"Isi {i}", "due_date": "2027-01-29"},
                column_id=org.doing,
            )
        assert rc.run_due(at(date(2026, 11, 30))).problems == 1
        assert "WIP" in db.session.get(Recurrence, rule.id).problem
        assert made(rule.id) == []
        rc.update_recurrence(kasi, rule.id, {"column_id": org.backlog})
        assert rc.run_due(at(date(2026, 11, 30))).made == 2
        assert made(rule.id) == [date(2026, 10, 30), date(2026, 11, 30)]


def test_who_may_keep_rules_and_bad_input(app, org):
    with app.app_context():
        rule = make_rule(org)
        with pytest.raises(Forbidden):
            rc.pause_recurrence(get_user("staff", org), rule.id)
        assert [r.id for r in rc.board_recurrences(get_user("staff", org), org.board_id)] == [
            rule.id
        ]
        with pytest.raises(Invalid) as refused:
            rc.create_recurrence(
                get_user("kasi", org),
                org.board_id,
                {"template_id": 999, "kind": "yearly", "month": 2, "day": 30, "ends_on": "x"},
            )
        assert set(refused.value.fields) == {"template_id", "day", "ends_on"}
        with pytest.raises(Invalid) as refused:
            rc.create_recurrence(get_user("kasi", org), org.board_id, {"kind": "weekly", "x": 1})
        assert set(refused.value.fields) == {"x"}


def test_api_lists_creates_pauses_and_deletes(app, org, api):
    with app.app_context():
        template_id = ct.create_template(get_user("kasi", org), org.board_id, TEMPLATE).id
    url = f"/api/v1/boards/{org.board_id}/recurrences"
    body = {"template_id": template_id, "kind": "nth_working_day", "n": 5, "period": "quarter"}
    response = api("kasi").post(url, json=body)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert len(data["next_dates"]) == 5 and data["paused"] is False
    assert data["rule_text"]
    assert api("kasi").post(url, json={**body, "n": 0}).status_code == 422
    assert api("staff").post(url, json=body).status_code == 403
    assert api("outsider").get(url).status_code == 404
    one = f"/api/v1/recurrences/{data['id']}"
    assert api("kasi").patch(one, json={"paused": True}).get_json()["paused"] is True
    assert api("staff").get(url).get_json()["recurrences"][0]["paused"] is True
    assert api("kasi").patch(one, json={"paused": False, "n": 2}).get_json()["n"] == 2
    assert api("kasi").delete(one).get_json() == {"id": data["id"], "deleted": True}
    assert api("kasi").patch(one, json={"paused": False}).status_code == 404


@pytest.mark.pg
def test_two_ticks_at_once_make_one_card_per_day(tmp_path):
    url = pg_url()
    if not url:
        pytest.skip("PostgreSQL case: set TEST_DATABASE_URL to run it")
    from tests.conftest import build_org

    app = make_app(url)
    org = build_org(app)
    with app.app_context():
        rule_id = make_rule(org).id
    barrier = threading.Barrier(2)
    reports = []

    def tick():
        with app.app_context():
            barrier.wait()
            reports.append(rc.run_due(at(date(2026, 12, 31))))
            db.session.remove()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with app.app_context():
        assert made(rule_id) == [date(2026, 10, 30), date(2026, 11, 30), date(2026, 12, 31)]
        count = db.session.scalar(select(func.count(Card.id)).where(Card.board_id == org.board_id))
        assert count == 3
        assert sum(r.made for r in reports) == 3
        db.session.remove()
        db.engine.dispose()


def test_settings_section_without_javascript(app, org, client, auth):
    with app.app_context():
        template_id = ct.create_template(get_user("kasi", org), org.board_id, TEMPLATE).id
    auth.login(org.nips["kasi"])
    base = f"/boards/{org.board_id}/recurrences"
    form = {
        "template_id": str(template_id),
        "column_id": str(org.backlog),
        "kind": "yearly",
        "weekday": "0",
        "day": "17",
        "month": "8",
        "n": "",
        "period": "month",
        "on_holiday": "before",
        "starts_on": "2026-12-01",
        "ends_on": "",
    }
    assert client.post(base, data=form).status_code == 302
    page = client.get(f"/boards/{org.board_id}/settings").get_data(as_text=True)
    assert "Setiap 17 Agustus; bila libur, hari kerja sebelumnya" in page
    assert "Senin, 16 Agustus 2027" in page
    refused = client.post(base, data={**form, "day": "40"})
    assert refused.status_code == 422 and "rec-" not in refused.get_data(as_text=True)[:0]
    with app.app_context():
        rule_id = db.session.scalar(select(Recurrence.id))
    assert client.post(f"{base}/{rule_id}/pause").status_code == 302
    assert "Dijeda" in client.get(f"/boards/{org.board_id}/settings").get_data(as_text=True)
    assert client.post(f"{base}/{rule_id}/delete").status_code == 302
    auth.login(org.nips["staff"])
    assert client.post(base, data=form).status_code == 403
