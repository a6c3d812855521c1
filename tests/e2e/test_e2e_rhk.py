"""RHK in a real browser (issue 27): a staff member adds an RHK on their SKP page, links a card
to it from the card page's picker, and the SKP page then lists the card under that RHK."""

import re

import pytest
from i18n_helpers import t

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect

TITLE = "Balas surat permohonan data"  # assigned to staff, due within a week
RHK_TEXT = "Terjawabnya surat permohonan data secara tepat waktu"


def test_staff_links_a_card_to_their_rhk_and_the_skp_page_shows_it(page, login, board):
    scenario = board("checklist")
    card = scenario.cards[TITLE]
    login(page, "staff")

    # No RHK yet: the card's panel says so and leads to the SKP page of the card's year.
    page.goto(f"/cards/{card}")
    panel = page.locator("#card-rhk")
    expect(panel).to_contain_text(t("Not linked to an RHK."))
    panel.get_by_role("link", name=t("Open the SKP page")).click()
    expect(page.locator("h1")).to_have_text(t("My SKP"))

    # An RHK with one indicator.
    page.fill("#rhk-text", RHK_TEXT)
    page.fill("#indicator-0-text", "Jumlah surat permohonan yang dijawab")
    page.fill("#indicator-0-target", "120 surat")
    page.get_by_role("button", name=t("Add RHK")).click()
    expect(page.locator(".alert-success")).to_contain_text(t("RHK added."))
    expect(page.locator(".rhk-item", has_text=RHK_TEXT)).to_be_visible()

    # The card page's picker offers it; saving links the card, with a line in its history.
    page.goto(f"/cards/{card}")
    page.locator("#card-rhk-select").select_option(label=RHK_TEXT)
    page.locator("#card-rhk").get_by_role("button", name=t("Save link")).click()
    expect(page.locator(".alert-success")).to_contain_text(t("The card's RHK link is saved."))
    expect(page.locator("#card-rhk .card-rhk-current")).to_contain_text(RHK_TEXT)
    history_line = t("Linked to the RHK: %(rhk)s", rhk=RHK_TEXT)
    expect(page.locator(".event-text", has_text=history_line)).to_be_visible()

    # The SKP page lists the card under the RHK, with a link to it.
    page.goto("/skp")
    item = page.locator(".rhk-item", has_text=RHK_TEXT)
    expect(item.locator(".rhk-cards summary")).to_contain_text(re.compile(r"\b1\b"))
    link = item.get_by_role("link", name=TITLE)
    expect(link).to_have_attribute("href", f"/cards/{card}")
