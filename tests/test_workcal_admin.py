"""The admin page for unit working calendars: hours, every-day units, extra days off and
working days; what it saves is what `work_calendar` and the SLA clocks use."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from app.extensions import db
from app.models import Unit, UnitCalendar, UnitCalendarDay
from app.workcal import work_calendar
from tests.conftest import PASSWORD

WIB = ZoneInfo("Asia/Jakarta")


def login(client, who):
    client.post("/login", data={"username": who, "password": PASSWORD})
    return client


@pytest.fixture
def admin(client, org):
    return login(client, "admin")


def cal_of(app, code):
    with app.app_context():
        unit = db.session.scalar(db.select(Unit).where(Unit.code == code))
        return work_calendar(unit)


def test_list_and_page_show_units_and_defaults(app, admin):
    listing = admin.get("/admin/calendars")
    assert listing.status_code == 200
    assert "SEKSI-APL" in listing.get_data(as_text=True)
    with time_machine.travel(datetime(2026, 12, 20, 9, tzinfo=WIB), tick=False):
        page = admin.get("/admin/calendars/SEKSI-APL").get_data(as_text=True)
    assert 'value="07:30"' in page and 'value="16:30"' in page
    # The next weekdays off from 20 December 2026: cuti bersama, then Christmas.
    assert "2026-12-24 · Cuti Bersama Hari Raya Natal" in page
    assert "2026-12-25 · Hari Raya Natal" in page


def test_add_a_local_holiday_and_a_make_up_day(app, admin):
    assert (
        admin.post(
            "/admin/calendars/DISKOMINFO/days",
            data={"day": "2026-12-28", "kind": "off", "note": "Hari jadi kabupaten"},
        ).status_code
        == 302
    )
    assert (
        admin.post(
            "/admin/calendars/SEKSI-APL/days", data={"day": "2026-12-26", "kind": "work"}
        ).status_code
        == 302
    )
    cal = cal_of(app, "SEKSI-APL")
    assert not cal.is_working_day(date(2026, 12, 28))  # from the Dinas above
    assert cal.is_working_day(date(2026, 12, 26))  # a Saturday make-up day
    start = datetime(2026, 12, 23, 10, tzinfo=WIB)
    assert cal.add_working_days(start, 2) == datetime(2026, 12, 29, 16, tzinfo=WIB)
    page = admin.get("/admin/calendars/DISKOMINFO").get_data(as_text=True)
    assert "Hari jadi kabupaten" in page
    with app.app_context():
        row = db.session.scalar(db.select(UnitCalendarDay).where(UnitCalendarDay.note != ""))
        assert row.created_by_id is not None


def test_remove_a_day(app, admin):
    admin.post("/admin/calendars/SEKSI-APL/days", data={"day": "2026-12-28", "kind": "off"})
    with app.app_context():
        day_id = db.session.scalar(db.select(UnitCalendarDay.id))
    assert admin.post(f"/admin/calendars/SEKSI-APL/days/{day_id}/delete").status_code == 302
    assert cal_of(app, "SEKSI-APL").is_working_day(date(2026, 12, 28))
    # Through another unit's URL it is not found.
    assert admin.post(f"/admin/calendars/BID-TIK/days/{day_id}/delete").status_code == 404


def test_duplicate_and_bad_days_get_messages_next_to_the_field(app, admin):
    admin.post("/admin/calendars/SEKSI-APL/days", data={"day": "2026-12-28", "kind": "off"})
    again = admin.post("/admin/calendars/SEKSI-APL/days", data={"day": "2026-12-28", "kind": "off"})
    assert again.status_code == 409
    assert "field-error" in again.get_data(as_text=True)
    bad = admin.post("/admin/calendars/SEKSI-APL/days", data={"day": "28/12/2026", "kind": "x"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="day-error"' in html and 'id="kind-error"' in html
    empty = admin.post("/admin/calendars/SEKSI-APL/days", data={"kind": "off"})
    assert empty.status_code == 422


def test_hours_and_every_day(app, admin):
    form = {f"start_{i}": "08:00" for i in range(7)} | {f"end_{i}": "14:00" for i in range(7)}
    response = admin.post("/admin/calendars/BID-TIK/hours", data={**form, "every_day": "1"})
    assert response.status_code == 302
    cal = cal_of(app, "SEKSI-APL")  # inherits the Bidang's hours and every-day flag
    assert cal.every_day
    start = datetime(2026, 12, 23, 10, tzinfo=WIB)
    assert cal.add_working_days(start, 3) == datetime(2026, 12, 26, 14, tzinfo=WIB)
    admin.post("/admin/calendars/BID-TIK/hours", data={"defaults": "1"})
    assert cal_of(app, "SEKSI-APL").add_working_days(start, 3) == datetime(
        2026, 12, 30, 16, tzinfo=WIB
    )
    with app.app_context():
        row = db.session.scalar(db.select(UnitCalendar))
        assert row.hours is None and not row.every_day


def test_bad_hours_are_refused_with_messages(app, admin):
    form = {f"start_{i}": "07:30" for i in range(7)} | {f"end_{i}": "16:00" for i in range(7)}
    form["end_2"] = "07:00"
    form["start_4"] = "7.30"
    response = admin.post("/admin/calendars/BID-TIK/hours", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="end_2-error"' in html and 'id="start_4-error"' in html
    assert 'value="7.30"' in html  # what was typed is kept


def test_only_admins(app, client, org):
    login(client, org.nips["kadis"])
    assert client.get("/admin/calendars").status_code == 403
    assert client.get("/admin/calendars/SEKSI-APL").status_code == 403
    assert (
        client.post(
            "/admin/calendars/SEKSI-APL/days", data={"day": "2026-12-28", "kind": "off"}
        ).status_code
        == 403
    )


def test_unknown_unit_is_not_found(admin):
    assert admin.get("/admin/calendars/NOPE").status_code == 404
    assert (
        admin.post(
            "/admin/calendars/NOPE/days", data={"day": "2026-12-28", "kind": "off"}
        ).status_code
        == 404
    )
