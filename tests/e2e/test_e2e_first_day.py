"""An office's whole first day in the browser, on a server started on an empty database:
the setup code from the server's log -> the first administrator -> the office's top unit ->
12 units and 200 people imported from the staff register (dry run first, one row refused with
its reason) -> a head activates their account with a link the admin issued, creates a board
and a card -> a person is transferred with their open card handed over -> a person is
deactivated and their open session ends at once.
"""

import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, start_server

pytestmark = pytest.mark.slow

DATA = Path(__file__).resolve().parents[1] / "data"
CODE = re.compile(r"\b([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})\b")

ADMIN_PASSWORD = "Kominfo-Sleman-2026"
HEAD = "197709282006042527"  # Muhammad Kusuma, A.Md., Kepala Seksi Layanan E-Government
HEAD_PASSWORD = "Layanan-Egov-2026"
MOVED = "196902111999081257"  # Bayu Maharani, S.E., to Seksi Infrastruktur TIK
MOVED_PASSWORD = "Bayu-Maharani-2026"
TAKER = "199904102023042084"  # Slamet Ramadhan, A.Md., takes Bayu's card over
REFUSED_NIP = "200013062024052734"  # line 59 of the people file: not a birth date


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory):
    """`cergas run` on a migrated database with no one in it (no seed, no demo)."""
    workdir = tmp_path_factory.mktemp("first-day")
    process, url, _seed = start_server(workdir, seeded=False)
    try:
        yield url, workdir / "server.log"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def log_in(page, login: str, password: str) -> None:
    page.goto("/login")
    page.fill("#login-username", login)
    page.fill("#login-password", password)
    page.locator("form.stacked-form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)


def issue_link(admin, login: str) -> str:
    """As the admin: the activation link of an imported person (shown once)."""
    admin.goto(f"/people/{login}")
    admin.get_by_role("button", name=re.compile("tautan", re.I)).click()
    link = admin.locator("#reset-link").input_value().strip()
    assert "/auth/reset/" in link
    return link


def activate(page, link: str, login: str, password: str) -> None:
    """Follow an activation link, choose a password, then sign in with it."""
    page.goto(link)
    page.locator("input[type=password]").nth(0).fill(password)
    page.locator("input[type=password]").nth(1).fill(password)
    page.locator("form.stacked-form button.primary").click()
    page.wait_for_load_state()
    if "/login" in page.url or page.locator("#login-username").count():
        log_in(page, login, password)


def pick(page, select: str, text: str) -> None:
    """Choose the option of a picker whose label holds `text`."""
    option = page.locator(f"{select} option", has_text=text)
    expect(option).to_have_count(1)
    page.select_option(select, value=option.get_attribute("value"))


def import_file(admin, kind: str, name: str):
    admin.goto("/admin/import")
    admin.locator(f"input[name=kind][value={kind}]").check()
    admin.set_input_files("#file", str(DATA / name))
    admin.locator("form.import-form button.primary").click()
    expect(admin.locator("form.import-apply")).to_be_visible()


def test_an_office_lives_through_its_first_day(browser, empty_server):
    url, server_log = empty_server

    def new_page():
        context = browser.new_context(
            base_url=url, viewport=DESKTOP, locale="id-ID", timezone_id="Asia/Jakarta"
        )
        context.set_default_timeout(15_000)
        return context.new_page()

    # 1. The empty site leads to the setup, which asks for the code the server printed.
    admin = new_page()
    admin.goto("/")
    expect(admin).to_have_url(re.compile(r"/setup$"))
    codes = CODE.findall(server_log.read_text())
    assert codes, server_log.read_text()
    admin.fill("#setup-code", "AAAA-BBBB-CCCC")
    admin.locator("form button.primary").click()
    expect(admin.locator("#setup-code")).to_have_attribute("aria-invalid", "true")
    admin.fill("#setup-code", codes[-1])
    admin.locator("form button.primary").click()

    # 2. The first administrator, signed in at once.
    expect(admin).to_have_url(re.compile(r"/setup/admin$"))
    admin.fill("#admin-username", "admin.kominfo")
    admin.fill("#admin-name", "Admin Diskominfo")
    admin.fill("#admin-email", "admin@kominfo.example.go.id")
    admin.fill("#admin-password", ADMIN_PASSWORD)
    admin.fill("#admin-password-confirm", ADMIN_PASSWORD)
    admin.locator("form button.primary").click()

    # 3. The office's top unit; then the units page.
    expect(admin).to_have_url(re.compile(r"/setup/unit$"))
    admin.fill("#unit-name", "Dinas Komunikasi dan Informatika")
    admin.fill("#unit-code", "DISKOMINFO")
    admin.locator("form button.primary").click()
    expect(admin).to_have_url(re.compile(r"/admin/units$"))
    expect(admin.locator("main")).to_contain_text("Dinas Komunikasi dan Informatika")
    # The code is spent: the setup is gone for good.
    assert admin.goto("/setup").status == 404

    # 4. The units of the staff register: dry run, then apply.
    import_file(admin, "units", "first_day_units.csv")
    expect(admin.locator(".import-row-refused")).to_have_count(0)
    admin.locator("form.import-apply button.primary").click()
    admin.goto("/admin/units")
    for name in ("Seksi Layanan E-Government", "Seksi Statistik Sektoral", "Sekretariat"):
        expect(admin.locator("main")).to_contain_text(name)

    # 5. 200 people: the dry run refuses exactly one row, with its reason; applying creates
    # the other 199.
    import_file(admin, "people", "first_day_people.csv")
    refused = admin.locator(".import-row-refused")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text(REFUSED_NIP)
    expect(refused).to_contain_text("NIP")
    expect(admin.locator(".import-total-create")).to_contain_text("199")
    admin.locator("form.import-apply button.primary").click()
    expect(admin.locator("main")).to_contain_text("199")
    admin.goto("/people?q=Muhammad+Kusuma")
    expect(admin.locator("main")).to_contain_text("Kepala Seksi Layanan E-Government")
    admin.goto(f"/people?q={REFUSED_NIP}")
    expect(admin.locator("main")).not_to_contain_text(REFUSED_NIP)

    # 6. A head signs in (through the activation link the admin issued), creates a board in
    # their unit and a card, and gives it to a member of the unit.
    head = new_page()
    activate(head, issue_link(admin, HEAD), HEAD, HEAD_PASSWORD)
    head.goto("/boards")
    head.fill("#board-name", "Layanan SPBE")
    pick(head, "#board-owner", "Layanan E-Government")
    head.locator(
        "form.stacked-form button.primary, form.stacked-form button[type=submit]"
    ).first.click()
    head.wait_for_url(re.compile(r"/boards/\d+$"))
    board_url = head.url
    head.locator("form.add-card input[name=title]").first.fill("Uji coba aplikasi e-Surat")
    head.locator("form.add-card button[type=submit]").first.click()
    card = head.locator(".card-title", has_text="Uji coba aplikasi e-Surat")
    expect(card).to_have_count(1)
    card.click()
    head.wait_for_url(re.compile(r"/cards/\d+$"))
    card_url = head.url
    pick(head, "#card-assignee", "Bayu Maharani")
    head.locator("form.card-form button.primary").click()
    expect(head.locator("#card-assignee option:checked")).to_contain_text("Bayu Maharani")

    # 7. Bayu moves to Seksi Infrastruktur TIK; his open card goes to Slamet.
    admin.goto(f"/people/{MOVED}/transfer")
    pick(admin, "#t-unit", "Infrastruktur TIK")
    admin.locator("form.grid-form button[type=submit]").click()
    choice = admin.locator("table.transfer-cards select")
    expect(choice).to_have_count(1)
    expect(admin.locator("table.transfer-cards")).to_contain_text("Uji coba aplikasi e-Surat")
    choice.select_option(TAKER)
    admin.locator("form.stacked-form button.primary").click()
    expect(admin.locator("main")).to_contain_text("Seksi Infrastruktur TIK")
    head.goto(card_url)
    expect(head.locator("#card-assignee option:checked")).to_contain_text("Slamet Ramadhan")
    expect(head.locator("main")).to_contain_text("Mutasi")  # the reason, in the history

    # 8. Bayu signs in; the admin deactivates him; his very next page is the login.
    bayu = new_page()
    activate(bayu, issue_link(admin, MOVED), MOVED, MOVED_PASSWORD)
    bayu.goto("/")
    expect(bayu.locator("#login-username")).to_have_count(0)
    admin.goto(f"/people/{MOVED}/deactivate")
    admin.locator("input[name=reason]").first.check()
    admin.locator("form.stacked-form button.danger").click()
    expect(admin.locator("main")).to_contain_text(re.compile("nonaktif sejak", re.I))
    bayu.goto(board_url.replace(url, ""))
    expect(bayu.locator("#login-username")).to_be_visible()
    log_in_again = bayu.goto("/login")
    assert log_in_again.status == 200
    bayu.fill("#login-username", MOVED)
    bayu.fill("#login-password", MOVED_PASSWORD)
    bayu.locator("form.stacked-form button[type=submit]").click()
    expect(bayu.locator("#login-username")).to_be_visible()  # refused: still the login form

    # 9. Every step is in the administrative log.
    admin.goto("/admin/log")
    log = admin.locator("main")
    for words in ("Bayu Maharani", "Muhammad Kusuma", "Dinas Komunikasi dan Informatika"):
        expect(log).to_contain_text(words)
