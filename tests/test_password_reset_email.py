"""Reset links by email, end to end through a real SMTP server on 127.0.0.1 (aiosmtpd): ask, get
the email, follow the link, set a password, sign in with it; the old sessions and tokens are
dead, the link works once, and an unknown account gets the same answer and no email."""

import asyncio
import re
import time

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update

from app.extensions import db
from app.models import User
from app.services import accounts, passwords
from tests.conftest import PASSWORD, build_org, get_user, make_app
from tests.test_email_channel import Inbox, free_port

pytestmark = pytest.mark.pg

BASE_URL = "https://cergas.example.go.id"
EMAIL = "agus.pratama@kominfo.example.go.id"
NEW = "kuda-lari-di-sawah"
SENT = "forgot-sent"


class SlowInbox(Inbox):
    """An SMTP server that takes its time to accept a message, like a busy one."""

    delay = 0.0

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp_server():
    inbox = SlowInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def office(database_url, smtp_server, monkeypatch):
    """An app sending through the test server, its org, and staff with an email address."""
    for name in ("SMTP_URL", "MAIL_FROM", "BASE_URL", "SMTP_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    app = make_app(
        database_url,
        SMTP_URL=f"smtp://127.0.0.1:{smtp_server.port}",
        MAIL_FROM="cergas@kominfo.example.go.id",
        BASE_URL=BASE_URL,
    )
    org = build_org(app)
    with app.app_context():
        db.session.execute(update(User).where(User.id == org.users["staff"]).values(email=EMAIL))
        db.session.commit()
    yield app, org
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def ask(app, login, client=None):
    response = (client or app.test_client()).post("/auth/forgot", data={"login": login})
    passwords.wait_for_mail(app)
    return response


def without_csrf(page: str) -> str:
    """A page without its CSRF tokens (each new browser gets its own)."""
    return re.sub(r'(csrf_token" value=|"X-CSRFToken": |csrf-token" content=)"[^"]*"', "", page)


def link_in(message) -> str:
    body = message["message"].get_content()
    (line,) = [line for line in body.splitlines() if line.startswith(BASE_URL)]
    return line


