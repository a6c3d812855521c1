"""Slowing down password guessing without locking anyone out.

Failed logins are counted under three keys: the pair (account, client address), the account
from any address, and the client address for any account. Each key allows some failures, then
asks for a growing wait before the next attempt: LOGIN_DELAY_SECONDS, doubled with each further
failure, up to a cap. While a wait runs, an attempt is answered 429 with Retry-After and the
password is not even checked, so guessing on goes no faster than the waits.

- The pair is the strict limit (LOGIN_PAIR_FREE_FAILURES, then waits up to
  LOGIN_MAX_DELAY_SECONDS): someone guessing one person's password from one address is slowed
  to a few guesses an hour, while the owner, from another address, is not slowed at all. A
  correct password clears the pair's count (only the owner can do that).
- The account has a much higher allowance (LOGIN_ACCOUNT_FREE_FAILURES) and short waits (at most
  LOGIN_ACCOUNT_MAX_DELAY_SECONDS): it slows guessing spread over many addresses, and at worst
  makes the owner wait that long, never locks them out.
- The address (LOGIN_IP_MAX_FAILURES, then waits up to LOGIN_MAX_DELAY_SECONDS) stops one address
  from trying many accounts. A whole office behind one NAT shares an address: raise the setting
  there (CERGAS_LOGIN_IP_MAX_FAILURES, docs/deploy.md).

A key's count is forgotten LOGIN_WINDOW_MINUTES after its last failure (plus the wait). Unknown
accounts are counted exactly like known ones (by the login typed) and get the same answers, so
neither the 401 nor the 429 tells whether an account exists.

With `REDIS_URL` the counts live in Redis (a hash per key, expiring with it), so the limits hold
across workers and hosts; without Redis each process counts alone, which is right for one
process and documented for more.
"""

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import current_app
from flask_babel import ngettext

from app.models import User
from app.services import accounts
from app.services.errors import TooManyAttempts, Unauthorized

T = TypeVar("T")

# The wall clock in seconds; tests replace it to let waits pass.
clock = time.time


