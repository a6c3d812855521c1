"""Card templates in a real browser: a head makes one on the settings page, a card is made from it
on the board (its title filled in, its due date counted in working days, its checklist added),
and the card's history names the template. Screenshots of both, on a desktop and a phone."""

import os
import sqlite3
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from helpers import run_axe

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect

SHOTS = Path(os.environ.get("CERGAS_E2E_SHOTS", "/tmp/cergas-e2e-shots"))
PHONE_390 = {"width": 390, "height": 844}


def expected_title_and_due():
    """What the server fills in today (Asia/Jakarta, the national calendar)."""
    from app.services.card_templates import fill_title
    from app.workcal import default_calendar

    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    calendar = default_calendar("Asia/Jakarta")
    due = calendar.add_working_days(calendar.close_of(today), 3).date()
    return fill_title("Laporan kinerja {bulan}", today), due


def test_a_template_made_in_settings_makes_a_card_on_the_board(new_page, login, board, server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    scene = board("templates")
    page = login(new_page(bypass_csp=True), "head")
    page.goto(f"{scene.url}/settings")
    page.locator("#card-templates summary", has_text="Tambah templat kartu").click()
    page.fill("#new-tpl-name", "Laporan bulanan")
    page.fill("#new-tpl-title", "Laporan kinerja {bulan}")
    page.select_option("#new-tpl-type", "laporan")
    page.fill("#new-tpl-due", "3")
    page.fill("#new-tpl-checklist", "Kumpulkan data\nSusun draf\nParaf kepala seksi")
    page.locator("#card-templates button", has_text="Tambah templat").click()
    section = page.locator("#card-templates")
    expect(section.locator(".template-setting h3")).to_have_text("Laporan bulanan")
    expect(section.locator(".template-summary")).to_contain_text("3 butir daftar periksa")
    section.locator(".template-setting summary").click()
    assert run_axe(page) == []
    section.screenshot(path=str(SHOTS / "templates-settings-desktop.png"))

    page.goto(f"{scene.url}/cards/from-template")
    assert run_axe(page) == []
    page.goto(scene.url)
    page.get_by_role("link", name="Kartu baru dari templat").click()
    dialog = page.locator("#dialog")
    expect(dialog.locator("#from-template")).to_be_visible()
    dialog.locator("#from-template-column").select_option(str(scene.columns["Masuk"]))
    page.screenshot(path=str(SHOTS / "templates-board-desktop.png"))
    dialog.get_by_role("button", name="Buat kartu").click()
    expect(dialog).not_to_be_visible()
    title, due = expected_title_and_due()
    column = page.locator(f"#column-{scene.columns['Masuk']}")
    card = column.locator(".card", has_text=title)
    expect(card).to_be_visible()
    expect(card.locator("time.due")).to_have_attribute("datetime", due.isoformat())

    card_id = int(card.get_attribute("data-card-id"))
    database = sqlite3.connect(server.log.parent / "e2e.db")
    try:
        counts = database.execute(
            "SELECT checklist_total, checklist_done FROM cards WHERE id = ?", (card_id,)
        ).fetchone()
    finally:
        database.close()
    assert counts == (3, 0)

    page.goto(f"/cards/{card_id}")
    expect(page.locator(".from-template-note")).to_have_text("Dibuat dari templat Laporan bulanan")

    # Without JavaScript the link opens the form as a page of its own.
    plain = login(new_page(java_script_enabled=False), "staff")
    plain.goto(scene.url)
    plain.get_by_role("link", name="Kartu baru dari templat").click()
    plain.locator("#from-template-column").select_option(str(scene.columns["Masuk"]))
    plain.get_by_role("button", name="Buat kartu").click()
    expect(plain.locator(f"#column-{scene.columns['Masuk']} .card", has_text=title)).to_have_count(
        2
    )

    phone = login(new_page(viewport=PHONE_390), "head")
    phone.goto(f"{scene.url}/settings")
    phone.locator("#card-templates .template-setting summary").click()
    phone.locator("#card-templates").screenshot(path=str(SHOTS / "templates-settings-phone.png"))
    phone.goto(scene.url)
    phone.get_by_role("link", name="Kartu baru dari templat").click()
    expect(phone.locator("#dialog #from-template")).to_be_visible()
    phone.screenshot(path=str(SHOTS / "templates-board-phone.png"))
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_390["width"] + 1
