"""Render the main pages into docs/screenshots/ (`make screenshots`).

Serves the demo office (`cergas db upgrade` + `cergas demo` into a temporary SQLite file) with
`cergas run` on a free loopback port, logs in as the Kasi of Seksi Pengelolaan Informasi Publik
and saves login, My work, board, card and board settings, each at desktop size (1280×860) and
on a phone (375×812), as <page>-desktop.png and <page>-phone.png.

Needs Python Playwright and Chromium (CHROMIUM, default /usr/bin/chromium).
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SIZES = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 375, "height": 812}}
LOGIN = "198204182006042012"  # Retno Widyaningsih, Kepala Seksi PIP (demo)
PASSWORD = "cergas123"
BOARD = "Layanan Informasi Publik"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(workdir: Path) -> tuple[subprocess.Popen, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir / 'screens.db'}",
        "SECRET_KEY": "screenshots",
    }
    env.pop("REDIS_URL", None)
    cergas = str(Path(sys.executable).with_name("cergas"))
    for command in (["db", "upgrade"], ["demo"]):
        subprocess.run([cergas, *command], env=env, cwd=workdir, check=True, capture_output=True)
    port = free_port()
    log = (workdir / "server.log").open("w")
    server = subprocess.Popen(
        [cergas, "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"],
        env=env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=2):
                return server, url
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"cergas run did not start:\n{(workdir / 'server.log').read_text()}")


def pages(page) -> dict[str, str]:
    """The paths to photograph, found through the UI as a user would."""
    page.goto("/boards")
    page.get_by_role("link", name=BOARD).first.click()
    board_path = "/" + page.url.split("/", 3)[-1]
    # The card whose deadline moved most often: it has a history worth showing.
    cards = page.locator(".card:has(.slips)")
    card = (cards.first if cards.count() else page.locator(".card").first).get_attribute(
        "data-card-id"
    )
    return {
        "my-work": "/",
        "board": board_path,
        "card": f"/cards/{card}",
        "settings": f"{board_path}/settings",
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        server, url = serve(Path(tmp))
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for size, viewport in SIZES.items():
                phone = size == "phone"
                context = browser.new_context(
                    base_url=url,
                    viewport=viewport,
                    device_scale_factor=2 if phone else 1,
                    locale="id-ID",
                    timezone_id="Asia/Jakarta",
                    is_mobile=phone,
                    has_touch=phone,
                )
                page = context.new_page()
                page.goto("/login")
                page.wait_for_load_state("networkidle")
                page.screenshot(path=OUT / f"login-{size}.png")
                page.fill("#login-username", LOGIN)
                page.fill("#login-password", PASSWORD)
                page.locator("form.stacked-form button[type=submit]").click()
                page.wait_for_url(f"{url}/")
                for name, path in pages(page).items():
                    page.goto(path)
                    page.wait_for_load_state("networkidle")
                    if name == "board" and phone:
                        # On a phone the filters fill the first screen: show the columns.
                        page.evaluate("document.querySelector('.columns').scrollIntoView()")
                    target = OUT / f"{name}-{size}.png"
                    page.screenshot(path=target)
                    print(target.relative_to(ROOT))
                context.close()
            browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
