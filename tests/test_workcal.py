"""The working-day calendar (app/workcal.py): Indonesian holidays and cuti bersama, unit hours,
the SLA counting rule, and per-unit overrides from the database."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.workcal import WorkCalendar, default_calendar, national_holidays, work_calendar

WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")

# Weekday holidays and cuti bersama (SKB 3 Menteri) that the calendar must treat as days off.
DAYS_OFF_2026 = [
    "2026-01-01", "2026-01-16", "2026-02-16", "2026-02-17", "2026-03-18", "2026-03-19",
    "2026-03-20", "2026-03-23", "2026-03-24", "2026-04-03", "2026-05-01", "2026-05-14",
    "2026-05-15", "2026-05-27", "2026-05-28", "2026-06-01", "2026-06-16", "2026-08-17",
    "2026-08-25", "2026-12-24", "2026-12-25",
]  # fmt: skip
DAYS_OFF_2027 = [
    "2027-01-01", "2027-01-05", "2027-02-05", "2027-03-08", "2027-03-09", "2027-03-10",
    "2027-03-11", "2027-03-12", "2027-03-15", "2027-03-25", "2027-03-26", "2027-05-06",
    "2027-05-17", "2027-05-18", "2027-05-19", "2027-05-20", "2027-06-01", "2027-08-17",
    "2027-12-24",
]  # fmt: skip
CUTI_BERSAMA = ["2026-02-16", "2026-03-18", "2026-03-20", "2026-03-23", "2026-03-24",
                "2026-05-15", "2026-05-28", "2026-12-24", "2027-02-05", "2027-03-09",
                "2027-03-12", "2027-03-15", "2027-03-25", "2027-05-18", "2027-05-19",
                "2027-12-24"]  # fmt: skip


def at(text: str, zone=WIB) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def days(items) -> list[date]:
    return [date.fromisoformat(item) for item in items]


@pytest.mark.parametrize("year, expected", [(2026, DAYS_OFF_2026), (2027, DAYS_OFF_2027)])
def test_weekday_holidays_and_cuti_bersama_are_days_off(year, expected):
    cal = default_calendar()
    weekdays = [
        date(year, 1, 1) + timedelta(days=n)
        for n in range(366)
        if (date(year, 1, 1) + timedelta(days=n)).year == year
    ]
    off = [d for d in weekdays if d.weekday() < 5 and not cal.is_working_day(d)]
    assert off == days(expected)


def test_cuti_bersama_come_from_the_government_category():
    names = {**national_holidays(2026), **national_holidays(2027)}
    for day in days(CUTI_BERSAMA):
        assert names[day].startswith("Cuti Bersama"), day
    assert names[date(2026, 12, 25)] == "Hari Raya Natal"


@pytest.mark.parametrize("year, working_days", [(2026, 261 - 21), (2027, 261 - 19)])
def test_working_days_in_a_year(year, working_days):
    cal = default_calendar()
    assert cal.working_days_in(date(year, 1, 1), date(year, 12, 31)) == working_days


def test_weekends_are_not_working_days():
    cal = default_calendar()
    assert not cal.is_working_day(date(2026, 12, 26))  # Saturday
    assert not cal.is_working_day(date(2026, 12, 27))  # Sunday
    assert cal.is_working_day(date(2026, 12, 28))


def test_the_issue_example_three_working_days_over_christmas():
    cal = default_calendar()
    start = at("2026-12-23T10:00")
    assert cal.add_working_days(start, 3) == at("2026-12-30T16:00")
    assert cal.due(start, 3, "working_days").isoformat() == "2026-12-30T16:00:00+07:00"


@pytest.mark.parametrize(
    "start, n, due",
    [
        # Counting starts the next working day, whatever the hour the clock started.
        ("2026-12-22T06:00", 1, "2026-12-23T16:00"),
        ("2026-12-22T23:59", 1, "2026-12-23T16:00"),
        # A Thursday start: Friday is day 1 and closes at 16:30.
        ("2027-01-07T09:00", 1, "2027-01-08T16:30"),
        # Started on a Saturday: Monday is day 1.
        ("2026-12-26T10:00", 1, "2026-12-28T16:00"),
        # Idul Fitri 2026: 19 (Nyepi) .. 24 March off, so day 1 after the 17th is the 25th.
        ("2026-03-17T08:00", 1, "2026-03-25T16:00"),
        # KIP request: 10 working days; 10 Dec 2026 + 10 crosses 24/25 Dec.
        ("2026-12-10T10:00", 10, "2026-12-28T16:00"),
        # Year end into 2027: 31 Dec 2026 + 1 → 1 Jan is a holiday, 4 Jan is Monday.
        ("2026-12-31T10:00", 1, "2027-01-04T16:00"),
        # Lebaran 2027: 8..15 March off (weekends between).
        ("2027-03-05T10:00", 1, "2027-03-16T16:00"),
        # Waisak 2027: 17..20 May off; a Friday start lands on Friday 21st.
        ("2027-05-14T10:00", 1, "2027-05-21T16:30"),
    ],
)
def test_add_working_days_across_the_holiday_tables(start, n, due):
    assert default_calendar().add_working_days(at(start), n) == at(due)


def test_working_days_between_is_the_inverse_of_add():
    cal = default_calendar()
    start = at("2026-12-23T10:00")
    for n in range(0, 40):
        due = cal.add_working_days(start, n)
        assert cal.working_days_between(start, due) == n
        assert cal.working_days_between(start, due - timedelta(minutes=1)) == max(n - 1, 0)


def test_working_hours_count_only_inside_hours():
    cal = default_calendar()
    start = at("2026-12-23T10:00")
    # Wednesday 10:00-16:00 is 6 h; then Monday 28th from 07:30.
    assert cal.due(start, 8, "working_hours") == at("2026-12-28T09:30")
    assert cal.due(start, 6, "working_hours") == at("2026-12-23T16:00")
    assert cal.due(start, 90, "working_minutes") == at("2026-12-23T11:30")
    # Before opening: the clock runs from 07:30.
    assert cal.due(at("2026-12-28T05:00"), 1, "working_hours") == at("2026-12-28T08:30")
    # Friday closes at 16:30.
    assert cal.due(at("2027-01-08T16:00"), 1, "working_hours") == at("2027-01-11T08:00")


def test_working_seconds_between():
    cal = default_calendar()
    a, b = at("2026-12-23T10:00"), at("2026-12-30T16:00")
    # Wed 6 h + Mon, Tue, Wed 8.5 h each.
    assert cal.working_seconds_between(a, b) == (6 + 3 * 8.5) * 3600
    assert cal.working_seconds_between(b, a) == -(6 + 3 * 8.5) * 3600
    assert cal.working_seconds_between(at("2026-12-24T08:00"), at("2026-12-27T20:00")) == 0


def test_calendar_days_count_every_day():
    cal = default_calendar()
    assert cal.due(at("2026-12-23T10:00"), 3, "calendar_days") == at("2026-12-26T10:00")


def test_working_days_in_is_inclusive():
    cal = default_calendar()
    assert cal.working_days_in(date(2026, 12, 21), date(2026, 12, 31)) == 7
    assert cal.working_days_in(date(2026, 12, 24), date(2026, 12, 27)) == 0
    assert cal.working_days_in(date(2026, 12, 31), date(2026, 12, 1)) == 0


def test_naive_datetimes_are_utc():
    cal = default_calendar()
    naive = datetime(2026, 12, 23, 3, 0)  # 10:00 WIB
    assert cal.add_working_days(naive, 3) == at("2026-12-30T16:00")


@pytest.mark.parametrize("zone", [WITA, WIT])
def test_hours_are_in_the_unit_time_zone(zone):
    cal = default_calendar(str(zone))
    due = cal.add_working_days(datetime(2026, 12, 23, 3, 0, tzinfo=UTC), 3)
    assert due == at("2026-12-30T16:00", zone)
    assert due.utcoffset() == zone.utcoffset(datetime(2026, 12, 30))


def test_fractional_working_days_add_a_share_of_the_next_day():
    cal = default_calendar()
    # 1.5 days from Tuesday: close of Wednesday is day 1, then half of Monday 28th (4 h 15).
    assert cal.due(at("2026-12-22T09:00"), 1.5, "working_days") == at("2026-12-28T11:45")


def test_bad_durations_are_refused():
    cal = default_calendar()
    with pytest.raises(ValueError):
        cal.due(at("2026-12-22T09:00"), -1, "working_days")
    with pytest.raises(ValueError):
        cal.due(at("2026-12-22T09:00"), 1, "fortnights")
    with pytest.raises(ValueError):
        WorkCalendar(hours=[("16:00", "07:30")] * 7)


def test_every_day_units_work_weekends_and_holidays():
    cal = WorkCalendar(every_day=True)
    assert cal.is_working_day(date(2026, 12, 25))
    assert cal.add_working_days(at("2026-12-23T10:00"), 3) == at("2026-12-26T16:00")


def test_overrides_win_over_the_national_calendar():
    cal = WorkCalendar(days_off=[date(2026, 12, 28)], days_on=[date(2026, 12, 24)])
    assert cal.is_working_day(date(2026, 12, 24))
    assert not cal.is_working_day(date(2026, 12, 28))
    assert cal.add_working_days(at("2026-12-23T10:00"), 3) == at("2026-12-30T16:00")
    assert cal.add_working_days(at("2026-12-23T10:00"), 1) == at("2026-12-24T16:00")


def test_unit_calendar_from_the_database_with_parent_overrides(app, org):
    from app.extensions import db
    from app.models import Unit, UnitCalendar, UnitCalendarDay

    with app.app_context():
        units = {u.code: u for u in db.session.scalars(db.select(Unit))}
        plain = work_calendar(units["SEKSI-APL"])
        assert plain.add_working_days(at("2026-12-23T10:00"), 3) == at("2026-12-30T16:00")
        # A local holiday of the Dinas applies below it; the Seksi works a make-up day.
        db.session.add(
            UnitCalendarDay(unit_id=units["DISKOMINFO"].id, day=date(2026, 12, 28), kind="off")
        )
        db.session.add(
            UnitCalendarDay(unit_id=units["SEKSI-APL"].id, day=date(2026, 12, 29), kind="off")
        )
        db.session.add(
            UnitCalendarDay(unit_id=units["DISKOMINFO"].id, day=date(2026, 12, 29), kind="work")
        )
        db.session.add(UnitCalendar(unit_id=units["BID-TIK"].id, hours=[["08:00", "15:00"]] * 7))
        db.session.commit()
        cal = work_calendar(units["SEKSI-APL"].id)
        assert not cal.is_working_day(date(2026, 12, 28))
        assert not cal.is_working_day(date(2026, 12, 29))  # the nearest unit wins
        assert cal.add_working_days(at("2026-12-23T10:00"), 1) == at("2026-12-30T15:00")
        dinas = work_calendar(units["DISKOMINFO"])
        assert dinas.is_working_day(date(2026, 12, 29))
        assert dinas.add_working_days(at("2026-12-23T10:00"), 1) == at("2026-12-29T16:00")
        # BID-IKP is in WITA and has no overrides of its own but inherits the Dinas day off.
        ikp = work_calendar(units["BID-IKP"])
        assert ikp.tz == WITA
        assert not ikp.is_working_day(date(2026, 12, 28))
