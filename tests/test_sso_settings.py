"""Single sign-on without a provider (fast): the settings and their checks at start, finding a
person by a claim, the fields of a person added at sign-on, and what the pages do when the
provider cannot be reached or the callback is not one Cergas started (tests/test_sso.py runs
the whole sign-in against a real provider)."""

import pytest
from sqlalchemy import select

from app import create_app
from app.auth import oidc as oidc_views
from app.config import OIDC_DEFAULTS, oidc_from_environment, oidc_problem
from app.extensions import db
from app.models import SignInEvent
from app.services import accounts
from app.services import oidc as oidc_service
from tests import conftest, oidc_provider
from tests.conftest import NIPS, build_org, make_app

GOOD = {
    **OIDC_DEFAULTS,
    "OIDC_ISSUER": "https://sso.example.go.id/realms/pemda",
    "OIDC_CLIENT_ID": "cergas",
}


@pytest.mark.parametrize(
    "change, problem",
    [
        ({}, None),
        ({"OIDC_ISSUER": None}, "OIDC_CLIENT_ID is set but"),
        ({"OIDC_ISSUER": None, "OIDC_CLIENT_ID": None}, None),
        ({"OIDC_ISSUER": None, "OIDC_CLIENT_SECRET": "s"}, "OIDC_CLIENT_ID is set but"),
        ({"OIDC_ISSUER": "sso.example.go.id"}, "issuer URL"),
        ({"OIDC_ISSUER": "http://sso.example.go.id"}, "must use https"),
        ({"OIDC_ISSUER": "http://127.0.0.1:8080"}, None),
        ({"OIDC_CLIENT_ID": None}, "OIDC_CLIENT_ID is required"),
        ({"OIDC_SCOPES": "profile email"}, "must include openid"),
        ({"OIDC_MATCH_CLAIM": "sub"}, "OIDC_MATCH_CLAIM must be one of"),
        ({"OIDC_MATCH_CLAIM": "email", "OIDC_SCOPES": "openid profile"}, "needs the email"),
        ({"OIDC_MATCH_CLAIM": "email"}, None),
        ({"OIDC_CA_FILE": "/nonexistent/ca.pem"}, "OIDC_CA_FILE"),
    ],
)
def test_settings_are_checked(change, problem):
    found = oidc_problem({**GOOD, **change})
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_settings_from_the_environment():
    environ = {
        "OIDC_ISSUER": " https://sso.example.go.id/realms/pemda ",
        "OIDC_CLIENT_ID": "cergas",
        "OIDC_CLIENT_SECRET": "",
        "OIDC_TRUST_PROVIDER_MFA": "1",
    }
    config = oidc_from_environment(environ, {"OIDC_SCOPES": "given"})
    assert config["OIDC_ISSUER"] == "https://sso.example.go.id/realms/pemda"
    assert config["OIDC_CLIENT_SECRET"] is None  # blank: a public client
    assert config["OIDC_MATCH_CLAIM"] == "nip"
    assert config["OIDC_TRUST_PROVIDER_MFA"] is True
    assert "OIDC_SCOPES" not in config  # the caller's


def test_a_bad_combination_stops_the_app_with_the_reason():
    with pytest.raises(SystemExit, match="OIDC_CLIENT_ID is required"):
        create_app(conftest.test_config("sqlite://", OIDC_ISSUER="https://sso.example.go.id"))


def test_the_provider_mfa_is_read_from_amr():
    assert oidc_views._provider_mfa({"amr": ["pwd", "otp"]})
    assert not oidc_views._provider_mfa({"amr": ["pwd"]})
    assert not oidc_views._provider_mfa({"amr": "mfa"})
    assert not oidc_views._provider_mfa({})


@pytest.fixture(scope="module")
def sso_app():
    """Single sign-on configured with a provider that is not there (a closed port)."""
    app = make_app(
        "sqlite://",
        OIDC_ISSUER=f"http://127.0.0.1:{oidc_provider.free_port()}",
        OIDC_CLIENT_ID="cergas",
        OIDC_CLIENT_SECRET="secret",
        OIDC_LABEL="Masuk dengan SSO Pemda",
        LOGIN_PAIR_FREE_FAILURES=2,
        LOGIN_DELAY_SECONDS=30,
    )
    build_org(app)
    return app


