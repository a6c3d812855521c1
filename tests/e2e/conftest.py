"""Browser tests: a real `cergas run` process on a free loopback port, driven by Playwright.

The server gets its own SQLite file, migrated with `cergas db upgrade` and seeded by seed.py.
The browser is the system Chromium (Playwright's own download is not used). Without Chromium or
the Python Playwright package the whole directory is skipped with the reason, so `make test`
still passes on a laptop that has neither.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import browser_skip_reason

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 375, "height": 812}


SKIP_REASON = browser_skip_reason()


@pytest.fixture(scope="session", autouse=True)
def _browser_available():
    """Skip without a browser, except in CI (`.ci/run` sets CI=true), where that is a failure:
    CI installs Chromium, so a skipped browser suite there would hide a broken setup."""
    if SKIP_REASON:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(SKIP_REASON)
        pytest.skip(SKIP_REASON)
    # Assertions wait as long as actions do (10 s, below): on a busy two-core runner a page
    # with a server round trip can take longer than Playwright's default 5 s.
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cergas_command() -> str:
    beside = Path(sys.executable).with_name("cergas")
    return str(beside) if beside.exists() else (shutil.which("cergas") or "cergas")


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"cergas run exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"cergas run did not answer {url} within {timeout} s:\n{log.read_text()}")


def run(command: list[str], env: dict, cwd: Path) -> str:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def start_server(workdir: Path, extra_env: dict | None = None, *, seeded: bool = True):
    """Migrate and seed a fresh SQLite database, then serve it. Returns (process, url, seed).
    Without `seeded` the database stays empty (seed None), as a new office's would be."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'e2e.db'}",
        "SECRET_KEY": "e2e-secret",
        "FLASK_DEBUG": "0",
        # Documents uploaded in browser tests: the server's own folder, not the checkout's.
        "CERGAS_DOCUMENT_FOLDER": str(workdir / "documents"),
        # A small limit, so the test of a file over it need not hand the browser 25 MB (which
        # takes seconds on a loaded machine).
        "CERGAS_DOCUMENT_MAX_MB": "2",
        **(extra_env or {}),
    }
    env.pop("REDIS_URL", None)
    cergas = cergas_command()
    run([cergas, "db", "upgrade"], env, workdir)
    seed = None
    if seeded:
        seeded_ids = run([sys.executable, str(HERE / "seed.py")], env, workdir)
        seed = json.loads(seeded_ids.splitlines()[-1])
    port = free_port()
    log = workdir / "server.log"
    process = subprocess.Popen(
        [cergas, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"],
        env=env,
        cwd=workdir,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/login", process, log)
    except Exception:
        process.kill()
        raise
    return process, url, seed


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("e2e-server")
    process, url, seed = start_server(workdir)
    yield SimpleNamespace(url=url, seed=seed, log=workdir / "server.log")
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def new_page(browser, server):
    """new_page(viewport, **context_options) -> a page in a fresh browser context (own cookies)."""
    contexts = []

    def make(viewport=DESKTOP, **options):
        options = {"locale": "id-ID", "timezone_id": "Asia/Jakarta", **options}
        context = browser.new_context(base_url=server.url, viewport=viewport, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def login(server):
    """login(page, who) logs `who` (a key of seed.PEOPLE, or "admin") in through the form."""

    def log_in(page, who):
        page.goto("/login")
        page.fill("#login-username", server.seed["logins"][who])
        page.fill("#login-password", server.seed["password"])
        page.locator("form.stacked-form button[type=submit]").click()
        page.wait_for_url(lambda url: not url.rstrip("/").endswith("/login"))
        return page

    return log_in


@pytest.fixture
def board(server):
    """board(scenario) -> that scenario's board: id, columns (name -> id), cards (title -> id)."""

    def get(scenario):
        data = server.seed["boards"].get(scenario) or server.seed.get(scenario)
        if data is None:
            pytest.skip(f"no {scenario!r} board: its plugin is not installed")
        return SimpleNamespace(
            id=data["id"], columns=data["columns"], cards=data["cards"], url=f"/boards/{data['id']}"
        )

    return get
