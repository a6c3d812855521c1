"""Request lines without their secrets, in every access log.

Sign-in puts secrets in addresses: the single sign-on callback comes back with
`?code=...&state=...`, a password reset link carries its token in the path
(`/auth/reset/<token>`), and a setup or API client may put a code or token in a query string.
The development server (`cergas run`, werkzeug's request log) and gunicorn's access log write
each request line as it came, so whoever reads the logs could replay a code or open a reset link.

`redact(text)` replaces those values with `[redacted]` wherever they appear in a line: the
values of the query parameters in SECRET_PARAMETERS and the token segment of reset links.
`SecretsFilter` applies it to log records; `install()` puts it on the `werkzeug`,
`gunicorn.access` and `urllib3.connectionpool` loggers (called by the app factory), and
`GunicornLogger` (named in deploy/gunicorn.conf.py) redacts gunicorn's access-log atoms before
they are formatted, whatever `access_log_format` says."""

import logging
import re

REDACTED = "[redacted]"

# Query parameters whose values are secrets (compared without case).
SECRET_PARAMETERS = (
    "code",
    "state",
    "token",
    "id_token",
    "access_token",
    "refresh_token",
    "password",
    "totp",
    "secret",
)

_parameter = re.compile(
    r"(?P<key>(?:^|[?&;])(?:" + "|".join(SECRET_PARAMETERS) + r")=)(?P<value>[^&;#\s\"']*)",
    re.IGNORECASE,
)
# Paths with a secret segment: the password reset link (app/auth/passwords.py).
_secret_path = re.compile(r"(?P<key>/auth/reset/)(?P<value>[^/?#\s\"']+)")
# A query string inside a longer line starts at "?": the key pattern's "^" then means its start.
_query = re.compile(r"\?[^\s#\"']*")


def _redact_query(query: str) -> str:
    return _parameter.sub(lambda m: m.group("key") + REDACTED, query)


def redact(text: str) -> str:
    """`text` (a request line, a path, a URL, a query string) with secret values replaced."""
    if not text:
        return text
    text = _secret_path.sub(lambda m: m.group("key") + REDACTED, text)
    if "?" in text:
        return _query.sub(lambda m: _redact_query(m.group(0)), text)
    # A bare query string (gunicorn's `%(q)s` atom, `environ["QUERY_STRING"]`).
    return _redact_query(text) if "=" in text and " " not in text else text


class SecretsFilter(logging.Filter):
    """Rewrites each record's message with `redact` (the arguments merged in first, so a
    request line passed as an argument is redacted too). Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a badly formatted record is logging's to report
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


# The request logs, and urllib3's (requests, Authlib) which writes each URL it asks at DEBUG.
ACCESS_LOGGERS = ("werkzeug", "gunicorn.access", "urllib3.connectionpool")


def install() -> None:
    """Put one `SecretsFilter` on each access logger (idempotent: many apps, one process)."""
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SecretsFilter) for f in logger.filters):
            logger.addFilter(SecretsFilter())


def _gunicorn_logger_class():
    from gunicorn.glogging import Logger

    class GunicornLogger(Logger):
        """Gunicorn's logger with the request line, path, query string and the raw URI of
        each access-log line redacted (atoms `r`, `U`, `q`, `{raw_uri}e`...)."""

        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            for key in ("r", "U", "q", "f"):  # request line, path, query, referer
                if isinstance(atoms.get(key), str):
                    atoms[key] = redact(atoms[key])
            for key, value in list(atoms.items()):
                if key.startswith("{") and isinstance(value, str):
                    atoms[key] = redact(value)
            return atoms

        def setup(self, cfg):
            super().setup(cfg)
            install()

    return GunicornLogger


_classes: dict[str, type] = {}


def __getattr__(name: str):
    # Built on first use, so that importing this module never needs gunicorn (`cergas run`).
    if name == "GunicornLogger":
        if name not in _classes:
            _classes[name] = _gunicorn_logger_class()
        return _classes[name]
    raise AttributeError(name)
