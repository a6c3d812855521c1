"""Single sign-on against a real OpenID Provider (tests/oidc/provider.js) and a real Cergas
server: signing in, unknown and inactive people, adding people at their first sign-on, and the
refusals: an ID token signed by another key, an ID token replayed from an earlier sign-in, a
callback URL used twice, an error from the provider; logging out at the provider too.

Slow (node and the provider's packages; skipped with the reason without them)."""

import logging
import os
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from app.extensions import db
from app.models import AdminEvent, LoginSession, SignInEvent, User
from tests import oidc_provider
from tests.conftest import build_org, make_app

pytestmark = pytest.mark.slow

SKIP = oidc_provider.skip_reason()
NIP_STAFF = "199001012015011004"


class Captured(logging.Handler):
    """What Cergas, Authlib and Flask log while the module runs. The request lines of werkzeug
    (the access log, which redacts query strings on its own) and urllib3 (the test's browsers
    log the URLs they visit) are left out."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        if not record.name.startswith(("werkzeug", "urllib3")):
            self.lines.append(f"{record.name}: {record.getMessage()}")


@pytest.fixture(scope="module")
def sso(tmp_path_factory):
    if SKIP:
        # CI installs node and the provider (.ci/run): a skip there would hide a broken setup.
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(SKIP)
        pytest.skip(SKIP)
    folder = tmp_path_factory.mktemp("sso")
    app_port, public_port, provider_port = (oidc_provider.free_port() for _ in range(3))
    app_url = f"http://127.0.0.1:{app_port}"
    public_url = f"http://127.0.0.1:{public_port}"
    provider = oidc_provider.Provider(provider_port, [app_url, public_url], folder / "provider.log")
    settings = {
        "OIDC_ISSUER": provider.issuer,
        "OIDC_CLIENT_ID": oidc_provider.CLIENT_ID,
        "OIDC_CLIENT_SECRET": oidc_provider.CLIENT_SECRET,
        "OIDC_SCOPES": "openid profile email",
        "OIDC_MATCH_CLAIM": "nip",
        "OIDC_NAME_CLAIM": "name",
        "OIDC_CREATE_UNIT": None,
        # The refusals below are many failures from one address: not slowed here
        # (tests/test_sso_settings.py checks that they count).
        "LOGIN_PAIR_FREE_FAILURES": 1000,
        "LOGIN_IP_MAX_FAILURES": 1000,
    }
    database = f"sqlite:///{folder / 'sso.db'}"
    app = make_app(database, **settings)
    build_org(app)
    # The same office as a public client (no secret: PKCE alone), matching by email.
    public = make_app(
        database,
        **{
            **settings,
            "OIDC_CLIENT_ID": "cergas-public",
            "OIDC_CLIENT_SECRET": None,
            "OIDC_MATCH_CLAIM": "email",
        },
    )
    captured = Captured()
    root = logging.getLogger()
    root.addHandler(captured)
    previous = root.level
    root.setLevel(logging.DEBUG)
    server = oidc_provider.LiveServer(app, app_port)
    public_server = oidc_provider.LiveServer(public, public_port)
    try:
        yield SimpleNamespace(
            app=app, url=app_url, public_url=public_url, provider=provider, logs=captured.lines
        )
    finally:
        public_server.stop()
        server.stop()
        provider.stop()
        root.removeHandler(captured)
        root.setLevel(previous)


@pytest.fixture
def browser(sso):
    sso.provider.token_mode("pass")
    with requests.Session() as session:
        yield session


def events(app, **where) -> list[SignInEvent]:
    with app.app_context():
        statement = select(SignInEvent).order_by(SignInEvent.id)
        for key, value in where.items():
            statement = statement.where(getattr(SignInEvent, key) == value)
        rows = db.session.scalars(statement).all()
        db.session.expunge_all()
        return rows


def signed_in(browser, sso) -> bool:
    answer = browser.get(f"{sso.url}/account/sessions", allow_redirects=False, timeout=10)
    return answer.status_code == 200


def staff_sessions(sso) -> list[str]:
    with sso.app.app_context():
        staff = db.session.scalar(select(User).where(User.nip == NIP_STAFF))
        return db.session.scalars(
            select(LoginSession.method)
            .where(LoginSession.user_id == staff.id)
            .order_by(LoginSession.id)
        ).all()


def test_sign_in_through_the_provider(sso, browser):
    before = staff_sessions(sso)
    ok_before = len(events(sso.app, method="oidc", outcome="ok", login=NIP_STAFF))
    callback = oidc_provider.sign_in_at_provider(
        browser, sso.url, "staff", next_path="/account/sessions"
    )
    query = parse_qs(urlsplit(callback).query)
    code, state = query["code"][0], query["state"][0]
    answer = browser.get(callback, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:1000]
    assert answer.headers["Location"].endswith("/account/sessions")
    assert signed_in(browser, sso)
    assert staff_sessions(sso) == [*before, "oidc"]
    assert len(events(sso.app, method="oidc", outcome="ok", login=NIP_STAFF)) == ok_before + 1
    # Neither the code nor the state reached Cergas' own logs (nor Authlib's).
    text = "\n".join(sso.logs)
    assert code not in text and state not in text


def test_a_public_client_matching_by_email(sso, browser):
    with sso.app.app_context():
        person = db.session.scalar(select(User).where(User.nip == NIP_STAFF))
        person.email = "Agus@example.go.id"
        db.session.commit()
    callback = oidc_provider.sign_in_at_provider(browser, sso.public_url, "staff")
    answer = browser.get(callback, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:1000]
    assert browser.get(f"{sso.public_url}/account/sessions", timeout=10).url.endswith(
        "/account/sessions"
    )
    assert events(sso.app, outcome="ok", login="agus@example.go.id")


def test_a_person_nobody_knows_gets_a_page_saying_whom_to_ask(sso, browser):
    callback = oidc_provider.sign_in_at_provider(browser, sso.url, "stranger")
    answer = browser.get(callback, allow_redirects=False, timeout=10)
    assert answer.status_code == 403
    assert "tidak dikenal" in answer.text
    assert "199505052020121007" in answer.text  # their NIP, to quote to an administrator
    assert not signed_in(browser, sso)
    (row,) = events(sso.app, outcome="unknown_person", login="199505052020121007")
    assert row.method == "oidc" and row.user_id is None


def test_unknown_people_are_added_to_the_configured_unit(sso, browser):
    sso.app.config["OIDC_CREATE_UNIT"] = "SEKSI-APL"
    try:
        callback = oidc_provider.sign_in_at_provider(browser, sso.url, "newcomer")
        answer = browser.get(callback, allow_redirects=False, timeout=10)
    finally:
        sso.app.config["OIDC_CREATE_UNIT"] = None
    assert answer.status_code == 302, answer.text[:1000]
    assert signed_in(browser, sso)
    with sso.app.app_context():
        person = db.session.scalar(select(User).where(User.nip == "199707072022032008"))
        assert person.name == "Wulan Sari, S.Kom."
        assert person.email == "wulan@example.go.id"
        assert [(m.unit.code, m.role) for m in person.memberships] == [("SEKSI-APL", "member")]
        audit = db.session.scalars(
            select(AdminEvent).where(AdminEvent.kind == "user.created_at_sign_in")
        ).all()
        assert [(row.target_id, row.after["unit"]) for row in audit] == [(person.id, "SEKSI-APL")]


def test_an_inactive_person_is_refused(sso, browser):
    with sso.app.app_context():
        person = db.session.scalar(select(User).where(User.nip == "199202022016012005"))
        person.active = False
        person_id = person.id
        db.session.commit()
    try:
        callback = oidc_provider.sign_in_at_provider(browser, sso.url, "staff2")
        answer = browser.get(callback, allow_redirects=False, timeout=10)
    finally:
        with sso.app.app_context():
            db.session.get(User, person_id).active = True
            db.session.commit()
    assert answer.status_code == 403
    assert "dinonaktifkan" in answer.text
    assert not signed_in(browser, sso)
    assert [row.user_id for row in events(sso.app, outcome="refused")] == [person_id]


def refused(sso, browser, callback) -> str:
    """Visit the callback; it must answer the error page, sign nobody in and log why."""
    before = len(sso.logs)
    answer = browser.get(callback, allow_redirects=False, timeout=10)
    assert answer.status_code == 400, answer.text[:1000]
    assert "tidak dapat diselesaikan" in answer.text
    assert "Traceback" not in answer.text
    assert not signed_in(browser, sso)
    return "\n".join(sso.logs[before:])


def test_an_id_token_signed_by_another_key_is_refused(sso, browser):
    sso.provider.token_mode("forge")
    callback = oidc_provider.sign_in_at_provider(browser, sso.url, "staff")
    why = refused(sso, browser, callback)
    assert "BadSignatureError" in why


def test_an_id_token_from_an_earlier_sign_in_is_refused(sso, browser):
    first = oidc_provider.sign_in_at_provider(browser, sso.url, "staff")
    assert browser.get(first, allow_redirects=False, timeout=10).status_code == 302
    # A new sign-in (new state, new nonce) answered with the earlier sign-in's ID token.
    sso.provider.token_mode("replay")
    with requests.Session() as other:
        callback = oidc_provider.sign_in_at_provider(other, sso.url, "staff")
        why = refused(sso, other, callback)
    assert "nonce" in why


def test_a_callback_url_works_once(sso, browser):
    callback = oidc_provider.sign_in_at_provider(browser, sso.url, "staff")
    assert browser.get(callback, allow_redirects=False, timeout=10).status_code == 302
    failures = len(events(sso.app, method="oidc", outcome="wrong_credentials"))
    # Again in the same browser (signed in, the state spent), and in another browser.
    browser.post(f"{sso.url}/logout", timeout=10, allow_redirects=False)
    assert "mismatching_state" in refused(sso, browser, callback)
    with requests.Session() as other:
        assert "mismatching_state" in refused(sso, other, callback)
    assert len(events(sso.app, method="oidc", outcome="wrong_credentials")) == failures + 2


def test_an_error_from_the_provider_is_shown_as_a_page(sso, browser):
    start = browser.get(f"{sso.url}/login/sso", allow_redirects=False, timeout=10)
    _target, page = oidc_provider.follow(browser, start, f"{sso.url}/login/sso/callback")
    # The person cancels at the provider's sign-in page.
    abort = browser.get(f"{page.url.rstrip('/')}/abort", allow_redirects=False, timeout=10)
    callback, _page = oidc_provider.follow(browser, abort, f"{sso.url}/login/sso/callback")
    assert "error=access_denied" in callback
    assert "access_denied" in refused(sso, browser, callback)


def test_logging_out_ends_the_provider_session_too(sso, browser):
    callback = oidc_provider.sign_in_at_provider(browser, sso.url, "staff")
    assert browser.get(callback, allow_redirects=False, timeout=10).status_code == 302
    answer = browser.post(f"{sso.url}/logout", allow_redirects=False, timeout=10)
    target = answer.headers["Location"]
    assert target.startswith(f"{sso.provider.issuer}/session/end?")
    query = parse_qs(urlsplit(target).query)
    assert query["client_id"] == [oidc_provider.CLIENT_ID]
    assert query["post_logout_redirect_uri"] == [f"{sso.url}/login"]
    assert not signed_in(browser, sso)
    # The provider asks whether to sign out there too; yes, then it sends the browser back.
    confirm = browser.get(target, timeout=10)
    action, fields = oidc_provider.form_of(confirm)
    done = browser.post(action, data={**fields, "logout": "yes"}, allow_redirects=False, timeout=10)
    back, _page = oidc_provider.follow(browser, done, f"{sso.url}/login")
    assert back is not None
    # The provider's session is gone: the next single sign-on asks for the login again.
    start = browser.get(f"{sso.url}/login/sso", allow_redirects=False, timeout=10)
    target, page = oidc_provider.follow(browser, start, f"{sso.url}/login/sso/callback")
    assert target is None and 'name="login"' in page.text
