"""Two-factor sign-in (issue 22): enrolment with a first code, codes checked in a small window
and never accepted twice, single-use recovery codes, the office's rule walking people through
enrolment at sign-in, an administrator's audited reset (page and command line), API tokens with
`totp`, and no secret or code in any log."""

import logging
import threading

import pyotp
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AdminEvent, LoginSession, RecoveryCode, SignInEvent, User
from app.services import person_fields, ratelimit, signin, site_settings, two_factor
from app.services.errors import Forbidden, Invalid, TooManyAttempts, Unauthorized
from tests.conftest import PASSWORD, get_user
from tests.i18n_helpers import t

NOW = 1_800_000_000.0  # a fixed moment, at the start of a 30-second step


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    frozen = Clock()
    monkeypatch.setattr(two_factor, "clock", frozen)
    monkeypatch.setattr(ratelimit, "clock", frozen)
    return frozen


def code_at(secret: str, when: float) -> str:
    return pyotp.TOTP(secret).at(when)


def enrol(user: User) -> tuple[str, list[str]]:
    """Turn two-factor sign-in on for `user` (in an app context); (secret, recovery codes)."""
    two_factor.start_enrolment(user)
    secret = user.totp_secret
    codes = two_factor.confirm_enrolment(user, code_at(secret, two_factor.clock() - 30))
    return secret, codes


def events(outcome=None) -> list[SignInEvent]:
    query = select(SignInEvent).order_by(SignInEvent.id)
    if outcome:
        query = query.where(SignInEvent.outcome == outcome)
    return db.session.scalars(query).all()


# The service ---------------------------------------------------------------------------------


def test_enrolment_turns_on_with_a_first_code_and_keeps_only_hashes_of_ten_codes(app, org, clock):
    with app.app_context():
        staff = get_user("staff", org)
        shown = two_factor.start_enrolment(staff)
        assert staff.totp_secret and staff.totp_enabled_at is None
        assert shown.uri.startswith("otpauth://totp/") and "issuer=Cergas" in shown.uri
        assert "Dinas%20Komunikasi" in shown.uri  # the office's top unit
        assert shown.qr_svg.startswith("<svg") and "<path" in shown.qr_svg
        assert shown.key.replace(" ", "") == staff.totp_secret
        assert all(len(group) == 4 for group in shown.key.split())
        assert signin.second_factor_step(staff) is None  # not yet in force
        with pytest.raises(Unauthorized):
            two_factor.confirm_enrolment(
                staff, "000000" if code_at(staff.totp_secret, NOW) != "000000" else "111111"
            )
        assert get_user("staff", org).totp_enabled_at is None
        codes = two_factor.confirm_enrolment(staff, code_at(staff.totp_secret, NOW))
        assert len(codes) == 10 and len(set(codes)) == 10
        assert all(len(code) == 11 and code[5] == "-" for code in codes)
        assert get_user("staff", org).totp_enabled_at is not None
        stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
        assert len(stored) == 10 and not set(stored) & {c.replace("-", "") for c in codes}
        event = db.session.scalar(
            select(AdminEvent).where(AdminEvent.kind == "user.two_factor_enabled")
        )
        assert event.actor_id == staff.id and event.target_id == staff.id
        assert signin.second_factor_step(get_user("staff", org)) == "code"


def test_a_code_works_once_within_one_step_of_the_clock(app, org, clock):
    with app.app_context():
        staff = get_user("staff", org)
        clock.now = NOW - 600
        secret, _codes = enrol(staff)
        clock.now = NOW
        with pytest.raises(Unauthorized):  # two steps late
            two_factor.verify_code(staff, code_at(secret, NOW - 60))
        two_factor.verify_code(staff, " ".join(code_at(secret, NOW - 30)))  # one step late, spaced
        with pytest.raises(Unauthorized):  # the same code again
            two_factor.verify_code(staff, code_at(secret, NOW - 30))
        two_factor.verify_code(staff, code_at(secret, NOW))
        with pytest.raises(Unauthorized):  # an earlier step than the last accepted
            two_factor.verify_code(staff, code_at(secret, NOW - 30))
        for n, bad in enumerate(("12345", "1234567", "abcdef", "１２３４５６", None, 123456)):
            with pytest.raises(Unauthorized):  # each from its own address: no wait between
                two_factor.verify_code(staff, bad, two_factor.Client(address=f"10.0.0.{n}"))


