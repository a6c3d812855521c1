"""The outbox (issue 24): notify() queues deliveries in the change's own transaction, by the
person's preferences; the worker sends them outside any request, retries with growing delays,
gives up into the dead-letter list, and on PostgreSQL several workers deliver each row once."""

import contextlib
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update

import plugins.email as email_plugin
from app.extensions import db
from app.models import Delivery, User, utcnow
from app.services import channels, outbox, tx
from app.services.channels import DeliveryFailed
from tests.conftest import get_user, make_app
from tests.test_email_channel import Inbox, free_port

WIB = "+07:00"


@pytest.fixture
def recorded(monkeypatch):
    """A channel `test` whose sender records what it is given (and can be told to fail)."""

    class Sent(list):
        state: dict

    sent = Sent()
    state = {"fail": None}

    def send(delivery):
        if state["fail"] is not None:
            raise state["fail"]
        sent.append(delivery.id)

    channels._load()
    monkeypatch.setitem(channels._SENDERS, "test", send)
    sent.state = state
    return sent


def queue(app, n=1, channel="test", **fields) -> list[int]:
    with app.app_context(), tx.write_transaction():
        user_id = db.session.scalar(select(User.id).limit(1))
        for _i in range(n):
            outbox.enqueue(channel, user_id=user_id, **fields)
    with app.app_context():
        return list(db.session.scalars(select(Delivery.id).order_by(Delivery.id)))


def row(app, delivery_id) -> Delivery:
    with app.app_context():
        found = db.session.get(Delivery, delivery_id)
        db.session.expunge(found)
        return found


# --- retries, backoff, dead -----------------------------------------------------------------


def test_delays_grow_and_end_in_dead():
    waits = [outbox.retry_delay(n) for n in range(1, len(outbox.RETRY_MINUTES) + 2)]
    assert waits[-1] is None
    minutes = [w.total_seconds() / 60 for w in waits[:-1]]
    for got, planned in zip(minutes, outbox.RETRY_MINUTES, strict=True):
        assert planned * 0.9 <= got <= planned * 1.1
    assert minutes == sorted(minutes)


@pytest.mark.pg
def test_a_failure_is_retried_later_then_dead_then_sent_again_by_the_admin(app, org, recorded):
    (delivery_id,) = queue(app)
    recorded.state["fail"] = DeliveryFailed("server says no")
    with app.app_context():
        assert outbox.run_due() == 1
        first = db.session.get(Delivery, delivery_id)
        assert (first.state, first.attempts, first.last_error) == ("pending", 1, "server says no")
        assert first.next_attempt_at >= utcnow() + timedelta(seconds=50)
        assert outbox.run_due() == 0  # not due yet
        for _attempt in range(len(outbox.RETRY_MINUTES)):
            later = datetime.now(UTC) + timedelta(days=2)
            assert outbox.run_due(now=later) == 1
        dead = db.session.get(Delivery, delivery_id)
        db.session.refresh(dead)
        assert (dead.state, dead.attempts) == ("dead", len(outbox.RETRY_MINUTES) + 1)
        assert outbox.run_due(now=datetime.now(UTC) + timedelta(days=9)) == 0
        assert [d.id for d in outbox.problem_deliveries(get_user("admin", org))] == [delivery_id]
        recorded.state["fail"] = None
        assert outbox.retry([delivery_id], actor=get_user("admin", org)) == 1
        assert outbox.run_due() == 1
    assert recorded == [delivery_id]
    assert row(app, delivery_id).state == "sent"


def test_a_failure_no_retry_can_mend_is_dead_at_once(app, org, recorded):
    (delivery_id,) = queue(app)
    recorded.state["fail"] = DeliveryFailed("no address", retry=False)
    with app.app_context():
        outbox.run_due()
    assert (row(app, delivery_id).state, row(app, delivery_id).attempts) == ("dead", 1)