def test_a_reset_by_email_from_request_to_sign_in(office, smtp_server):
    app, org = office
    nip = org.nips["staff"]
    old = app.test_client()
    old.post("/login", data={"username": nip, "password": PASSWORD})
    with app.app_context():
        token = accounts.create_token(get_user("staff", org), "skrip")

    answer = ask(app, nip)
    assert answer.status_code == 200 and f'id="{SENT}"' in answer.text
    (sent,) = smtp_server.messages
    assert sent["to"] == [EMAIL] and sent["from"] == "cergas@kominfo.example.go.id"
    assert sent["message"]["Subject"] == "Atur ulang kata sandi Cergas Anda"
    link = link_in(sent)
    assert link.startswith(f"{BASE_URL}/auth/reset/")
    assert "Agus Pratama" in sent["message"].get_content()

    browser = app.test_client()
    path = link.removeprefix(BASE_URL)
    assert browser.get(path).status_code == 200
    done = browser.post(path, data={"new_password": NEW, "confirm_password": NEW})
    assert done.status_code == 303 and done.headers["Location"] == "/login"
    assert browser.post("/login", data={"username": nip, "password": NEW}).status_code == 302
    assert browser.get("/").status_code == 200
    assert (
        app.test_client().post("/login", data={"username": nip, "password": PASSWORD}).status_code
        == 401
    )
    # Every old session and token is dead.
    assert old.get("/").status_code == 302
    assert (
        old.get("/api/v1/boards", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    )

    reused = app.test_client().post(
        path, data={"new_password": NEW + "!", "confirm_password": NEW + "!"}
    )
    assert reused.status_code == 410 and 'id="dead-title"' in reused.text
    assert 'href="/auth/forgot"' in reused.text


def test_an_unknown_account_gets_the_same_answer_and_no_email(office, smtp_server):
    app, org = office
    known = ask(app, org.nips["staff"])
    unknown = ask(app, "199912312099121001")
    no_email = ask(app, org.nips["kasi"])  # exists, but has no address
    by_address = ask(app, "nobody@kominfo.example.go.id")
    assert known.status_code == unknown.status_code == no_email.status_code == 200
    pages = {without_csrf(answer.text) for answer in (known, unknown, no_email, by_address)}
    assert len(pages) == 1
    assert [m["to"] for m in smtp_server.messages] == [[EMAIL]]


def test_the_address_may_name_the_account_whatever_its_case(office, smtp_server):
    app, _org = office
    ask(app, EMAIL.upper())
    assert [m["to"] for m in smtp_server.messages] == [[EMAIL]]


def test_an_expired_emailed_link_is_refused(office, smtp_server):
    app, org = office
    ask(app, org.nips["staff"])
    path = link_in(smtp_server.messages[0]).removeprefix(BASE_URL)
    from datetime import timedelta

    from app.models import PasswordReset

    with app.app_context():
        minutes = app.config["PASSWORD_RESET_MINUTES"]
        db.session.execute(
            update(PasswordReset).values(
                created_at=PasswordReset.created_at - timedelta(minutes=minutes + 1),
                expires_at=PasswordReset.expires_at - timedelta(minutes=minutes + 1),
            )
        )
        db.session.commit()
    response = app.test_client().post(path, data={"new_password": NEW, "confirm_password": NEW})
    assert response.status_code == 410


def test_the_answer_does_not_wait_for_the_mail_server_and_takes_as_long_either_way(
    office, smtp_server
):
    app, org = office
    app.config["PASSWORD_RESET_ANSWER_SECONDS"] = 0.3
    smtp_server.delay = 1.5
    timings = {}
    for login in (org.nips["staff"], "199912312099121001"):
        started = time.monotonic()
        response = app.test_client().post("/auth/forgot", data={"login": login})
        timings[login] = time.monotonic() - started
        assert response.status_code == 200
    assert all(0.3 <= seconds < 1.2 for seconds in timings.values()), timings
    assert smtp_server.messages == []  # still on its way
    passwords.wait_for_mail(app)
    assert len(smtp_server.messages) == 1


def test_requests_are_limited_per_account_silently_and_per_address_openly(office, smtp_server):
    app, org = office
    per_account = app.config["PASSWORD_RESETS_PER_ACCOUNT"]
    answers = [ask(app, org.nips["staff"]) for _ in range(per_account + 2)]
    assert {a.status_code for a in answers} == {200}
    assert len(smtp_server.messages) == per_account
    app.config["PASSWORD_RESETS_PER_ADDRESS"] = per_account + 3
    assert ask(app, "199912312099121001").status_code == 200
    refused = ask(app, "199912312099121001")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    other = app.test_client()
    answer = other.post(
        "/auth/forgot", data={"login": "x"}, environ_base={"REMOTE_ADDR": "10.1.2.3"}
    )
    assert answer.status_code == 200


def test_an_issued_link_may_also_be_emailed_and_says_who_issued_it(office, smtp_server):
    app, org = office
    head = app.test_client()
    head.post("/login", data={"username": org.nips["kasi"], "password": PASSWORD})
    page = head.post(f"/people/{org.nips['staff']}/reset-link", data={"send_email": "1"})
    assert page.status_code == 200
    passwords.wait_for_mail(app)
    (sent,) = smtp_server.messages
    body = sent["message"].get_content()
    assert "Siti Rahmawati" in body
    assert link_in(sent) in page.text


def test_the_email_speaks_the_person_s_language(office, smtp_server):
    app, org = office
    with app.app_context():
        db.session.execute(update(User).where(User.id == org.users["staff"]).values(locale="en"))
        db.session.commit()
    ask(app, org.nips["staff"])
    assert smtp_server.messages[0]["message"]["Subject"] == "Reset your Cergas password"


def test_without_base_url_no_email_leaves_with_a_link_that_cannot_be_followed(office, smtp_server):
    app, org = office
    app.config["BASE_URL"] = ""
    answer = ask(app, org.nips["staff"])
    assert answer.status_code == 200
    assert smtp_server.messages == []
