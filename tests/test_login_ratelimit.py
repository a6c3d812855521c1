"""Failed logins per client address: limited, and shared by every process through Redis."""

import uuid

import pytest

from tests.conftest import PASSWORD, make_app
from tests.test_live_cluster import REDIS_SKIP, redis_url


def fail_logins(client, n, address="10.1.2.3"):
    for i in range(n):
        answer = client.post(
            "/login",
            data={"username": f"tidak-ada-{i}", "password": "salah"},
            environ_base={"REMOTE_ADDR": address},
        )
        assert answer.status_code == 401


def test_an_address_that_fails_too_often_is_refused_even_with_the_right_password(app, org):
    app.config["LOGIN_IP_MAX_FAILURES"] = 5
    client = app.test_client()
    fail_logins(client, 5)
    right = {"username": org.nips["staff"], "password": PASSWORD}
    answer = client.post("/login", data=right, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert answer.status_code == 429
    api = client.post("/api/v1/tokens", json=right, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert api.status_code == 429 and api.get_json()["error"]["code"] == "too_many_attempts"
    # Another address is not affected.
    other = client.post("/login", data=right, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 302


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


def test_with_redis_failures_count_across_processes():
    url = redis_url()
    if not url:
        pytest.skip(REDIS_SKIP)
    prefix = f"cergas-test-{uuid.uuid4().hex[:8]}"
    settings = {"REDIS_URL": url, "REDIS_PREFIX": prefix, "LOGIN_IP_MAX_FAILURES": 4}
    one, two = make_app("sqlite://", **settings), make_app("sqlite://", **settings)
    fail_logins(one.test_client(), 2)
    fail_logins(two.test_client(), 2)
    for app in (one, two):
        answer = app.test_client().post(
            "/login",
            data={"username": "siapa", "password": "x"},
            environ_base={"REMOTE_ADDR": "10.1.2.3"},
        )
        assert answer.status_code == 429
