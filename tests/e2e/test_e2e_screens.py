"""Screens read at a glance (issue 26): a refused drop says why where the card was dropped, the
first card of a board shows on a phone's first screen, and sprints are named once."""

import datetime

import pytest
from conftest import PHONE
from helpers import card_in, drag_card
from i18n_helpers import t

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect


def test_a_refused_drop_shows_its_reason_at_the_column_it_was_dropped_on(page, login, board):
    full = board("full")
    card = full.cards["Verifikasi dokumen pemohon"]
    target = full.columns["Diproses"]
    login(page, "staff")
    page.set_viewport_size({"width": 1280, "height": 600})
    page.goto(full.url)
    drag_card(page, card, target)
    reason = t("Column %(column)s is full: WIP limit %(limit)d", column="Diproses", limit=2)
    expect(page.get_by_role("alert")).to_contain_text(reason)
    note = page.locator(f"#column-{target} .drop-refusal")
    expect(note).to_contain_text(reason)
    expect(note).to_be_in_viewport()
    expect(card_in(page, full.columns["Dikerjakan"], card)).to_be_visible()
    note.get_by_role("button", name=t("Dismiss")).click()
    expect(note).to_have_count(0)


def test_the_first_card_of_a_board_is_on_a_phones_first_screen(new_page, login, board):
    for scenario in ("mobile", "full", "drag"):
        shown = board(scenario)
        page = new_page(PHONE, is_mobile=True, has_touch=True)
        login(page, "head")
        page.goto(shown.url)
        first = page.locator(".card").first
        expect(first).to_be_visible()
        box = first.bounding_box()
        assert box["y"] + 60 <= PHONE["height"], (scenario, box)
        header = page.locator(".site-header").bounding_box()
        assert header["height"] <= 60
        # The menu folds the navigation away and opens on a tap.
        nav = page.locator(".site-nav")
        expect(nav).to_be_hidden()
        toggle = page.locator(".menu-toggle")
        toggle.tap()
        expect(nav).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        page.keyboard.press("Escape")
        expect(nav).to_be_hidden()
        # The filters fold behind their button too.
        expect(page.locator("#board-filters")).to_be_hidden()
        page.get_by_role("button", name=t("Filters")).tap()
        expect(page.locator("#board-filters")).to_be_visible()


def test_a_sprint_is_named_once_and_an_early_start_is_confirmed(page, login, board):
    drag = board("drag")
    login(page, "head")
    page.goto(f"{drag.url}/sprints")
    today = datetime.date.today()
    page.fill("#sprint-name", "Sprint 7")
    page.fill("#sprint-goal", "Semua permohonan dijawab tepat waktu")
    page.fill("#sprint-start", (today + datetime.timedelta(days=7)).isoformat())
    page.fill("#sprint-end", (today + datetime.timedelta(days=21)).isoformat())
    page.locator("#sprint-end").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text(
        t("%(sprint)s created. Now commit cards to it.", sprint="Sprint 7")
    )
    assert "Sprint Sprint" not in page.content()
    page.locator('input[name="card_ids"]').first.check()
    page.locator('input[name="card_ids"]').first.press("Enter")
    start = page.get_by_role("button", name=t("Start sprint"))
    expect(page.locator("#confirm-early")).to_be_visible()
    page.locator("#confirm-early").check()
    start.click()
    expect(page.get_by_role("alert")).to_contain_text(
        t("%(sprint)s started. The committed scope is recorded.", sprint="Sprint 7")
    )
    assert "Sprint Sprint" not in page.content()
    expect(page.locator(".card .sprint-mark").first).to_be_visible()
