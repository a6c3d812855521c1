"""Sign-in methods of plugins (`cergas_auth_backends`): a form backend and a button backend end
in the core's sign-in, under its rate limits, with its second factor and sign-in log; a plugin's
failure is a clear error, and nothing typed reaches a log."""

import logging

import pytest
from flask import url_for
from sqlalchemy import select

from app.config import ldap_settings
from app.extensions import db
from app.models import LoginSession, SignInEvent, User, utcnow
from tests.conftest import PASSWORD, build_org, make_app
from tests.i18n_helpers import t
from tests.loading_plugins import copycat_sign_in, regional_sign_in

STAFF = regional_sign_in.STAFF_NIP


@pytest.fixture
def app(database_url):
    plugins = {"regional": regional_sign_in, "copycat": copycat_sign_in}
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS=plugins)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def simpeg(client, kode, pin, **extra):
    return client.post("/login/with/simpeg", data={"kode": kode, "pin": pin, **extra})


def sessions_of(app, login):
    with app.app_context():
        user = db.session.scalar(select(User).where((User.nip == login) | (User.username == login)))
        return db.session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)).all()


def log_of(app):
    with app.app_context():
        rows = db.session.scalars(select(SignInEvent).order_by(SignInEvent.id)).all()
        return [(row.method, row.outcome, row.login) for row in rows]


def test_the_login_page_offers_both_methods_and_the_form_asks_for_its_fields(client, org):
    page = client.get("/login?next=/boards").get_data(as_text=True)
    assert "Kode pegawai dan PIN" in page and "Portal Pemda" in page
    assert "/login/with/simpeg?next=/boards" in page
    form = client.get("/login/with/simpeg?next=/boards").get_data(as_text=True)
    assert 'name="kode"' in form and 'name="pin" type="password"' in form
    assert 'name="next" value="/boards"' in form


def test_signing_in_with_the_form_starts_a_session_named_by_the_backend(app, client, org):
    response = simpeg(client, "K-0001", "481516", next="/boards")
    assert response.status_code == 302 and response.headers["Location"] == "/boards"
    assert client.get("/account/sessions").status_code == 200
    (row,) = sessions_of(app, STAFF)
    assert row.method == "simpeg" and row.two_factor is False
    assert log_of(app) == [("simpeg", "ok", STAFF)]


def test_signing_in_with_the_button_goes_through_the_plugins_return_page(app, client, org):
    start = client.get("/login/with/portal?next=/boards")
    assert start.status_code == 302 and "/plugins/regional/return" in start.headers["Location"]
    back = client.get(start.headers["Location"])
    assert back.status_code == 302 and back.headers["Location"] == "/boards"
    assert [row.method for row in sessions_of(app, STAFF)] == ["portal"]


def test_wrong_values_are_counted_and_then_slowed_down(app, client, org):
    for _ in range(app.config["LOGIN_PAIR_FREE_FAILURES"]):
        wrong = simpeg(client, "K-0001", "000000")
        assert wrong.status_code == 401
        assert t("These details are not correct.") in wrong.get_data(as_text=True)
    waited = simpeg(client, "K-0001", "481516")
    assert waited.status_code == 429 and int(waited.headers["Retry-After"]) > 0
    outcomes = [outcome for _method, outcome, _login in log_of(app)]
    assert outcomes.count("wrong_credentials") == 5 and outcomes[-1] == "too_many_attempts"
    assert sessions_of(app, STAFF) == []


def test_a_person_with_an_authenticator_is_asked_for_the_code_first(app, client, org):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.nip == STAFF))
        user.totp_secret, user.totp_enabled_at = "JBSWY3DPEHPK3PXP", utcnow()
        db.session.commit()
    response = simpeg(client, "K-0001", "481516")
    assert response.status_code == 302
    with app.test_request_context():
        assert response.headers["Location"] == url_for("auth.second_factor")
    assert sessions_of(app, STAFF) == []  # nobody is signed in before the code
    with client.session_transaction() as session:
        assert session["signin_pending"]["method"] == "simpeg"


