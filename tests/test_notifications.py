"""Notifications: the service (list, unread count, mark as read), the bell in the header, the
/notifications page and its forms, and the JSON API. On SQLite and PostgreSQL."""

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.models import Card, Delivery, Notification
from app.services import cards, notifications, outbox, tx
from app.services.errors import Invalid, NotFound
from cergas.plugin import hookimpl
from tests.conftest import get_user, make_app
from tests.query_counter import count_queries

API_KEYS = {"id", "kind", "plugin", "title", "body", "link", "card_id", "created_at", "read_at"}


def send(app, org, who, title, **kwargs) -> int:
    with app.app_context():
        return notifications.notify(get_user(who, org), title, **kwargs).id


def stored(app, notification_id) -> Notification:
    with app.app_context():
        notification = db.session.get(Notification, notification_id)
        db.session.expunge(notification)
        return notification


def set_created_at(app, ids_and_times: dict[int, datetime]) -> None:
    with app.app_context(), tx.write_transaction():
        for notification_id, created_at in ids_and_times.items():
            db.session.get(Notification, notification_id).created_at = created_at


def unread_of(app, org, who) -> int:
    with app.app_context():
        return notifications.unread_count(get_user(who, org))


def bell(html: str) -> str:
    found = re.search(r'<a class="notification-bell"[^>]*>.*?</a>', html, re.S)
    assert found, "no bell in the page"
    return found.group(0)


def english(client) -> None:
    client.post("/language", data={"locale": "en"})


# --- the service -----------------------------------------------------------------------------


@pytest.mark.pg
def test_list_is_the_persons_own_newest_first(app, org):
    first = send(app, org, "staff", "Pertama")
    second = send(app, org, "staff", "Kedua", body="Isi", link="/boards/1", kind="sla")
    send(app, org, "staff2", "Untuk orang lain")
    set_created_at(app, {first: datetime(2026, 2, 1, 1), second: datetime(2026, 2, 2, 1)})
    with app.app_context():
        listed = notifications.list_notifications(get_user("staff", org))
        assert [n.id for n in listed] == [second, first]
        assert (listed[0].title, listed[0].body, listed[0].link, listed[0].kind) == (
            "Kedua",
            "Isi",
            "/boards/1",
            "sla",
        )


def test_list_can_show_unread_only_and_be_limited(app, org):
    ids = [send(app, org, "staff", f"Kabar {i}") for i in range(4)]
    with app.app_context():
        staff = get_user("staff", org)
        notifications.mark_read(staff, ids[0])
        unread = notifications.list_notifications(staff, unread_only=True)
        assert sorted(n.id for n in unread) == ids[1:]
        assert len(notifications.list_notifications(staff, limit=2)) == 2
        assert len(notifications.list_notifications(staff)) == 4


@pytest.mark.parametrize("limit", [0, -1, 201, "5", True, None])
def test_list_refuses_a_limit_out_of_range(app, org, limit):
    with app.app_context(), pytest.raises(Invalid) as refused:
        notifications.list_notifications(get_user("staff", org), limit=limit)
    assert set(refused.value.fields) == {"limit"}


def test_unread_count_counts_only_the_persons_unread(app, org):
    ids = [send(app, org, "staff", f"Kabar {i}") for i in range(3)]
    send(app, org, "kasi", "Untuk Kasi")
    assert unread_of(app, org, "staff") == 3
    with app.app_context():
        notifications.mark_read(get_user("staff", org), ids[1])
    assert unread_of(app, org, "staff") == 2
    assert unread_of(app, org, "kasi") == 1
    assert unread_of(app, org, "outsider") == 0


@pytest.mark.pg
def test_mark_read_stamps_the_time_once(app, org):
    notification_id = send(app, org, "staff", "Kabar")
    with app.app_context():
        marked = notifications.mark_read(get_user("staff", org), notification_id)
        first = marked.read_at
        assert first is not None
    earlier = first - timedelta(hours=1)
    with app.app_context(), tx.write_transaction():
        db.session.get(Notification, notification_id).read_at = earlier
    with app.app_context():
        again = notifications.mark_read(get_user("staff", org), notification_id)
        assert again.read_at == earlier


