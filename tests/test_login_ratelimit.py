"""Failed logins (issue 19, finding 8): the attacker is slowed per account *and* address with
growing waits, the owner still gets in from elsewhere, unknown and known accounts get the same
answers, and the per-address allowance is a setting. Shared by every process through Redis."""

import re
import uuid

import pytest

from app.services import accounts, ratelimit
from tests.conftest import PASSWORD, make_app
from tests.i18n_helpers import t
from tests.test_live_cluster import REDIS_SKIP, redis_url

ATTACKER = "10.6.6.6"
OWNER = "10.1.1.1"
UNKNOWN_NIP = "199912312020121999"  # 18 digits, nobody's


class Clock:
    """The throttle's wall clock, moved by hand."""

    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    frozen = Clock()
    monkeypatch.setattr(ratelimit, "clock", frozen, raising=False)
    return frozen


def login(client, username, password, address):
    return client.post(
        "/login",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def token(client, username, password, address):
    return client.post(
        "/api/v1/tokens",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def fail_logins(client, n, address="10.1.2.3"):
    for i in range(n):
        answer = login(client, f"tidak-ada-{i}", "salah", address)
        assert answer.status_code == 401


def fail(client, username, n, address):
    for _ in range(n):
        assert token(client, username, "salah-lagi", address).status_code == 401


def fail_waiting(client, clock, username, failures, address):
    """`failures` failed attempts, waiting whenever asked to (each call from `address(i)`)."""
    done = attempt = 0
    while done < failures:
        answer = token(client, username, "salah-lagi", address(attempt))
        attempt += 1
        if answer.status_code == 429:
            clock.advance(int(answer.headers["Retry-After"]))
        else:
            assert answer.status_code == 401
            done += 1


def alert(response) -> str:
    found = re.search(r'id="login-error">([^<]*)</div>', response.get_data(as_text=True))
    return found.group(1) if found else ""


def test_ten_wrong_passwords_from_one_address_do_not_lock_the_owner_out(client, org, clock):
    nip = org.nips["staff"]
    fail_waiting(client, clock, nip, 10, lambda _i: ATTACKER)
    assert login(client, nip, "salah-sandi", ATTACKER).status_code == 429
    # The owner, from her own computer, logs in at once, by the form and by the API.
    assert login(client, nip, PASSWORD, OWNER).status_code == 302
    assert token(client, nip, PASSWORD, OWNER).status_code == 201


def test_the_attacker_waits_longer_after_each_failure(client, org, clock):
    nip = org.nips["staff"]
    fail(client, nip, 5, ATTACKER)  # LOGIN_PAIR_FREE_FAILURES
    waits = []
    for _ in range(4):
        refused = token(client, nip, "salah-lagi", ATTACKER)
        assert refused.status_code == 429
        assert refused.get_json()["error"]["code"] == "too_many_attempts"
        wait = int(refused.headers["Retry-After"])
        waits.append(wait)
        clock.advance(wait)
        assert token(client, nip, "salah-lagi", ATTACKER).status_code == 401
    assert waits == [2, 4, 8, 16]


def test_during_a_wait_even_the_right_password_gets_no_token(client, org, clock):
    """Otherwise the wait would not slow guessing: the right guess would still get through."""
    nip = org.nips["staff"]
    fail(client, nip, 5, ATTACKER)
    refused = token(client, nip, PASSWORD, ATTACKER)
    assert refused.status_code == 429 and "token" not in refused.get_json()
    clock.advance(int(refused.headers["Retry-After"]))
    assert token(client, nip, PASSWORD, ATTACKER).status_code == 201


def test_waits_are_capped_and_forgotten_after_the_window(app, client, org, clock):
    nip = org.nips["staff"]
    longest = app.config["LOGIN_MAX_DELAY_SECONDS"]
    fail_waiting(client, clock, nip, 20, lambda _i: ATTACKER)
    refused = token(client, nip, "salah-lagi", ATTACKER)
    assert int(refused.headers["Retry-After"]) == longest
    clock.advance(longest + app.config["LOGIN_WINDOW_MINUTES"] * 60)
    fail(client, nip, 5, ATTACKER)  # a fresh allowance


def test_a_correct_password_clears_the_count_of_its_address(client, org, clock):
    nip = org.nips["staff"]
    fail(client, nip, 4, OWNER)
    assert token(client, nip, PASSWORD, OWNER).status_code == 201
    fail(client, nip, 4, OWNER)
    assert token(client, nip, PASSWORD, OWNER).status_code == 201


@pytest.mark.parametrize("via", ["form", "api"])
def test_unknown_and_known_accounts_get_the_same_answers(client, org, clock, via):
    """No enumeration: the same status, wording and wait whether the account exists or not."""

    def answers(username, address):
        seen = []
        for _ in range(12):
            if via == "form":
                response = login(client, username, "salah-sandi", address)
                seen.append((response.status_code, alert(response)))
            else:
                response = token(client, username, "salah-sandi", address)
                seen.append((response.status_code, response.get_json()["error"]))
            seen[-1] += (response.headers.get("Retry-After"),)
        return seen

    known, unknown = answers(org.nips["staff"], "10.2.0.1"), answers(UNKNOWN_NIP, "10.2.0.2")
    assert known == unknown
    assert {status for status, *_ in known} == {401, 429}
    wrong = t("Wrong NIP/username or password.")
    if via == "form":
        assert known[0][1] == wrong
        assert "locked" not in known[-1][1] and "terkunci" not in known[-1][1]


def test_unknown_accounts_cost_a_password_hash_too(app, org, monkeypatch):
    checked = []
    real = accounts.check_password_hash

    def spy(hashed, password):
        checked.append(hashed)
        return real(hashed, password)

    monkeypatch.setattr(accounts, "check_password_hash", spy)
    with app.test_request_context():
        for login_value in (UNKNOWN_NIP, org.nips["staff"]):
            with pytest.raises(accounts.Unauthorized):
                ratelimit.authenticate_from(OWNER, login_value, "salah-sandi")
    assert len(checked) == 2
    assert checked[0].split("$")[0] == checked[1].split("$")[0]  # the same method and cost


def test_guessing_from_many_addresses_only_delays_the_owner(app, client, org, clock):
    app.config["LOGIN_ACCOUNT_FREE_FAILURES"] = 6
    nip = org.nips["staff"]
    fail_waiting(client, clock, nip, 10, lambda i: f"10.7.0.{i}")
    waiting = token(client, nip, PASSWORD, OWNER)
    assert waiting.status_code == 429
    assert int(waiting.headers["Retry-After"]) <= app.config["LOGIN_ACCOUNT_MAX_DELAY_SECONDS"]
    clock.advance(int(waiting.headers["Retry-After"]))
    assert token(client, nip, PASSWORD, OWNER).status_code == 201


def test_an_address_that_fails_too_often_must_wait_even_with_the_right_password(app, org, clock):
    app.config["LOGIN_IP_MAX_FAILURES"] = 5
    client = app.test_client()
    fail_logins(client, 5)
    right = {"username": org.nips["staff"], "password": PASSWORD}
    answer = client.post("/login", data=right, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "2"
    api = client.post("/api/v1/tokens", json=right, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert api.status_code == 429 and api.get_json()["error"]["code"] == "too_many_attempts"
    # Another address is not affected.
    other = client.post("/login", data=right, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 302


def test_an_office_behind_one_address_gets_a_higher_allowance_from_the_environment(monkeypatch):
    from app.config import from_environment

    monkeypatch.setenv("CERGAS_LOGIN_IP_MAX_FAILURES", "400")
    assert (
        from_environment(None, {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})[
            "LOGIN_IP_MAX_FAILURES"
        ]
        == 400
    )
    monkeypatch.setenv("CERGAS_LOGIN_DELAY_SECONDS", "10")
    app = make_app("sqlite://")
    assert app.config["LOGIN_IP_MAX_FAILURES"] == 400
    assert app.config["LOGIN_DELAY_SECONDS"] == 10
    # Sixty typos of the whole office, each person their own: nobody waits.
    fail_logins(app.test_client(), 60)
    for bad in ("0", "-3", "banyak", "٣"):
        monkeypatch.setenv("CERGAS_LOGIN_IP_MAX_FAILURES", bad)
        with pytest.raises(SystemExit, match="CERGAS_LOGIN_IP_MAX_FAILURES"):
            from_environment(None, {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_successful_logins_do_not_count(app, org):
    app.config["LOGIN_IP_MAX_FAILURES"] = 2
    client = app.test_client()
    right = {"username": org.nips["staff"], "password": PASSWORD}
    for _ in range(4):
        assert client.post("/login", data=right).status_code == 302
        client.post("/logout")


def test_without_redis_each_process_counts_alone():
    # What docs/deploy.md says: several processes need REDIS_URL for one shared count.
    settings = {"LOGIN_IP_MAX_FAILURES": 4}
    one, two = make_app("sqlite://", **settings), make_app("sqlite://", **settings)
    fail_logins(one.test_client(), 3)
    fail_logins(two.test_client(), 3)


def redis_settings(**extra) -> dict:
    url = redis_url()
    if not url:
        pytest.skip(REDIS_SKIP)
    return {"REDIS_URL": url, "REDIS_PREFIX": f"cergas-test-{uuid.uuid4().hex[:8]}", **extra}


def test_with_redis_failures_count_across_processes():
    settings = redis_settings(LOGIN_IP_MAX_FAILURES=4)
    one, two = make_app("sqlite://", **settings), make_app("sqlite://", **settings)
    fail_logins(one.test_client(), 2)
    fail_logins(two.test_client(), 2)
    for app in (one, two):
        answer = login(app.test_client(), "siapa", "x", "10.1.2.3")
        assert answer.status_code == 429


def test_with_redis_the_pair_waits_grow_across_processes_and_the_owner_gets_in(clock):
    settings = redis_settings()
    one, two = make_app("sqlite://", **settings), make_app("sqlite://", **settings)
    for app in (one, two):  # the same people in both databases
        with app.app_context():
            accounts.create_user("Rina", PASSWORD, nip=UNKNOWN_NIP)
    clients = [one.test_client(), two.test_client()]
    for i in range(5):
        assert token(clients[i % 2], UNKNOWN_NIP, "salah", ATTACKER).status_code == 401
    for client in clients:
        refused = token(client, UNKNOWN_NIP, PASSWORD, ATTACKER)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"
    assert token(clients[1], UNKNOWN_NIP, PASSWORD, OWNER).status_code == 201
