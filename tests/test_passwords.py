"""Passwords: the rules a new password meets, changing one's own (current password required,
counted like a failed login, other sessions end), reset links issued by heads and admins (who
may, for whom), using a link once, and the commands for the server's operator. Reset links by
email, end to end through an SMTP server: tests/test_password_reset_email.py."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.config import from_environment
from app.extensions import db
from app.models import AdminEvent, PasswordReset, User
from app.services import accounts, password_rules, passwords
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.person_fields import UNUSABLE_PASSWORD
from app.services.validation import FieldError
from tests.conftest import PASSWORD, get_user, make_app

pytestmark = pytest.mark.pg

NEW = "kuda-lari-di-sawah"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def field_errors(page: str) -> dict[str, str]:
    """{field id: message} of the field errors shown on a page."""
    return dict(re.findall(r'<p class="field-error" id="([\w-]+)-error">([^<]*)</p>', page))


def log_rows(app, kind: str) -> list[AdminEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AdminEvent).where(AdminEvent.kind == kind)))


def issued_link(page: str) -> str:
    """The path of the reset link shown on the page after issuing one."""
    link = re.search(r'id="reset-link"[^>]*>([^<]+)</textarea>', page).group(1)
    return link[link.index("/auth/reset/") :]


def reset_path(app, login: str) -> str:
    with app.app_context():
        return passwords.issue_link(None, login).path


# The rules


@pytest.mark.parametrize(
    "password",
    ["pendek1", "password123", "PASSWORD123", "Bismillah123", " qwerty123 ", "rahasiaku"],
)
def test_short_and_common_passwords_are_refused(app, password):
    with app.app_context(), pytest.raises(FieldError):
        password_rules.check(password)


def test_the_shipped_list_holds_django_s_20000_and_the_indonesian_ones(app):
    common = password_rules.common_passwords()
    assert len(common) > 19_000
    assert {"password", "bismillah", "indonesia", "rahasia", "katasandi123"} <= common
    # The demo's password stays usable: `cergas demo` makes its accounts with it.
    assert "cergas123" not in common


def test_a_password_may_not_be_the_person_s_nip_username_or_name(app):
    with app.app_context():
        for password in (
            "199001012015031001",
            "agus.pratama",
            "Wijayakusuma",
            "hendrawijayakusuma",
        ):
            with pytest.raises(FieldError):
                password_rules.check(
                    password,
                    name="Ir. Hendra Wijayakusuma, M.T.",
                    nip="199001012015031001",
                    username="agus.pratama",
                )
        assert password_rules.check(NEW, name="Hendra Wijayakusuma") == NEW


def test_at_most_200_characters(app):
    with app.app_context():
        assert password_rules.check("a-b" * 66 + "xy")  # 200
        with pytest.raises(FieldError):
            password_rules.check("a-b" * 67)


def test_the_minimum_length_is_a_setting_of_at_least_8(database_url, monkeypatch):
    app = make_app(database_url, PASSWORD_MIN_LENGTH=12)
    with app.app_context():
        with pytest.raises(FieldError):
            password_rules.check("kuda-lari1")  # 10
        assert password_rules.check("kuda-lari-cepat")
    monkeypatch.setenv("CERGAS_PASSWORD_MIN_LENGTH", "6")
    given = {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", "REDIS_URL": None}
    with pytest.raises(SystemExit, match="at least 8"):
        from_environment(Path(app.instance_path), given)
    monkeypatch.setenv("CERGAS_PASSWORD_MIN_LENGTH", "14")
    assert from_environment(Path(app.instance_path), given)["PASSWORD_MIN_LENGTH"] == 14


def test_creating_a_person_checks_the_same_rules(app):
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            accounts.create_user("Agus Pratama", "password123", username="agus")
        assert set(refused.value.fields) == {"password"}
        with pytest.raises(Invalid):
            accounts.create_user("Agus Pratama", "aguspratama", username="agus")


# Changing one's own password


def change(client, current, new=NEW, confirm=None):
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        },
    )


def test_a_wrong_current_password_is_a_field_error_and_changes_nothing(app, client, auth, org):
    auth.login(org.nips["staff"])
    response = change(client, "salah-sekali")
    assert response.status_code == 422
    assert set(field_errors(response.text)) == {"current-password"}
    assert 'id="current-password"' in response.text and 'aria-invalid="true"' in response.text
    auth.logout()
    assert auth.login(org.nips["staff"]).status_code == 302  # the old one still works
    assert log_rows(app, "user.password_changed") == []


def test_common_short_and_mismatched_new_passwords_are_refused_next_to_their_fields(
    client, auth, org
):
    auth.login(org.nips["staff"])
    for new, confirm in (("password123", None), ("pendek", None), ("Agus-Pratama", None)):
        errors = field_errors(change(client, PASSWORD, new, confirm).text)
        assert set(errors) == {"new-password"}, (new, errors)
    errors = field_errors(change(client, PASSWORD, NEW, NEW + "x").text)
    assert set(errors) == {"confirm-password"}
    assert set(field_errors(change(client, PASSWORD, PASSWORD).text)) == {"new-password"}


def test_wrong_current_passwords_are_counted_by_the_sign_in_limit(app, client, auth, org):
    auth.login(org.nips["staff"])
    free = app.config["LOGIN_PAIR_FREE_FAILURES"]
    for _attempt in range(free):
        assert change(client, "tebak-tebakan").status_code == 422
    response = change(client, PASSWORD)  # even the right one waits now
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
    assert "alert-locked" in response.text
    # and so does signing in with the same account from the same address
    other = app.test_client()
    answer = other.post("/login", data={"username": org.nips["staff"], "password": PASSWORD})
    assert answer.status_code == 429


def test_a_change_ends_the_other_sessions_and_tokens_but_not_this_one(app, client, auth, org):
    auth.login(org.nips["staff"])
    phone = app.test_client()
    phone.post("/login", data={"username": org.nips["staff"], "password": PASSWORD})
    with app.app_context():
        token = accounts.create_token(get_user("staff", org), "skrip")
        colleague = accounts.create_token(get_user("kasi", org), "skrip")
        link = passwords.issue_link(None, org.nips["staff"]).path
    response = change(client, PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/account/sessions"
    assert signed_in(client) and not signed_in(phone)
    assert client.get("/api/v1/boards", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/boards", headers=bearer(colleague)).status_code == 200
    assert client.get(link).status_code == 410  # unused reset links die
    auth.logout()
    assert auth.login(org.nips["staff"], NEW).status_code == 302
    (row,) = log_rows(app, "user.password_changed")
    assert row.after == {"sessions_ended": 1, "tokens_revoked": 1}
    assert PASSWORD not in str(row.after) and NEW not in str(row.after) and NEW not in row.note
    with app.app_context():
        assert get_user("staff", org).password_changed_at is not None


def test_the_api_changes_the_password_and_keeps_the_token_of_the_request(app, client, org):
    with app.app_context():
        mine = accounts.create_token(get_user("staff", org), "ini")
        other = accounts.create_token(get_user("staff", org), "itu")
    wrong = client.post(
        "/api/v1/me/password",
        json={"current_password": "salah-sekali", "new_password": NEW},
        headers=bearer(mine),
    )
    assert wrong.status_code == 422
    assert set(wrong.get_json()["error"]["fields"]) == {"current_password"}
    common = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": "iloveyou"},
        headers=bearer(mine),
    )
    assert common.status_code == 422 and set(common.get_json()["error"]["fields"]) == {
        "new_password"
    }
    done = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW},
        headers=bearer(mine),
    )
    assert done.status_code == 200, done.get_json()
    assert done.get_json() == {"sessions_ended": 0, "tokens_revoked": 1}
    assert client.get("/api/v1/boards", headers=bearer(mine)).status_code == 200
    assert client.get("/api/v1/boards", headers=bearer(other)).status_code == 401


def test_the_password_page_is_linked_from_the_sessions_page(client, auth, org):
    auth.login(org.nips["staff"])
    assert 'href="/account/password"' in client.get("/account/sessions").text
    page = client.get("/account/password")
    assert page.status_code == 200 and 'autocomplete="new-password"' in page.text


# Issuing a reset link for someone


def test_a_head_issues_a_link_for_a_member_and_it_sets_a_password_once(app, client, auth, org):
    staff = org.nips["staff"]
    with app.app_context():
        token = accounts.create_token(get_user("staff", org), "skrip")
    phone = app.test_client()
    phone.post("/login", data={"username": staff, "password": PASSWORD})
    auth.login(org.nips["kasi"])
    response = client.post(f"/people/{staff}/reset-link")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    path = issued_link(response.text)
    (row,) = log_rows(app, "user.password_reset_issued")
    assert row.actor_id == org.users["kasi"] and row.target_id == org.users["staff"]
    assert path.rsplit("/", 1)[1] not in str(row.after)
    with app.app_context():
        stored = db.session.scalar(select(PasswordReset))
        assert stored.token_hash != path.rsplit("/", 1)[1] and len(stored.token_hash) == 64
        lifetime = stored.expires_at - stored.created_at
        assert lifetime == timedelta(hours=app.config["PASSWORD_ISSUED_RESET_HOURS"])
    # The old password works until the link is used.
    stranger = app.test_client()
    assert stranger.get(path).status_code == 200
    used = stranger.post(path, data={"new_password": NEW, "confirm_password": NEW})
    assert used.status_code == 303 and used.headers["Location"] == "/login"
    assert not signed_in(phone)
    assert client.get("/api/v1/boards", headers=bearer(token)).status_code == 401
    assert stranger.post("/login", data={"username": staff, "password": NEW}).status_code == 302
    again = app.test_client().post(
        path, data={"new_password": NEW + "2", "confirm_password": NEW + "2"}
    )
    assert again.status_code == 410 and 'id="dead-title"' in again.text
    assert 'href="/auth/forgot"' in again.text


def test_the_person_s_page_offers_the_button_to_who_may_use_it(app, client, auth, org):
    with app.app_context():
        kasi, staff = get_user("kasi", org), get_user("staff", org)
        staff2 = get_user("staff2", org)
        assert passwords.may_issue_link(kasi, staff)
        assert not passwords.may_issue_link(staff2, staff)
        assert not passwords.may_issue_link(staff, staff)
    auth.login(org.nips["kasi"])
    with app.test_request_context():
        from flask import render_template
        from flask_login import login_user

        with app.app_context():
            login_user(get_user("kasi", org))
            shown = render_template("people/_password_actions.html", person=get_user("staff", org))
            hidden = render_template("people/_password_actions.html", person=get_user("kasi", org))
    assert f'action="/people/{org.nips["staff"]}/reset-link"' in shown
    assert "reset-link" not in hidden


@pytest.fixture
def office(app, org):
    """An admin who is a member of the staff's unit, and the head of another unit."""
    with app.app_context():
        accounts.create_user(
            "Admin Seksi", PASSWORD, username="adminseksi", unit_code="SEKSI-APL", admin=True
        )
        accounts.create_user(
            "Kepala IKP", PASSWORD, username="kepalaikp", unit_code="BID-IKP", role="head"
        )
    return org


