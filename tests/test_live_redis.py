"""The Redis broker: what one process publishes reaches the subscribers of another, with one
shared message counter; a lost Redis connection ends in a resync, never in silent gaps.
Skipped without TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15)."""

import uuid

import pytest

from app.broker import RESYNC, LocalBroker, RedisBroker, make_broker
from tests.test_live_cluster import REDIS_SKIP, redis_url


@pytest.fixture
def brokers():
    """Two brokers on one Redis, as two worker processes (or hosts) would have."""
    url = redis_url()
    if not url:
        pytest.skip(REDIS_SKIP)
    prefix = f"cergas-test-{uuid.uuid4().hex[:8]}"
    pair = [RedisBroker(url, prefix=prefix), RedisBroker(url, prefix=prefix)]
    yield pair
    for broker in pair:
        broker.close()


def test_a_message_published_in_one_process_reaches_another(brokers):
    one, two = brokers
    with two.subscribe(5) as subscription, two.subscribe(6) as other_board:
        seq = one.publish(5, {"columns": [1, 2], "cards": [9]})
        message = subscription.get(timeout=5)
        assert message == {"columns": [1, 2], "cards": [9], "board": 5, "seq": seq}
        assert other_board.get(timeout=0.3) is None


def test_both_processes_count_one_sequence_per_board(brokers):
    one, two = brokers
    assert one.publish(5, {}) == 1
    assert two.publish(5, {}) == 2
    assert one.publish(6, {}) == 1
    assert one.current_seq(5) == two.current_seq(5) == 2


def test_a_lost_redis_connection_makes_pages_resync(brokers):
    one, two = brokers
    with two.subscribe(5) as subscription:
        one.publish(5, {})
        assert subscription.get(timeout=5)["seq"] == 1
        # Cut the listener's connection, as a Redis restart or network drop would.
        for client in one.redis.client_list(_type="pubsub"):
            one.redis.client_kill_filter(_id=client["id"])
        assert subscription.get(timeout=15) == RESYNC
        one.publish(5, {})
        assert subscription.get(timeout=5)["seq"] == 2


def test_redis_url_chooses_the_redis_broker_and_none_the_local_one():
    assert isinstance(make_broker({"REDIS_URL": None}), LocalBroker)
    broker = make_broker({"REDIS_URL": "redis://127.0.0.1:1/0", "REDIS_PREFIX": "x"})
    assert isinstance(broker, RedisBroker) and broker.prefix == "x"
    broker.redis.close()