def test_an_unknown_or_inactive_person_is_refused(app, client, org):
    unknown = simpeg(client, "K-0404", "000000")
    assert unknown.status_code == 403
    refusal = (
        "You proved who you are, but there is no active Cergas account for you. Ask your "
        "administrator."
    )
    assert t(refusal) in unknown.get_data(as_text=True)
    with app.app_context():
        db.session.scalar(select(User).where(User.nip == STAFF)).active = False
        db.session.commit()
    inactive = client.get("/plugins/regional/return?who=" + STAFF)
    assert inactive.status_code == 403
    assert [entry[:2] for entry in log_of(app)] == [
        ("simpeg", "unknown_person"),
        ("portal", "refused"),
    ]
    assert client.get("/account/sessions").status_code == 302  # still signed out


def test_a_failing_plugin_is_a_clear_error_logged_without_the_values_typed(
    app, client, org, caplog
):
    caplog.set_level(logging.DEBUG)
    response = simpeg(client, regional_sign_in.PIN_IN_FAILURE, "987654")
    assert response.status_code == 502
    failure = "This sign-in method is not working right now. Try again later or use another way."
    assert t(failure) in response.get_data(as_text=True)
    assert "RuntimeError" in caplog.text and "987654" not in caplog.text
    record = app.extensions["cergas_plugins"].records["regional"]
    assert record.errors == 1 and "987654" not in record.last_error
    assert log_of(app)[-1][:2] == ("simpeg", "refused")


def test_sign_in_as_works_only_inside_a_request(app, org):
    from cergas.plugin import sign_in_as

    with app.app_context(), pytest.raises(RuntimeError):
        sign_in_as(STAFF, method="simpeg")


def test_a_name_already_taken_is_refused_with_a_warning_on_the_second_plugin(app):
    host = app.extensions["cergas_plugins"]
    assert sorted(host.auth_backends) == ["portal", "simpeg"]
    assert host.auth_backends["simpeg"][0] == "regional"
    warnings = host.records["copycat"].warnings
    assert any("'simpeg' refused" in line for line in warnings)
    assert any("'password' refused" in line for line in warnings)


def test_nothing_typed_into_a_sign_in_form_reaches_a_log(app, client, org, caplog):
    caplog.set_level(logging.DEBUG)
    simpeg(client, "K-0001", "111111")
    simpeg(client, "K-0002", "234234")
    client.post("/logout")
    client.post("/login", data={"username": "admin", "password": "bukan-sandinya"})
    assert "111111" not in caplog.text and "234234" not in caplog.text
    assert "bukan-sandinya" not in caplog.text


def test_the_administrators_page_lists_every_way_to_sign_in(client, org):
    client.post("/login", data={"username": "admin", "password": PASSWORD})
    page = client.get("/admin/sign-in").get_data(as_text=True)
    # The password form always; LDAP and single sign-on are off without their settings; each
    # plugin method with the plugin that offers it.
    assert t("Password (NIP or username)") in page
    assert t("Off: set LDAP_URL and the other LDAP_* settings on the server.") in page
    assert t("Off: set OIDC_ISSUER and the other OIDC_* settings on the server.") in page
    for label in ("Kode pegawai dan PIN", "Portal Pemda"):
        assert f"<strong>{label}</strong>" in page
    assert page.count(t("From the plugin %(title)s.", title="regional")) == 2


def test_the_administrators_page_names_the_directory_when_ldap_is_on(database_url):
    ldap = ldap_settings(
        {
            "LDAP_URL": "ldaps://dc1.pemda.go.id:636",
            "LDAP_BIND_DN": "cn=cergas,dc=pemda,dc=go,dc=id",
            "LDAP_BIND_PASSWORD": "rahasia",
            "LDAP_BASE_DN": "dc=pemda,dc=go,dc=id",
        }
    )
    app = make_app(database_url, **ldap)
    try:
        build_org(app)
        client = app.test_client()
        client.post("/login", data={"username": "admin", "password": PASSWORD})
        page = client.get("/admin/sign-in").get_data(as_text=True)
        assert t("Directory %(host)s, behind the password form.", host="dc1.pemda.go.id") in page
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
