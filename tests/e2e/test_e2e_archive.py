"""The archive in a real browser (issue 25): a done card archived from its page leaves the
board; the board's archive page lists it and restores it, and it is back on the board."""

import pytest
from helpers import card_in
from i18n_helpers import t

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect

TITLE = "Laporan bulanan Oktober"  # in Selesai (done)


def test_a_done_card_is_archived_from_its_page_and_restored_from_the_archive(page, login, board):
    archive = board("archive")
    card = archive.cards[TITLE]
    done = archive.columns["Selesai"]
    login(page, "staff")

    page.goto(archive.url)
    expect(card_in(page, done, card)).to_be_visible()

    # Archive it from its page: staff may, the card is done (no reason asked).
    page.goto(f"/cards/{card}")
    page.locator(".archive-box summary").click()
    expect(page.locator("#archive-reason")).to_have_count(0)
    page.get_by_role("button", name=t("Archive the card")).click()
    expect(page.locator(".alert-success")).to_contain_text(
        t("The card is archived: it has left the board.")
    )
    expect(page.locator(".archived-banner")).to_contain_text("Dimas Aditya Nugroho")
    expect(page.locator("#card-title-input")).to_have_count(0)  # read-only: no edit form

    # It has left the board; the header links to the archive with its count.
    page.goto(archive.url)
    expect(card_in(page, done, card)).to_have_count(0)
    page.get_by_role("link", name=t("Archive (%(n)s)", n="1")).click()
    row = page.locator(f"#archived-card-{card}")
    expect(row).to_contain_text(TITLE)

    # Restore it from the archive page: back on the board, at the end of Selesai.
    row.get_by_role("button", name=t("Restore")).click()
    expect(page.locator(".alert-success")).to_contain_text(TITLE)
    expect(page.locator(f"#archived-card-{card}")).to_have_count(0)
    page.goto(archive.url)
    expect(card_in(page, done, card)).to_be_visible()
