"""The email channel (switched on by plugins/email, sent by app/services/channel_email.py through
the outbox worker) against a real SMTP server on 127.0.0.1 (aiosmtpd): what arrives, when
nothing is sent, and that a broken server never breaks notify() and loses nothing."""

import configparser
import socket
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select

import plugins.email as email_plugin
from app.extensions import db
from app.models import Delivery, Notification
from app.services import accounts, notifications, outbox, tx
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = "https://cergas.example.go.id"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self):
        self.messages = []
        self.logins = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "message": message_from_bytes(envelope.content, policy=email_policy.default),
            }
        )
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        ok = (auth_data.login, auth_data.password) == (b"agus", b"p@ss:word")
        return AuthResult(success=ok)


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free local port; AUTH is offered without TLS (local test only)."""
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=inbox.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def build(database_url, monkeypatch):
    """build(**config) -> an app with the email plugin and that config; disposed afterwards."""
    for name in ("SMTP_URL", "MAIL_FROM", "BASE_URL", "SMTP_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    apps = []

    def make(**config):
        app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"email": email_plugin}, **config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def person(email="agus@kominfo.example.go.id"):
    return accounts.create_user("Agus Pratama", "rahasia123", username="agus", email=email)


def record(app):
    return app.extensions["cergas_plugins"].records["email"]


def deliver() -> int:
    """Run the worker once, as `cergas worker --once` would."""
    return outbox.run_due()


def email_rows() -> list[Delivery]:
    return list(db.session.scalars(select(Delivery).where(Delivery.channel == "email")))


def test_notification_arrives_by_email_with_title_body_and_absolute_link(build, smtp_server):
    app = build(
        SMTP_URL=f"smtp://127.0.0.1:{smtp_server.port}",
        MAIL_FROM="cergas@kominfo.example.go.id",
        BASE_URL=BASE_URL + "/",
    )
    with app.app_context():
        notifications.notify(
            person(), "Tenggat besok", "Kartu “Surat ke Bappeda” jatuh tempo.", link="/cards/7"
        )
        deliver()
    assert len(smtp_server.messages) == 1
    sent = smtp_server.messages[0]
    assert sent["from"] == "cergas@kominfo.example.go.id"
    assert sent["to"] == ["agus@kominfo.example.go.id"]
    message = sent["message"]
    assert message["Subject"] == "Tenggat besok"
    assert message["To"] == "agus@kominfo.example.go.id"
    assert message["From"] == "cergas@kominfo.example.go.id"
    assert message["Message-ID"]
    body = message.get_content()
    assert "Kartu “Surat ke Bappeda” jatuh tempo." in body
    assert f"{BASE_URL}/cards/7" in body
    assert record(app).errors == 0


def test_sender_defaults_to_cergas_at_localhost_and_card_links_without_base_url(build, smtp_server):
    app = build(SMTP_URL=f"smtp://127.0.0.1:{smtp_server.port}")
    with app.app_context():
        notifications.notify(person(), "Kabar\r\nBcc: korban@example.com", link="/boards/3")
        deliver()
    (sent,) = smtp_server.messages
    assert sent["from"] == "cergas@localhost"
    assert sent["to"] == ["agus@kominfo.example.go.id"]
    # A title is one line: no header can be smuggled in through it.
    assert sent["message"]["Subject"] == "Kabar Bcc: korban@example.com"
    assert sent["message"]["Bcc"] is None
    assert sent["message"].get_content().strip() == "/boards/3"


def test_smtp_url_and_addresses_may_come_from_the_environment(build, smtp_server, monkeypatch):
    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{smtp_server.port}")
    monkeypatch.setenv("BASE_URL", BASE_URL)
    app = build()
    with app.app_context():
        notifications.notify(person(), "Dari lingkungan", "Isi", link="/cards/1")
        deliver()
    (sent,) = smtp_server.messages
    assert sent["message"].get_content().rstrip().endswith(f"{BASE_URL}/cards/1")


def test_login_credentials_from_the_url_are_used(build, smtp_server):
    app = build(SMTP_URL=f"smtp://agus:p%40ss%3Aword@127.0.0.1:{smtp_server.port}")
    with app.app_context():
        notifications.notify(person(), "Dengan login")
        deliver()
    assert smtp_server.logins == [("agus", "p@ss:word")]
    assert len(smtp_server.messages) == 1


def test_wrong_credentials_are_counted_and_the_notification_kept(build, smtp_server):
    # aiosmtpd holds back its answer to a failed login; the timeout keeps the test short.
    app = build(SMTP_URL=f"smtp://agus:salah@127.0.0.1:{smtp_server.port}", SMTP_TIMEOUT="1")
    with app.app_context():
        user = person()
        notifications.notify(user, "Ditolak")
        deliver()
        assert notifications.unread_count(user) == 1
        (row,) = email_rows()
        assert (row.state, row.attempts) == ("pending", 1)  # tried again later
        assert row.last_error.startswith("SMTP")
    assert smtp_server.messages == []
    assert smtp_server.logins == [("agus", "salah")]


def test_starttls_is_required_when_asked_for(build, smtp_server):
    """starttls=1 to a server that offers no STARTTLS: nothing goes out in clear text."""
    app = build(SMTP_URL=f"smtp://127.0.0.1:{smtp_server.port}?starttls=1")
    with app.app_context():
        notifications.notify(person(), "Rahasia")
        deliver()
        (row,) = email_rows()
        assert "STARTTLS" in row.last_error
        assert row.state == "pending"
    assert smtp_server.messages == []


def test_person_without_email_gets_no_email(build, smtp_server):
    app = build(SMTP_URL=f"smtp://127.0.0.1:{smtp_server.port}")
    with app.app_context():
        user = person(email=None)
        notifications.notify(user, "Tanpa alamat")
        assert deliver() == 0
        assert email_rows() == []  # nothing queued for nobody
        assert notifications.unread_count(user) == 1
    assert smtp_server.messages == []


def test_without_smtp_url_nothing_is_sent(build, smtp_server):
    app = build()
    with app.app_context():
        user = person()
        notifications.notify(user, "Tanpa server")
        assert deliver() == 0
        assert email_rows() == []  # email is off: nothing queued
        assert notifications.unread_count(user) == 1
    assert smtp_server.messages == []


def test_a_closed_port_does_not_break_notify_and_is_counted(build):
    app = build(SMTP_URL=f"smtp://127.0.0.1:{free_port()}", SMTP_TIMEOUT="2")
    with app.app_context():
        user = person()
        notification = notifications.notify(user, "Server mati", "Isi")
        deliver()
        assert notification.id is not None
        stored = db.session.get(Notification, notification.id)
        assert stored.title == "Server mati"
        assert notifications.unread_count(user) == 1
        (row,) = email_rows()
        assert row.state == "pending" and row.attempts == 1
        assert "Connection" in row.last_error
        assert row.next_attempt_at > row.created_at  # tried again after a delay


def test_email_is_queued_with_the_use_case_and_sent_after_it_commits(build, smtp_server):
    app = build(SMTP_URL=f"smtp://127.0.0.1:{smtp_server.port}")
    with app.app_context():
        user = person()
        with pytest.raises(RuntimeError), tx.write_transaction():
            notifications.notify(user, "Dibatalkan")
            raise RuntimeError("the use case fails")
        assert smtp_server.messages == []
        with tx.write_transaction():
            notifications.notify(user, "Jadi")
            assert smtp_server.messages == []
        deliver()
    assert [m["message"]["Subject"] for m in smtp_server.messages] == ["Jadi"]


def test_a_notification_sent_through_the_api_request_arrives(build, smtp_server):
    """Queued in a request; the worker sends it (outside any request)."""
    app = build(SMTP_URL=f"smtp://127.0.0.1:{smtp_server.port}")
    with app.app_context():
        user = person()
        token = accounts.create_token(user)
        notification_id = notifications.notify(user, "Lewat API").id
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/notifications", headers=headers).get_json()
    assert [n["id"] for n in listed["notifications"]] == [notification_id]
    assert smtp_server.messages == []
    with app.app_context():
        assert deliver() == 1
    assert [m["message"]["Subject"] for m in smtp_server.messages] == ["Lewat API"]


@pytest.mark.parametrize(
    "url,expected",
    [
        ("smtp://mail.example.go.id:25", ("mail.example.go.id", 25, None, None, False, False)),
        ("smtp://mail.example.go.id", ("mail.example.go.id", 25, None, None, False, False)),
        ("smtp://u:p@127.0.0.1:2525?starttls=1", ("127.0.0.1", 2525, "u", "p", True, False)),
        ("smtp://u%40x:p%2Fq@h:587?starttls=true", ("h", 587, "u@x", "p/q", True, False)),
        ("smtps://h", ("h", 465, None, None, False, True)),
    ],
)
def test_smtp_url_is_understood(url, expected):
    server = email_plugin.parse_smtp_url(url)
    assert (
        server.host,
        server.port,
        server.username,
        server.password,
        server.starttls,
        server.tls,
    ) == expected


@pytest.mark.parametrize(
    "url",
    ["http://mail:25", "mail.example.go.id:25", "smtp://", "smtp://h:notaport", "smtp://h:0x"],
)
def test_unusable_smtp_url_refuses_to_start(database_url, url):
    with pytest.raises(ValueError):
        email_plugin.parse_smtp_url(url)
    with pytest.raises(ValueError):
        make_app(database_url, CERGAS_PLUGIN_OBJECTS={"email": email_plugin}, SMTP_URL=url)


def test_plugin_is_the_switch_and_checks_the_settings_at_startup(build):
    """The plugin no longer offers a channel of its own: the core's `email` channel is it."""
    app = build()
    assert record(app).status == "loaded"
    assert record(app).hooks == ["cergas_startup"]


def test_email_is_a_built_in_plugin_declared_as_an_entry_point():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    declared = {
        name.strip(): target.strip()
        for name, _sep, target in (
            line.partition("=")
            for line in config["options.entry_points"]["cergas"].splitlines()
            if line.strip()
        )
    }
    assert declared["email"] == "plugins.email"
    assert (ROOT / "plugins" / "__init__.py").is_file()
    assert (ROOT / "plugins" / "email" / "__init__.py").is_file()
