"""No sign-in secret in an access log (app/logsafe.py): the single sign-on callback's code and
state, reset-link tokens and other secret query parameters are written as [redacted] by the
development server's request log (werkzeug) and by gunicorn's access log."""

import logging
from types import SimpleNamespace

import pytest

from app import logsafe
from app.logsafe import REDACTED, SecretsFilter, redact


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "GET /auth/oidc/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj HTTP/1.1",
            f"GET /auth/oidc/callback?code={REDACTED}&state={REDACTED} HTTP/1.1",
        ),
        (
            "GET /auth/reset/IjE5OTAi.Zz9k.abc_DEF HTTP/1.1",
            f"GET /auth/reset/{REDACTED} HTTP/1.1",
        ),
        (
            "POST /auth/reset/IjE5OTAi.Zz9k?next=/boards HTTP/1.1",
            f"POST /auth/reset/{REDACTED}?next=/boards HTTP/1.1",
        ),
        (
            "GET /x?page=2&ID_TOKEN=eyJhbGci&access_token=a1;refresh_token=r2&totp=123456",
            f"GET /x?page=2&ID_TOKEN={REDACTED}&access_token={REDACTED};"
            f"refresh_token={REDACTED}&totp={REDACTED}",
        ),
        (
            "password=hunter22&token=t0k&secret=s3",
            f"password={REDACTED}&token={REDACTED}&secret={REDACTED}",
        ),
        # Names that merely contain a secret one, and ordinary pages, are left alone.
        ("GET /boards?page=2&encode=1&postcode=12 HTTP/1.1", None),
        ("GET /boards/7/cards/code HTTP/1.1", None),
    ],
)
def test_secrets_in_request_lines_are_redacted(line, expected):
    assert redact(line) == (line if expected is None else expected)


def test_the_filter_rewrites_a_werkzeug_request_line(caplog):
    logsafe.install()
    logsafe.install()  # idempotent: one filter however many apps are built
    werkzeug = logging.getLogger("werkzeug")
    assert sum(isinstance(f, SecretsFilter) for f in werkzeug.filters) == 1
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        # As werkzeug's serving.WSGIRequestHandler.log_request writes it.
        werkzeug.info(
            '%s - - [%s] "%s" %s %s',
            "127.0.0.1",
            "07/Dec/2026 06:00:00",
            "GET /auth/oidc/callback?code=c0de-XYZ&state=st4te HTTP/1.1",
            "302",
            "-",
        )
    assert "c0de-XYZ" not in caplog.text and "st4te" not in caplog.text
    assert f"code={REDACTED}&state={REDACTED}" in caplog.text


def test_the_app_factory_installs_the_filter(app):
    for name in logsafe.ACCESS_LOGGERS:
        assert any(isinstance(f, SecretsFilter) for f in logging.getLogger(name).filters), name


def test_gunicorns_access_log_atoms_are_redacted():
    pytest.importorskip("gunicorn")
    from gunicorn.config import Config

    logger = logsafe.GunicornLogger(Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/auth/oidc/callback?code=abc123&state=s1",
        "PATH_INFO": "/auth/reset/tokentoken",
        "QUERY_STRING": "code=abc123&state=s1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.1",
        "HTTP_REFERER": "https://sso.example/cb?code=abc123",
    }
    request = SimpleNamespace(headers=[], method="GET", path="/auth/reset/tokentoken")
    response = SimpleNamespace(status="302 Found", headers=[], sent=0, response_length=0)
    atoms = logger.atoms(response, request, environ, SimpleNamespace(seconds=0, microseconds=1))
    text = " ".join(str(value) for value in atoms.values())
    assert "abc123" not in text and "tokentoken" not in text
    assert atoms["r"] == f"GET /auth/oidc/callback?code={REDACTED}&state={REDACTED} HTTP/1.1"


def test_the_gunicorn_config_names_the_redacting_logger():
    from pathlib import Path

    conf = (Path(__file__).resolve().parents[1] / "deploy" / "gunicorn.conf.py").read_text()
    assert 'logger_class = "app.logsafe.GunicornLogger"' in conf


def test_no_secret_reaches_a_log_in_the_sign_in_flows(app, org, caplog):
    """Password sign-in (a wrong one too), a reset link issued and opened, a single sign-on
    style callback, and the second factor where this Cergas has it, through the development
    server (werkzeug's request log included), with every logger at DEBUG."""
    import threading

    import pyotp
    import requests
    from sqlalchemy import select
    from werkzeug.serving import make_server

    from app.extensions import db
    from app.models import User, utcnow
    from tests.conftest import PASSWORD

    secrets = {PASSWORD, "salah-sandi-99"}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    caplog.set_level(logging.DEBUG)
    try:
        admin = requests.Session()
        admin.post(f"{base}/login", data={"username": "admin", "password": "salah-sandi-99"})
        admin.post(f"{base}/login", data={"username": "admin", "password": PASSWORD})
        issued = admin.post(f"{base}/people/{org.nips['staff']}/reset-link").text
        path = issued.split("/auth/reset/", 1)[1].split('"', 1)[0].split("<", 1)[0]
        secrets.add(path)
        assert requests.get(f"{base}/auth/reset/{path}").status_code == 200
        requests.get(f"{base}/login/sso/callback?code=authzcode123&state=st4te789")
        secrets |= {"authzcode123", "st4te789"}
        key = pyotp.random_base32()
        with app.app_context():
            user = db.session.scalar(select(User).where(User.nip == org.nips["kasi"]))
            user.totp_secret, user.totp_enabled_at = key, utcnow()
            db.session.commit()
        code = pyotp.TOTP(key).now()
        secrets |= {key, code}
        person = requests.Session()
        asked = person.post(
            f"{base}/login", data={"username": org.nips["kasi"], "password": PASSWORD}
        )
        assert asked.url.endswith("/login/code"), asked.url
        signed_in = person.post(asked.url, data={"code": code})
        assert signed_in.status_code == 200 and not signed_in.url.endswith(
            ("/login", "/login/code")
        )
        assert person.get(f"{base}/account/sessions", allow_redirects=False).status_code == 200
    finally:
        server.shutdown()
        thread.join()
    assert "/auth/reset/" in caplog.text  # the request log was captured
    for secret in secrets:
        assert secret not in caplog.text, secret
