"""The deadline calendar (issue 25): month and week views of due dates for a board and for "My
work", with the unit's holidays, cuti bersama and own days off."""

import re
from datetime import UTC, datetime

import pytest
import time_machine

from app.extensions import db
from app.models import Card
from app.services import boards, calendars, cards
from tests.conftest import get_card, get_user
from tests.query_counter import count_queries

# "Today" for these tests: Thursday 10 December 2026 in WIB.
TODAY = datetime(2026, 12, 10, 3, 0, tzinfo=UTC)


@pytest.fixture
def today():
    with time_machine.travel(TODAY, tick=False):
        yield


def add(org, title, due, *, assignee="staff", column=None, board_id=None):
    data = {"title": title, "due_date": due}
    if assignee:
        data["assignee"] = org.nips[assignee]
    column_id = getattr(org, column) if column else None
    staff = get_user("staff", org)
    return cards.create_card(staff, board_id or org.board_id, data, column_id=column_id).card.id


def day_cell(html: str, day: str) -> str:
    found = re.search(rf'<section class="cal-day[^"]*" data-date="{day}".*?</section>', html, re.S)
    assert found, day
    return found.group(0)


def test_the_month_shows_deadlines_on_their_day_with_holidays_weekends_and_today(
    app, client, auth, org, today
):
    with app.app_context():
        late = add(org, "Laporan terlambat", "2026-12-08", column="doing")
        soon = add(org, "Surat undangan", "2026-12-28")
        finished = add(org, "Sudah selesai", "2026-12-01", column="done")
    auth.login(org.nips["staff"])
    html = client.get(f"/boards/{org.board_id}/calendar").get_data(as_text=True)
    assert "Desember 2026" in html  # the month, not the first day shown (30 November)
    # Whole weeks, Monday first: 30 November to 3 January.
    assert html.count('<section class="cal-day') == 35
    assert "is-outside" in day_cell(html, "2026-11-30")
    late_day = day_cell(html, "2026-12-08")
    assert "Laporan terlambat" in late_day and "is-overdue" in late_day
    assert f'href="/cards/{late}"' in late_day
    assert "Surat undangan" in day_cell(html, "2026-12-28") and soon
    done_day = day_cell(html, "2026-12-01")
    assert "is-done" in done_day and "is-overdue" not in done_day and finished
    christmas = day_cell(html, "2026-12-25")
    assert "Hari Raya Natal" in christmas and "is-off" in christmas
    assert "Cuti Bersama" in day_cell(html, "2026-12-24")
    assert "is-weekend" in day_cell(html, "2026-12-12")
    assert 'aria-current="date"' in day_cell(html, "2026-12-10")
    assert "is-off" not in day_cell(html, "2026-12-09")


def test_the_units_own_day_off_is_shown_with_its_note(app, client, auth, org, today):
    with app.app_context():
        calendars.add_day(get_user("admin", org), "BID-TIK", "2026-12-14", "off", "Hari jadi kota")
    auth.login(org.nips["staff"])
    html = client.get(f"/boards/{org.board_id}/calendar").get_data(as_text=True)
    cell = day_cell(html, "2026-12-14")
    assert "Hari jadi kota" in cell and "is-off" in cell


def test_the_week_view_shows_seven_days_and_links_to_the_weeks_around_it(
    app, client, auth, org, today
):
    with app.app_context():
        add(org, "Rapat", "2026-12-16")
        add(org, "Minggu depan", "2026-12-22")
    auth.login(org.nips["staff"])
    html = client.get(f"/boards/{org.board_id}/calendar?view=week&date=2026-12-16").get_data(
        as_text=True
    )
    assert html.count('<section class="cal-day') == 7
    assert "Rapat" in day_cell(html, "2026-12-16") and "Minggu depan" not in html
    assert "date=2026-12-07" in html and "date=2026-12-21" in html


def test_month_navigation_goes_to_the_months_around(app, client, auth, org, today):
    auth.login(org.nips["staff"])
    html = client.get(f"/boards/{org.board_id}/calendar?date=2026-12").get_data(as_text=True)
    assert "view=month&amp;date=2026-11-01" in html and "view=month&amp;date=2027-01-01" in html


def test_an_unusable_date_shows_the_current_month(app, client, auth, org, today):
    auth.login(org.nips["staff"])
    for value in ("kemarin", "2026-13-01", "9999-01-01"):
        response = client.get(f"/boards/{org.board_id}/calendar?date={value}&view=year")
        assert response.status_code == 200
        assert 'data-date="2026-12-10"' in response.get_data(as_text=True)


def test_archived_cards_are_not_in_the_calendar(app, client, auth, org, today):
    with app.app_context():
        card_id = add(org, "Diarsipkan", "2026-12-03", column="done")
        get_card(card_id).archived_at = datetime(2026, 12, 5)
        db.session.commit()
    auth.login(org.nips["staff"])
    assert "Diarsipkan" not in client.get(f"/boards/{org.board_id}/calendar").get_data(as_text=True)


def test_a_board_calendar_is_404_for_someone_who_does_not_see_the_board(app, client, auth, org):
    auth.login(org.nips["outsider"])
    assert client.get(f"/boards/{org.board_id}/calendar").status_code == 404


def test_my_calendar_shows_my_cards_of_every_board_and_no_one_elses(app, client, auth, org, today):
    with app.app_context():
        other = boards.create_board(get_user("admin", org), "Papan kedua", "SEKSI-APL")
        add(org, "Punyaku", "2026-12-15")
        add(org, "Di papan kedua", "2026-12-16", board_id=other.id)
        add(org, "Punya Dewi", "2026-12-15", assignee="staff2")
    auth.login(org.nips["staff"])
    html = client.get("/calendar").get_data(as_text=True)
    assert "Punyaku" in day_cell(html, "2026-12-15")
    assert "Di papan kedua" in day_cell(html, "2026-12-16") and "Papan kedua" in html
    assert "Punya Dewi" not in html
    assert "Hari Raya Natal" in day_cell(html, "2026-12-25")


def test_my_calendar_needs_a_login(client):
    assert client.get("/calendar").status_code == 302


@pytest.mark.pg
def test_the_calendar_query_count_does_not_grow_with_cards(app, client, auth, org, today):
    auth.login(org.nips["staff"])

    def queries(url):
        with count_queries(app) as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    with app.app_context():
        for i in range(2):
            add(org, f"Kartu {i}", f"2026-12-{i + 1:02d}", assignee=("staff", "staff2")[i % 2])
    few = queries(f"/boards/{org.board_id}/calendar"), queries("/calendar")
    with app.app_context():
        for i in range(2, 30):
            add(org, f"Kartu {i}", f"2026-12-{i % 28 + 1:02d}", assignee=("staff", "staff2")[i % 2])
        assert db.session.query(Card).count() == 30
    assert few == (queries(f"/boards/{org.board_id}/calendar"), queries("/calendar"))
