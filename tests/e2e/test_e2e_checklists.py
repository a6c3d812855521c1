"""Checklists in a real browser (issue 23): items added on the card page, the "☑ 0/2" badge on
the board, and with the board's rule on, a drag into Done refused until every item is ticked."""

import re

import pytest
from helpers import card_in, drag_card, wait_until_saved
from i18n_helpers import t

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect

TITLE = "Unggah DIP semester II"


def test_a_checklist_holds_a_card_out_of_done_until_every_item_is_ticked(page, login, board):
    checklist = board("checklist")
    card = checklist.cards[TITLE]
    login(page, "head")

    # The board's rule, on the settings page.
    page.goto(f"{checklist.url}/settings")
    page.locator("#board-checklist-rule").check()
    page.get_by_role("button", name=t("Save board")).click()
    expect(page.locator("#board-checklist-rule")).to_be_checked()

    # Two items, added with htmx: the section swaps in place.
    page.goto(f"/cards/{card}")
    for text in ("Siapkan berkas DIP", "Minta paraf Kasi"):
        page.fill("#checklist-new-text", text)
        page.get_by_role("button", name=t("Add item")).click()
        expect(page.locator(".checklist-item", has_text=text)).to_be_visible()
    expect(page.locator(".checklist-count")).to_have_text("0/2")

    page.goto(checklist.url)
    badge = card_in(page, checklist.columns["Diproses"], card).locator(".checklist-badge")
    expect(badge).to_contain_text("0/2")

    drag_card(page, card, checklist.columns["Selesai"])
    wait_until_saved(page)
    # "Masih ada 2 butir daftar periksa yang belum selesai: ... ke Selesai."
    expect(page.locator("#alerts .alert-error")).to_contain_text(re.compile(r"\b2\b.*Selesai"))
    expect(card_in(page, checklist.columns["Diproses"], card)).to_be_visible()

    # Tick both; the card form's version follows (a save right after is not refused as stale).
    page.goto(f"/cards/{card}")
    for text in ("Siapkan berkas DIP", "Minta paraf Kasi"):
        page.locator(".checklist-item", has_text=text).locator(".check-box").click()
        expect(
            page.locator(".checklist-item", has_text=text).locator(".check-box")
        ).to_have_attribute("aria-checked", "true")
    expect(page.locator(".checklist-count")).to_have_text("2/2")
    page.fill("#card-estimate", "3")  # any change of the card
    page.get_by_role("button", name=t("Save"), exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text(t("Card saved."))

    page.goto(checklist.url)
    expect(badge).to_contain_text("2/2")
    drag_card(page, card, checklist.columns["Selesai"])
    expect(card_in(page, checklist.columns["Selesai"], card)).to_be_visible()
    page.reload()
    expect(card_in(page, checklist.columns["Selesai"], card)).to_be_visible()