class MemoryCounter:
    """Failures per key, in this process: key -> [count, time of the last failure, forget at]."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: dict[str, list] = {}

    def read(self, keys: list[str]) -> list[tuple[int, float]]:
        now = clock()
        with self._lock:
            found = []
            for key in keys:
                entry = self._entries.get(key)
                live = entry is not None and entry[2] > now
                found.append((entry[0], entry[1]) if live else (0, 0.0))
            return found

    def fail(self, keys: list[str], now: float, ttl: int) -> None:
        with self._lock:
            # Forget finished keys so the table stays small.
            for old in [k for k, entry in self._entries.items() if entry[2] <= now]:
                del self._entries[old]
            for key in keys:
                entry = self._entries.setdefault(key, [0, 0.0, 0.0])
                entry[0] += 1
                entry[1] = now
                entry[2] = now + ttl

    def clear(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)


class RedisCounter:
    """Failures per key in Redis: a hash {count, last} per key that expires with it."""

    def __init__(self, redis, prefix: str):
        self.redis = redis
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}:login:{key}"

    def read(self, keys: list[str]) -> list[tuple[int, float]]:
        pipe = self.redis.pipeline()
        for key in keys:
            pipe.hmget(self._key(key), "count", "last")
        found = []
        for count, last in pipe.execute():
            found.append((int(count or 0), float(last or 0.0)))
        return found

    def fail(self, keys: list[str], now: float, ttl: int) -> None:
        pipe = self.redis.pipeline()
        for key in keys:
            pipe.hincrby(self._key(key), "count", 1)
            pipe.hset(self._key(key), "last", repr(now))
            pipe.expire(self._key(key), ttl)
        pipe.execute()

    def clear(self, key: str) -> None:
        self.redis.delete(self._key(key))


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


@dataclass(frozen=True)
class Limit:
    key: str
    free: int  # failures allowed before the first wait
    cap: int  # the longest wait, in seconds

    def wait(self, failures: int, last: float, now: float) -> float:
        """Seconds still to wait after `failures` failures, the last at `last`."""
        if failures < self.free:
            return 0.0
        base = int(current_app.config["LOGIN_DELAY_SECONDS"])
        delay = min(self.cap, base * 2 ** min(failures - self.free, 30))
        return max(0.0, last + delay - now)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def limits_for(client: str | None, login: str, user: User | None) -> list[Limit]:
    """The pair, account and address limits of an attempt. A known account is counted by its
    id (its NIP and username are one account), an unknown one by the login typed."""
    config = current_app.config
    account = f"user:{user.id}" if user is not None else f"login:{_digest(login.lower())}"
    address = _digest(client or "unknown")
    longest = int(config["LOGIN_MAX_DELAY_SECONDS"])
    return [
        Limit(f"pair:{account}:{address}", int(config["LOGIN_PAIR_FREE_FAILURES"]), longest),
        Limit(
            f"account:{account}",
            int(config["LOGIN_ACCOUNT_FREE_FAILURES"]),
            int(config["LOGIN_ACCOUNT_MAX_DELAY_SECONDS"]),
        ),
        Limit(f"address:{address}", int(config["LOGIN_IP_MAX_FAILURES"]), longest),
    ]


def too_many_attempts(seconds: int) -> TooManyAttempts:
    """The one answer to an attempt made during a wait, whichever limit asked for it."""
    if seconds <= 90:
        message = ngettext(
            "Too many failed logins. Wait %(num)d second and try again.",
            "Too many failed logins. Wait %(num)d seconds and try again.",
            seconds,
        )
    else:
        minutes = math.ceil(seconds / 60)
        message = ngettext(
            "Too many failed logins. Wait %(num)d minute and try again.",
            "Too many failed logins. Wait %(num)d minutes and try again.",
            minutes,
        )
    return TooManyAttempts("too_many_attempts", message, retry_after=seconds)


def authenticate_from(client: str | None, login, password) -> User:
    """`accounts.authenticate`, answered with a wait instead when one of the limits asks for one."""
    return sign_in_from(client, login, password)[0]


def sign_in_from(client: str | None, login, password) -> tuple[User, str]:
    """The password form's check under the limits: (person, method), the method being the local
    password or, where LDAP is configured, the directory (app/services/ldap_auth.py); one
    attempt, counted once whichever was tried."""
    from app.services import ldap_auth

    if not isinstance(login, str) or not isinstance(password, str) or not login.strip():
        raise accounts.wrong_credentials()
    login = login.strip()[:200]
    user = accounts.find_login(login)
    return counted(
        client, login, user, lambda: ldap_auth.password_or_directory(user, login, password)
    )


def verify_from(client: str | None, user: User, password) -> User:
    """Check a signed-in person's own password (to change it) under the same limits as
    signing in: a wrong one counts as a failed login of the account, and a wait is a wait."""
    if not isinstance(password, str):
        password = ""
    return _check_counted(client, user.login, user, password)


def _check_counted(client: str | None, login: str, user: User | None, password: str) -> User:
    return counted(client, login, user, lambda: accounts.check_password(user, password))


def counted(client: str | None, login: str, user: User | None, check: Callable[[], T]) -> T:
    """Run one sign-in check under the limits of (account, address): answered with a wait
    (TooManyAttempts, nothing checked) while one runs; a check that raises Unauthorized counts
    as a failure of the account and the address; a check that passes clears the pair's count.
    Every way of proving who one is goes through here: passwords (local and LDAP), second-
    factor codes, recovery codes and the forms of plugins' sign-in methods."""
    limits = limits_for(client, login, user)
    counter = _counter()
    now = clock()
    counts = counter.read([limit.key for limit in limits])
    wait = max(limit.wait(n, last, now) for limit, (n, last) in zip(limits, counts, strict=True))
    if wait > 0:
        raise too_many_attempts(math.ceil(wait))
    try:
        result = check()
    except Unauthorized:
        window = int(current_app.config["LOGIN_WINDOW_MINUTES"]) * 60
        ttl = window + int(current_app.config["LOGIN_MAX_DELAY_SECONDS"])
        counter.fail([limit.key for limit in limits], now, ttl)
        raise
    counter.clear(limits[0].key)
    return result


def spend(key: str, allowed: int, window_seconds: int) -> bool:
    """Count one more use of `key` (e.g. a reset link asked for an account) and say whether
    it is within `allowed` uses; the count is forgotten `window_seconds` after the last use.
    A refused use is not counted."""
    counter = _counter()
    ((used, _last),) = counter.read([key])
    if used >= allowed:
        return False
    counter.fail([key], clock(), window_seconds)
    return True
