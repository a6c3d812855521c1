"""The core flow on a 375×812 phone: log in, My work, the board, and moving a card with the
"Move to…" control (a drag on a touch screen needs a long press; the control always works)."""

import re

import pytest
from conftest import PHONE
from helpers import card_in
from i18n_helpers import t

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect


def test_core_flow_on_a_phone(new_page, login, board):
    phone = board("mobile")
    card = phone.cards["Rekap pengaduan LAPOR! minggu ini"]
    page = new_page(PHONE, is_mobile=True, has_touch=True)
    login(page, "phone")
    expect(page.locator("h1")).to_have_text(t("My work"))
    item = page.locator(f'.work-item[data-card-id="{card}"]')
    expect(item).to_be_visible()
    item.get_by_role("link", name="Papan mobile").click()
    expect(page).to_have_url(re.compile(rf"{phone.url}$"))

    # The first column fills most of the screen; the next one peeks in from the right.
    first = page.locator(f"#column-{phone.columns['Masuk']}").bounding_box()
    second = page.locator(f"#column-{phone.columns['Dikerjakan']}").bounding_box()
    assert first["x"] >= 0 and first["x"] + first["width"] <= PHONE["width"]
    assert second["x"] < PHONE["width"] < second["x"] + second["width"]

    page.locator(f'.card[data-card-id="{card}"] a.move').tap()
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    dialog.locator("#move-column").select_option(str(phone.columns["Dikerjakan"]))
    dialog.get_by_role("button", name=t("Move"), exact=True).tap()
    expect(dialog).to_be_hidden()
    expect(card_in(page, phone.columns["Dikerjakan"], card)).to_be_attached()
    expect(page.get_by_role("alert")).to_contain_text(
        t(
            "Moved “%(title)s” to %(column)s.",
            title="Rekap pengaduan LAPOR! minggu ini",
            column="Dikerjakan",
        )
    )
    page.reload()
    expect(card_in(page, phone.columns["Dikerjakan"], card)).to_be_attached()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
