"""The sessions pages: one's own shows how each session began and the recent sign-ins; an
administrator sees anyone's and ends one session or all of them (with a reason, audited as
`user.sessions_ended`), on the web and in the API. Heads and staff cannot."""

import pytest
from flask_babel import force_locale, gettext
from sqlalchemy import select

from app.extensions import db
from app.models import AdminEvent, ApiToken, LoginSession, User
from tests.conftest import PASSWORD

BROWSER = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0) Gecko/20100101 Firefox/128.0"}


def sign_in(app, login, password=PASSWORD):
    """A new browser signed in as `login`; returns its client."""
    browser = app.test_client()
    answer = browser.post("/login", data={"username": login, "password": password}, headers=BROWSER)
    assert answer.status_code in (200, 302, 401)
    return browser


def live_sessions(app, login):
    with app.app_context():
        user = db.session.scalar(select(User).where((User.nip == login) | (User.username == login)))
        return [
            row.id
            for row in db.session.scalars(
                select(LoginSession).where(
                    LoginSession.user_id == user.id, LoginSession.ended_at.is_(None)
                )
            )
        ]


def audit(app):
    with app.app_context():
        rows = db.session.scalars(
            select(AdminEvent).where(AdminEvent.kind == "user.sessions_ended")
        )
        return [(row.note, row.after) for row in rows]


def test_own_page_shows_the_method_and_recent_sign_ins_in_words(app, org):
    staff = org.nips["staff"]
    sign_in(app, staff, "salah-sekali")
    browser = sign_in(app, staff)
    page = browser.get("/account/sessions").get_data(as_text=True)
    assert "Firefox, Windows" in page
    with app.test_request_context(), force_locale("id"):
        from app.auth.words import label_of, outcome_words

        assert gettext("Recent sign-ins") in page
        assert label_of("password") in page
        assert outcome_words("ok") in page and outcome_words("wrong_credentials") in page
    assert ">wrong_credentials<" not in page  # the outcome in words, never its code


def test_an_administrator_sees_and_ends_one_session_with_a_reason(app, org):
    staff = org.nips["staff"]
    laptop, phone = sign_in(app, staff), sign_in(app, staff)
    admin = sign_in(app, "admin")
    profile = admin.get(f"/people/{staff}").get_data(as_text=True)
    assert f"/people/{staff}/sessions" in profile
    page = admin.get(f"/people/{staff}/sessions")
    assert page.status_code == 200 and "Firefox, Windows" in page.get_data(as_text=True)
    first, second = sorted(live_sessions(app, staff))
    refused = admin.post(f"/people/{staff}/sessions/{first}/end", data={"reason": "  "})
    assert refused.status_code == 422 and len(live_sessions(app, staff)) == 2
    ended = admin.post(f"/people/{staff}/sessions/{first}/end", data={"reason": "HP hilang"})
    assert ended.status_code == 303
    assert live_sessions(app, staff) == [second]
    assert laptop.get("/account/sessions").status_code == 302  # signed out
    assert phone.get("/account/sessions").status_code == 200
    assert audit(app) == [("HP hilang", {"sessions_ended": 1, "tokens_revoked": 0})]


def test_ending_all_sessions_can_revoke_the_api_tokens_too(app, org, tokens):
    staff = org.nips["staff"]
    sign_in(app, staff)
    sign_in(app, staff)
    admin = sign_in(app, "admin")
    answer = admin.post(
        f"/people/{staff}/sessions/end", data={"reason": "Pindah tugas", "tokens": "1"}
    )
    assert answer.status_code == 303
    assert live_sessions(app, staff) == []
    with app.app_context():
        user_id = org.users["staff"]
        live = db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        ).all()
        assert live == []
    assert audit(app) == [("Pindah tugas", {"sessions_ended": 2, "tokens_revoked": 1})]


@pytest.mark.parametrize("role", ["kadis", "kasi", "staff2"])
def test_only_administrators_see_or_end_someone_elses_sessions(app, org, role):
    staff = org.nips["staff"]
    sign_in(app, staff)
    someone = sign_in(app, org.nips[role])
    assert someone.get(f"/people/{staff}/sessions").status_code == 403
    answer = someone.post(f"/people/{staff}/sessions/end", data={"reason": "x"})
    assert answer.status_code == 403
    assert len(live_sessions(app, staff)) == 1 and audit(app) == []
    assert f"/people/{staff}/sessions" not in someone.get(f"/people/{staff}").get_data(as_text=True)


def test_an_unknown_person_or_session_is_not_found(app, org):
    admin = sign_in(app, "admin")
    assert admin.get("/people/199999999999999999/sessions").status_code == 404
    staff = org.nips["staff"]
    gone = admin.post(f"/people/{staff}/sessions/999/end", data={"reason": "x"})
    assert gone.status_code == 303 and audit(app) == []


def test_the_api_lists_and_ends_a_persons_sessions_for_administrators(app, org, api):
    staff = org.nips["staff"]
    sign_in(app, staff)
    sign_in(app, staff)
    listed = api("admin").get(f"/api/v1/users/{staff}/sessions")
    assert listed.status_code == 200
    body = listed.get_json()
    assert [row["method"] for row in body["sessions"]] == ["password", "password"]
    assert body["recent_sign_ins"][0]["outcome"] == "ok"
    assert api("kadis").get(f"/api/v1/users/{staff}/sessions").status_code == 403
    one = body["sessions"][0]["id"]
    no_reason = api("admin").post(f"/api/v1/users/{staff}/sessions/end", json={"reason": ""})
    assert no_reason.status_code == 422 and no_reason.get_json()["error"]["fields"]["reason"]
    wrong = api("admin").post(f"/api/v1/users/{staff}/sessions/end", json={"reason": 5})
    assert wrong.status_code == 422
    ended = api("admin").post(
        f"/api/v1/users/{staff}/sessions/end", json={"reason": "Laptop dipinjam", "session_id": one}
    )
    assert ended.get_json() == {"sessions_ended": 1, "tokens_revoked": 0}
    rest = api("admin").post(f"/api/v1/users/{staff}/sessions/end", json={"reason": "Semua"})
    assert rest.get_json() == {"sessions_ended": 1, "tokens_revoked": 0}
    assert live_sessions(app, staff) == []
    assert [note for note, _after in audit(app)] == ["Laptop dipinjam", "Semua"]


def test_the_console_lists_and_ends_a_persons_sessions(app, org, runner):
    staff = org.nips["staff"]
    sign_in(app, staff)
    listed = runner.invoke(args=["users", "sessions", staff])
    assert listed.exit_code == 0, listed.output
    assert (
        "Firefox, Windows" in listed.output and f"#{live_sessions(app, staff)[0]}" in listed.output
    )
    missing = runner.invoke(args=["users", "sign-out", staff])
    assert missing.exit_code != 0 and live_sessions(app, staff) != []
    ended = runner.invoke(args=["users", "sign-out", staff, "--reason", "Cuti panjang"])
    assert ended.exit_code == 0, ended.output
    assert live_sessions(app, staff) == []
    assert audit(app) == [("Cuti panjang", {"sessions_ended": 1, "tokens_revoked": 0})]


@pytest.mark.parametrize("session_id", [0, -1, 2**63, 10**30])
def test_a_session_number_no_row_can_have_is_not_found(app, org, api, session_id):
    answer = api("admin").post(
        f"/api/v1/users/{org.nips['staff']}/sessions/end",
        json={"reason": "Uji", "session_id": session_id},
    )
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "not_found"
    assert audit(app) == []