@pytest.mark.pg
@pytest.mark.parametrize("whose", ["someone else", "unknown", "zero", "huge", "text", "bool"])
def test_mark_read_of_anything_but_ones_own_is_not_found(app, org, whose):
    others = send(app, org, "staff2", "Untuk Dewi")
    notification_id = {
        "someone else": others,
        "unknown": others + 1000,
        "zero": 0,
        "huge": 2**63,
        "text": str(others),
        "bool": True,
    }[whose]
    with app.app_context(), pytest.raises(NotFound) as refused:
        notifications.mark_read(get_user("staff", org), notification_id)
    assert refused.value.code == "not_found"
    assert stored(app, others).read_at is None


@pytest.mark.pg
def test_mark_all_read_marks_only_the_persons_unread(app, org):
    ids = [send(app, org, "staff", f"Kabar {i}") for i in range(3)]
    others = send(app, org, "staff2", "Untuk Dewi")
    with app.app_context():
        staff = get_user("staff", org)
        notifications.mark_read(staff, ids[0])
    read_before = stored(app, ids[0]).read_at
    with app.app_context():
        assert notifications.mark_all_read(get_user("staff", org)) == 2
        assert notifications.mark_all_read(get_user("staff", org)) == 0
    assert all(stored(app, i).read_at is not None for i in ids)
    assert stored(app, ids[0]).read_at == read_before
    assert stored(app, others).read_at is None


@pytest.mark.pg
def test_a_notification_sent_in_a_failed_use_case_is_neither_stored_nor_queued(database_url):
    delivered = []

    class Channel:
        def deliver(self, notification):
            delivered.append(notification.title)

    class Plugin:
        @hookimpl
        def cergas_notification_channels(self):
            return [Channel()]

    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"saluran": Plugin()})
    try:
        with app.app_context():
            from app.services import accounts

            user = accounts.create_user("Agus", "rahasia123", username="agus")
            with pytest.raises(RuntimeError), tx.write_transaction():
                notifications.notify(user, "Gagal")
                raise RuntimeError("the use case fails")
            assert outbox.run_due() == 0
            assert delivered == []
            assert notifications.unread_count(user) == 0
            notifications.notify(user, "Berhasil")
            assert delivered == []  # nothing is sent in the request
            assert outbox.run_due() == 1
            assert delivered == ["Berhasil"]
            assert db.session.scalar(select(Delivery.state)) == "sent"
            assert notifications.unread_count(user) == 1
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- the bell --------------------------------------------------------------------------------


def test_bell_shows_the_unread_count_to_eyes_and_screen_readers(app, client, auth, org):
    for i in range(3):
        send(app, org, "staff", f"Kabar {i}")
    send(app, org, "kasi", "Untuk Kasi")
    auth.login(org.nips["staff"])
    english(client)
    html = bell(client.get("/").get_data(as_text=True))
    assert 'href="/notifications"' in html
    assert 'data-unread="3"' in html
    assert re.search(r'<span class="badge[^"]*" aria-hidden="true">3</span>', html)
    assert '<span class="sr-only">3 unread notifications</span>' in html


def test_bell_without_unread_shows_no_number(app, client, auth, org):
    notification_id = send(app, org, "staff", "Kabar")
    with app.app_context():
        notifications.mark_read(get_user("staff", org), notification_id)
    auth.login(org.nips["staff"])
    english(client)
    html = bell(client.get("/").get_data(as_text=True))
    assert 'data-unread="0"' in html
    assert "badge" not in html
    assert "Notifications, none unread" in html


def test_one_unread_is_singular(app, client, auth, org):
    send(app, org, "staff", "Kabar")
    auth.login(org.nips["staff"])
    english(client)
    assert "1 unread notification<" in bell(client.get("/").get_data(as_text=True))


def test_a_failing_count_never_breaks_the_page(app, client, auth, org, monkeypatch):
    auth.login(org.nips["staff"])

    def broken(user):
        raise OperationalError("SELECT count", {}, Exception("database gone"))

    monkeypatch.setattr(notifications, "unread_count", broken)
    response = client.get("/")
    assert response.status_code == 200
    html = bell(response.get_data(as_text=True))
    assert 'data-unread="0"' in html and "badge" not in html


def test_no_bell_for_anonymous_visitors(client, org):
    assert "notification-bell" not in client.get("/login").get_data(as_text=True)


