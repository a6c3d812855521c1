"""Search from the header in a real browser (issue 25): type words in the header's box, submit,
the card shows with its match highlighted, and its link opens the card. (Every scenario board of
tests/e2e/seed.py has the same cards, so the title is found once per board.)"""

import pytest
from i18n_helpers import t

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect

TITLE = "Siapkan bahan rapat koordinasi PPID"


def test_search_from_the_header_highlights_the_match_and_opens_the_card(page, login, server):
    login(page, "head")
    page.goto("/")
    box = page.get_by_role("search", name=t("Search cards")).get_by_role("searchbox")
    box.fill("koordinasi pp")  # the last word unfinished
    box.press("Enter")
    page.wait_for_url("**/search?q=*")
    results = page.locator(".search-result", has_text=TITLE)
    expect(results.first).to_be_visible()
    expect(results.first.locator(".search-title mark")).to_have_text(["koordinasi", "PPID"])
    card_ids = set(results.evaluate_all("items => items.map(item => item.dataset.cardId)"))
    expected = {
        str(data["cards"][TITLE])
        for data in server.seed["boards"].values()
        if TITLE in data.get("cards", {})
    }
    assert card_ids == expected
    results.first.locator(".search-title").click()
    page.wait_for_url("**/cards/*")
    expect(page.locator("#card-title")).to_have_text(TITLE)
