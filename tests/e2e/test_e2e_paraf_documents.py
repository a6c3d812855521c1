"""Paraf on a document version, in a real browser: the drafter uploads the letter as a PDF on a
chained card and sends it to Paraf, the Kasi gives paraf on version 1 (the panel says so), the
drafter uploads version 2, and the panel shows the approval void and a new round waiting.

The document section of the card page (`#documents`, routes `cards.upload_attachment` and
`cards.upload_attachment_version`) is found by its forms' actions, as agreed for issue 23."""

import pytest
from helpers import card_in, drag_card
from i18n_helpers import t

from app.demo.pdf import simple_pdf

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect

DIMAS = "Dimas Aditya Nugroho, S.I.Kom."
TITLE = "Surat edaran keterbukaan informasi"


def upload_form(page, card_id: int, document_id: int | None = None):
    """The upload form of the card's document section: a new document, or a new version."""
    action = (
        f"/cards/{card_id}/documents"
        if document_id is None
        else f"/cards/{card_id}/documents/{document_id}/versions"
    )
    return page.locator(f'#documents form[action$="{action}"]')


def send_file(page, form, path) -> None:
    # A new version's form folds away under its document ("Unggah versi baru"): open it.
    folded = form.locator("xpath=ancestor::details[1]")
    if folded.count() and folded.get_attribute("open") is None:
        folded.locator("summary").first.click()
    form.locator('input[type="file"][name="file"]').set_input_files(str(path))
    form.locator('button[type="submit"], input[type="submit"]').first.click()
    page.wait_for_load_state()


def test_a_new_version_voids_the_paraf_given_on_the_one_before(new_page, login, board, tmp_path):
    letters = board("approval_documents")
    letter = letters.cards[TITLE]
    first = tmp_path / "surat.pdf"
    first.write_bytes(simple_pdf(["Surat edaran, draf 1"], title="Surat edaran"))
    second = tmp_path / "surat-v2.pdf"
    second.write_bytes(simple_pdf(["Surat edaran, draf 2"], title="Surat edaran"))

    # The drafter uploads the letter on its card.
    drafter = login(new_page(), "staff")
    drafter.goto(f"/cards/{letter}")
    if drafter.locator("#documents").count() == 0:
        pytest.skip("the card page has no document section (#documents) on this branch yet")
    send_file(drafter, upload_form(drafter, letter), first)
    expect(drafter.locator("#documents")).to_contain_text("surat.pdf")

    # ... and sends it to Paraf: the panel lists the document the round is about.
    drafter.goto(letters.url)
    drag_card(drafter, letter, letters.columns["Paraf"])
    expect(card_in(drafter, letters.columns["Paraf"], letter)).to_be_visible()

    # The Kasi gives paraf on version 1.
    head = login(new_page(), "head")
    head.goto(f"/cards/{letter}")
    panel = head.locator(f"#approvals-panel-{letter}")
    expect(panel.locator(".approvals-documents li")).to_have_text(
        "surat.pdf " + t("version %(n)d", n=1)
    )
    panel.get_by_role("button", name=t("Give paraf")).click()
    expect(panel.locator(".approvals-status")).to_contain_text(t("Paraf complete."))
    expect(panel.locator(".approvals-documents-seen")).to_have_text(
        t(
            "Paraf given on: %(documents)s",
            documents=t("%(name)s version %(n)d", name="surat.pdf", n=1),
        )
    )

    # The drafter uploads version 2 (under the same name) of that document.
    drafter.goto(f"/cards/{letter}")
    link = drafter.locator(f'#approvals-panel-{letter} .approvals-documents a[href*="/documents/"]')
    document_id = int(link.first.get_attribute("href").split("/documents/")[1].split("?")[0])
    send_file(drafter, upload_form(drafter, letter, document_id), second)
    # The upload goes by htmx: wait for its answer before the Kasi looks.
    expect(drafter.locator("#documents")).to_contain_text("surat-v2.pdf")
    # Her own page says at once, without a reload, that the approval is void.
    expect(drafter.locator(f"#approvals-panel-{letter} .approvals-voided")).to_be_visible()

    # The panel shows the approval void and a new round waiting on the Kasi at step 1.
    head.reload()
    panel = head.locator(f"#approvals-panel-{letter}")
    expect(panel.locator(".approvals-voided")).to_have_text(
        DIMAS
        + " "
        + t(
            "uploaded a new version of “%(name)s”: the approval of round %(round)d is void",
            name="surat-v2.pdf",
            round=1,
        )
    )
    expect(panel.locator(".approvals-status")).to_contain_text(
        t("Waiting for paraf, step %(n)d of %(total)d.", n=1, total=1)
    )
    expect(panel.locator(".approvals-documents")).to_contain_text("surat-v2.pdf")
    expect(panel.locator(".approvals-documents-seen")).to_have_count(0)
    expect(panel.get_by_role("button", name=t("Give paraf"))).to_be_visible()

    # Until the new round approves version 2, the letter cannot go out.
    drafter.goto(letters.url)
    drag_card(drafter, letter, letters.columns["Terkirim"])
    expect(card_in(drafter, letters.columns["Paraf"], letter)).to_be_visible()

    # The Kasi gives paraf on version 2 (nothing is left waiting in her inbox); it may go out.
    panel.get_by_role("button", name=t("Give paraf")).click()
    expect(panel.locator(".approvals-status")).to_contain_text(t("Paraf complete."))
    expect(panel.locator(".approvals-documents-seen")).to_have_text(
        t(
            "Paraf given on: %(documents)s",
            documents=t("%(name)s version %(n)d", name="surat-v2.pdf", n=2),
        )
    )
    drafter.reload()
    drag_card(drafter, letter, letters.columns["Terkirim"])
    expect(card_in(drafter, letters.columns["Terkirim"], letter)).to_be_visible()
