# ruff: noqa: F811 - the `desk` fixture is imported from tests.sla_fixtures
"""`cergas tick` alerts: when a card becomes at risk and when it is breached, the assignee and
the unit's heads hear it once, in-app and by email (a real SMTP server), however many ticks run
and on however many hosts."""

import socket
import threading
from email import message_from_bytes
from email import policy as email_policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from app.extensions import db
from app.models import Notification
from cergas.plugin import plugin_store
from plugins.sla.alerts import run_tick
from tests.sla_fixtures import NIPS, Desk, api_get, build, desk, wib  # noqa: F401

pytestmark = pytest.mark.pg


def tick(d, when: str):
    result = d.app.test_cli_runner().invoke(args=["tick", "--now", wib(when).isoformat()])
    assert result.exit_code == 0, result.output
    return result


def notifications(d, who: str) -> list[dict]:
    response = api_get(d.app, who, "/api/v1/notifications")
    return response.get_json()["notifications"]


def total(d) -> int:
    with d.app.app_context():
        return db.session.scalar(select(func.count(Notification.id)))


def test_at_risk_then_breached_each_alerted_once_to_assignee_and_head(desk):
    card = desk.create("2026-12-23T10:00", "Pengaduan jalan rusak")
    tick(desk, "2026-12-29T09:00")
    assert total(desk) == 0  # on track
    tick(desk, "2026-12-30T09:00")
    tick(desk, "2026-12-30T09:05")
    tick(desk, "2026-12-30T12:00")
    assert total(desk) == 2
    for who in ("petugas", "kasi"):
        (alert,) = notifications(desk, who)
        assert alert["kind"] == "sla_at_risk" and alert["plugin"] == "sla"
        assert alert["title"] == "SLA at risk: Pengaduan jalan rusak"
        assert alert["link"] == f"/cards/{card}"
        assert alert["card_id"] == card
        assert "pengaduan: 3 working days" in alert["body"]
        assert "30-12-2026 16:00 WIB" in alert["body"]
    assert notifications(desk, "petugas2") == []
    assert notifications(desk, "outsider") == []

    tick(desk, "2026-12-30T16:30")
    tick(desk, "2026-12-31T08:00")
    assert total(desk) == 4
    breached = notifications(desk, "kasi")[0]
    assert breached["kind"] == "sla_breached"
    assert breached["title"] == "SLA breached: Pengaduan jalan rusak"


def test_a_card_first_seen_breached_gets_only_the_breach_alert(desk):
    desk.create("2026-12-16T10:00", "Pengaduan lama")
    tick(desk, "2026-12-23T09:00")
    tick(desk, "2026-12-23T10:00")
    assert [n["kind"] for n in notifications(desk, "petugas")] == ["sla_breached"]


def test_paused_and_done_cards_are_not_alerted(desk):
    paused = desk.create("2026-12-23T10:00", "Menunggu berkas", column="Diproses")
    desk.move("2026-12-23T11:00", paused, "Menunggu kelengkapan")
    done = desk.create("2026-12-23T10:00", "Selesai cepat", column="Diproses")
    desk.move("2026-12-31T10:00", done, "Selesai")  # late, but closed
    tick(desk, "2027-01-15T10:00")
    assert total(desk) == 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=email_policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_inbox():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()


def test_email_alerts_are_sent_once_through_a_real_smtp_server(database_url, smtp_inbox):
    app, s = build(
        database_url,
        SMTP_URL=f"smtp://127.0.0.1:{smtp_inbox.port}",
        BASE_URL="https://cergas.example.go.id",
    )
    d = Desk(app, s)
    card = d.create("2026-12-23T10:00", "Pengaduan drainase")
    tick(d, "2026-12-30T09:00")
    tick(d, "2026-12-30T10:00")
    assert sorted(to[0] for to, _ in smtp_inbox.messages) == [
        "kasi@dpmptsp.example.go.id",
        "petugas@dpmptsp.example.go.id",
    ]
    for _to, message in smtp_inbox.messages:
        assert message["Subject"] == "SLA at risk: Pengaduan drainase"
        body = message.get_content()
        assert f"https://cergas.example.go.id/cards/{card}" in body
        assert "30-12-2026 16:00 WIB" in body
    tick(d, "2026-12-30T16:30")
    assert len(smtp_inbox.messages) == 4
    assert {m["Subject"] for _to, m in smtp_inbox.messages[2:]} == {
        "SLA breached: Pengaduan drainase"
    }
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def shared_db(database_url, tmp_path):
    """A database that two threads reach through separate connections (a file for SQLite)."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'sla.db'}"
    return database_url


def run_together(app, work, n=2):
    """Run `work()` in n threads, each in its own app context, released at once."""
    barrier = threading.Barrier(n)
    results, errors = [], []

    def worker():
        with app.app_context():
            try:
                barrier.wait()
                results.append(work())
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


def test_two_ticks_at_once_alert_once(shared_db):
    app, s = build(shared_db)
    d = Desk(app, s)
    for n in range(5):
        d.create("2026-12-23T10:00", f"Pengaduan {n}")
    now = wib("2026-12-30T09:00")
    # Both run the plugin's periodic work directly: no `cergas tick` lock in between.
    results = run_together(app, lambda: run_tick(now, batch_size=2))
    # Batches may interleave, but each crossing is claimed by exactly one of them.
    assert sum(r["at_risk"] for r in results) == 5
    assert total(d) == 10  # 5 cards x (assignee + head)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_plugin_store_add_stores_only_when_absent(shared_db):
    app, _s = build(shared_db)
    store = plugin_store("sla-test")
    results = run_together(app, lambda: store.add("once", {"by": threading.get_ident()}), n=4)
    assert sorted(results) == [False, False, False, True]
    with app.app_context():
        assert store.add("once", "again") is False
        assert store.get("once") != "again"
        assert store.add("other", 1) is True
        db.session.remove()
        db.engine.dispose()


def test_recipients_without_email_still_get_the_in_app_alert(desk):
    from app.models import User

    with desk.app.app_context():
        db.session.execute(db.update(User).where(User.nip == NIPS["petugas"]).values(email=None))
        db.session.commit()
    desk.create("2026-12-23T10:00", "Tanpa surel")
    tick(desk, "2026-12-30T09:00")
    assert len(notifications(desk, "petugas")) == 1
