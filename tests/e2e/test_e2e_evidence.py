"""A person's quarter evidence in a real browser (issue 27): the staff member opens
"Kinerja", chooses this quarter, sees their done cards from two boards under their RHK, and
downloads the XLSX for e-Kinerja, which opens with whole sheet names and their name and NIP.
Screenshots on a desktop and a 375 px phone."""

import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from i18n_helpers import t
from openpyxl import load_workbook

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect

SHOTS = Path(os.environ.get("CERGAS_E2E_SHOTS", "/tmp/cergas-e2e-shots"))
PHONE = {"width": 375, "height": 812}
RHK_TEXT = "Tersusunnya laporan layanan informasi publik bulanan"
STAFF_NIP = "199101052015031002"
STAFF_NAME = "Dimas Aditya Nugroho, S.I.Kom."

# The RHK is written straight into the server's database: entering RHK is another page's work.
LINK_RHK = """
import sys
from sqlalchemy import select
from app import create_app
from app.extensions import db
from app.models import Card, User
from app.models.performance import Rhk, RhkIndicator
app = create_app()
with app.app_context():
    staff = db.session.scalar(select(User).where(User.nip == sys.argv[1]))
    rhk = Rhk(user_id=staff.id, year=int(sys.argv[2]), text=sys.argv[3])
    rhk.indicators = [RhkIndicator(aspect="kuantitas", text="Jumlah laporan", target="12 laporan")]
    db.session.add(rhk)
    db.session.flush()
    for card_id in sys.argv[4:]:
        db.session.get(Card, int(card_id)).rhk_id = rhk.id
    db.session.commit()
"""


@pytest.fixture(scope="module")
def linked(server):
    """Staff's done monthly-report cards of two scenario boards, linked to one RHK."""
    cards = [
        server.seed["boards"][name]["cards"]["Laporan bulanan Oktober"]
        for name in ("checklist", "recurrences")
    ]
    workdir = server.log.parent
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'e2e.db'}"}
    env.pop("REDIS_URL", None)
    subprocess.run(
        [
            sys.executable,
            "-c",
            LINK_RHK,
            STAFF_NIP,
            str(date.today().year),
            RHK_TEXT,
            *map(str, cards),
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        check=True,
    )
    return cards


def test_a_person_opens_their_quarter_evidence_and_downloads_the_xlsx(new_page, login, linked):
    page = login(new_page(), "staff")
    page.get_by_role("link", name=t("Performance"), exact=True).click()
    page.get_by_role("link", name=t("This quarter")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Performance evidence (bukti dukung)")
    )
    group = page.locator("article.evidence-rhk", has_text=RHK_TEXT)
    expect(group).to_be_visible()
    for card_id in linked:
        expect(group.locator(f"a[href='/cards/{card_id}']")).to_be_visible()
    expect(page.locator(".evidence-facts")).to_contain_text(STAFF_NIP)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "evidence-desktop.png"), full_page=True)

    with page.expect_download() as waiting:
        page.get_by_role("link", name=t("Download XLSX for e-Kinerja")).click()
    download = waiting.value
    assert STAFF_NIP in download.suggested_filename
    assert STAFF_NAME in download.suggested_filename
    book = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    assert len(book.sheetnames) == 2 and all(len(name) <= 31 for name in book.sheetnames)
    first = [cell for row in book.worksheets[0].iter_rows(values_only=True) for cell in row if cell]
    assert STAFF_NAME in first and STAFF_NIP in first and RHK_TEXT in first


def test_the_evidence_page_on_a_phone(new_page, login, linked):
    page = login(new_page(PHONE), "staff")
    quarter = f"{date.today().year}-Q{(date.today().month - 1) // 3 + 1}"
    page.goto(f"/people/{STAFF_NIP}/evidence?period={quarter}")
    expect(page.locator("article.evidence-rhk", has_text=RHK_TEXT)).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "evidence-phone.png"), full_page=True)
