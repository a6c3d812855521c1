"""The one clock (app/clock.py): the services and the built-in plugins take "now" from it, so a
use case run inside `clock.at(moment)` is dated at that moment everywhere (the demo's history
relies on it); outside it the clock is the real time."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

import cergas.plugin
from app import clock
from app.extensions import db
from app.models import Card, DeadlineChange, Event, User
from app.services import cards, work

MOMENT = datetime(2026, 3, 2, 2, 15, tzinfo=UTC)  # Monday 09:15 WIB


def test_the_clock_is_the_real_time_unless_moved():
    before = datetime.now(UTC)
    assert before <= clock.now() <= datetime.now(UTC)
    assert clock.utcnow().tzinfo is None


def test_a_moved_clock_stands_at_its_moment_and_comes_back_after_the_block():
    with clock.at(MOMENT):
        assert clock.now() == MOMENT
        assert clock.utcnow() == MOMENT.replace(tzinfo=None)
        assert clock.today("Asia/Jakarta") == date(2026, 3, 2)
        assert clock.today("Asia/Jayapura") == date(2026, 3, 2)
        with clock.at(MOMENT - timedelta(days=1)):  # naive UTC is taken as UTC
            assert clock.now() == MOMENT - timedelta(days=1)
        assert clock.now() == MOMENT
        assert cergas.plugin.now() == MOMENT  # plugins read the same clock
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(minutes=1)


def test_the_day_is_the_units_day_not_utcs():
    late_evening_utc = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)
    with clock.at(late_evening_utc):
        assert clock.today("Asia/Jakarta") == date(2026, 3, 3)  # 03:00 WIB the next day
        assert work.today_in("Asia/Jakarta") == date(2026, 3, 3)


def test_card_use_cases_run_at_a_moved_clock_are_dated_then(app, org):
    with app.app_context():
        staff = db.session.get(User, org.users["staff"])
        with clock.at(MOMENT):
            card = cards.create_card(
                staff, org.board_id, {"title": "Surat balasan", "due_date": "2026-03-06"}
            ).card
            card_id = card.id
        with clock.at(MOMENT + timedelta(hours=2)):
            cards.move_card(staff, card_id, org.doing)
        with clock.at(MOMENT + timedelta(days=1)):
            card = db.session.get(Card, card_id)
            cards.update_card(
                staff,
                card_id,
                {"due_date": "2026-03-10"},
                version=card.version,
                deadline_reason="Menunggu data dari bidang lain.",
            )
        with clock.at(MOMENT + timedelta(days=2)):
            cards.move_card(staff, card_id, org.done)
        card = db.session.get(Card, card_id)
        naive = MOMENT.replace(tzinfo=None)
        assert card.created_at == naive
        assert card.first_active_at == naive + timedelta(hours=2)
        assert card.done_at == naive + timedelta(days=2)
        change = db.session.scalar(select(DeadlineChange).where(DeadlineChange.card_id == card_id))
        assert change.at == naive + timedelta(days=1)
        events = db.session.execute(
            select(Event.kind, Event.at).where(Event.card_id == card_id).order_by(Event.id)
        ).all()
        assert [(kind, at - naive) for kind, at in events] == [
            ("created", timedelta(0)),
            ("moved", timedelta(hours=2)),
            ("deadline_changed", timedelta(days=1)),
            ("moved", timedelta(days=2)),
        ]
