"""Logging in and out, the language switch, CSRF, security headers and cookies (failed logins:
tests/test_login_ratelimit.py)."""

import re

import pytest

from app.extensions import db
from app.models import User
from tests.conftest import PASSWORD, make_app
from tests.i18n_helpers import t


def page(response) -> str:
    return response.get_data(as_text=True)


def test_login_page_has_the_named_fields_and_a_language_switch(client, org):
    html = page(client.get("/login"))
    assert 'name="username"' in html and 'name="password"' in html
    assert 'action="/language"' in html and 'name="locale" value="en"' in html


def test_login_with_nip_shows_my_work_and_logout_ends_the_session(client, auth, org):
    response = auth.login(org.nips["staff"])
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Agus Pratama" in page(client.get("/"))
    response = auth.logout()
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_login_with_username(client, auth, org):
    assert auth.login("admin").status_code == 302
    assert "Administrator" in page(client.get("/boards"))


def test_wrong_password_is_refused_with_a_message(client, auth, org):
    response = auth.login(org.nips["staff"], "salah-sandi")
    assert response.status_code == 401
    message = t("Wrong NIP/username or password.")
    assert re.search(rf'role="alert"[^>]*>{re.escape(message)}</div>', page(response))
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    "next_value, expected",
    [
        ("/boards", "/boards"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil", "/"),
    ],
)
def test_next_parameter_is_followed_only_for_local_paths(client, org, next_value, expected):
    response = client.post(
        "/login", data={"username": org.nips["staff"], "password": PASSWORD, "next": next_value}
    )
    assert response.status_code == 302 and response.headers["Location"] == expected


@pytest.mark.parametrize(
    "path", ["/", "/boards", "/boards/1", "/boards/1/settings", "/cards/1", "/cards/1/move"]
)
def test_pages_need_a_login_and_come_back_after_it(client, org, path):
    response = client.get(path)
    assert response.status_code == 302
    login_page = response.headers["Location"]
    assert login_page.startswith("/login?next=")
    html = page(client.get(login_page))
    login_form = html[html.index('<form method="post" action="/login"') :]
    next_path = re.search(r'name="next" value="([^"]+)"', login_form).group(1)
    assert next_path == path
    response = client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "next": next_path}
    )
    assert response.headers["Location"] == path


def test_htmx_request_without_login_redirects_the_whole_page(client, org):
    response = client.post("/cards/1/move", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_visitor_language_choice_is_kept_in_the_session(client, org):
    """(With people in the database: an empty one leads every page to /setup.)"""
    assert t("Log in to Cergas") in page(client.get("/login"))  # Indonesian until a choice
    response = client.post("/language", data={"locale": "en", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    html = page(client.get("/login"))
    assert '<html lang="en">' in html and "Log in to Cergas" in html
    client.post("/language", data={"locale": "id", "next": "/login"})
    html = page(client.get("/login"))
    assert '<html lang="id">' in html and t("Log in to Cergas") in html


def test_user_language_choice_is_saved_on_the_account(app, client, auth, org):
    auth.login(org.nips["staff"])
    response = client.post("/language", data={"locale": "en", "next": "/boards"})
    assert response.headers["Location"] == "/boards"
    html = page(client.get("/boards"))
    assert '<html lang="en">' in html and "<h1>Boards</h1>" in html
    with app.app_context():
        assert db.session.get(User, org.users["staff"]).locale == "en"


def test_unknown_language_changes_nothing(app, client, auth, org):
    auth.login(org.nips["staff"])
    response = client.post("/language", data={"locale": "fr", "next": "https://evil.example/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert t("This language is not available.") in page(client.get("/"))
    with app.app_context():
        assert db.session.get(User, org.users["staff"]).locale is None


def test_session_cookie_is_httponly_and_samesite_lax(client, auth, org):
    response = auth.login(org.nips["staff"])
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=|\shx-on", re.I)


def test_pages_carry_security_headers_and_no_inline_code(client, auth, org):
    check_page(client.get("/login"), "/login")
    auth.login(org.nips["kasi"])
    pages = [
        "/",
        "/boards",
        f"/boards/{org.board_id}",
        f"/boards/{org.board_id}/settings",
        "/nowhere",
    ]
    client.post(
        f"/boards/{org.board_id}/cards", data={"title": "Nota dinas", "column_id": org.backlog}
    )
    pages += ["/cards/1", "/cards/1/move"]
    for path in pages:
        check_page(client.get(path), path)


def check_page(response, path):
    assert response.status_code in (200, 404), path
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"]
    html = page(response)
    assert not INLINE_SCRIPT.search(html), path
    assert not INLINE_STYLE.search(html), path
    assert '"allowEval":false' in html and '"includeIndicatorStyles":false' in html


@pytest.fixture
def csrf_client(database_url):
    """An app with CSRF protection on, as in production."""
    from app.services import accounts

    app = make_app(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        accounts.create_user("Agus Pratama", PASSWORD, username="agus")
    yield app.test_client()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_post_without_csrf_token_is_refused_and_with_it_works(csrf_client):
    response = csrf_client.post("/login", data={"username": "agus", "password": PASSWORD})
    assert response.status_code == 400
    assert t("The form expired or came from elsewhere. Reload the page and try again.") in page(
        response
    )
    token = re.search(r'name="csrf_token" value="([^"]+)"', page(csrf_client.get("/login"))).group(
        1
    )
    response = csrf_client.post(
        "/login", data={"username": "agus", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    # htmx sends the token in a header, taken from hx-headers on <body>.
    html = page(csrf_client.get("/"))
    header_token = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", html).group(1)
    refused = csrf_client.post("/language", data={"locale": "en"}, headers={"HX-Request": "true"})
    assert refused.status_code == 400
    accepted = csrf_client.post(
        "/language", data={"locale": "en"}, headers={"X-CSRFToken": header_token}
    )
    assert accepted.status_code == 302


def test_user_lookup_by_nip_is_exact(app, client, org):
    """A NIP prefix is not a login."""
    response = client.post(
        "/login", data={"username": org.nips["staff"][:10], "password": PASSWORD}
    )
    assert response.status_code == 401
    assert client.get("/").status_code == 302


def test_static_files_and_error_pages_need_no_login(client):
    for path in ("/static/app.js", "/static/app.css", "/static/vendor/htmx-2.0.11.min.js"):
        assert client.get(path).status_code == 200, path
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert t("Page not found.") in page(response) and 'href="/login"' in page(response)


def test_language_switch_on_a_refused_form_goes_back_to_the_form_page(client, auth, org):
    auth.login(org.nips["staff"])
    board = f"/boards/{org.board_id}"
    refused = client.post(
        f"{board}/cards",
        data={"title": "", "column_id": org.backlog},
        headers={"Referer": f"http://localhost{board}?q=surat"},
    )
    assert refused.status_code == 422
    assert f'name="next" value="{board}?q=surat"' in page(refused)
