"""Hardening (issue 19, finding 15): what a signed-in person sees is never cached, HTTPS is
enforced by the nginx example (HSTS), and the instance folder, SQLite file and secret key are
created owner-only."""

import os
import re
import stat
from pathlib import Path

import pytest

from app import create_app
from app.config import from_environment
from app.extensions import db
from tests.conftest import PASSWORD

NGINX = Path(__file__).resolve().parents[1] / "deploy" / "nginx.conf"


def test_pages_and_exports_of_a_signed_in_person_are_not_stored(client, auth, org):
    auth.login(org.nips["staff"])
    card = client.post(f"/boards/{org.board_id}/cards", data={"title": "Surat", "column_id": 1})
    assert card.status_code in (200, 302, 303)
    for path in (
        "/",
        "/boards",
        f"/boards/{org.board_id}",
        "/account/sessions",
        "/notifications",
        f"/boards/{org.board_id}/reports/done.csv",
        f"/boards/{org.board_id}/reports/done.xlsx",
        "/no-such-page",
    ):
        response = client.get(path)
        assert response.headers.get("Cache-Control") == "no-store", path


def test_api_answers_are_not_stored(client, org, tokens):
    response = client.get("/api/v1/boards", headers={"Authorization": f"Bearer {tokens['staff']}"})
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_stay_cacheable_even_for_a_signed_in_person(client, auth, org):
    auth.login(org.nips["staff"])
    for path in ("/static/app.css", "/static/app.js"):
        response = client.get(path)
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", ""), path


def test_after_logging_out_the_login_page_is_an_ordinary_page(client, auth, org):
    auth.login(org.nips["staff"])
    auth.logout()
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")


def server_blocks(text: str) -> list[str]:
    """The body of each top-level `server { ... }` block of an nginx file."""
    text = re.sub(r"#[^\n]*", "", text)
    blocks, depth, start = [], 0, None
    for found in re.finditer(r"(\bserver\s*)?\{|\}", text):
        if found.group(0).endswith("{"):
            if depth == 0 and found.group(1):
                start = found.end()
            depth += 1
        else:
            depth -= 1
            if depth == 0 and start is not None:
                blocks.append(text[start : found.start()])
                start = None
    return blocks


def test_the_nginx_example_sends_hsts_from_its_tls_server_only():
    blocks = server_blocks(NGINX.read_text())
    tls = [block for block in blocks if re.search(r"listen\s+443\s+ssl", block)]
    plain = [block for block in blocks if re.search(r"listen\s+80;", block)]
    assert len(tls) == 1 and len(plain) == 1
    hsts = re.search(r'add_header\s+Strict-Transport-Security\s+"([^"]+)"\s+always;', tls[0])
    assert hsts, "no HSTS header in the HTTPS server"
    max_age = int(re.search(r"max-age=(\d+)", hsts.group(1)).group(1))
    assert max_age >= 180 * 24 * 3600
    assert "Strict-Transport-Security" not in plain[0]
    # A location with an add_header of its own would drop the server's HSTS line there.
    for location in re.findall(r"location[^{]*\{([^}]*)\}", tls[0]):
        assert "add_header" not in location or "Strict-Transport-Security" in location


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    """The usual umask (files 0644, folders 0755): what Cergas must not rely on."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_the_instance_folder_secret_key_and_database_are_owner_only(
    tmp_path, monkeypatch, loose_umask
):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    instance = tmp_path / "instance"
    config = from_environment(instance, {})
    assert mode(instance) == 0o700
    assert mode(instance / "secret_key") == 0o600
    assert len((instance / "secret_key").read_text()) == 64
    assert mode(instance / "cergas.db") == 0o600
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'cergas.db'}"
    # A second start reads the same key and leaves the files as they are.
    assert from_environment(instance, {})["SECRET_KEY"] == config["SECRET_KEY"]
    assert mode(instance / "cergas.db") == 0o600


def test_a_database_named_in_database_url_is_created_owner_only_by_db_upgrade(
    tmp_path, monkeypatch, loose_umask
):
    path = tmp_path / "var" / "cergas.db"
    path.parent.mkdir()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("SECRET_KEY", "rahasia-uji")
    app = create_app({"TESTING": True, "CERGAS_PLUGINS": "", "REDIS_URL": None})
    try:
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        made = app.test_cli_runner().invoke(
            args=["users", "create", "--username", "admin", "--name", "Admin"]
            + ["--password", PASSWORD]
        )
        assert made.exit_code == 0, made.output
        with app.app_context():
            db.engine.dispose()
    finally:
        with app.app_context():
            db.engine.dispose()
    assert path.stat().st_size > 0
    for file in path.parent.iterdir():  # the database and any -wal/-shm SQLite left
        if file.name.startswith("cergas.db"):
            assert mode(file) == 0o600, file.name


def test_an_existing_database_file_keeps_its_mode(tmp_path, monkeypatch):
    path = tmp_path / "cergas.db"
    path.write_bytes(b"")
    path.chmod(0o640)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    from_environment(tmp_path / "instance", {"SECRET_KEY": "x"})
    assert mode(path) == 0o640