def refusal(app, actor_login, login):
    with app.app_context():
        actor = accounts.find_login(actor_login)
        with pytest.raises((Forbidden, NotFound)) as refused:
            passwords.issue_link(actor, login)
        return refused.value.status


def test_who_may_not_issue_a_link(app, office):
    nips = office.nips
    assert refusal(app, "kepalaikp", nips["staff"]) == 404  # head of another unit
    assert refusal(app, nips["kasi"], "adminseksi") == 403  # a head, for an admin
    assert refusal(app, nips["kasi"], nips["kasi"]) == 403  # oneself
    assert refusal(app, "admin", "admin") == 403  # oneself, even an admin
    assert refusal(app, nips["staff2"], nips["staff"]) == 403  # a colleague
    with app.app_context():
        admin = accounts.find_login("admin")
        assert passwords.issue_link(admin, "adminseksi").path.startswith("/auth/reset/")
        kabid = accounts.find_login(nips["kabid"])  # the head above
        assert passwords.issue_link(kabid, nips["staff"]).path
    assert len(log_rows(app, "user.password_reset_issued")) == 2


def test_the_api_issues_a_link_once_with_its_expiry(app, client, office):
    with app.app_context():
        kasi = accounts.create_token(get_user("kasi", office), "skrip")
    response = client.post(
        f"/api/v1/users/{office.nips['staff']}/reset-link", headers=bearer(kasi), json={}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["link"].startswith("http://localhost/auth/reset/")
    assert body["expires_at"].endswith("Z") and body["emailed"] is False
    assert body["activation"] is False
    for login, status in (("adminseksi", 403), (office.nips["kasi"], 403)):
        answer = client.post(f"/api/v1/users/{login}/reset-link", headers=bearer(kasi))
        assert answer.status_code == status
        assert answer.get_json()["error"]["code"] == "forbidden"


def test_a_new_person_without_a_password_activates_the_account_with_the_link(app, client, org):
    with app.app_context():
        person = User(name="Putri Ayu", username="putri", password_hash=UNUSABLE_PASSWORD)
        db.session.add(person)
        db.session.commit()
        issued = passwords.issue_link(None, "putri")
        assert issued.activation
    assert client.post("/login", data={"username": "putri", "password": "!"}).status_code == 401
    page = client.get(issued.path)
    assert page.status_code == 200 and "Putri Ayu" in page.text
    assert "Activate" in page.text or "Aktifkan" in page.text
    client.post(issued.path, data={"new_password": NEW, "confirm_password": NEW})
    assert client.post("/login", data={"username": "putri", "password": NEW}).status_code == 302
    assert len(log_rows(app, "user.activated")) == 1


def test_an_expired_link_is_refused(app, client, org):
    path = reset_path(app, org.nips["staff"])
    with app.app_context():
        db.session.execute(
            update(PasswordReset).values(expires_at=PasswordReset.created_at - timedelta(seconds=1))
        )
        db.session.commit()
    for response in (
        client.get(path),
        client.post(path, data={"new_password": NEW, "confirm_password": NEW}),
    ):
        assert response.status_code == 410 and 'id="dead-title"' in response.text
    assert (
        client.post("/login", data={"username": org.nips["staff"], "password": NEW}).status_code
        == 401
    )


def test_a_link_dies_when_the_password_is_set_another_way(app, client, org):
    first, second = reset_path(app, org.nips["staff"]), reset_path(app, org.nips["staff"])
    assert (
        client.post(first, data={"new_password": NEW, "confirm_password": NEW}).status_code == 303
    )
    assert client.get(second).status_code == 410
    assert client.get("/auth/reset/" + "x" * 43).status_code == 410
    assert client.get("/auth/reset/" + "x" * 200).status_code == 410


def test_a_bad_new_password_on_the_link_s_page_keeps_the_link(app, client, org):
    path = reset_path(app, org.nips["staff"])
    response = client.post(
        path, data={"new_password": "password1", "confirm_password": "password1"}
    )
    assert response.status_code == 422 and set(field_errors(response.text)) == {"new-password"}
    assert client.get(path).status_code == 200


def test_a_deactivated_person_gets_no_link(app, org):
    with app.app_context():
        get_user("staff", org).active = False
        db.session.commit()
        admin = accounts.find_login("admin")
        with pytest.raises(Conflict) as refused:
            passwords.issue_link(admin, org.nips["staff"])
        assert refused.value.status == 409


# The commands


def test_the_cli_sets_a_password_and_prints_a_link(app, client, org):
    runner = app.test_cli_runner()
    with app.app_context():
        token = accounts.create_token(get_user("staff", org), "skrip")
    result = runner.invoke(
        args=["users", "set-password", org.nips["staff"]], input=f"{NEW}\n{NEW}\n"
    )
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/boards", headers=bearer(token)).status_code == 401
    assert (
        client.post("/login", data={"username": org.nips["staff"], "password": NEW}).status_code
        == 302
    )
    refused = runner.invoke(
        args=["users", "set-password", org.nips["staff"]], input="password1\npassword1\n"
    )
    assert refused.exit_code == 1 and "Error:" in refused.output
    (row,) = log_rows(app, "user.password_set")
    assert row.actor_id is None
    printed = runner.invoke(args=["users", "reset-link", org.nips["kasi"]])
    assert printed.exit_code == 0, printed.output
    path = next(line for line in printed.output.splitlines() if line.startswith("/auth/reset/"))
    assert client.get(path).status_code == 200
    assert len(log_rows(app, "user.password_reset_issued")) == 1
    missing = runner.invoke(args=["users", "reset-link", "tidak-ada"])
    assert missing.exit_code == 1 and "Error:" in missing.output


def test_the_issued_link_can_be_sent_by_whatsapp_to_the_person_s_phone(app, client, auth, org):
    with app.app_context():
        get_user("staff", org).phone = "+6281234567890"
        db.session.commit()
    auth.login(org.nips["kasi"])
    page = client.post(f"/people/{org.nips['staff']}/reset-link").text
    assert 'href="https://wa.me/6281234567890?text=' in page
    assert "%2Fauth%2Freset%2F" in page


def test_forgot_password_needs_something_typed(client):
    response = client.post("/auth/forgot", data={"login": "  "})
    assert response.status_code == 422
    assert set(field_errors(response.text)) == {"forgot-login"}
