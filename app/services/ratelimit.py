"""Login rate limits per client address, shared by every process through Redis when configured.

`accounts.authenticate` already locks an *account* after repeated failures (kept in the
database, so every process sees it). This adds a limit per *client address*, which stops one
address from trying many accounts: after `LOGIN_IP_MAX_FAILURES` failed logins within
`LOGIN_WINDOW_MINUTES`, further attempts from that address are refused with 429 until the window
ends. With `REDIS_URL` the counts live in Redis (one counter per address and window, expiring with
it), so the limit holds across workers and hosts; without Redis each process counts alone, which
is right for one process and documented for more.
"""

import threading
import time

from flask import current_app
from flask_babel import gettext as _

from app.services import accounts
from app.services.errors import TooManyAttempts, Unauthorized


class MemoryCounter:
    """Failures per key and fixed window, in this process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int], int] = {}

    def get(self, key: str, window: int) -> int:
        with self._lock:
            return self._counts.get((key, window), 0)

    def add(self, key: str, window: int, ttl: int) -> int:
        with self._lock:
            # Forget finished windows so the table stays small.
            for old in [k for k in self._counts if k[1] < window]:
                del self._counts[old]
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
            return count


class RedisCounter:
    """Failures per key and fixed window, in Redis: one counter key that expires with its window."""

    def __init__(self, redis, prefix: str):
        self.redis = redis
        self.prefix = prefix

    def _key(self, key: str, window: int) -> str:
        return f"{self.prefix}:ratelimit:{key}:{window}"

    def get(self, key: str, window: int) -> int:
        value = self.redis.get(self._key(key, window))
        return int(value) if value is not None else 0

    def add(self, key: str, window: int, ttl: int) -> int:
        pipe = self.redis.pipeline()
        pipe.incr(self._key(key, window))
        pipe.expire(self._key(key, window), ttl)
        return int(pipe.execute()[0])


def _counter():
    app = current_app
    counter = app.extensions.get("cergas_ratelimit")
    if counter is None:
        broker = app.extensions.get("cergas_broker")
        if broker is not None and broker.kind == "redis":
            counter = RedisCounter(broker.redis, broker.prefix)
        else:
            counter = MemoryCounter()
        app.extensions["cergas_ratelimit"] = counter
    return counter


def _window() -> tuple[int, int]:
    seconds = int(current_app.config["LOGIN_WINDOW_MINUTES"]) * 60
    now = int(time.time())
    return now // seconds, seconds - now % seconds


def authenticate_from(client: str | None, login, password):
    """`accounts.authenticate`, refused early when this address failed too often."""
    limit = int(current_app.config.get("LOGIN_IP_MAX_FAILURES", 50))
    key = f"login:{client or 'unknown'}"
    counter = _counter()
    window, remaining = _window()
    if counter.get(key, window) >= limit:
        minutes = max(1, (remaining + 59) // 60)
        raise TooManyAttempts(
            "too_many_attempts",
            _(
                "Too many failed logins from this address. Try again in %(m)d minutes.",
                m=minutes,
            ),
        )
    try:
        return accounts.authenticate(login, password)
    except (Unauthorized, TooManyAttempts):
        counter.add(key, window, remaining + 1)
        raise
