"""Webhooks (issue 24): who registers them, which URLs, which events are written with which
change, and how a delivery is signed and answered (a real local receiver checks the HMAC)."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select
from sqlalchemy import update as sql_update

from app.extensions import db
from app.models import Delivery, Webhook
from app.services import boards, cards, moves, sprints, webhooks
from app.services.channels import DeliveryFailed, sender_for
from app.services.errors import Forbidden, Invalid, NotFound, ServiceError
from tests.conftest import get_user, make_app

SECRET = "rahasia-bersama-1234567890"
ALL_EVENTS = list(webhooks.EVENTS)


@pytest.fixture
def app(database_url):
    app = make_app(database_url, CERGAS_WEBHOOK_ALLOW_PRIVATE="1")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def context(app):
    with app.app_context():
        yield


class Receiver:
    """A local HTTP server standing in for an integration: it keeps what it got and whether
    the signature matched, and answers `status` (with `answer`)."""

    def __init__(self, secret=SECRET, status=200, answer=b"ok"):
        self.secret, self.status, self.answer = secret, status, answer
        self.got: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body: no delayed-ACK wait

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = hmac.new(receiver.secret.encode(), body, hashlib.sha256).hexdigest()
                receiver.got.append(
                    {
                        "headers": dict(self.headers),
                        "body": json.loads(body),
                        "verified": hmac.compare_digest(
                            self.headers.get("X-Cergas-Signature", ""), f"sha256={expected}"
                        ),
                    }
                )
                self.send_response(receiver.status)
                self.send_header("Content-Length", str(len(receiver.answer)))
                self.end_headers()
                self.wfile.write(receiver.answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    item = Receiver()
    yield item
    item.close()


def send_pending() -> list:
    """A tiny stand-in for the outbox worker: send each pending webhook delivery once, outside
    any transaction, and write down the outcome; [(delivery id, None or the DeliveryFailed)]."""
    send = sender_for("webhook")
    due = db.session.scalars(
        select(Delivery)
        .where(Delivery.channel == "webhook", Delivery.state == "pending")
        .order_by(Delivery.id)
    ).all()
    for delivery in due:
        db.session.expunge(delivery)
    db.session.rollback()
    done = []
    for delivery in due:
        try:
            send(delivery)
            outcome, state = None, "sent"
            status, answer = delivery.last_status, delivery.last_answer
        except DeliveryFailed as exc:
            outcome, state, status, answer = exc, "dead", exc.status, exc.answer
        db.session.execute(
            sql_update(Delivery)
            .where(Delivery.id == delivery.id)
            .values(state=state, attempts=1, last_status=status, last_answer=answer)
        )
        db.session.commit()
        done.append((delivery.id, outcome))
    return done


def payloads(board_id=None) -> list[dict]:
    rows = db.session.scalars(select(Delivery).order_by(Delivery.id)).all()
    return [row.payload for row in rows]


def register(org, who="kasi", board=True, url="https://integrasi.example.go.id/h", **extra):
    data = {"url": url, "events": extra.pop("events", ALL_EVENTS), "secret": SECRET, **extra}
    board_id = org.board_id if board is True else board
    return webhooks.register(get_user(who, org), board_id, data)[0]


# --- registering ------------------------------------------------------------------------------


def test_head_registers_webhook_secret_answered_once_never_listed(api, org):
    body = {
        "board_id": org.board_id,
        "url": "https://n8n.example.go.id/w",
        "events": ["card.moved"],
    }
    answer = api("kasi").post("/api/v1/webhooks", json=body)
    assert answer.status_code == 201, answer.json
    created = answer.json
    assert len(created["secret"]) == 64 and created["events"] == ["card.moved"]
    listed = api("kasi").get("/api/v1/webhooks").json["webhooks"]
    assert [item["id"] for item in listed] == [created["id"]]
    assert "secret" not in listed[0]
    one = api("kasi").get(f"/api/v1/webhooks/{created['id']}").json
    assert "secret" not in one and one["deliveries"] == []
    rotated = api("kasi").post(f"/api/v1/webhooks/{created['id']}/secret", json={})
    assert rotated.status_code == 200, rotated.json
    rotated = rotated.json
    assert rotated["secret"] != created["secret"]
    assert db.session.get(Webhook, created["id"]).secret == rotated["secret"]


def test_who_may_register_change_and_remove(api, org):
    body = {"board_id": org.board_id, "url": "https://a.example.go.id/", "events": ["card.moved"]}
    assert api("staff").post("/api/v1/webhooks", json=body).status_code == 403
    assert api("outsider").post("/api/v1/webhooks", json=body).status_code == 404
    every = {**body, "board_id": None}
    assert api("kasi").post("/api/v1/webhooks", json=every).status_code == 403
    admins = api("admin").post("/api/v1/webhooks", json=every).json["id"]
    heads = api("kabid").post("/api/v1/webhooks", json=body).json["id"]
    # The head sees the board's webhook, not the admin's for every board.
    assert [w["id"] for w in api("kasi").get("/api/v1/webhooks").json["webhooks"]] == [heads]
    assert api("kasi").get(f"/api/v1/webhooks/{admins}").status_code == 404
    assert api("staff").get(f"/api/v1/webhooks/{heads}").status_code == 403
    assert api("outsider").get(f"/api/v1/webhooks/{heads}").status_code == 404
    assert api("staff").get("/api/v1/webhooks").json["webhooks"] == []
    assert len(api("admin").get("/api/v1/webhooks").json["webhooks"]) == 2
    patched = api("kasi").patch(f"/api/v1/webhooks/{heads}", json={"active": False})
    assert patched.status_code == 200 and patched.json["active"] is False
    assert api("staff").delete(f"/api/v1/webhooks/{heads}").status_code == 403
    assert api("kasi").delete(f"/api/v1/webhooks/{heads}").status_code == 200
    assert api("kasi").get(f"/api/v1/webhooks/{heads}").status_code == 404


@pytest.mark.parametrize(
    "url",
    ["ftp://example.go.id/x", "example.go.id", "https://", "https://user:pw@example.go.id/", ""],
)
def test_bad_url_is_refused_next_to_the_field(api, org, url):
    body = {"board_id": org.board_id, "url": url, "events": ["card.moved"]}
    answer = api("kasi").post("/api/v1/webhooks", json=body)
    assert answer.status_code == 422
    assert set(answer.json["error"]["fields"]) == {"url"}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:6379/",
        "http://localhost/",
        "http://10.1.2.3/hook",
        "http://192.168.1.10/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://0.0.0.0/",
    ],
)
def test_private_and_loopback_addresses_are_refused_in_production(app, org, url):
    app.config["CERGAS_WEBHOOK_ALLOW_PRIVATE"] = "0"
    with pytest.raises(Invalid) as refused:
        register(org, url=url)
    assert "url" in refused.value.fields


def test_bad_events_and_short_secret_are_refused(app, org):
    with pytest.raises(Invalid) as refused:
        register(org, events=["card.deleted"], secret="pendek")
    assert set(refused.value.fields) == {"events", "secret"}
    with pytest.raises(Invalid):
        register(org, events=[])


def test_changes_are_in_the_admin_log_without_the_secret(app, org):
    from app.models import AdminEvent

    row = register(org)
    webhooks.update_webhook(get_user("kasi", org), row.id, {"events": ["card.moved"]})
    webhooks.delete(get_user("kasi", org), row.id)
    logged = db.session.scalars(select(AdminEvent).where(AdminEvent.target_kind == "webhook"))
    logged = list(logged)
    assert [e.kind for e in logged] == ["webhook.created", "webhook.updated", "webhook.deleted"]
    assert SECRET not in json.dumps([[e.before, e.after] for e in logged])


# --- emission --------------------------------------------------------------------------------


# On PostgreSQL too: the move's one-statement path writes its event in SQL.
@pytest.mark.pg
def test_each_event_is_written_once_with_its_change(app, org):
    register(org)
    admin, kasi = get_user("admin", org), get_user("kasi", org)
    card = cards.create_card(
        kasi, org.board_id, {"title": "Surat edaran", "due_date": "2027-01-29"}
    ).card
    moves.move_card(kasi, card.id, org.doing)
    card = cards.update_card(kasi, card.id, {"title": "Surat edaran baru"}, version=card.version)
    card = cards.update_card(kasi, card.id, {"assignee": org.nips["staff"]}, version=card.version)
    cards.add_comment(kasi, card.id, "Mohon dicek")
    sprint_form = {"name": "S1", "goal": "Tuntas", "start": "2026-12-07", "end": "2026-12-18"}
    sprint = sprints.create_sprint(admin, org.board_id, sprint_form)
    sprints.add_cards(admin, sprint.id, [card.id])
    sprints.start_sprint(admin, sprint.id)
    sprints.close_sprint(admin, sprint.id, goal_met="yes")
    got = payloads()
    assert [p["event"] for p in got] == [
        "card.created",
        "card.moved",
        "card.updated",
        "card.updated",
        "card.commented",
        "sprint.started",
        "sprint.closed",
    ]
    moved = got[1]
    assert moved["card"]["column"] == {"id": org.doing, "name": "Dikerjakan"}
    assert moved["board"] == {"id": org.board_id, "name": "Layanan Aplikasi"}
    assert moved["actor"] == {"login": kasi.login, "name": kasi.name}
    assert moved["data"]["from_column"] == "Backlog" and moved["data"]["to_column"] == "Dikerjakan"
    assert got[3]["card"]["assignee"] == org.nips["staff"]
    assert got[4]["data"]["body"] == "Mohon dicek"
    assert got[5]["card"] is None and got[5]["data"]["name"] == "S1"
    rows = db.session.scalars(select(Delivery).order_by(Delivery.id)).all()
    assert [r.event_id for r in rows] == [p["id"] for p in got]
    assert len({r.event_id for r in rows}) == len(rows)
    assert {r.channel for r in rows} == {"webhook"} and {r.state for r in rows} == {"pending"}


def test_only_the_events_a_webhook_wants(app, org):
    register(org, events=["card.commented"])
    kasi = get_user("kasi", org)
    card = cards.create_card(
        kasi, org.board_id, {"title": "Nota dinas", "due_date": "2027-01-29"}
    ).card
    moves.move_card(kasi, card.id, org.doing)
    cards.add_comment(kasi, card.id, "Siap")
    assert [p["event"] for p in payloads()] == ["card.commented"]


@pytest.mark.pg
def test_refused_move_writes_nothing(app, org):
    kasi = get_user("kasi", org)
    made = [
        cards.create_card(kasi, org.board_id, {"title": f"K{i}", "due_date": "2027-01-29"}).card
        for i in range(4)
    ]
    for card in made[:3]:
        moves.move_card(kasi, card.id, org.doing)
    register(org, events=["card.moved"])
    with pytest.raises(ServiceError) as refused:
        moves.move_card(kasi, made[3].id, org.doing)  # Dikerjakan: a hard limit of 3
    assert refused.value.code == "wip_limit_reached"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 0
    moves.move_card(kasi, made[3].id, org.review)
    assert [p["card"]["id"] for p in payloads()] == [made[3].id]


@pytest.mark.pg
def test_other_boards_webhook_gets_nothing_and_all_board_one_everything(app, org):
    admin = get_user("admin", org)
    other = boards.create_board(admin, "Papan Lain", "SEKSI-APL")
    theirs = register(org, who="admin", board=other.id, events=["card.created"])
    every = register(org, who="admin", board=None, events=["card.created"])
    cards.create_card(admin, org.board_id, {"title": "Hanya di papan ini"})
    rows = db.session.scalars(select(Delivery)).all()
    assert [r.webhook_id for r in rows] == [every.id]
    assert theirs.id not in {r.webhook_id for r in rows}


def test_switched_off_webhook_gets_nothing(app, org):
    row = register(org, events=["card.created"])
    webhooks.update_webhook(get_user("kasi", org), row.id, {"active": False})
    cards.create_card(get_user("kasi", org), org.board_id, {"title": "Diam"})
    assert payloads() == []


@pytest.mark.pg
def test_no_query_for_webhooks_on_a_board_without_any(app, org):
    from tests.query_counter import count_queries

    kasi = get_user("kasi", org)
    card_id = cards.create_card(kasi, org.board_id, {"title": "Cepat"}).card.id
    with count_queries(app) as statements:
        webhooks.emit("moved", kasi, org.board_id, card_id, {})
    assert statements == []  # the cache, filled by the card's "created" event, answered


# --- sending --------------------------------------------------------------------------------


@pytest.mark.pg
def test_receiver_verifies_the_signature(app, org, receiver):
    register(org, url=receiver.url, events=["card.created"])
    card = cards.create_card(get_user("kasi", org), org.board_id, {"title": "Undangan"}).card
    ((delivery_id, failure),) = send_pending()
    assert failure is None
    (got,) = receiver.got
    assert got["verified"]
    row = db.session.get(Delivery, delivery_id)
    headers = got["headers"]
    assert headers["X-Cergas-Event"] == "card.created"
    assert headers["X-Cergas-Event-Id"] == row.event_id == got["body"]["id"]
    assert headers["X-Cergas-Delivery"] == str(delivery_id)
    assert headers["User-Agent"].startswith("Cergas-Webhook/")
    assert got["body"]["card"]["id"] == card.id and got["body"]["card"]["title"] == "Undangan"
    assert row.last_status == 200 and row.last_answer == "ok"


def test_wrong_secret_does_not_verify(app, org):
    other = Receiver(secret="bukan-rahasia-yang-sama-000")
    try:
        register(org, url=other.url, events=["card.created"])
        cards.create_card(get_user("kasi", org), org.board_id, {"title": "Undangan"})
        send_pending()
        assert [got["verified"] for got in other.got] == [False]
    finally:
        other.close()


def test_redelivery_keeps_the_event_id(app, org, receiver):
    row = register(org, url=receiver.url, events=["card.created"])
    cards.create_card(get_user("kasi", org), org.board_id, {"title": "Dua kali"})
    ((first, _),) = send_pending()
    db.session.get(Delivery, first).state = "sent"
    db.session.commit()
    webhooks.redeliver(get_user("kasi", org), row.id, first)
    send_pending()
    ids = [got["headers"]["X-Cergas-Event-Id"] for got in receiver.got]
    deliveries = [got["headers"]["X-Cergas-Delivery"] for got in receiver.got]
    assert len(ids) == 2 and ids[0] == ids[1] and deliveries[0] != deliveries[1]


def test_error_answer_fails_with_status_and_answer_start(app, org):
    failing = Receiver(status=500, answer=b"x" * 5000)
    try:
        register(org, url=failing.url, events=["card.created"])
        cards.create_card(get_user("kasi", org), org.board_id, {"title": "Gagal"})
        ((_id, failure),) = send_pending()
        assert failure.retry and failure.status == 500
        assert failure.answer == "x" * 1024
    finally:
        failing.close()


def test_gone_switches_the_webhook_off_and_stops_retrying(app, org):
    gone = Receiver(status=410, answer=b"gone")
    try:
        row = register(org, url=gone.url, events=["card.created"])
        kasi = get_user("kasi", org)
        cards.create_card(kasi, org.board_id, {"title": "Pertama"})
        ((_id, failure),) = send_pending()
        assert failure.retry is False and failure.status == 410
        db.session.expire_all()
        assert db.session.get(Webhook, row.id).active is False
        db.session.commit()
        cards.create_card(kasi, org.board_id, {"title": "Kedua"})
        assert len(payloads()) == 1  # the switched-off webhook gets nothing more
    finally:
        gone.close()


def test_sending_to_a_private_address_is_refused_when_not_allowed(app, org, receiver):
    register(org, url=receiver.url, events=["card.created"])
    cards.create_card(get_user("kasi", org), org.board_id, {"title": "Rebinding"})
    app.config["CERGAS_WEBHOOK_ALLOW_PRIVATE"] = "0"
    ((_id, failure),) = send_pending()
    assert failure.retry is False and receiver.got == []


def test_service_errors_for_missing_and_forbidden(app, org):
    row = register(org)
    with pytest.raises(NotFound):
        webhooks.get_webhook(get_user("outsider", org), row.id)
    with pytest.raises(Forbidden):
        webhooks.get_webhook(get_user("staff", org), row.id)
    with pytest.raises(NotFound):
        webhooks.get_webhook(get_user("admin", org), 999_999)


# --- the pages -----------------------------------------------------------------------------------


def test_head_adds_a_webhook_on_the_settings_page_and_sees_the_secret_once(auth, client, org):
    auth.login(org.nips["kasi"])
    form = {"url": "https://n8n.example.go.id/w", "events": ["card.moved", "card.created"]}
    page = client.post(f"/boards/{org.board_id}/webhooks", data=form)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    row = db.session.scalars(select(Webhook)).one()
    assert row.secret in html and row.events == ["card.created", "card.moved"]
    again = client.get(f"/boards/{org.board_id}/settings").get_data(as_text=True)
    assert "n8n.example.go.id" in again and row.secret not in again


def test_bad_address_on_the_page_is_shown_next_to_the_field(auth, client, org):
    auth.login(org.nips["kasi"])
    form = {"url": "ftp://x.example.go.id/", "events": ["card.moved"]}
    page = client.post(f"/boards/{org.board_id}/webhooks", data=form)
    assert page.status_code == 422
    assert 'id="new-webhook-url-error"' in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Webhook)) == 0


def test_page_buttons_switch_off_resend_and_remove(auth, client, org):
    row = register(org, events=["card.created"])
    cards.create_card(get_user("kasi", org), org.board_id, {"title": "Tombol"})
    delivery = db.session.scalars(select(Delivery)).one()
    auth.login(org.nips["kasi"])
    base = f"/boards/{org.board_id}/webhooks/{row.id}"
    assert client.post(f"{base}/toggle").status_code == 302
    assert client.post(f"{base}/resend", data={"delivery_id": str(delivery.id)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Webhook, row.id).active is False
    events = db.session.scalars(select(Delivery.event_id)).all()
    assert events == [delivery.event_id, delivery.event_id]
    assert client.post(f"{base}/delete").status_code == 302
    assert db.session.get(Webhook, row.id) is None


def test_admin_page_keeps_the_all_board_webhooks(auth, client, org):
    register(org)  # the board's own: not on this page
    auth.login("admin")
    form = {"url": "https://portal.example.go.id/hook", "events": ["sprint.closed"]}
    page = client.post("/admin/webhooks", data=form)
    assert page.status_code == 200
    every = db.session.scalars(select(Webhook).where(Webhook.board_id.is_(None))).one()
    html = client.get("/admin/webhooks").get_data(as_text=True)
    assert "portal.example.go.id" in html and "integrasi.example.go.id" not in html
    auth.logout()
    auth.login(org.nips["kasi"])
    assert client.get("/admin/webhooks").status_code == 403
    assert client.post(f"/admin/webhooks/{every.id}/delete").status_code == 403