@pytest.mark.pg
def test_bell_costs_one_query_whatever_the_number_of_notifications(app, client, auth, org):
    # Both views render the columns (no board page cache), so only the bell can differ.
    app.config["BOARD_CACHE_SECONDS"] = 0
    auth.login(org.nips["staff"])
    with count_queries(app) as none:
        assert client.get(f"/boards/{org.board_id}").status_code == 200
    for i in range(30):
        send(app, org, "staff", f"Kabar {i}")
    with count_queries(app) as many:
        assert client.get(f"/boards/{org.board_id}").status_code == 200
    assert len(none) == len(many)
    assert len([s for s in many if "notifications" in s]) == 1


def test_board_fragments_do_not_count_notifications(app, client, auth, org):
    """An htmx request renders a fragment without the header, so no bell query."""
    with app.app_context():
        card_id = cards.create_card(
            get_user("staff", org), org.board_id, {"title": "Kartu", "due_date": "2026-12-01"}
        ).card.id
    auth.login(org.nips["staff"])
    with count_queries(app) as statements:
        response = client.post(
            f"/cards/{card_id}/move",
            data={"column_id": org.doing, "position": "0"},
            headers={"HX-Request": "true", "HX-Target": "alerts"},
        )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "notification-bell" not in response.get_data(as_text=True)
    assert not [s for s in statements if "FROM notifications" in s]


# --- the page --------------------------------------------------------------------------------


@pytest.mark.pg
def test_page_lists_newest_first_with_title_body_link_and_local_time(app, client, auth, org):
    older = send(app, org, "outsider", "Surat masuk", body="Dari Bappeda", link="/boards/7")
    newer = send(app, org, "outsider", "Tenggat besok", body="Kartu A", kind="sla", plugin="sla")
    send(app, org, "staff", "Bukan untuk Rina")
    # The outsider's unit (Bidang IKP) is in WITA: 06:05 UTC is 14:05 WITA.
    set_created_at(app, {older: datetime(2026, 2, 3, 6, 5), newer: datetime(2026, 2, 4, 1, 0)})
    with app.app_context():
        notifications.mark_read(get_user("outsider", org), older)
    auth.login(org.nips["outsider"])
    html = client.get("/notifications").get_data(as_text=True)
    assert "Bukan untuk Rina" not in html
    assert html.index("Tenggat besok") < html.index("Surat masuk")
    newer_item = re.search(
        rf'<li class="notification is-unread" id="notification-{newer}".*?</li>', html, re.S
    )
    older_item = re.search(
        rf'<li class="notification is-read" id="notification-{older}".*?</li>', html, re.S
    )
    assert newer_item and older_item
    assert "Kartu A" in newer_item.group(0) and "sla" in newer_item.group(0)
    assert 'datetime="2026-02-04T01:00:00Z"' in newer_item.group(0)
    assert "Dari Bappeda" in older_item.group(0)
    assert '<a href="/boards/7">Surat masuk</a>' in older_item.group(0)
    assert "14:05 WITA" in older_item.group(0)
    assert "2026" in older_item.group(0)
    # Only unread ones carry a mark-as-read form.
    assert f"/notifications/{newer}/read" in newer_item.group(0)
    assert f"/notifications/{older}/read" not in older_item.group(0)


@pytest.mark.pg
def test_page_shows_time_in_wib_for_a_unit_in_jakarta(app, client, auth, org):
    notification_id = send(app, org, "staff", "Kabar")
    set_created_at(app, {notification_id: datetime(2026, 2, 3, 6, 5)})
    auth.login(org.nips["staff"])
    assert "13:05 WIB" in client.get("/notifications").get_data(as_text=True)


def test_page_never_links_to_a_script_and_falls_back_to_the_card(app, client, auth, org):
    with app.app_context():
        card = cards.create_card(get_user("staff", org), org.board_id, {"title": "Kartu"}).card
        card_id = card.id
    send(app, org, "staff", "Jahat", link="javascript:alert(1)")
    with app.app_context():
        notifications.notify(
            get_user("staff", org), "Kartu berubah", card=db.session.get(Card, card_id)
        )
    auth.login(org.nips["staff"])
    html = client.get("/notifications").get_data(as_text=True)
    assert "javascript:" not in html
    assert f'<a href="/cards/{card_id}">Kartu berubah</a>' in html


