"""Notification preferences (issue 24): which events through which channels, quiet hours (a
night and the unit's days off), instant or a daily digest, and the heads' morning unit digest;
the /account/notifications page and GET/PUT /api/v1/me/notification-preferences."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update

import plugins.email as email_plugin
from app.extensions import db
from app.models import Card, Delivery, Notification
from app.services import accounts, digests, notifications, outbox, tx
from app.services import notification_preferences as prefs
from app.services.errors import Invalid
from tests.conftest import build_org, get_user, make_app

SMTP = "smtp://127.0.0.1:9"  # never contacted: these tests only queue


@pytest.fixture
def app(database_url):
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"email": email_plugin}, SMTP_URL=SMTP)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def org(app):
    ids = build_org(app)
    with app.app_context(), tx.write_transaction():
        for key in ("staff", "kasi", "kabid"):
            get_user(key, ids).email = f"{key}@kominfo.example.go.id"
    return ids


def queued(user_id) -> list[Delivery]:
    return list(
        db.session.scalars(
            select(Delivery).where(Delivery.user_id == user_id).order_by(Delivery.id)
        )
    )


def notify_at(user, kind, moment: datetime, title="Kabar"):
    """notify() as it would run at `moment` (aware)."""
    with tx.write_transaction():
        notification = Notification(user_id=user.id, title=title, body="", kind=kind)
        db.session.add(notification)
        db.session.flush()
        notifications.queue_deliveries(user, notification, now=moment)
    return notification


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text + "+07:00")


# --- defaults and events ---------------------------------------------------------------------


def test_by_default_every_event_goes_by_email_to_a_person_with_an_address(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        notifications.notify(staff, "Ditugaskan", kind="card_assigned")
        notifications.notify(get_user("staff2", org), "Tanpa alamat", kind="card_assigned")
        (delivery,) = db.session.scalars(select(Delivery))
        assert (delivery.channel, delivery.user_id, delivery.state) == (
            "email",
            staff.id,
            "pending",
        )
        assert prefs.preferences_of(staff).to_dict(["email"])["events"]["mentioned"] == ["email"]


def test_an_event_turned_off_queues_nothing_but_stays_in_app(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        prefs.save(staff, {"events": {"card_commented": []}})
        notifications.notify(staff, "Komentar", kind="card_commented")
        notifications.notify(staff, "Ditugaskan", kind="card_assigned")
        assert [d.notification.title for d in queued(staff.id)] == ["Ditugaskan"]
        assert notifications.unread_count(staff) == 2


def test_plugin_kinds_follow_the_plugin_event_and_paraf_kinds_map_to_paraf_returned(app, org):
    assert prefs.event_of("approvals_returned") == "paraf_returned"
    assert prefs.event_of("approvals_rejected") == "paraf_returned"
    assert prefs.event_of("sla_breach") == "plugin"
    assert prefs.event_of("info") == "plugin"
    with app.app_context():
        staff = get_user("staff", org)
        prefs.save(staff, {"events": {"plugin": [], "paraf_returned": ["email"]}})
        notifications.notify(staff, "SLA", kind="sla_breach", plugin="sla")
        notifications.notify(staff, "Dikembalikan", kind="approvals_returned")
        assert [d.notification.title for d in queued(staff.id)] == ["Dikembalikan"]


def test_email_off_when_the_plugin_is_not_loaded(database_url):
    app = make_app(database_url, SMTP_URL=SMTP)
    try:
        with app.app_context():
            user = accounts.create_user("Agus", "rahasia123", username="agus", email="a@x.id")
            assert prefs.usable_channels(user) == []
            notifications.notify(user, "Kabar", kind="card_assigned")
            assert queued(user.id) == []
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_validation_names_each_bad_field(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        with pytest.raises(Invalid) as refused:
            prefs.save(
                staff,
                {
                    "events": {"nope": [], "mentioned": ["pigeon"], "card_done": "email"},
                    "quiet": {"start": "25:00", "holidays": "ya"},
                    "digest": "weekly",
                    "digest_hour": 24,
                    "unit_digest": True,
                    "colour": "red",
                },
            )
        fields = refused.value.fields
        assert set(fields) == {
            "events.nope",
            "events.mentioned",
            "events.card_done",
            "quiet.start",
            "quiet.holidays",
            "digest",
            "digest_hour",
            "unit_digest",
            "colour",
        }
        assert prefs.preferences_of(staff).updated_at is None  # nothing stored


def test_a_channel_that_cannot_reach_the_person_is_refused(app, org):
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            prefs.save(get_user("staff2", org), {"events": {"mentioned": ["email"]}})
        assert "events.mentioned" in refused.value.fields


# --- quiet hours -----------------------------------------------------------------------------


def test_at_night_the_delivery_waits_for_the_end_of_quiet_hours(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        prefs.save(staff, {"quiet": {"enabled": True, "holidays": False}})
        notify_at(staff, "card_assigned", wib("2026-12-08T22:30"))  # a Tuesday
        notify_at(staff, "card_assigned", wib("2026-12-09T05:59"))
        notify_at(staff, "card_assigned", wib("2026-12-09T10:00"))
        waits = [d.next_attempt_at for d in queued(staff.id)]
        morning = datetime(2026, 12, 8, 23, 0)  # 06:00 WIB as naive UTC
        assert waits[0] == morning
        assert waits[1] == morning
        assert waits[2] < datetime(2026, 12, 9, 3, 1)  # at once (10:00 WIB is 03:00 UTC)


def test_quiet_hours_are_in_the_units_own_time_zone(app, org):
    with app.app_context():
        outsider = get_user("outsider", org)  # Bidang IKP: WITA
        outsider.email = "rina@x.id"
        db.session.commit()
        prefs.save(outsider, {"quiet": {"enabled": True, "start": "22:00", "end": "07:00"}})
        notify_at(outsider, "card_assigned", wib("2026-12-08T21:30"))  # 22:30 WITA
        (delivery,) = queued(outsider.id)
        assert delivery.next_attempt_at == datetime(2026, 12, 8, 23, 0)  # 07:00 WITA


def test_on_a_holiday_the_delivery_waits_for_the_next_working_morning(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        prefs.save(staff, {"quiet": {"enabled": True, "holidays": True}})
        # 25 December 2026 (Christmas) is a Friday; then a weekend: Monday 28th, 06:00 WIB.
        notify_at(staff, "card_assigned", wib("2026-12-25T10:00"))
        (delivery,) = queued(staff.id)
        assert delivery.next_attempt_at == datetime(2026, 12, 27, 23, 0)


def test_holidays_not_chosen_leave_a_holiday_afternoon_alone(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        prefs.save(staff, {"quiet": {"enabled": True, "holidays": False}})
        moment = wib("2026-12-25T10:00")
        notify_at(staff, "card_assigned", moment)
        (delivery,) = queued(staff.id)
        assert delivery.next_attempt_at <= datetime.now(UTC).replace(tzinfo=None)


# --- daily digest ----------------------------------------------------------------------------


def test_daily_digest_holds_deliveries_and_sends_one_message_at_the_digest_hour(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        prefs.save(staff, {"digest": "daily", "digest_hour": 8})
        for title in ("Satu", "Dua", "Tiga"):
            notifications.notify(staff, title, kind="card_assigned")
        assert {d.state for d in queued(staff.id)} == {"held"}
        assert outbox.run_due() == 0  # held rows are not sent one by one
        now = datetime.now(UTC).astimezone(prefs.ZoneInfo("Asia/Jakarta"))
        tomorrow_8 = datetime.combine(now.date() + timedelta(days=1), datetime.min.time())
        tomorrow_8 = tomorrow_8.replace(hour=8, minute=1, tzinfo=now.tzinfo)
        assert digests.run_due(tomorrow_8 - timedelta(hours=2), throttle=False) == 0
        assert digests.run_due(tomorrow_8, throttle=False) == 1
        assert digests.run_due(tomorrow_8 + timedelta(minutes=5), throttle=False) == 0
        rows = queued(staff.id)
        assert [d.state for d in rows[:3]] == ["sent", "sent", "sent"]
        digest = rows[3]
        assert (digest.channel, digest.state, digest.notification_id) == ("email", "pending", None)
        assert digest.payload["count"] == 3
        assert "Satu" in digest.payload["text"] and "Tiga" in digest.payload["text"]
        assert outbox.message_text(digest)[0] == digest.payload["subject"]


# --- unit digest ------------------------------------------------------------------------------


def test_only_heads_may_ask_for_the_unit_digest(app, org):
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            prefs.save(get_user("staff", org), {"unit_digest": True})
        assert "unit_digest" in refused.value.fields
        prefs.save(get_user("kasi", org), {"unit_digest": True})


def test_unit_digest_lists_overdue_at_risk_and_over_wip_once_per_working_day(app, org):
    from app.services import cards

    with app.app_context():
        kasi = get_user("kasi", org)
        prefs.save(kasi, {"unit_digest": True, "digest_hour": 7})
        monday = date(2026, 12, 7)
        made = []
        for title, due, column in (
            ("Terlambat", monday - timedelta(days=3), org.doing),
            ("Hampir", monday + timedelta(days=1), org.backlog),
            ("Masih lama", monday + timedelta(days=20), org.backlog),
        ):
            made.append(cards.create_card(kasi, org.board_id, {"title": title}).card.id)
            db.session.execute(
                update(Card).where(Card.id == made[-1]).values(due_date=due, column_id=column)
            )
        db.session.commit()
        # "Dikerjakan" allows 3; put 4 there.
        for i in range(3):
            card_id = cards.create_card(kasi, org.board_id, {"title": f"Isi {i}"}).card.id
            db.session.execute(update(Card).where(Card.id == card_id).values(column_id=org.doing))
        db.session.commit()
        assert digests.run_due(wib("2026-12-07T06:30"), throttle=False) == 0  # before 07:00
        assert digests.run_due(wib("2026-12-07T07:05"), throttle=False) == 1
        assert digests.run_due(wib("2026-12-07T09:00"), throttle=False) == 0  # once a day
        (digest,) = db.session.scalars(
            select(Notification).where(Notification.kind == "unit_digest")
        )
        assert digest.user_id == kasi.id
        assert "Terlambat" in digest.body and "Hampir" in digest.body
        assert "Masih lama" not in digest.body
        assert "Dikerjakan (4/3)" in digest.body
        assert [d.channel for d in queued(kasi.id) if d.notification_id == digest.id] == ["email"]
        # Christmas is no working day: no digest.
        assert digests.run_due(wib("2026-12-25T07:05"), throttle=False) == 0


# --- the page and the API ---------------------------------------------------------------------


def test_page_shows_the_table_and_saves_without_js(app, org):
    client = app.test_client()
    client.post("/login", data={"username": org.nips["staff"], "password": "rahasia123"})
    client.post("/language", data={"locale": "en"})
    page = client.get("/account/notifications")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="card_assigned:email"' in html and "checked" in html
    assert 'name="unit_digest"' not in html  # not a head
    form = {
        "card_assigned:email": "on",
        "quiet_enabled": "on",
        "quiet_start": "22:00",
        "quiet_end": "05:30",
        "digest": "daily",
        "digest_hour": "6",
    }
    answer = client.post("/account/notifications", data=form)
    assert answer.status_code == 303
    with app.app_context():
        saved = prefs.preferences_of(get_user("staff", org))
        assert saved.events["card_assigned"] == ["email"]
        assert saved.events["mentioned"] == []
        assert saved.quiet == {"enabled": True, "start": "22:00", "end": "05:30", "holidays": False}
        assert (saved.digest, saved.digest_hour) == ("daily", 6)
    bad = client.post("/account/notifications", data={**form, "quiet_start": "besok"})
    assert bad.status_code == 422
    assert 'id="quiet-start-error"' in bad.get_data(as_text=True)


def test_api_reads_and_changes_the_callers_own_preferences(app, org):
    with app.app_context():
        token = accounts.create_token(get_user("kasi", org))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    got = client.get("/api/v1/me/notification-preferences", headers=headers).get_json()
    assert got["channels"] == ["email"]
    assert got["events"]["card_assigned"] == ["email"]
    assert got["quiet"]["enabled"] is False and got["digest"] == "instant"
    body = {"events": {"mentioned": []}, "unit_digest": True, "quiet": {"enabled": True}}
    put = client.put("/api/v1/me/notification-preferences", json=body, headers=headers)
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["events"]["mentioned"] == []
    assert put.get_json()["unit_digest"] is True
    assert put.get_json()["updated_at"]
    bad = client.put(
        "/api/v1/me/notification-preferences", json={"digest_hour": 30}, headers=headers
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) == {"digest_hour"}
    wrong_type = client.put(
        "/api/v1/me/notification-preferences", json={"digest": 1}, headers=headers
    )
    assert wrong_type.status_code == 422


def test_without_a_channel_the_page_says_why_in_words_one_can_act_on(database_url):
    """Email on but no address: add one; nothing set up by the office: say so."""
    for extra, person_has_email, expected in (
        (
            {"CERGAS_PLUGIN_OBJECTS": {"email": email_plugin}, "SMTP_URL": SMTP},
            False,
            "add your email",
        ),
        ({}, True, "has not set up email or chat"),
    ):
        app = make_app(database_url, **extra)
        org = build_org(app)
        with app.app_context():
            staff = get_user("staff", org)
            staff.email = "agus@example.go.id" if person_has_email else None
            db.session.commit()
        client = app.test_client()
        client.post("/login", data={"username": org.nips["staff"], "password": "rahasia123"})
        client.post("/language", data={"locale": "en"})
        html = client.get("/account/notifications").get_data(as_text=True)
        assert 'id="no-channels"' in html and expected in html
        assert "/account/channels" in html
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
