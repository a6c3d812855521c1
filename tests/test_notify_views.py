"""Notifications on the pages and the API (issue 24): following a card (button and API), the
comment box's @mention suggestions, the notification list grouped by day and card, and the
bell's live count (GET /notifications/stream, read as a browser would)."""

import re
import threading
from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import CardFollow, Notification, ReminderSent
from app.services import cards, follows, notifications, notify_events, tx
from tests.conftest import database_for, get_user
from tests.test_live_stream import Stream
from tests.test_notify_events import WED, at_local


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A SQLite file: the bell's stream is a thread with its own connection."""
    return database_for(request.param, f"sqlite:///{tmp_path}/bell.db")


@pytest.fixture
def card_id(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        return cards.create_card(kasi, org.board_id, {"title": "Surat undangan rapat"}).card.id


def following_row(app, org, who, card_id):
    with app.app_context():
        row = db.session.get(CardFollow, (org.users[who], card_id))
        return None if row is None else row.following


# --- following -----------------------------------------------------------------------------


def test_follow_button_without_js_and_with_htmx(app, org, auth, card_id):
    auth.login(org.nips["staff"])
    page = auth.client.get(f"/cards/{card_id}").get_data(as_text=True)
    form = re.search(r'<form class="inline-form follow-form".*?</form>', page, re.S).group(0)
    assert f'action="/cards/{card_id}/follow"' in form and 'aria-pressed="false"' in form
    # Without JavaScript: a plain form post, then back to the card.
    response = auth.client.post(f"/cards/{card_id}/follow")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/cards/{card_id}"
    )
    assert following_row(app, org, "staff", card_id) is True
    page = auth.client.get(f"/cards/{card_id}").get_data(as_text=True)
    assert f'action="/cards/{card_id}/unfollow"' in page and 'aria-pressed="true"' in page
    # With htmx: the form alone comes back, to swap in place.
    response = auth.client.post(f"/cards/{card_id}/unfollow", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith("<form") and "<html" not in html
    assert f'action="/cards/{card_id}/follow"' in html
    assert following_row(app, org, "staff", card_id) is False


def test_outsider_may_not_follow_nor_list_mentions(app, org, auth, card_id):
    auth.login(org.nips["outsider"])
    assert auth.client.post(f"/cards/{card_id}/follow").status_code == 404
    assert auth.client.get(f"/cards/{card_id}/mentions?q=a").status_code == 404
    assert following_row(app, org, "outsider", card_id) is None


def test_follow_api(app, org, api, card_id):
    answer = api("staff").post(f"/api/v1/cards/{card_id}/follow")
    assert answer.status_code == 200
    assert answer.get_json() == {"card_id": card_id, "following": True}
    answer = api("kasi").delete(f"/api/v1/cards/{card_id}/follow")
    assert answer.get_json() == {"card_id": card_id, "following": False}
    assert api("outsider").post(f"/api/v1/cards/{card_id}/follow").status_code == 404
    assert (
        api("staff").post("/api/v1/cards/999999/follow").get_json()["error"]["code"] == "not_found"
    )
    with app.app_context():
        assert follows.followers_of([card_id]) == {card_id: {org.users["staff"]}}


# --- mention suggestions -------------------------------------------------------------------


def test_mention_suggestions_by_name_word_or_login(app, org, auth, card_id):
    auth.login(org.nips["staff"])
    people = auth.client.get(f"/cards/{card_id}/mentions?q=sant").get_json()["people"]
    assert people == [{"login": org.nips["kabid"], "name": "Budi Santoso"}]
    people = auth.client.get(f"/cards/{card_id}/mentions?q=adm").get_json()["people"]
    assert people == [{"login": "admin", "name": "Administrator"}]
    people = auth.client.get(f"/cards/{card_id}/mentions?q=1990").get_json()["people"]
    assert [p["name"] for p in people] == ["Agus Pratama"]
    # The outsider (another unit) is never offered; at most 8; no 500 on odd input.
    everyone = auth.client.get(f"/cards/{card_id}/mentions").get_json()["people"]
    assert "Rina Kusuma" not in {p["name"] for p in everyone} and 1 <= len(everyone) <= 8
    odd = auth.client.get(f"/cards/{card_id}/mentions?q=%00%27%3B" + "x" * 500)
    assert odd.status_code == 200 and odd.get_json() == {"people": []}


def test_comment_box_offers_mentions(app, org, auth, card_id):
    auth.login(org.nips["staff"])
    page = auth.client.get(f"/cards/{card_id}").get_data(as_text=True)
    assert f'data-mentions="/cards/{card_id}/mentions"' in page


# --- the grouped list ----------------------------------------------------------------------


def test_list_groups_by_day_then_card(app, org, auth, card_id):
    with app.app_context():
        staff = get_user("staff", org)
        other = cards.create_card(get_user("kasi", org), org.board_id, {"title": "Nota dinas"})
        made = [
            notifications.notify(staff, "Alfa satu", card=db.session.get(cards.Card, card_id)),
            notifications.notify(staff, "Beta satu", card=other.card),
            notifications.notify(staff, "Alfa dua", card=db.session.get(cards.Card, card_id)),
            notifications.notify(staff, "Tanpa kartu"),
            notifications.notify(staff, "Kemarin alfa", card=db.session.get(cards.Card, card_id)),
        ]
        ids = [n.id for n in made]
        times = [
            datetime(2026, 2, 4, 2),
            datetime(2026, 2, 4, 3),
            datetime(2026, 2, 4, 4),
            datetime(2026, 2, 4, 5),
            datetime(2026, 2, 3, 9),
        ]
        with tx.write_transaction():
            for notification_id, at in zip(ids, times, strict=True):
                db.session.get(Notification, notification_id).created_at = at
    auth.login(org.nips["staff"])
    html = auth.client.get("/notifications").get_data(as_text=True)
    days = re.findall(r'<section class="notification-day".*?</section>', html, re.S)
    assert len(days) == 2
    first_day = days[0]
    # Newest first; the card A's two notifications of the day together under its title.
    assert (
        first_day.index("Tanpa kartu") < first_day.index("Alfa dua") < first_day.index("Alfa satu")
    )
    assert first_day.index("Alfa satu") < first_day.index("Beta satu")
    group = re.search(
        rf'<div class="notification-group" data-card-id="{card_id}">.*?</div>', first_day, re.S
    ).group(0)
    assert "Surat undangan rapat" in group and "Alfa satu" in group and "Alfa dua" in group
    assert "Beta satu" not in group
    assert "Kemarin alfa" in days[1] and "Kemarin alfa" not in first_day
    # Mark read per item still works from the grouped list.
    assert f"/notifications/{ids[0]}/read" in group


@pytest.mark.pg
def test_two_ticks_at_once_send_each_reminder_once(app, org):
    """Two ticks (threads, as two hosts) at the same moment: each reminder once."""
    for _ in range(5):
        with app.app_context():
            cards.create_card(
                get_user("kasi", org),
                org.board_id,
                {"title": "Laporan", "assignee": org.nips["staff"], "due_date": "2026-05-13"},
            )
    results, errors = [], []
    barrier = threading.Barrier(2)

    def run():
        with app.app_context():
            barrier.wait()
            try:
                results.append(notify_events.run_reminders(at_local(WED, 8)).sent)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and len(results) == 2
    assert sum(results) == 5
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 5
        kinds = db.session.scalars(select(Notification.kind)).all()
        assert kinds.count("deadline_today") == 5


# --- the bell, live ------------------------------------------------------------------------


class BellStream(Stream):
    """A page's bell stream (Stream reads a board's; only the URL differs)."""

    def __init__(self, app, login):
        super().__init__(app, login, 0)

    def _read(self):
        self.url = "/notifications/stream"
        super()._read()


@pytest.fixture
def bell(app):
    """open(login) -> BellStream; every stream is closed after the test."""
    app.config.update(LIVE_KEEPALIVE_SECONDS=0.05)
    opened = []

    def open_(login):
        stream = BellStream(app, login)
        opened.append(stream)
        return stream

    yield open_
    for stream in opened:
        stream.close()


def next_unread(stream) -> str:
    while True:
        event = stream.next()
        assert event is not None, "the stream ended"
        if event["event"] == "unread":
            return event["data"]


@pytest.mark.pg
def test_bell_stream_counts_live_after_commit(app, org, card_id, bell):
    stream = bell(org.nips["staff"])
    assert stream.response.status_code == 200
    assert stream.response.mimetype == "text/event-stream"
    assert next_unread(stream) == "0"
    with app.app_context():
        cards.add_comment(get_user("kasi", org), card_id, f"Mohon dicek @{org.nips['staff']}")
    assert next_unread(stream) == "1"
    with app.app_context():
        staff = get_user("staff", org)
        notifications.notify(staff, "Kabar lain")
        assert notifications.unread_count(staff) == 2
    assert next_unread(stream) == "2"


def unread_reaches(stream, value: str, most: int = 5) -> bool:
    """Whether the stream's count becomes `value` within `most` counts."""
    return any(next_unread(stream) == value for _ in range(most))


def test_reading_on_one_page_lowers_the_count_on_the_others(app, org, card_id, bell):
    stream = bell(org.nips["staff"])
    assert next_unread(stream) == "0"
    with app.app_context():
        staff = get_user("staff", org)
        first = notifications.notify(staff, "Satu").id
        notifications.notify(staff, "Dua")
    # One count per notification (each its own transaction here): "1" may come first.
    assert unread_reaches(stream, "2")
    with app.app_context():
        notifications.mark_read(get_user("staff", org), first)
    assert next_unread(stream) == "1"
    with app.app_context():
        assert notifications.mark_all_read(get_user("staff", org)) == 1
    assert next_unread(stream) == "0"


@pytest.mark.pg
def test_the_bell_rings_after_commit_once_per_transaction_and_never_on_rollback(app, org, card_id):
    from app.services import bell as bell_service

    hub = bell_service.hub(app)
    staff = org.users["staff"]
    with hub.subscribe(staff) as subscription, app.app_context():
        with pytest.raises(RuntimeError), tx.write_transaction():
            cards.add_comment(get_user("kasi", org), card_id, f"@{org.nips['staff']} tidak jadi")
            raise RuntimeError
        assert subscription.get(timeout=0.3) is None
        with tx.write_transaction():
            notifications.notify(get_user("staff", org), "Satu")
            notifications.notify(get_user("staff", org), "Dua")
            # Not before the commit.
            assert subscription.get(timeout=0.1) is None
        assert subscription.get(timeout=2) == {"bell": staff}
        assert subscription.get(timeout=0.3) is None


def test_bell_stream_needs_login_and_ends_on_logout(app, org, client, bell):
    response = client.get("/notifications/stream")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    app.config.update(LIVE_RECHECK_SECONDS=0.1)
    stream = bell(org.nips["staff"])
    assert next_unread(stream) == "0"
    stream.client.post("/logout")
    for _ in range(50):
        event = stream.next()
        if event is None or event["event"] == "closed":
            break
    assert event is not None and event["event"] == "closed"


def test_bell_in_the_header_points_at_its_stream(app, org, auth):
    auth.login(org.nips["staff"])
    html = auth.client.get("/").get_data(as_text=True)
    assert 'data-stream="/notifications/stream"' in html


def test_notification_rows_are_the_persons_own(app, org):
    """The bell counts only the person's own notifications (a second person's unaffected)."""
    with app.app_context():
        notifications.notify(get_user("staff2", org), "Untuk Dewi")
        assert notifications.unread_count(get_user("staff", org)) == 0
        rows = db.session.scalars(select(Notification.user_id)).all()
        assert rows == [org.users["staff2"]]


@pytest.mark.pg
def test_the_bell_rings_across_processes_through_redis(app):
    """With Redis, a notification written in one process reaches the bell hub of another."""
    import uuid

    from app.broker import RedisBroker
    from app.services import bell as bell_service
    from tests.test_live_cluster import REDIS_SKIP, redis_url

    url = redis_url()
    if not url:
        pytest.skip(REDIS_SKIP)
    prefix = f"cergas-test-{uuid.uuid4().hex[:8]}"
    writer, reader = RedisBroker(url, prefix=prefix), RedisBroker(url, prefix=prefix)
    kept = app.extensions["cergas_broker"]
    try:
        app.extensions["cergas_broker"] = reader
        hub = bell_service.hub(app)
        with hub.subscribe(7) as subscription, hub.subscribe(8) as other:
            reader._start_listener()
            app.extensions["cergas_broker"] = writer
            with app.app_context():
                bell_service.publish({7})
            assert subscription.get(timeout=5) == {"bell": 7}
            assert other.get(timeout=0.3) is None
    finally:
        app.extensions["cergas_broker"] = kept
        writer.close()
        reader.close()
