"""Render the main pages into docs/screenshots/ (`make screenshots`).

Serves the demo office (`cergas db upgrade` + `cergas demo` into a temporary SQLite file) with
`cergas run` on a free loopback port, logs in as the Kasi of Seksi Pengelolaan Informasi Publik
and saves the login page, My work, every board, a card and its history, the board settings, the
sprints, the running sprint and a closed sprint's review, the flow reports, the SLA report, the
workload and its trend, the paraf inbox, a profile and the notifications, then logs in as the
site admin for the admin pages; each at desktop size (1280×860) and on a phone (375×812), as
<page>-desktop.png and <page>-phone.png.

Needs Python Playwright and Chromium (CHROMIUM, default /usr/bin/chromium).
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
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


BOARDS = {
    "board": "Layanan Informasi Publik",
    "board-aplikasi": "Pengembangan Aplikasi",
    "board-persuratan": "Persuratan",
    "board-publikasi": "Publikasi dan Media Sosial",
    "board-tim-spbe": "Evaluasi SPBE 2026",
}
ADMIN = "admin"  # the demo's site admin: the admin pages
WHOLE = {"reports", "sla", "workload", "workload-trend", "sprint", "sprint-review", "sprints",
         "paraf-inbox", "notifications"}  # fmt: skip


def board_paths(page) -> dict[str, str]:
    """name -> path of each board of the demo, found through the board list as a user would."""
    found = {}
    for name, title in BOARDS.items():
        page.goto("/boards")
        link = page.get_by_role("link", name=title)
        if not link.count():
            continue  # a board this person does not see
        link.first.click()
        page.wait_for_load_state("networkidle")
        found[name] = "/" + page.url.split("/", 3)[-1]
    return found


def quarter() -> str:
    today = date.today()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def pages(page) -> dict[str, str]:
    """The paths to photograph as the Kasi of Seksi PIP, found through the UI."""
    boards = board_paths(page)
    desk = boards["board"]
    page.goto(desk)
    # The card whose deadline moved most often: it has a history worth showing.
    cards = page.locator(".card:has(.slips)")
    card = (cards.first if cards.count() else page.locator(".card").first).get_attribute(
        "data-card-id"
    )
    board_id = desk.rstrip("/").rsplit("/", 1)[-1]
    page.goto(f"{desk}/sprints")
    sprint_links = page.locator("a[href^='/sprints/']")
    hrefs = [sprint_links.nth(i).get_attribute("href") for i in range(sprint_links.count())]
    sprint_ids = sorted({h.split("/")[2] for h in hrefs if h.split("/")[2].isdigit()}, key=int)
    found = {
        "my-work": "/",
        **boards,
        "card": f"/cards/{card}",
        "card-history": f"/cards/{card}#history",
        "settings": f"{desk}/settings",
        "sprints": f"{desk}/sprints",
        "reports": f"/boards/{board_id}/reports",
        "sla": f"/plugins/sla/boards/{board_id}",
        "workload": f"/plugins/workload/boards/{board_id}",
        "workload-trend": f"/plugins/workload/boards/{board_id}/trend",
        "paraf-inbox": "/plugins/approvals/inbox",
        "profile": "/people/199411272020122005",  # Fitri Handayani
        "notifications": "/notifications",
        # Issue 25: search, lanes, the calendar and the archive; issue 27: performance.
        "search": "/search?q=permohonan",
        "lanes": f"{desk}?lanes=assignee",
        "calendar": f"/boards/{board_id}/calendar",
        "archive": f"/boards/{board_id}/archive",
        "performance": "/performance",
        "skp": "/skp",
        # Dimas's evidence of this quarter, as his Kasi reads it.
        "evidence": f"/people/199101052015031002/evidence?period={quarter()}",
    }
    if sprint_ids:
        # The running one: the newest but one (the newest is the next, still planned).
        found["sprint"] = f"/sprints/{sprint_ids[-2 if len(sprint_ids) > 1 else -1]}"
        found["sprint-review"] = f"/sprints/{sprint_ids[0]}/review"  # the first closed one
    return found


ADMIN_PAGES = {
    "admin": "/admin/",
    "admin-units": "/admin/units",
    "admin-people": "/people",
    "admin-plugins": "/admin/plugins",
    "admin-log": "/admin/log",
}


def log_in(page, url: str, login: str) -> None:
    page.goto("/login")
    page.wait_for_load_state("networkidle")
    page.fill("#login-username", login)
    page.fill("#login-password", PASSWORD)
    page.locator("form.stacked-form button[type=submit]").click()
    page.wait_for_url(f"{url}/")


def shoot(page, name: str, path: str, size: str) -> None:
    response = page.goto(path)
    page.wait_for_load_state("networkidle")
    if response is not None and response.status >= 400:
        print(f"{path}: HTTP {response.status}", file=sys.stderr)
    if "#" in path:
        page.evaluate(f"document.getElementById('{path.split('#')[1]}').scrollIntoView()")
    elif name.startswith("board") and size == "phone":
        # On a phone the filters fill the first screen: show the columns.
        page.evaluate("document.querySelector('.columns')?.scrollIntoView()")
    target = OUT / f"{name}-{size}.png"
    # Reports and lists are read to their end; boards, cards and forms show their first screen.
    page.screenshot(path=target, full_page=name in WHOLE)
    print(target.relative_to(ROOT))


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
                log_in(page, url, LOGIN)
                for name, path in pages(page).items():
                    shoot(page, name, path, size)
                context.clear_cookies()
                log_in(page, url, ADMIN)
                for name, path in ADMIN_PAGES.items():
                    shoot(page, name, path, size)
                context.close()
            browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
