"""A real OpenID Provider (tests/oidc/provider.js, npm oidc-provider) and a real Cergas server
for the single sign-on tests.

`.ci/run` installs the provider's packages (`npm ci --prefix tests/oidc`); without node or
those packages the tests that need them are skipped with the reason. The Cergas side is the
app served by werkzeug in a thread of the test process, on a SQLite file, so that tests can
read its database directly; browsers (requests sessions) drive the provider's own pages.
"""

import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urljoin

import requests

ROOT = Path(__file__).resolve().parents[1]
PROVIDER_DIR = ROOT / "tests" / "oidc"
CLIENT_ID = "cergas"
CLIENT_SECRET = "cergas-test-secret"


def skip_reason() -> str | None:
    if shutil.which("node") is None:
        return "single sign-on tests need node (apt-get install nodejs npm)"
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return "single sign-on tests need the test provider's packages: npm ci --prefix tests/oidc"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Provider:
    """`node tests/oidc/provider.js PORT APP_URL...`, running until `stop()`."""

    def __init__(self, port: int, app_url: str | list[str], log: Path):
        app_urls = [app_url] if isinstance(app_url, str) else list(app_url)
        self.issuer = f"http://127.0.0.1:{port}"
        self.log = log
        self.process = subprocess.Popen(
            ["node", str(PROVIDER_DIR / "provider.js"), str(port), *app_urls],
            cwd=PROVIDER_DIR,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while "ready" not in log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the test OpenID Provider did not start:\n{log.read_text()}")
            time.sleep(0.05)

    def token_mode(self, mode: str) -> None:
        """pass, forge (ID tokens signed by another key) or replay (the previous ID token)."""
        answer = requests.post(f"{self.issuer}/__test/token-mode", data={"mode": mode}, timeout=5)
        answer.raise_for_status()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class LiveServer:
    """A Flask app served by werkzeug on 127.0.0.1:`port` in a daemon thread."""

    def __init__(self, app, port: int):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def form_of(page: requests.Response) -> tuple[str, dict]:
    """(absolute action URL, hidden fields) of the first form on a provider's page."""
    match = FORM_ACTION.search(page.text)
    assert match, f"no form on {page.url}:\n{page.text[:2000]}"
    return urljoin(page.url, match.group(1)), dict(HIDDEN.findall(page.text))


def follow(browser: requests.Session, answer: requests.Response, stop_at: str):
    """Follow redirects from `answer` until one leads to a URL starting with `stop_at`; returns
    (that URL, not yet fetched) or (None, the last answer) when the chain ends elsewhere."""
    for _hop in range(15):
        if answer.status_code not in (301, 302, 303, 307, 308):
            return None, answer
        target = urljoin(answer.url, answer.headers["Location"])
        if target.startswith(stop_at):
            return target, answer
        answer = browser.get(target, allow_redirects=False, timeout=10)
    raise AssertionError("too many redirects")


def sign_in_at_provider(browser, app_url: str, login: str, next_path: str | None = None):
    """Start a single sign-on at Cergas and sign in at the provider's form as `login`; returns
    the callback URL the provider sends the browser back with (code and state), unvisited."""
    params = {"next": next_path} if next_path else None
    start = browser.get(f"{app_url}/login/sso", params=params, allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.text[:500]
    callback = f"{app_url}/login/sso/callback"
    target, page = follow(browser, start, callback)
    if target is None:
        # The provider's sign-in form (no provider session yet in this browser).
        action, fields = form_of(page)
        answer = browser.post(
            action,
            data={**fields, "login": login, "password": "any"},
            allow_redirects=False,
            timeout=10,
        )
        target, page = follow(browser, answer, callback)
    assert target is not None, f"the provider did not send the browser back:\n{page.text[:2000]}"
    return target
