"""Signing in with a directory password (issue 22), against a real slapd started by the tests
(tests/ldap_server.py): search-then-bind, TLS that verifies the certificate, attribute mapping,
unknown people refused or added, details kept in sync, and the same rate limits as passwords."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AdminEvent, LoginSession, SignInEvent, User
from app.services import accounts, ldap_auth, people
from app.services.errors import Unauthorized
from tests.conftest import PASSWORD, make_app
from tests.i18n_helpers import t
from tests.ldap_server import PEOPLE_ENTRIES, free_port, running_directory

pytestmark = pytest.mark.slow

SITI, BUDI, RINA, KEMBAR = PEOPLE_ENTRIES
ADDRESS = "10.20.30.40"
WRONG = "Wrong NIP/username or password."
UNREACHABLE = (
    "The directory (LDAP) cannot be reached, so your password cannot be checked. Try again in a "
    "few minutes; if it persists, tell the administrator."
)
NO_ACCOUNT = (
    "Your directory password is right, but you have no account in Cergas yet. Ask your unit's "
    "head or the administrator to add you."
)


def build(directory, **settings):
    """An app signing in through `directory`, with unit BKD, the local admin, Siti (no local
    password: the directory's only) and Budi (a local password as well)."""
    app = make_app("sqlite://", **directory.config(**settings))
    with app.app_context():
        accounts.create_unit("BKD", "Badan Kepegawaian Daerah")
        accounts.create_user("Administrator", PASSWORD, username="admin", admin=True)
        accounts.create_user("Siti R.", None, nip=SITI.nip, unit_code="BKD", email="lama@x.id")
        accounts.create_user(BUDI.name, PASSWORD, nip=BUDI.nip, unit_code="BKD")
    return app


@pytest.fixture(scope="module")
def directory():
    yield from running_directory()


@pytest.fixture
def app(directory):
    return build(directory)


def login(client, who, password, address=ADDRESS):
    return client.post(
        "/login",
        data={"username": who, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def last_event():
    return db.session.scalars(select(SignInEvent).order_by(SignInEvent.id.desc())).first()


def test_directory_password_signs_in_through_the_login_form(app):
    client = app.test_client()
    answer = login(client, SITI.nip, SITI.password)
    assert answer.status_code == 302, answer.text
    assert client.get("/").status_code == 200
    with app.app_context():
        siti = accounts.find_login(SITI.nip)
        assert (
            db.session.scalar(select(LoginSession.method).where(LoginSession.user_id == siti.id))
            == "ldap"
        )
        event = last_event()
        assert (event.method, event.outcome, event.user_id) == ("ldap", "ok", siti.id)
        assert SITI.password not in str(vars(event))


def test_the_directory_uid_is_a_login_too(app):
    assert login(app.test_client(), "siti", SITI.password).status_code == 302


def test_local_password_first_then_the_directory_password(app):
    client = app.test_client()
    assert login(client, BUDI.nip, PASSWORD).status_code == 302
    with app.app_context():
        assert last_event().method == "password"
    client = app.test_client()
    assert login(client, BUDI.nip, BUDI.password).status_code == 302
    with app.app_context():
        assert last_event().method == "ldap"


def test_wrong_directory_password_is_wrong_credentials(app):
    answer = login(app.test_client(), SITI.nip, "bukan-ini")
    assert answer.status_code == 401
    assert t(WRONG) in answer.text
    with app.app_context():
        assert (last_event().method, last_event().outcome) == ("password", "wrong_credentials")


def test_empty_password_is_refused_before_any_bind(directory):
    # Pointed at a port where nothing listens: an attempted bind would be "cannot be reached".
    app = build(directory, LDAP_URL=f"ldap://127.0.0.1:{free_port()}")
    with app.test_request_context():
        with pytest.raises(Unauthorized) as refused:
            ldap_auth.find_and_bind(SITI.nip, "")
        assert refused.value.code == "invalid_credentials"
        with pytest.raises(Unauthorized) as refused:
            ldap_auth.password_or_directory(accounts.find_login(SITI.nip), SITI.nip, "")
        assert refused.value.code == "invalid_credentials"
    answer = login(app.test_client(), SITI.nip, "")
    assert answer.status_code == 401


# Unescaped, "sit*" and "siti)(cn=x" would find Siti's entry alone, and her password would do.
@pytest.mark.parametrize("typed", ["sit*", "siti)(cn=x", "*)(uid=*", "*", "\\73iti"])
def test_filter_injection_finds_nobody(app, typed):
    answer = login(app.test_client(), typed, SITI.password)
    assert answer.status_code == 401
    assert t(WRONG) in answer.text


def test_a_login_matching_two_entries_finds_nobody(app):
    assert login(app.test_client(), KEMBAR.uid, KEMBAR.password).status_code == 401


def test_unknown_person_is_refused_with_a_clear_message(app):
    answer = login(app.test_client(), RINA.uid, RINA.password)
    assert answer.status_code == 403
    assert t(NO_ACCOUNT) in answer.text
    with app.app_context():
        assert (last_event().method, last_event().outcome) == ("ldap", "unknown_person")
        assert accounts.find_login(RINA.nip) is None


def test_unknown_person_is_added_in_the_mapped_unit_when_configured(directory):
    app = build(directory, LDAP_CREATE_USERS=True)
    client = app.test_client()
    assert login(client, RINA.uid, RINA.password).status_code == 302
    with app.app_context():
        rina = accounts.find_login(RINA.nip)
        assert (rina.name, rina.email) == (RINA.name, RINA.mail)
        assert people.membership_of(rina).unit.code == "BKD"
        assert rina.password_hash == "!"  # no local password: the directory's only
        event = db.session.scalar(
            select(AdminEvent).where(AdminEvent.kind == "user.created_at_sign_in")
        )
        assert event.target_id == rina.id and event.actor_id is None
        assert last_event().method == "ldap"


def test_sync_brings_name_and_email_up_to_date_and_audits_it(directory):
    app = build(directory, LDAP_SYNC=True)
    assert login(app.test_client(), SITI.nip, SITI.password).status_code == 302
    with app.app_context():
        siti = accounts.find_login(SITI.nip)
        assert (siti.name, siti.email) == (SITI.name, SITI.mail)
        event = db.session.scalar(select(AdminEvent).where(AdminEvent.kind == "user.updated"))
        assert event.before == {"name": "Siti R.", "email": "lama@x.id"}
        assert event.after == {"name": SITI.name, "email": SITI.mail}
    # Nothing changes the second time: nothing more in the log.
    assert login(app.test_client(), SITI.nip, SITI.password).status_code == 302
    with app.app_context():
        kinds = db.session.scalars(select(AdminEvent.kind).where(AdminEvent.kind == "user.updated"))
        assert len(kinds.all()) == 1


def test_without_sync_the_details_stay(app):
    assert login(app.test_client(), SITI.nip, SITI.password).status_code == 302
    with app.app_context():
        assert accounts.find_login(SITI.nip).name == "Siti R."


def test_deactivated_person_stays_refused_with_the_right_directory_password(app):
    with app.app_context():
        admin = accounts.find_login("admin")
        people.deactivate(admin, SITI.nip, "other", "pindah")
    answer = login(app.test_client(), SITI.nip, SITI.password)
    assert answer.status_code == 401


def test_start_tls_verifies_the_certificate(directory):
    app = build(directory, LDAP_START_TLS=True, LDAP_CA_FILE=str(directory.ca_file))
    assert login(app.test_client(), SITI.nip, SITI.password).status_code == 302
    app = build(directory, LDAP_START_TLS=True, LDAP_CA_FILE=str(directory.wrong_ca_file))
    answer = login(app.test_client(), SITI.nip, SITI.password)
    assert answer.status_code == 503
    assert t(UNREACHABLE) in answer.text


def test_ldaps_verifies_the_certificate(directory):
    app = build(directory, LDAP_URL=directory.ldaps_url, LDAP_CA_FILE=str(directory.ca_file))
    assert login(app.test_client(), SITI.nip, SITI.password).status_code == 302
    app = build(directory, LDAP_URL=directory.ldaps_url, LDAP_CA_FILE=str(directory.wrong_ca_file))
    answer = login(app.test_client(), SITI.nip, SITI.password)
    assert answer.status_code == 503
    assert t(UNREACHABLE) in answer.text


def test_ldaps_checks_the_name_in_the_certificate(directory, caplog):
    # slapd listens on 127.0.0.2 too, but its certificate names only localhost and 127.0.0.1.
    url = f"ldaps://127.0.0.2:{directory.tls_port}"
    app = build(directory, LDAP_URL=url, LDAP_CA_FILE=str(directory.ca_file))
    assert login(app.test_client(), SITI.nip, SITI.password).status_code == 503
    assert "doesn't match any name" in caplog.text


def test_directory_down_says_so_and_the_local_admin_still_signs_in(directory, caplog):
    app = build(directory, LDAP_URL=f"ldap://127.0.0.1:{free_port()}", LDAP_TIMEOUT=2)
    answer = login(app.test_client(), SITI.nip, SITI.password)
    assert answer.status_code == 503
    assert t(UNREACHABLE) in answer.text
    assert t(WRONG) not in answer.text
    assert SITI.password not in caplog.text
    assert "cannot be reached" in caplog.text
    with app.app_context():
        assert (last_event().method, last_event().outcome) == ("ldap", "refused")
    assert login(app.test_client(), "admin", PASSWORD).status_code == 302


def test_wrong_service_password_is_the_directory_unavailable(directory, caplog):
    app = build(directory, LDAP_BIND_PASSWORD="salah")
    assert login(app.test_client(), SITI.nip, SITI.password).status_code == 503
    assert "salah" not in caplog.text


def test_a_failed_attempt_counts_once_under_the_same_limits(directory):
    # Budi has a local password and a directory one: a wrong password is checked against both,
    # and still counts as one failure. Three free failures for the pair.
    app = build(directory, LOGIN_PAIR_FREE_FAILURES=3)
    client = app.test_client()
    for _ in range(2):
        assert login(client, BUDI.nip, "salah").status_code == 401
    # Counted twice, the two failures would be four, and this would be 429.
    assert login(client, BUDI.nip, BUDI.password).status_code == 302
    client = app.test_client()
    for _ in range(3):
        assert login(client, SITI.nip, "salah").status_code == 401
    # The directory password is not even checked during the wait.
    answer = login(client, SITI.nip, SITI.password)
    assert answer.status_code == 429
    assert "Retry-After" in answer.headers
    with app.app_context():
        assert last_event().outcome == "too_many_attempts"


def test_api_token_through_the_directory(app):
    client = app.test_client()
    answer = client.post(
        "/api/v1/tokens", json={"username": SITI.nip, "password": SITI.password, "name": "laptop"}
    )
    assert answer.status_code == 201, answer.text
    secret = answer.get_json()["token"]
    listed = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {secret}"})
    assert listed.status_code == 200
    assert [row["name"] for row in listed.get_json()["tokens"]] == ["laptop"]
    wrong = client.post("/api/v1/tokens", json={"username": SITI.nip, "password": "salah"})
    assert wrong.status_code == 401
    unknown = client.post("/api/v1/tokens", json={"username": RINA.uid, "password": RINA.password})
    assert (unknown.status_code, unknown.get_json()["error"]["code"]) == (403, "unknown_person")


def test_username_fallback_never_reaches_another_civil_servant(app):
    # A Cergas account named "rina" with another person's NIP: Rina's directory entry (whose
    # NIP is not in Cergas) must not sign in as it.
    with app.app_context():
        accounts.create_user("Rina Lain", None, nip="198505052010012009", unit_code="BKD")
        db.session.execute(
            User.__table__.update().where(User.nip == "198505052010012009").values(username="rina")
        )
        db.session.commit()
    assert login(app.test_client(), RINA.uid, RINA.password).status_code == 403


def test_the_directory_password_proves_it_is_them_on_the_two_factor_page(app):
    """Siti has no Cergas password: the directory's stands in where two-factor sign-in asks
    for a password (new recovery codes, turning it off), and a wrong one is refused."""
    import pyotp

    from app.services import two_factor
    from app.services.errors import Invalid

    with app.app_context():
        siti = accounts.find_login(SITI.nip)
        two_factor.start_enrolment(siti)
        secret = siti.totp_secret
        two_factor.confirm_enrolment(siti, pyotp.TOTP(secret).now())
        assert two_factor.has_password(siti)
        with pytest.raises(Invalid) as refused:
            two_factor.renew_recovery_codes(siti, password="bukan-sandinya")
        assert set(refused.value.fields) == {"password"}
        assert len(two_factor.renew_recovery_codes(siti, password=SITI.password)) == 10
