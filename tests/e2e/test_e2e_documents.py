"""Documents on a card in a real browser (issue 23): a PDF dropped onto the card page is
uploaded with htmx (the section swaps in place, the card form's version follows), a second
version keeps the first listed; the same without JavaScript through the plain form. Screenshots
of the section on a desktop and a 375 px phone."""

import base64
import os
import re
from pathlib import Path

import pytest
from i18n_helpers import t

from app.demo.pdf import simple_pdf

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect

SHOTS = Path(os.environ.get("CERGAS_E2E_SHOTS", "/tmp/cergas-e2e-shots"))
PHONE = {"width": 375, "height": 812}
TOO_LARGE = t(
    "The file is larger than %(mb)d MB. Make it smaller (for example, scan at a lower "
    "resolution) or split it.",
    mb=2,  # the e2e server's CERGAS_DOCUMENT_MAX_MB
)
# The start of a Windows program.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"

DROP = """([data, name]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const files = new DataTransfer();
  files.items.add(new File([bytes], name, { type: "application/pdf" }));
  const target = document.querySelector("#documents");
  for (const type of ["dragenter", "dragover", "drop"]) {
    target.dispatchEvent(
      new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: files })
    );
  }
}"""


def pdf(text: str) -> bytes:
    return simple_pdf([text], title=text)


def as_file(name: str, data: bytes) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": data}


def version_form(document):
    document.locator("summary", has_text=t("Upload a new version")).click()
    return document.locator("form.document-upload")


def test_a_pdf_dropped_on_the_card_page_and_a_second_version(new_page, login, board):
    scene = board("documents")
    card = scene.cards["Balas surat permohonan data"]
    page = login(new_page(), "staff")
    page.goto(f"/cards/{card}")
    section = page.locator("#documents")
    expect(section.locator("h2")).to_have_text(t("Documents"))
    expect(section.locator(".drop-hint")).to_be_visible()
    page.evaluate("window.cergasNoReload = true")

    # Dropped onto the page: htmx posts it and swaps the section in place.
    first = pdf("Draf surat balasan")
    page.evaluate(DROP, [base64.b64encode(first).decode(), "Surat balasan – draf.pdf"])
    document = section.locator(".document").first
    expect(document.locator(".document-name")).to_have_text("Surat balasan – draf.pdf")
    expect(document.locator(".document-version")).to_have_text(t("version %(n)d", n=1))
    expect(section.locator(".alert-success")).to_contain_text("Surat balasan – draf.pdf")
    assert page.evaluate("window.cergasNoReload") is True

    # The download is the same file, under its name.
    with page.expect_download() as download:
        document.locator(".document-actions a", has_text=t("Download")).click()
    assert download.value.suggested_filename == "Surat balasan – draf.pdf"
    assert Path(download.value.path()).read_bytes() == first

    # A second version through the document's own form (htmx), with a progress bar.
    form = version_form(document)
    form.locator('input[type="file"]').set_input_files(as_file("surat-balasan-v2.pdf", pdf("V2")))
    form.get_by_role("button", name=t("Upload a new version")).click()
    expect(document.locator(".document-version")).to_have_text(t("version %(n)d", n=2))
    expect(document.locator(".document-name")).to_have_text("surat-balasan-v2.pdf")
    older = document.locator(".document-versions")
    older.locator("summary").click()
    expect(older.locator("li")).to_have_count(1)
    expect(older.locator("li")).to_contain_text(t("Version %(n)d", n=1))
    expect(older.locator("li")).to_contain_text("Surat balasan – draf.pdf")
    expect(older.locator("li")).to_contain_text("Dimas Aditya Nugroho")
    assert page.evaluate("window.cergasNoReload") is True

    # The card form took the new version out of band: saving it is not refused as stale.
    page.fill("#card-estimate", "3")  # any change of the card
    page.get_by_role("button", name=t("Save"), exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text(t("Card saved."))
    expect(page.locator("#history")).to_contain_text(
        t("uploaded version %(n)s of the document %(name)s", n=2, name="“surat-balasan-v2.pdf”")
    )

    # A file over the limit is refused before it is sent, next to the field.
    big = {"name": "besar.pdf", "mimeType": "application/pdf", "buffer": b"%PDF" * (3 << 18)}
    page.locator("#document-new-file").set_input_files(big)
    page.locator("form.document-new button[type=submit]").click()
    expect(page.locator("#document-new-file-error")).to_have_text(TOO_LARGE)
    expect(section.locator(".document")).to_have_count(1)

    SHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SHOTS / "documents-desktop.png"))
    phone = login(new_page(PHONE), "staff")
    phone.goto(f"/cards/{card}#documents")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.locator("#documents .document-versions summary").click()
    phone.locator("#documents").screenshot(path=str(SHOTS / "documents-phone.png"))


def test_upload_and_a_new_version_without_javascript(new_page, login, board):
    scene = board("documents")
    card = scene.cards["Verifikasi dokumen pemohon"]
    page = login(new_page(java_script_enabled=False), "head")
    page.goto(f"/cards/{card}")
    expect(page.locator("#documents .drop-hint")).to_be_hidden()

    page.locator("#document-new-file").set_input_files(as_file("ktp-pemohon.pdf", pdf("KTP")))
    page.locator("form.document-new").get_by_role("button", name=t("Upload")).click()
    page.wait_for_url(re.compile(r"#documents$"))
    expect(page.locator("#alerts .alert-success")).to_contain_text(
        t("Document “%(name)s” uploaded.", name="ktp-pemohon.pdf")
    )
    document = page.locator("#documents .document").first
    expect(document.locator(".document-name")).to_have_text("ktp-pemohon.pdf")

    form = version_form(document)
    form.locator('input[type="file"]').set_input_files(as_file("ktp-pemohon.pdf", pdf("KTP 2")))
    form.get_by_role("button", name=t("Upload a new version")).click()
    expect(page.locator("#alerts .alert-success")).to_contain_text(
        t("Version %(n)d of “%(name)s” uploaded.", n=2, name="ktp-pemohon.pdf")
    )
    document = page.locator("#documents .document").first
    expect(document.locator(".document-version")).to_have_text(t("version %(n)d", n=2))
    expect(document.locator(".document-versions li")).to_contain_text(t("Version %(n)d", n=1))

    # A program named .pdf: the card page again, with the reason by the field.
    exe = {"name": "surat.pdf", "mimeType": "application/pdf", "buffer": EXE}
    page.locator("#document-new-file").set_input_files(exe)
    page.locator("form.document-new").get_by_role("button", name=t("Upload")).click()
    expect(page.locator("#document-new-file-error")).to_contain_text(t("a program"))
    expect(page.locator("#documents .document")).to_have_count(1)