@pytest.mark.pg
def test_two_requests_with_the_same_code_let_only_one_in(app, org, clock):
    """The step is claimed by one conditional UPDATE: under a race only one request passes."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("a race needs two connections: PostgreSQL (SQLite in memory has one)")
    with app.app_context():
        staff_id = org.users["staff"]
        secret, _codes = enrol(get_user("staff", org))
        db.session.remove()
    code = code_at(secret, NOW + 30)
    results, barrier = [], threading.Barrier(2)

    def attempt():
        with app.app_context():
            user = db.session.get(User, staff_id)
            barrier.wait()
            try:
                two_factor.verify_code(user, code)
                results.append("ok")
            except Unauthorized:
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["ok", "refused"]


def test_a_recovery_code_works_once_in_any_case_with_or_without_dash(app, org, clock):
    with app.app_context():
        staff = get_user("staff", org)
        _secret, codes = enrol(staff)
        assert two_factor.use_recovery_code(staff, " " + codes[0].upper() + " ") == 9
        with pytest.raises(Unauthorized):
            two_factor.use_recovery_code(staff, codes[0])
        assert two_factor.use_recovery_code(staff, codes[1].replace("-", "")) == 8
        assert two_factor.verify_second_factor(staff, codes[2]) == signin.RECOVERY_CODE
        with pytest.raises(Unauthorized):
            two_factor.use_recovery_code(staff, "zzzzz-zzzzz")
        # New codes: the old ones stop working; needs a current code or the password.
        with pytest.raises(Invalid):
            two_factor.renew_recovery_codes(staff, password="wrong")
        fresh = two_factor.renew_recovery_codes(staff, password=PASSWORD)
        with pytest.raises(Unauthorized):
            two_factor.use_recovery_code(staff, codes[3])
        assert two_factor.use_recovery_code(staff, fresh[0]) == 9
        kinds = db.session.scalars(select(AdminEvent.kind)).all()
        assert "user.recovery_codes_renewed" in kinds


def test_wrong_codes_are_counted_by_the_rate_limits_and_logged(app, org, clock):
    with app.app_context():
        staff = get_user("staff", org)
        secret, _codes = enrol(staff)
        client = two_factor.Client(address="10.6.6.6", user_agent="test", login="staff-login")
        for _attempt in range(5):
            with pytest.raises(Unauthorized):
                two_factor.verify_code(
                    staff, "000000" if code_at(secret, NOW) != "000000" else "111111", client
                )
        # During the wait even the right code is not checked.
        with pytest.raises(TooManyAttempts):
            two_factor.verify_code(staff, code_at(secret, NOW + 30), client)
        assert [e.outcome for e in events()] == ["wrong_code"] * 5 + ["too_many_attempts"]
        assert {e.method for e in events()} == {signin.TOTP}
        assert events()[0].login == "staff-login" and events()[0].address == "10.6.6.6"


def test_turning_off_needs_password_and_code_and_is_refused_where_required(app, org, clock):
    with app.app_context():
        admin = get_user("admin", org)
        secret, codes = enrol(admin)
        site_settings.change(admin, site_settings.TWO_FACTOR_REQUIRED, "admins")
        with pytest.raises(Forbidden):
            two_factor.turn_off(admin, password=PASSWORD, code=code_at(secret, NOW + 30))
        site_settings.change(admin, site_settings.TWO_FACTOR_REQUIRED, "nobody")
        with pytest.raises(Invalid) as refused:
            two_factor.turn_off(admin, password=PASSWORD, code="")
        assert set(refused.value.fields) == {"code"}
        # The phone may be what was lost: a recovery code stands in for the app.
        two_factor.turn_off(admin, password=PASSWORD, code=codes[0])
        admin = get_user("admin", org)
        assert admin.totp_secret is None and admin.totp_enabled_at is None
        assert db.session.scalars(select(RecoveryCode)).all() == []
        assert "user.two_factor_disabled" in db.session.scalars(select(AdminEvent.kind)).all()


def test_someone_without_a_password_proves_it_with_a_code_alone(app, org, clock):
    """A person who signs in only through single sign-on has no password to give: a current
    code is the proof for renewing codes and turning it off; a password given is refused."""
    with app.app_context():
        staff = get_user("staff", org)
        staff.password_hash = person_fields.UNUSABLE_PASSWORD
        db.session.commit()
        secret, _codes = enrol(staff)
        assert not two_factor.has_password(staff)
        with pytest.raises(Invalid) as refused:
            two_factor.renew_recovery_codes(staff, password=PASSWORD)
        assert set(refused.value.fields) == {"password"}
        assert len(two_factor.renew_recovery_codes(staff, code=code_at(secret, NOW + 30))) == 10
        clock.now = NOW + 60
        two_factor.turn_off(get_user("staff", org), password="", code=code_at(secret, NOW + 60))
        assert get_user("staff", org).totp_enabled_at is None


# Signing in in the browser -------------------------------------------------------------------


def test_sign_in_asks_for_the_code_after_the_password(app, client, auth, org, clock):
    with app.app_context():
        secret, _codes = enrol(get_user("staff", org))
    answer = auth.login(org.nips["staff"])
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login/code")
    assert client.get("/").status_code == 302  # not signed in yet
    page = client.get("/login/code").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    assert "use=recovery" in page
    wrong = client.post("/login/code", data={"action": "verify", "code": "12345x"})
    assert wrong.status_code == 401 and t(
        "The code is wrong or was already used."
    ) in wrong.get_data(as_text=True)
    right = client.post("/login/code", data={"action": "verify", "code": code_at(secret, NOW)})
    assert right.status_code == 302 and not right.headers["Location"].endswith("/login")
    assert client.get("/").status_code == 200
    with app.app_context():
        session_row = db.session.scalar(select(LoginSession))
        assert session_row.two_factor is True and session_row.method == signin.PASSWORD
        assert [(e.method, e.outcome) for e in events()] == [
            (signin.TOTP, "wrong_code"),
            (signin.PASSWORD, "ok"),
        ]


def test_sign_in_with_a_recovery_code_and_cancel(app, client, auth, org, clock):
    with app.app_context():
        _secret, codes = enrol(get_user("staff", org))
    auth.login(org.nips["staff"])
    cancel = client.post("/login/code", data={"action": "cancel"})
    assert cancel.headers["Location"].endswith("/login")
    gone = client.get("/login/code")
    assert gone.headers["Location"].endswith("/login")
    assert t("Your sign-in took too long or was not started. Please log in again.") in client.get(
        "/login"
    ).get_data(as_text=True)
    auth.login(org.nips["staff"])
    form = client.get("/login/code?use=recovery").get_data(as_text=True)
    assert t("Recovery code") in form
    used = client.post(
        "/login/code?use=recovery", data={"action": "verify", "code": codes[4].upper()}
    )
    assert used.status_code == 302
    assert client.get("/").status_code == 200


def test_the_office_rule_walks_people_through_enrolment_at_sign_in(app, client, auth, org, clock):
    with app.app_context():
        site_settings.change(get_user("admin", org), site_settings.TWO_FACTOR_REQUIRED, "everyone")
    auth.login(org.nips["staff"])
    page = client.get("/login/code").get_data(as_text=True)
    assert "<svg" in page and t("Set up two-factor sign-in") in page
    again = client.get("/login/code").get_data(as_text=True)  # the same secret until confirmed
    with app.app_context():
        secret = get_user("staff", org).totp_secret
    assert (
        " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)) in page
        and secret[:4] in again
    )
    shown = client.post("/login/code", data={"action": "enrol", "code": code_at(secret, NOW)})
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    text = shown.get_data(as_text=True)
    assert text.count("<li><code>") == 10 and 'value="continue"' in text
    assert client.get("/").status_code == 302  # still not signed in
    done = client.post("/login/code", data={"action": "continue"})
    assert done.status_code == 302
    assert client.get("/").status_code == 200
    with app.app_context():
        assert get_user("staff", org).totp_enabled_at is not None
        assert db.session.scalar(select(LoginSession)).two_factor is True


def test_own_page_enrols_renews_and_turns_off(app, client, auth, org, clock):
    auth.login(org.nips["staff"])
    assert t("Set up two-factor sign-in") in client.get("/account/two-factor").get_data(
        as_text=True
    )
    client.post("/account/two-factor/start")
    with app.app_context():
        secret = get_user("staff", org).totp_secret
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "<svg" in page and secret[:4] in page
    bad = client.post("/account/two-factor/confirm", data={"code": "1"})
    assert bad.status_code == 401 and 'id="enrol-code-error"' in bad.get_data(as_text=True)
    on = client.post("/account/two-factor/confirm", data={"code": code_at(secret, NOW)})
    assert on.status_code == 200 and on.get_data(as_text=True).count("<li><code>") == 10
    assert "data:text/plain" in on.get_data(as_text=True)
    renewed = client.post(
        "/account/two-factor/recovery-codes", data={"code": code_at(secret, NOW + 30)}
    )
    assert renewed.get_data(as_text=True).count("<li><code>") == 10
    refused = client.post("/account/two-factor/off", data={"password": "wrong", "code": ""})
    assert refused.status_code == 422
    clock.now = NOW + 60
    off = client.post(
        "/account/two-factor/off", data={"password": PASSWORD, "code": code_at(secret, NOW + 60)}
    )
    assert off.status_code == 303
    with app.app_context():
        assert get_user("staff", org).totp_enabled_at is None
    assert "/account/two-factor" in client.get("/account/sessions").get_data(as_text=True)


# Administrators ------------------------------------------------------------------------------


def test_admin_sets_the_rule_on_a_page_linked_from_the_hub(app, client, auth, org):
    auth.login("admin")
    assert "/admin/sign-in" in client.get("/admin/").get_data(as_text=True)
    page = client.get("/admin/sign-in").get_data(as_text=True)
    assert page.count('type="radio"') == 4
    assert (
        client.post("/admin/sign-in", data={"two_factor_required": "nonsense"}).status_code == 422
    )
    assert (
        client.post("/admin/sign-in", data={"two_factor_required": "admins_heads"}).status_code
        == 303
    )
    with app.app_context():
        assert site_settings.get(site_settings.TWO_FACTOR_REQUIRED) == "admins_heads"
        assert signin.two_factor_required(get_user("kasi", org))
        assert not signin.two_factor_required(get_user("staff", org))
    auth.logout()
    auth.login(org.nips["staff"])
    assert client.get("/admin/sign-in").status_code == 403


def test_admin_reset_is_audited_with_the_reason(app, client, auth, org, clock, runner):
    with app.app_context():
        enrol(get_user("staff", org))
        enrol(get_user("admin", org))
    auth.login(org.nips["kadis"])  # a head, not an administrator
    assert client.get(f"/people/{org.nips['staff']}/two-factor/reset").status_code == 403
    auth.logout()
    auth.login("admin")
    client.post("/login/code", data={"action": "cancel"})
    with app.app_context():
        site_settings.change(get_user("admin", org), site_settings.TWO_FACTOR_REQUIRED, "nobody")
        two_factor.reset(two_factor_console(), "admin", "phone lost")
    auth.login("admin")
    profile = client.get(f"/people/{org.nips['staff']}").get_data(as_text=True)
    assert f"/people/{org.nips['staff']}/two-factor/reset" in profile
    empty = client.post(f"/people/{org.nips['staff']}/two-factor/reset", data={"reason": " "})
    assert empty.status_code == 422
    done = client.post(
        f"/people/{org.nips['staff']}/two-factor/reset", data={"reason": "HP hilang"}
    )
    assert done.status_code == 302
    with app.app_context():
        assert get_user("staff", org).totp_secret is None
        resets = db.session.scalars(
            select(AdminEvent)
            .where(AdminEvent.kind == "user.two_factor_reset")
            .order_by(AdminEvent.id)
        ).all()
        assert [(e.actor_id, e.note) for e in resets] == [
            (None, "phone lost"),
            (org.users["admin"], "HP hilang"),
        ]


def two_factor_console():
    from app.cli import console_actor

    return console_actor()


def test_the_command_line_resets_a_locked_out_admin(app, org, clock, runner):
    with app.app_context():
        enrol(get_user("admin", org))
    refused = runner.invoke(args=["users", "reset-two-factor", "admin"])
    assert refused.exit_code != 0
    done = runner.invoke(args=["users", "reset-two-factor", "admin", "--reason", "lost phone"])
    assert done.exit_code == 0, done.output
    with app.app_context():
        assert get_user("admin", org).totp_enabled_at is None
        event = db.session.scalar(
            select(AdminEvent).where(AdminEvent.kind == "user.two_factor_reset")
        )
        assert event.actor_id is None and event.note == "lost phone"
    again = runner.invoke(args=["users", "reset-two-factor", "admin", "--reason", "x"])
    assert again.exit_code == 1


# API tokens ----------------------------------------------------------------------------------


def test_api_token_asks_for_totp_and_accepts_a_code_or_a_recovery_code(app, client, org, clock):
    with app.app_context():
        secret, codes = enrol(get_user("staff", org))
    body = {"username": org.nips["staff"], "password": PASSWORD}
    missing = client.post("/api/v1/tokens", json=body)
    assert missing.status_code == 401 and missing.json["error"]["code"] == "totp_required"
    assert '"totp"' in missing.json["error"]["message"]
    wrong = client.post(
        "/api/v1/tokens",
        json={**body, "totp": "000000" if code_at(secret, NOW) != "000000" else "111111"},
    )
    assert wrong.status_code == 401 and wrong.json["error"]["code"] == "invalid_totp"
    ok = client.post("/api/v1/tokens", json={**body, "totp": code_at(secret, NOW)})
    assert ok.status_code == 201 and ok.json["token"]
    reused = client.post("/api/v1/tokens", json={**body, "totp": code_at(secret, NOW)})
    assert reused.json["error"]["code"] == "invalid_totp"
    recovery = client.post("/api/v1/tokens", json={**body, "totp": codes[0]})
    assert recovery.status_code == 201
    for _attempt in range(5):
        client.post("/api/v1/tokens", json={**body, "totp": "999999x"})
    assert client.post("/api/v1/tokens", json={**body, "totp": codes[1]}).status_code == 429
    assert client.post("/api/v1/tokens", json={**body, "totp": 123456}).status_code == 422
    wrong_password = client.post("/api/v1/tokens", json={**body, "password": "bukan-ini-123"})
    assert wrong_password.status_code == 401
    with app.app_context():
        # Each token issued, and each wrong password, is in the person's sign-in log.
        tokens = [(e.method, e.outcome) for e in events() if e.method == signin.API_TOKEN]
        assert tokens == [("api_token", "ok")] * 2 + [("api_token", "wrong_credentials")]
        assert all(e.login == org.nips["staff"] for e in events() if e.method == signin.API_TOKEN)


def test_api_token_of_someone_who_must_enrol_is_refused(app, client, org):
    with app.app_context():
        site_settings.change(get_user("admin", org), site_settings.TWO_FACTOR_REQUIRED, "admins")
    refused = client.post(
        "/api/v1/tokens", json={"username": "admin", "password": PASSWORD, "totp": "123456"}
    )
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "two_factor_enrolment_required"
    plain = client.post(
        "/api/v1/tokens", json={"username": org.nips["staff"], "password": PASSWORD}
    )
    assert plain.status_code == 201


def test_no_secret_or_code_reaches_a_log(app, client, auth, org, clock, caplog):
    caplog.set_level(logging.DEBUG)
    with app.app_context():
        secret, codes = enrol(get_user("staff", org))
    auth.login(org.nips["staff"])
    client.post("/login/code", data={"action": "verify", "code": "654321"})
    client.post("/login/code?use=recovery", data={"action": "verify", "code": codes[0]})
    client.post(
        "/api/v1/tokens",
        json={"username": org.nips["staff"], "password": PASSWORD, "totp": "112233"},
    )
    secrets_seen = [
        secret,
        code_at(secret, NOW),
        "654321",
        "112233",
        *codes,
        *(c.replace("-", "") for c in codes),
    ]
    logged = caplog.text
    with app.app_context():
        logged += " ".join(f"{e.login} {e.user_agent} {e.address}" for e in events())
        logged += " ".join(
            str((e.before, e.after, e.note, e.target_label))
            for e in db.session.scalars(select(AdminEvent))
        )
    assert not [seen for seen in secrets_seen if seen in logged]
