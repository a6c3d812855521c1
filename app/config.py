"""Configuration from the environment, with safe defaults for one small server."""

import os
import re
import secrets
from pathlib import Path


def make_instance_folder(instance_path: Path) -> None:
    """instance/ (secret key, SQLite database): owner-only (0700) when Cergas creates it."""
    if not instance_path.is_dir():
        instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
        instance_path.chmod(0o700)  # whatever the umask


def create_private_file(path: Path, content: str = "") -> None:
    """A new file only its owner may read and write (0600), never readable in between; an
    existing file is left as it is."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)  # whatever the umask
        handle.write(content)


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into instance/ (0600)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        make_instance_folder(instance_path)
        create_private_file(key_file, secrets.token_hex(32))
    return key_file.read_text().strip()


def database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        # The default SQLite file, created empty here with mode 0600 so that SQLite (which
        # gives its -wal and -shm files the database's mode) never makes it world-readable.
        make_instance_folder(instance_path)
        create_private_file(instance_path / "cergas.db")
        return f"sqlite:///{instance_path / 'cergas.db'}"
    _create_sqlite_file(url)
    # Accept the common postgres:// spellings and use psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _create_sqlite_file(url: str) -> None:
    """A SQLite database file named in DATABASE_URL is created owner-only (0600) before SQLite
    creates it with the umask's mode; an existing file, or a folder that is missing, is left
    for SQLite to report."""
    if not url.startswith("sqlite:///") or "?" in url:
        return
    path = Path(url[len("sqlite:///") :])
    if path.name and path.name != ":memory:" and path.parent.is_dir():
        create_private_file(path)


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
        # Failed logins (app/services/ratelimit.py): each key allows some failures, then asks
        # for waits of LOGIN_DELAY_SECONDS, doubling; a key is forgotten LOGIN_WINDOW_MINUTES
        # after its last failure.
        "LOGIN_WINDOW_MINUTES": 15,
        "LOGIN_DELAY_SECONDS": 2,
        "LOGIN_MAX_DELAY_SECONDS": 900,
        # One account from one client address: the strict limit.
        "LOGIN_PAIR_FREE_FAILURES": 5,
        # One account from any address: high, and short waits, so its owner is never locked out.
        "LOGIN_ACCOUNT_FREE_FAILURES": 100,
        "LOGIN_ACCOUNT_MAX_DELAY_SECONDS": 60,
        # One client address, all accounts (CERGAS_LOGIN_IP_MAX_FAILURES; raise it for an office
        # behind one NAT address).
        "LOGIN_IP_MAX_FAILURES": 50,
        # Login sessions end after this long without a request, and this long after login.
        "SESSION_IDLE_MINUTES": 8 * 60,
        "SESSION_MAX_HOURS": 7 * 24,
        # How long the sign-in log keeps an attempt (CERGAS_SIGN_IN_LOG_DAYS).
        "SIGN_IN_LOG_DAYS": 365,
        "REDIS_URL": None,
        # Passwords (app/services/password_rules.py, app/services/passwords.py): the shortest
        # password accepted (CERGAS_PASSWORD_MIN_LENGTH, at least 8); how long a reset link
        # asked for by email lives, and one issued by an admin or head.
        "PASSWORD_MIN_LENGTH": 8,
        "PASSWORD_RESET_MINUTES": 60,
        "PASSWORD_ISSUED_RESET_HOURS": 72,
        # Reset links asked for by email: per account (silently not sent beyond it) and per
        # client address (answered "wait"), in a sliding hour.
        "PASSWORD_RESETS_PER_ACCOUNT": 3,
        "PASSWORD_RESETS_PER_ADDRESS": 20,
        # The least time the answer to "forgot password" takes, whether the account exists
        # or not (seconds).
        "PASSWORD_RESET_ANSWER_SECONDS": 0.3,
        # Documents on cards: the largest file accepted (CERGAS_DOCUMENT_MAX_MB), and where
        # the bytes live (CERGAS_DOCUMENT_STORAGE: "local", a folder; "s3": app/storage/s3.py).
        "DOCUMENT_MAX_MB": 25,
        "DOCUMENT_STORAGE": "local",
        # Deadline reminders go out once the unit's local time passes this hour
        # (CERGAS_NOTIFY_REMINDER_HOUR, 0 to 23): app/services/notify_events.py.
        "NOTIFY_REMINDER_HOUR": 7,
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
    for key, variable in _WHOLE_NUMBERS.items():
        if key not in given and os.environ.get(variable):
            minimum = _MINIMUMS.get(key, 1)
            config[key] = _whole_number(variable, os.environ[variable], minimum=minimum)
    if "BOARD_CACHE_SECONDS" not in given and os.environ.get("CERGAS_BOARD_CACHE_SECONDS"):
        # How long a rendered board may be served from the cache (app/boards/cache.py); 0: off.
        config["BOARD_CACHE_SECONDS"] = _seconds(os.environ["CERGAS_BOARD_CACHE_SECONDS"])
    # Single sign-on (OpenID Connect): the OIDC_* settings, checked when the app starts.
    config.update(oidc_from_environment(os.environ, given))
    for key, variable in (
        # Open live streams (board pages) per worker and per person: app/live/streams.py.
        ("LIVE_STREAMS_PER_WORKER", "CERGAS_LIVE_STREAMS_PER_WORKER"),
        ("LIVE_STREAMS_PER_USER", "CERGAS_LIVE_STREAMS_PER_USER"),
    ):
        if key not in given and os.environ.get(variable):
            config[key] = _count(variable, os.environ[variable])
    if "NOTIFY_REMINDER_HOUR" not in given and os.environ.get("CERGAS_NOTIFY_REMINDER_HOUR"):
        config["NOTIFY_REMINDER_HOUR"] = _hour(
            "CERGAS_NOTIFY_REMINDER_HOUR", os.environ["CERGAS_NOTIFY_REMINDER_HOUR"]
        )
    config.update({k: val for k, val in ldap_settings(os.environ).items() if k not in given})
    config.update({k: val for k, val in document_settings(instance_path).items() if k not in given})
    return config


def document_settings(instance_path: Path) -> dict:
    """Where documents live: a folder outside the web root (default `instance/documents`), or
    S3-compatible object storage (`CERGAS_DOCUMENT_STORAGE=s3` and the `CERGAS_S3_*`)."""
    env = os.environ
    settings = {
        "DOCUMENT_FOLDER": env.get("CERGAS_DOCUMENT_FOLDER")
        or (str(Path(instance_path) / "documents") if instance_path is not None else None),
        "S3_BUCKET": env.get("CERGAS_S3_BUCKET") or None,
        "S3_ENDPOINT_URL": env.get("CERGAS_S3_ENDPOINT_URL") or None,
        "S3_REGION": env.get("CERGAS_S3_REGION") or None,
        "S3_PREFIX": env.get("CERGAS_S3_PREFIX") or "",
    }
    if env.get("CERGAS_DOCUMENT_STORAGE"):
        kind = env["CERGAS_DOCUMENT_STORAGE"].strip().lower()
        if kind not in ("local", "s3"):
            raise SystemExit(f"CERGAS_DOCUMENT_STORAGE must be local or s3, not {kind!r}")
        if kind == "s3" and not settings["S3_BUCKET"]:
            raise SystemExit("CERGAS_DOCUMENT_STORAGE=s3 needs CERGAS_S3_BUCKET")
        settings["DOCUMENT_STORAGE"] = kind
    return settings


# Settings that are whole numbers of at least 1, and the environment variable of each.
_WHOLE_NUMBERS = {
    "LOGIN_IP_MAX_FAILURES": "CERGAS_LOGIN_IP_MAX_FAILURES",
    "LOGIN_DELAY_SECONDS": "CERGAS_LOGIN_DELAY_SECONDS",
    "SESSION_IDLE_MINUTES": "CERGAS_SESSION_IDLE_MINUTES",
    "SESSION_MAX_HOURS": "CERGAS_SESSION_MAX_HOURS",
    "SIGN_IN_LOG_DAYS": "CERGAS_SIGN_IN_LOG_DAYS",
    "DOCUMENT_MAX_MB": "CERGAS_DOCUMENT_MAX_MB",
    "PASSWORD_MIN_LENGTH": "CERGAS_PASSWORD_MIN_LENGTH",
    "PASSWORD_RESET_MINUTES": "CERGAS_PASSWORD_RESET_MINUTES",
    "PASSWORD_ISSUED_RESET_HOURS": "CERGAS_PASSWORD_ISSUED_RESET_HOURS",
}
# Settings whose least value is not 1.
_MINIMUMS = {"PASSWORD_MIN_LENGTH": 8}


def _whole_number(variable: str, value: str, *, minimum: int) -> int:
    try:
        number = int(value.strip()) if value.strip().isascii() else None
    except ValueError:
        number = None
    if number is None or number < minimum:
        raise SystemExit(f"{variable} must be a whole number of at least {minimum}, not {value!r}")
    return number


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


def _hour(variable: str, value: str) -> int:
    value = value.strip()
    if not (value.isascii() and value.isdigit() and 0 <= int(value) <= 23):
        raise SystemExit(f"{variable} must be an hour from 0 to 23, not {value!r}")
    return int(value)


# LDAP / Active Directory sign-in (app/services/ldap_auth.py, docs/deploy.md) -----------------

LDAP_DEFAULT_FILTER = "(|(employeeNumber={login})(uid={login})(sAMAccountName={login}))"
_LDAP_ATTRIBUTES = {
    "LDAP_ATTR_NIP": "employeeNumber",
    "LDAP_ATTR_NAME": "cn",
    "LDAP_ATTR_EMAIL": "mail",
    "LDAP_ATTR_UNIT": "",
}
_LDAP_ATTRIBUTE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,99}")
# Hosts where a plain ldap:// connection never leaves the machine.
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def ldap_settings(env) -> dict:
    """The LDAP_* settings from the environment (`env`), checked: SystemExit with the reason when
    one is wrong, so a bad configuration stops the start instead of failing at each sign-in.
    LDAP is off (LDAP_URL None) unless LDAP_URL is set."""
    url = (env.get("LDAP_URL") or "").strip()
    if not url:
        return {"LDAP_URL": None}
    settings = {
        "LDAP_URL": url,
        "LDAP_START_TLS": _ldap_flag(env, "LDAP_START_TLS"),
        "LDAP_CA_FILE": (env.get("LDAP_CA_FILE") or "").strip() or None,
        "LDAP_BIND_DN": (env.get("LDAP_BIND_DN") or "").strip(),
        "LDAP_BIND_PASSWORD": env.get("LDAP_BIND_PASSWORD") or "",
        "LDAP_BASE_DN": (env.get("LDAP_BASE_DN") or "").strip(),
        "LDAP_USER_FILTER": (env.get("LDAP_USER_FILTER") or "").strip() or LDAP_DEFAULT_FILTER,
        "LDAP_CREATE_USERS": _ldap_flag(env, "LDAP_CREATE_USERS"),
        "LDAP_SYNC": _ldap_flag(env, "LDAP_SYNC"),
        "LDAP_TIMEOUT": 5,
    }
    for key, default in _LDAP_ATTRIBUTES.items():
        settings[key] = (env.get(key) or "").strip() or default
    if (env.get("LDAP_TIMEOUT") or "").strip():
        settings["LDAP_TIMEOUT"] = _whole_number("LDAP_TIMEOUT", env["LDAP_TIMEOUT"], minimum=1)
        if settings["LDAP_TIMEOUT"] > 120:
            raise SystemExit("LDAP_TIMEOUT must be at most 120 seconds")
    check_ldap_settings(settings)
    return settings


def _ldap_flag(env, variable: str) -> bool:
    value = (env.get(variable) or "0").strip()
    if value not in ("0", "1"):
        raise SystemExit(f"{variable} must be 1 (on) or 0 (off), not {value!r}")
    return value == "1"


def check_ldap_settings(settings: dict) -> None:
    """SystemExit naming the first wrong LDAP setting."""
    from urllib.parse import urlsplit

    url = settings["LDAP_URL"]
    parts = urlsplit(url)
    if parts.scheme not in ("ldap", "ldaps") or not parts.hostname or parts.path not in ("", "/"):
        raise SystemExit(
            f"LDAP_URL must look like ldaps://host:636 or ldap://host:389, not {url!r}"
        )
    try:
        _port = parts.port
    except ValueError:
        raise SystemExit(f"LDAP_URL has a wrong port: {url!r}") from None
    if parts.scheme == "ldaps" and settings["LDAP_START_TLS"]:
        raise SystemExit("LDAP_START_TLS=1 is for ldap:// URLs; ldaps:// is encrypted already")
    if (
        parts.scheme == "ldap"
        and not settings["LDAP_START_TLS"]
        and parts.hostname not in _LOOPBACK
    ):
        raise SystemExit(
            "LDAP_URL: passwords would cross the network unencrypted; use ldaps:// or set "
            "LDAP_START_TLS=1"
        )
    ca_file = settings["LDAP_CA_FILE"]
    if ca_file and not (os.path.isfile(ca_file) and os.access(ca_file, os.R_OK)):
        raise SystemExit(f"LDAP_CA_FILE: cannot read {ca_file!r}")
    if not settings["LDAP_BIND_DN"] or not settings["LDAP_BIND_PASSWORD"]:
        raise SystemExit(
            "LDAP_BIND_DN and LDAP_BIND_PASSWORD (the service account that searches the "
            "directory) are both needed with LDAP_URL"
        )
    for key in ("LDAP_BIND_DN", "LDAP_BASE_DN"):
        if not _is_dn(settings[key]):
            raise SystemExit(f"{key} must be a distinguished name (ou=people,dc=example,dc=id)")
    check_ldap_filter(settings["LDAP_USER_FILTER"])
    for key in _LDAP_ATTRIBUTES:
        value = settings[key]
        if value and not _LDAP_ATTRIBUTE_NAME.fullmatch(value):
            raise SystemExit(
                f"{key} must be an attribute name (e.g. employeeNumber), not {value!r}"
            )
    for key in ("LDAP_ATTR_NIP", "LDAP_ATTR_NAME"):
        if not settings[key]:
            raise SystemExit(f"{key} must name an attribute")
    if settings["LDAP_CREATE_USERS"] and not settings["LDAP_ATTR_UNIT"]:
        raise SystemExit(
            "LDAP_CREATE_USERS=1 needs LDAP_ATTR_UNIT: new people are added to the unit the "
            "directory names"
        )


def _is_dn(value: str) -> bool:
    from ldap3.core.exceptions import LDAPInvalidDnError
    from ldap3.utils.dn import parse_dn

    try:
        return bool(value) and bool(parse_dn(value))
    except LDAPInvalidDnError:
        return False


def check_ldap_filter(template: str) -> None:
    """A search filter with `{login}` where the typed login goes (escaped there), in
    parentheses that balance."""
    if "{login}" not in template:
        raise SystemExit("LDAP_USER_FILTER must contain {login}, where the typed login goes")
    depth = 0
    for char in template:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if not template.startswith("(") or not template.endswith(")") or depth != 0:
        raise SystemExit(f"LDAP_USER_FILTER must be one filter in parentheses, not {template!r}")


# Single sign-on (OpenID Connect, app/auth/oidc.py) ---------------------------------------------

OIDC_DEFAULTS = {
    "OIDC_ISSUER": None,  # the provider's issuer URL; single sign-on is on when it is set
    "OIDC_CLIENT_ID": None,
    "OIDC_CLIENT_SECRET": None,  # none: a public client, proved by PKCE alone
    "OIDC_SCOPES": "openid profile email",
    "OIDC_MATCH_CLAIM": "nip",  # or "email", or "preferred_username" (a NIP or username)
    "OIDC_NAME_CLAIM": "name",
    "OIDC_LABEL": None,  # the button's text; none: "Sign in with SSO", translated
    "OIDC_CREATE_UNIT": None,  # a unit code: unknown people are added there as members
    "OIDC_CA_FILE": None,  # the CA bundle that signed the provider's certificate
    "OIDC_TRUST_PROVIDER_MFA": False,  # the provider's MFA (amr) stands for Cergas' own
}
OIDC_MATCH_CLAIMS = ("nip", "email", "preferred_username")


def oidc_from_environment(environ, given: dict) -> dict:
    """The OIDC_* settings from the environment (blank is unset), unless the caller gave them."""
    config = {}
    for key, default in OIDC_DEFAULTS.items():
        if key in given:
            continue
        value = (environ.get(key) or "").strip()
        if key == "OIDC_TRUST_PROVIDER_MFA":
            config[key] = value.lower() in ("1", "true", "yes")
        else:
            config[key] = value or default
    return config


def oidc_problem(config) -> str | None:
    """What is wrong with the single sign-on settings, in one sentence for the operator, or None.
    Checked when the app starts (app/auth/oidc.py), so a bad combination stops the server
    with this message instead of failing at someone's first sign-in."""
    issuer = config.get("OIDC_ISSUER")
    if not issuer:
        others = [key for key in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET") if config.get(key)]
        if others:
            return f"{others[0]} is set but OIDC_ISSUER is not: set the provider's issuer URL"
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(issuer)
    loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query:
        return f"OIDC_ISSUER must be the provider's issuer URL (https://...), not {issuer!r}"
    if parts.scheme == "http" and not loopback:
        return (
            f"OIDC_ISSUER must use https (only a provider on this machine may use http): {issuer!r}"
        )
    if not config.get("OIDC_CLIENT_ID"):
        return (
            "OIDC_CLIENT_ID is required with OIDC_ISSUER: the client id registered at the provider"
        )
    scopes = str(config.get("OIDC_SCOPES") or "").split()
    if "openid" not in scopes:
        return f"OIDC_SCOPES must include openid, not {config.get('OIDC_SCOPES')!r}"
    claim = config.get("OIDC_MATCH_CLAIM")
    if claim not in OIDC_MATCH_CLAIMS:
        return f"OIDC_MATCH_CLAIM must be one of {', '.join(OIDC_MATCH_CLAIMS)}, not {claim!r}"
    if claim == "email" and "email" not in scopes:
        return "OIDC_MATCH_CLAIM=email needs the email scope in OIDC_SCOPES"
    if not config.get("OIDC_NAME_CLAIM"):
        return "OIDC_NAME_CLAIM must name a claim (e.g. name)"
    ca_file = config.get("OIDC_CA_FILE")
    if ca_file and not Path(ca_file).is_file():
        return f"OIDC_CA_FILE names no readable file: {ca_file!r}"
    return None
