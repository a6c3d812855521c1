"""Bulk actions and saved filters in a real browser (issue 25): select three cards and move them
into a column with room for two (one is refused, with the reason shown); save a filter and
apply it again."""

import re

import pytest
from helpers import card_in
from i18n_helpers import t

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect


def test_bulk_move_of_three_cards_into_room_for_two_refuses_one_with_the_reason(page, login, board):
    bulk = board("bulk")
    chosen = [
        bulk.cards["Surat balasan PPID 1"],
        bulk.cards["Surat balasan PPID 2"],
        bulk.cards["Undangan rapat evaluasi"],
    ]
    doing = bulk.columns["Dikerjakan"]
    login(page, "staff")
    page.goto(bulk.url)
    expect(page.locator(f"#column-{doing} .wip")).to_have_text("1/3")

    page.get_by_role("link", name=t("Select cards")).click()
    bar = page.locator("#bulk-form")
    expect(bar).to_be_visible()
    # The check boxes are ordinary controls: ticked with the keyboard.
    for card_id in chosen:
        box = page.locator(f'.card[data-card-id="{card_id}"] .bulk-pick input')
        box.focus()
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    expect(bar.locator("[data-bulk-count]")).to_have_text(t("%(num)s selected", num=3))
    bar.locator("select[name=column_id]").select_option(str(doing))
    bar.get_by_role("button", name=t("Move"), exact=True).click()

    alerts = page.locator("#alerts")
    expect(alerts).to_contain_text("2 kartu dipindahkan, 1 ditolak")
    expect(alerts).to_contain_text("Undangan rapat evaluasi")
    expect(alerts).to_contain_text(
        t("Column %(column)s is full: WIP limit %(limit)d", column="Dikerjakan", limit=3)
    )
    expect(card_in(page, doing, chosen[0])).to_be_visible()
    expect(card_in(page, doing, chosen[1])).to_be_visible()
    expect(card_in(page, bulk.columns["Masuk"], chosen[2])).to_be_visible()
    expect(page.locator(f"#column-{doing} .wip")).to_have_text("3/3")
    # The selection is cleared; the refreshed columns get their boxes back, unticked.
    expect(bar.locator("[data-bulk-count]")).to_have_text(t("%(num)s selected", num=0))
    expect(page.locator(f'.card[data-card-id="{chosen[2]}"] .bulk-pick input')).not_to_be_checked()
    page.reload()
    expect(card_in(page, bulk.columns["Masuk"], chosen[2])).to_be_visible()


def test_saving_a_filter_and_applying_it_again(page, login, board):
    bulk = board("bulk")
    login(page, "head")
    page.goto(bulk.url)
    page.locator("#filter-label").select_option("ppid")
    expect(page).to_have_url(re.compile(r"label=ppid"))
    expect(page.locator(".card", has_text="Undangan rapat evaluasi")).to_have_count(0)

    section = page.locator("#saved-filters")
    section.get_by_label(t("Name of this filter")).fill("Surat PPID")
    section.get_by_role("button", name=t("Save filter")).click()
    expect(section).to_contain_text(t("Filter “%(name)s” saved.", name="Surat PPID"))
    expect(section.get_by_role("button", name=t("Copy link"))).to_be_visible()

    page.goto(bulk.url)
    expect(page.locator(".card", has_text="Undangan rapat evaluasi")).to_have_count(1)
    page.locator("#saved-filters").get_by_role("link", name="Surat PPID").click()
    expect(page).to_have_url(re.compile(rf"{bulk.url}\?label=ppid$"))
    expect(page.locator(".card", has_text="Undangan rapat evaluasi")).to_have_count(0)
    expect(page.locator(".card", has_text="Surat balasan PPID 1")).to_have_count(1)
