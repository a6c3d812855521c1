"""Configuration from the environment, with safe defaults for one small server."""

import os
import secrets
from pathlib import Path


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into instance/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        instance_path.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance_path / 'cergas.db'}"
    # Accept the common postgres:// spellings and use psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def defaults() -> dict:
    """Settings that do not come from the environment."""
    return {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "id",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Jakarta",
        "LANGUAGES": ["id", "en"],
        "LOGIN_MAX_FAILURES": 10,
        "LOGIN_WINDOW_MINUTES": 15,
        "LOGIN_LOCK_MINUTES": 15,
        # Failed logins one client address may make per LOGIN_WINDOW_MINUTES (all accounts).
        "LOGIN_IP_MAX_FAILURES": 50,
        "REDIS_URL": None,
    }


def from_environment(instance_path: Path, given: dict) -> dict:
    """SECRET_KEY, DATABASE_URL and REDIS_URL from the environment, unless the caller gave them."""
    config = {}
    if "SECRET_KEY" not in given:
        config["SECRET_KEY"] = _secret_key(instance_path)
    if "SQLALCHEMY_DATABASE_URI" not in given:
        config["SQLALCHEMY_DATABASE_URI"] = database_url(instance_path)
    if "REDIS_URL" not in given:
        config["REDIS_URL"] = os.environ.get("REDIS_URL") or None
    if "REDIS_PREFIX" not in given:
        # Namespaces Redis keys and channels: deployments sharing one Redis set different ones.
        config["REDIS_PREFIX"] = os.environ.get("REDIS_PREFIX") or "cergas"
    if "PROXY_COUNT" not in given:
        # Behind nginx: how many proxies set X-Forwarded-For/-Proto (client address, https).
        config["PROXY_COUNT"] = int(os.environ.get("CERGAS_PROXY_COUNT") or 0)
    for key in ("CERGAS_PLUGINS", "CERGAS_DISABLED_PLUGINS"):
        if key not in given:
            config[key] = os.environ.get(key)
    config["SESSION_COOKIE_SECURE"] = os.environ.get("CERGAS_SECURE_COOKIES", "") == "1"
    if "BOARD_CACHE_SECONDS" not in given and os.environ.get("CERGAS_BOARD_CACHE_SECONDS"):
        # How long a rendered board may be served from the cache (app/boards/cache.py); 0: off.
        config["BOARD_CACHE_SECONDS"] = _seconds(os.environ["CERGAS_BOARD_CACHE_SECONDS"])
    for key, variable in (
        # Open live streams (board pages) per worker and per person: app/live/streams.py.
        ("LIVE_STREAMS_PER_WORKER", "CERGAS_LIVE_STREAMS_PER_WORKER"),
        ("LIVE_STREAMS_PER_USER", "CERGAS_LIVE_STREAMS_PER_USER"),
    ):
        if key not in given and os.environ.get(variable):
            config[key] = _count(variable, os.environ[variable])
    return config


def _seconds(value: str) -> int:
    try:
        seconds = int(value)
    except ValueError:
        raise SystemExit(
            f"CERGAS_BOARD_CACHE_SECONDS must be a whole number, not {value!r}"
        ) from None
    if seconds < 0:
        raise SystemExit("CERGAS_BOARD_CACHE_SECONDS must be 0 (off) or more")
    return seconds


def _count(variable: str, value: str) -> int:
    if not (value.isascii() and value.isdigit()):
        raise SystemExit(f"{variable} must be a whole number, not {value!r}")
    count = int(value)
    if not 1 <= count <= 100_000:
        raise SystemExit(f"{variable} must be between 1 and 100000")
    return count
