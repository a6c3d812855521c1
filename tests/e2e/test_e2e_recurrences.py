"""Recurring cards in a real browser: a head makes a rule "the last working day of each month"
on the settings page and sees its next dates, `cergas tick --now` runs against the server's
database on the day before (nothing) and on the last working day of December 2026 (the card),
and the board shows the card. Screenshots of the settings section on a desktop and a phone."""

import os
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect

SHOTS = Path(os.environ.get("CERGAS_E2E_SHOTS", "/tmp/cergas-e2e-shots"))
PHONE_390 = {"width": 390, "height": 844}


def tick(server, now: str) -> str:
    """`cergas tick --now` against the e2e server's own database."""
    from conftest import cergas_command

    workdir = server.log.parent
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'e2e.db'}"}
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [cergas_command(), "tick", "--now", now],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_rule_made_in_settings_makes_its_card_on_the_right_working_day(
    new_page, login, board, server
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    scene = board("recurrences")
    page = login(new_page(), "head")
    page.goto(f"{scene.url}/settings")
    page.locator("#card-templates summary", has_text="Tambah templat kartu").click()
    page.fill("#new-tpl-name", "Laporan bulanan")
    page.fill("#new-tpl-title", "Laporan kinerja {bulan}")
    page.locator("#card-templates button", has_text="Tambah templat").click()

    section = page.locator("#recurrences")
    section.locator("summary", has_text="Tambah kartu berulang").click()
    section.locator("#new-rec-template").select_option(label="Laporan bulanan")
    section.locator("#new-rec-kind").select_option("monthly_last_working_day")
    page.fill("#new-rec-starts", "2026-12-01")
    section.get_by_role("button", name="Tambah kartu berulang").click()
    rule = page.locator("#recurrences .recurrence-setting")
    expect(rule.locator("h3")).to_have_text("Hari kerja terakhir setiap bulan")
    # 24 and 25 December are cuti bersama and Christmas; the 31st (a Thursday) is a working day.
    expect(rule.locator(".recurrence-next li").first).to_have_text("Kamis, 31 Desember 2026")
    section.screenshot(path=str(SHOTS / "recurrences-settings-desktop.png"))

    phone = login(new_page(PHONE_390), "head")
    phone.goto(f"{scene.url}/settings#recurrences")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.locator("#recurrences").screenshot(path=str(SHOTS / "recurrences-settings-phone.png"))

    # 08:00 in Jakarta on the day before: nothing yet; on the 31st: the card.
    tick(server, "2026-12-30T01:00:00+00:00")
    page.goto(scene.url)
    expect(page.locator(".card", has_text="Laporan kinerja Desember 2026")).to_have_count(0)
    out = tick(server, "2026-12-31T01:00:00+00:00")
    assert re.search(r"\b1 (made|dibuat)", out), out
    page.goto(scene.url)
    expect(page.locator(".card", has_text="Laporan kinerja Desember 2026")).to_have_count(1)
    # A second tick (another host, later) makes nothing more.
    tick(server, "2026-12-31T02:00:00+00:00")
    page.reload()
    expect(page.locator(".card", has_text="Laporan kinerja Desember 2026")).to_have_count(1)