def test_finding_a_person_by_a_claim(sso_app):
    with sso_app.app_context():
        staff = accounts.find_login(NIPS["staff"])
        staff.email = "Agus@Example.go.id"
        db.session.commit()

        def who(claims, claim):
            return oidc_service.find_person(claims, claim).user

        assert who({"nip": NIPS["staff"]}, "nip") == staff
        assert who({"nip": int(NIPS["staff"])}, "nip") == staff
        assert who({"nip": "199999999999999999"}, "nip") is None
        assert who({"email": "agus@example.go.id"}, "nip") is None  # not the configured claim
        assert who({"nip": ["a list"]}, "nip") is None
        assert who({"email": "AGUS@example.go.id"}, "email") == staff
        assert who({"email": "agus@example.go.id", "email_verified": True}, "email") == staff
        # An address the provider says it has not verified names nobody.
        assert who({"email": "agus@example.go.id", "email_verified": False}, "email") is None
        assert who({"preferred_username": NIPS["staff"]}, "preferred_username") == staff
        assert who({"preferred_username": "admin"}, "preferred_username").username == "admin"
        # One address for two people names nobody.
        accounts.find_login(NIPS["staff2"]).email = "agus@example.go.id"
        db.session.commit()
        assert who({"email": "agus@example.go.id"}, "email") is None
        match = oidc_service.find_person({"nip": " 1990 "}, "nip")
        assert (match.value, match.user) == ("1990", None)


def test_the_fields_of_a_person_added_at_sign_on(sso_app):
    with sso_app.app_context():
        claims = {"name": "Wulan  Sari", "nip": "199707072022032008", "email": "w@Example.go.id"}
        fields = oidc_service.person_fields_from(claims, "nip", "name")
        assert (fields["name"], fields["nip"], fields["email"]) == (
            "Wulan Sari",
            "199707072022032008",
            "w@example.go.id",
        )
        by_email = {"name": "Wulan", "email": "w@example.go.id", "preferred_username": "Wulan"}
        assert oidc_service.person_fields_from(by_email, "email", "name")["username"] == "wulan"
        # No name, or nothing to sign in with: no person.
        assert oidc_service.person_fields_from({"nip": claims["nip"]}, "nip", "name") is None
        assert oidc_service.person_fields_from({"name": "W"}, "email", "name") is None


def test_the_login_page_shows_the_button(sso_app):
    page = sso_app.test_client().get("/login?next=/boards")
    assert page.status_code == 200
    assert 'href="/login/sso?next=/boards"' in page.text
    assert "Masuk dengan SSO Pemda" in page.text
    # The logout form may lead on to the provider's end-session page, and only there.
    policy = page.headers["Content-Security-Policy"]
    issuer = sso_app.config["OIDC_ISSUER"]
    assert f"form-action 'self' {issuer};" in policy
    assert policy.count("http") == 1


def test_an_unreachable_provider_is_a_page_not_an_error(sso_app):
    client = sso_app.test_client()
    answer = client.get("/login/sso")
    assert answer.status_code == 502
    assert "tidak dapat dihubungi" in answer.text


def test_a_callback_cergas_did_not_start_is_refused_and_counted(sso_app):
    client = sso_app.test_client()
    answer = client.get("/login/sso/callback?code=stolen-code&state=forged-state")
    assert answer.status_code == 400
    assert "tidak dapat diselesaikan" in answer.text
    # An answer naming another provider is refused before anything else.
    answer = client.get("/login/sso/callback?code=c&state=s&iss=https%3A%2F%2Fevil.example")
    assert answer.status_code == 400
    # The client address has had its free failures: now it waits, nothing is checked.
    answer = client.get("/login/sso/callback?code=stolen-code&state=forged-state")
    assert answer.status_code == 429
    assert int(answer.headers["Retry-After"]) > 0
    with sso_app.app_context():
        outcomes = db.session.scalars(
            select(SignInEvent.outcome).where(SignInEvent.method == "oidc")
        ).all()
        assert outcomes == ["wrong_credentials", "wrong_credentials", "too_many_attempts"]
        assert all("stolen" not in row.login for row in db.session.scalars(select(SignInEvent)))


def test_without_single_sign_on_there_is_no_button(app, org):
    client = app.test_client()
    assert "/login/sso" not in client.get("/login").text
    answer = client.get("/login/sso")
    assert answer.status_code == 404
    assert "belum disiapkan" in answer.text