def test_page_keeps_line_breaks_of_the_body_and_escapes_it(app, client, auth, org):
    send(app, org, "staff", "Kabar", body="Baris satu\n<b>baris</b> dua")
    auth.login(org.nips["staff"])
    html = client.get("/notifications").get_data(as_text=True)
    assert "Baris satu<br>&lt;b&gt;baris&lt;/b&gt; dua" in html


def test_page_can_show_unread_only(app, client, auth, org):
    read = send(app, org, "staff", "Sudah dibaca")
    send(app, org, "staff", "Belum dibaca")
    with app.app_context():
        notifications.mark_read(get_user("staff", org), read)
    auth.login(org.nips["staff"])
    html = client.get("/notifications?unread=1").get_data(as_text=True)
    assert "Belum dibaca" in html and "Sudah dibaca" not in html


def test_page_without_notifications_says_so(app, client, auth, org):
    auth.login(org.nips["staff"])
    html = client.get("/notifications").get_data(as_text=True)
    assert 'class="empty"' in html
    assert "notification-list" not in html
    assert "/notifications/read-all" not in html


def test_mark_as_read_form_marks_it_and_goes_back(app, client, auth, org):
    notification_id = send(app, org, "staff", "Kabar")
    other = send(app, org, "staff", "Kabar lain")
    auth.login(org.nips["staff"])
    response = client.post(
        f"/notifications/{notification_id}/read", data={"next": "/notifications?unread=1"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/notifications?unread=1"
    assert stored(app, notification_id).read_at is not None
    assert stored(app, other).read_at is None
    html = client.get("/notifications?unread=1").get_data(as_text=True)
    assert 'class="alert alert-success"' in html and "Kabar lain" in html


def test_mark_as_read_does_not_go_back_to_another_site(app, client, auth, org):
    notification_id = send(app, org, "staff", "Kabar")
    auth.login(org.nips["staff"])
    response = client.post(
        f"/notifications/{notification_id}/read", data={"next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/notifications"


def test_mark_all_as_read_form_marks_every_own_unread(app, client, auth, org):
    ids = [send(app, org, "staff", f"Kabar {i}") for i in range(3)]
    others = send(app, org, "staff2", "Untuk Dewi")
    auth.login(org.nips["staff"])
    response = client.post("/notifications/read-all", data={"next": "/notifications"})
    assert response.status_code == 303
    assert all(stored(app, i).read_at is not None for i in ids)
    assert stored(app, others).read_at is None
    assert 'data-unread="0"' in bell(client.get("/notifications").get_data(as_text=True))


def test_marking_someone_elses_notification_is_not_found(app, client, auth, org):
    others = send(app, org, "staff2", "Untuk Dewi")
    auth.login(org.nips["staff"])
    assert client.post(f"/notifications/{others}/read").status_code == 404
    assert client.post(f"/notifications/{2**40}/read").status_code == 404
    assert client.post("/notifications/-1/read").status_code == 404
    assert stored(app, others).read_at is None


def test_forms_work_without_javascript_with_the_pages_csrf_token(app, client, auth, org):
    notification_id = send(app, org, "staff", "Kabar")
    send(app, org, "staff", "Kabar lain")
    auth.login(org.nips["staff"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/notifications/{notification_id}/read").status_code == 400
        assert stored(app, notification_id).read_at is None
        html = client.get("/notifications").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        response = client.post(f"/notifications/{notification_id}/read", data={"csrf_token": token})
        assert response.status_code == 303
        assert stored(app, notification_id).read_at is not None
        response = client.post("/notifications/read-all", data={"csrf_token": token})
        assert response.status_code == 303
        assert unread_of(app, org, "staff") == 0
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_page_needs_a_login(client, org):
    response = client.get("/notifications")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.pg
def test_api_lists_own_notifications_with_their_fields(app, org, api):
    with app.app_context():
        card_id = cards.create_card(
            get_user("staff", org), org.board_id, {"title": "Kartu"}
        ).card.id
    first = send(app, org, "staff", "Pertama")
    with app.app_context():
        second = notifications.notify(
            get_user("staff", org),
            "Kedua",
            "Isinya",
            link="/cards/1",
            card=db.session.get(Card, card_id),
            kind="sla",
            plugin="sla",
        ).id
    send(app, org, "kasi", "Untuk Kasi")
    set_created_at(app, {first: datetime(2026, 2, 1, 1), second: datetime(2026, 2, 2, 3, 4, 5)})
    response = api("staff").get("/api/v1/notifications")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"notifications", "unread"}
    assert body["unread"] == 2
    assert [n["id"] for n in body["notifications"]] == [second, first]
    assert all(set(n) == API_KEYS for n in body["notifications"])
    assert body["notifications"][0] == {
        "id": second,
        "kind": "sla",
        "plugin": "sla",
        "title": "Kedua",
        "body": "Isinya",
        "link": "/cards/1",
        "card_id": card_id,
        "created_at": "2026-02-02T03:04:05Z",
        "read_at": None,
    }
    assert body["notifications"][1]["plugin"] is None


def test_api_filters_unread_and_limits(app, org, api):
    ids = [send(app, org, "staff", f"Kabar {i}") for i in range(3)]
    with app.app_context():
        notifications.mark_read(get_user("staff", org), ids[0])
    for flag in ("1", "true"):
        body = api("staff").get(f"/api/v1/notifications?unread={flag}").get_json()
        assert sorted(n["id"] for n in body["notifications"]) == ids[1:]
        assert body["unread"] == 2
    for flag in ("0", "false"):
        body = api("staff").get(f"/api/v1/notifications?unread={flag}").get_json()
        assert len(body["notifications"]) == 3
    body = api("staff").get("/api/v1/notifications?limit=1").get_json()
    assert len(body["notifications"]) == 1
    assert body["unread"] == 2


@pytest.mark.parametrize(
    "query,field",
    [
        ("unread=maybe", "unread"),
        ("unread=", "unread"),
        ("unread=2", "unread"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=abc", "limit"),
        ("limit=-3", "limit"),
        ("limit=99999999999999999999", "limit"),
        ("limit=%D9%A3", "limit"),
    ],
)
def test_api_refuses_bad_query_values_with_the_error_envelope(app, org, api, query, field):
    response = api("staff").get(f"/api/v1/notifications?{query}")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {field}


def test_api_marks_one_as_read_and_answers_with_it(app, org, api):
    notification_id = send(app, org, "staff", "Kabar", body="Isi")
    response = api("staff").post(f"/api/v1/notifications/{notification_id}/read")
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) == API_KEYS
    assert data["id"] == notification_id and data["title"] == "Kabar"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["read_at"])
    again = api("staff").post(f"/api/v1/notifications/{notification_id}/read").get_json()
    assert again["read_at"] == data["read_at"]
    assert api("staff").get("/api/v1/notifications").get_json()["unread"] == 0


@pytest.mark.pg
def test_api_marking_someone_elses_or_unknown_is_not_found(app, org, api):
    others = send(app, org, "staff2", "Untuk Dewi")
    for notification_id in (others, others + 1000, 2**40):
        response = api("staff").post(f"/api/v1/notifications/{notification_id}/read")
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
    assert stored(app, others).read_at is None


def test_api_marks_all_as_read(app, org, api):
    for i in range(2):
        send(app, org, "staff", f"Kabar {i}")
    others = send(app, org, "staff2", "Untuk Dewi")
    response = api("staff").post("/api/v1/notifications/read-all")
    assert response.status_code == 200
    assert response.get_json() == {"marked": 2, "unread": 0}
    assert stored(app, others).read_at is None


def test_api_needs_a_token(client, org):
    response = client.get("/api/v1/notifications")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.pg
def test_api_list_is_constant_in_queries(app, org, api):
    send(app, org, "staff", "Kabar")
    # A token's first use is recorded (a write, then at most one every few minutes).
    assert api("staff").get("/api/v1/boards").status_code == 200
    with count_queries(app) as few:
        assert api("staff").get("/api/v1/notifications").status_code == 200
    for i in range(20):
        send(app, org, "staff", f"Kabar {i}")
    with count_queries(app) as many:
        assert api("staff").get("/api/v1/notifications").status_code == 200
    assert len(few) == len(many)