def test_only_admins_read_and_retry_dead_letters(app, org):
    from app.services.errors import Forbidden

    with app.app_context():
        with pytest.raises(Forbidden):
            outbox.problem_deliveries(get_user("kasi", org))
        with pytest.raises(Forbidden):
            outbox.retry(None, actor=get_user("kasi", org))


@pytest.mark.pg
def test_a_crashed_workers_claim_is_taken_over_after_its_lock_expires(app, org, recorded):
    (delivery_id,) = queue(app)
    with app.app_context():
        now = datetime.now(UTC)
        # The worker claimed the row, then died before sending.
        assert outbox.claim(10, "dead-worker", now.replace(tzinfo=None)) == [delivery_id]
        assert outbox.run_due(worker="other") == 0  # still locked
        after = now + timedelta(seconds=outbox.DEFAULT_LEASE_SECONDS + 1)
        assert outbox.run_due(worker="other", now=after) == 1
        assert outbox.run_due(worker="other", now=after + timedelta(hours=1)) == 0
    assert recorded == [delivery_id]
    assert row(app, delivery_id).state == "sent"


@pytest.mark.pg
def test_a_late_answer_of_a_worker_whose_claim_was_taken_over_is_not_recorded(app, org):
    (delivery_id,) = queue(app)
    with app.app_context():
        now = datetime.now(UTC).replace(tzinfo=None)
        outbox.claim(10, "slow", now)
        db.session.execute(
            update(Delivery).where(Delivery.id == delivery_id).values(locked_by="other")
        )
        db.session.commit()
        outbox._record(delivery_id, 0, "slow", {"error": "too late"})
    assert row(app, delivery_id).attempts == 0


def test_console_retry_command(app, org, runner, recorded):
    (delivery_id,) = queue(app)
    with app.app_context():
        db.session.execute(update(Delivery).values(state="dead", last_error="x", attempts=7))
        db.session.commit()
    result = runner.invoke(args=["deliveries", "retry", str(delivery_id)])
    assert result.exit_code == 0, result.output
    assert row(app, delivery_id).state == "pending"
    assert runner.invoke(args=["deliveries", "retry"]).exit_code != 0
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert recorded == [delivery_id]


def test_worker_stops_on_sigterm(app, org, runner, recorded):
    import os
    import signal

    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGTERM))
    timer.start()
    started = time.monotonic()
    result = runner.invoke(args=["worker", "--idle", "0.2"])
    timer.cancel()
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 5


# --- many workers, one delivery each -------------------------------------------------------


def _deliver_with_workers(app, workers: int, total: int) -> list[int]:
    sent: list[int] = []
    guard = threading.Lock()

    def send(delivery):
        with guard:
            sent.append(delivery.id)

    channels._load()
    channels._SENDERS["many"] = send
    queue(app, total, channel="many")

    def work(name):
        with app.app_context():
            while outbox.run_due(limit=50, worker=name):
                db.session.remove()
            db.session.remove()

    try:
        threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        channels._SENDERS.pop("many", None)
    return sent


@pytest.mark.pg
def test_two_workers_deliver_a_thousand_messages_once_each(database_url, tmp_path):
    url = database_url if database_url.startswith("postgresql") else f"sqlite:///{tmp_path}/w.db"
    app = make_app(url)
    try:
        with app.app_context():
            from app.services import accounts

            accounts.create_user("Agus", "rahasia123", username="agus")
        sent = _deliver_with_workers(app, 2, 1000)
        assert len(sent) == 1000
        assert len(set(sent)) == 1000
        with app.app_context():
            states = {
                state: count
                for state, count in db.session.execute(
                    select(Delivery.state, func.count()).group_by(Delivery.state)
                )
            }
        assert states == {"sent": 1000}
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- the SMTP server that never answers ----------------------------------------------------


class SilentServer:
    """Accepts connections and never says a word (a mail server that hangs)."""

    def __init__(self, port):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(8)
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _addr = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self):
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(5)
        for conn in self.connections:
            conn.close()


@pytest.mark.pg
def test_a_hanging_smtp_server_never_holds_a_request_and_the_email_arrives_later(database_url):
    port = free_port()
    silent = SilentServer(port)
    app = make_app(
        database_url,
        # The core tells the new assignee (app/services/notify_events.py); email is on.
        CERGAS_PLUGIN_OBJECTS={"email": email_plugin},
        SMTP_URL=f"smtp://127.0.0.1:{port}",
        SMTP_TIMEOUT="1",
    )
    controller = None
    try:
        with app.app_context():
            from app.services import accounts, cards
            from tests.conftest import head_with_board

            head, board = head_with_board()
            staff = accounts.create_user(
                "Agus", "rahasia123", username="agus", unit_code="SETDA", email="agus@x.go.id"
            )
            staff_id = staff.id
            card_id = cards.create_card(head, board.id, {"title": "Surat edaran"}).card.id
            token = accounts.create_token(head)
        client = app.test_client()
        answer = client.patch(
            f"/api/v1/cards/{card_id}",
            json={"assignee": "agus", "version": 1},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 200, answer.get_json()
        # The request is over and nobody has even knocked at the mail server.
        time.sleep(0.2)
        assert silent.connections == []
        with app.app_context():
            (queued,) = db.session.scalars(select(Delivery).where(Delivery.channel == "email"))
            assert queued.state == "pending"
            assert queued.user_id == staff_id
            # The worker meets the hanging server: it waits SMTP_TIMEOUT, then tries again later.
            assert outbox.run_due() == 1
            assert len(silent.connections) == 1
            db.session.refresh(queued)
            assert (queued.state, queued.attempts) == ("pending", 1)
        silent.close()
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        with app.app_context():
            assert outbox.run_due(now=datetime.now(UTC) + timedelta(minutes=2)) == 1
            assert outbox.run_due(now=datetime.now(UTC) + timedelta(days=2)) == 0
        with app.app_context(), force_locale("id"):
            subject = _("Card assigned to you: %(title)s", title="Surat edaran")
        assert [m["message"]["Subject"] for m in inbox.messages] == [subject]
        assert inbox.messages[0]["to"] == ["agus@x.go.id"]
    finally:
        silent.close()
        if controller is not None:
            controller.stop()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_admin_page_lists_dead_letters_and_sends_them_again_with_a_log_entry(
    app, org, auth, recorded
):
    from app.models import AdminEvent

    ids = queue(app, 2)
    with app.app_context():
        db.session.execute(
            update(Delivery)
            .where(Delivery.id == ids[0])
            .values(state="dead", attempts=7, last_error="550 mailbox unavailable")
        )
        db.session.commit()
    auth.login("admin")
    page = auth.client.get("/admin/deliveries")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'id="delivery-{ids[0]}"' in html and "550 mailbox unavailable" in html
    assert f'id="delivery-{ids[1]}"' not in html  # a pending row that never failed
    assert "Kirim ulang" in html
    assert 'href="/admin/deliveries"' in auth.client.get("/admin/").get_data(as_text=True)
    answer = auth.client.post(f"/admin/deliveries/{ids[0]}/retry")
    assert answer.status_code == 303
    assert (row(app, ids[0]).state, row(app, ids[0]).attempts) == ("pending", 0)
    with app.app_context():
        (event,) = db.session.scalars(
            select(AdminEvent).where(AdminEvent.kind == "delivery.retried")
        )
        assert event.actor_id == org.users["admin"]
        assert outbox.run_due() == 2
    assert sorted(recorded) == ids
    assert "Semua notifikasi terkirim" in auth.client.get("/admin/deliveries").get_data(
        as_text=True
    )


def test_tick_sends_due_deliveries_on_a_small_install(app, org, runner, recorded):
    ids = queue(app, 3)
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert sorted(recorded) == ids
    assert {row(app, i).state for i in ids} == {"sent"}
