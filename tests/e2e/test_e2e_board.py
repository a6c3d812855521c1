"""The core flows in a real browser: log in, My work, the board, drag and drop, the keyboard
move, deadlines with reasons, and the language switch."""

import re

import pytest
from helpers import card_in, drag_card
from i18n_helpers import t

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect


def test_log_in_see_my_work_and_open_a_board(page, login, board):
    drag = board("drag")
    login(page, "staff")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("h1")).to_have_text(t("My work"))
    # The staff member's open cards, overdue ones first; cards in Done columns are not listed.
    mine = page.locator(f'.work-item[data-card-id="{drag.cards["Balas surat permohonan data"]}"]')
    expect(mine).to_be_visible()
    done_card = drag.cards["Laporan bulanan Oktober"]
    expect(page.locator(f'.work-item[data-card-id="{done_card}"]')).to_have_count(0)
    mine.get_by_role("link", name="Papan drag").click()
    expect(page).to_have_url(re.compile(rf"{drag.url}$"))
    expect(page.locator("h1")).to_have_text("Papan drag")
    expect(page.locator(".column h2")).to_have_text(["Masuk", "Dikerjakan", "Diproses", "Selesai"])


def test_dragging_a_card_to_another_column_is_saved(page, login, board):
    drag = board("drag")
    card = drag.cards["Balas surat permohonan data"]
    login(page, "staff")
    page.goto(drag.url)
    expect(card_in(page, drag.columns["Masuk"], card)).to_be_visible()

    drag_card(page, card, drag.columns["Dikerjakan"])

    expect(card_in(page, drag.columns["Dikerjakan"], card)).to_be_visible()
    expect(page.locator("#alerts")).to_contain_text(
        t(
            "Moved “%(title)s” to %(column)s.",
            title="Balas surat permohonan data",
            column="Dikerjakan",
        )
    )
    expect(page.locator(f"#column-{drag.columns['Dikerjakan']} .wip")).to_have_text("2/5")
    page.reload()
    expect(card_in(page, drag.columns["Dikerjakan"], card)).to_be_visible()
    expect(card_in(page, drag.columns["Masuk"], card)).to_have_count(0)


def test_dragging_into_a_full_hard_limit_column_snaps_back_with_the_reason(page, login, board):
    full = board("full")
    card = full.cards["Verifikasi dokumen pemohon"]
    login(page, "staff")
    page.goto(full.url)
    expect(page.locator(f"#column-{full.columns['Diproses']} .wip")).to_have_text("2/2")

    drag_card(page, card, full.columns["Diproses"])

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(
        t("Column %(column)s is full: WIP limit %(limit)d", column="Diproses", limit=2)
    )
    expect(card_in(page, full.columns["Dikerjakan"], card)).to_be_visible()
    expect(page.locator(f"#column-{full.columns['Diproses']} .card")).to_have_count(2)
    page.reload()
    expect(card_in(page, full.columns["Dikerjakan"], card)).to_be_visible()


def test_moving_a_card_with_the_keyboard_only(page, login, board):
    keys = board("keyboard")
    card = keys.cards["Rekap pengaduan LAPOR! minggu ini"]
    login(page, "staff")
    page.goto(keys.url)
    move = page.locator(f'.card[data-card-id="{card}"] a.move')
    expect(move).to_have_text(t("Move to…"))
    # Tab to the card's "Move to…" link, as a keyboard user would, and open the dialog.
    move.focus()
    expect(move).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog#dialog")
    expect(dialog).to_be_visible()
    column = dialog.locator("#move-column")
    expect(column).to_be_focused()
    # Choose "Dikerjakan" with the arrow keys and submit with Enter.
    page.keyboard.press("ArrowDown")
    expect(column).to_have_value(str(keys.columns["Dikerjakan"]))
    page.keyboard.press("Tab")
    expect(dialog.locator("#move-place")).to_be_focused()
    page.keyboard.type("1")
    page.keyboard.press("Enter")

    expect(dialog).to_be_hidden()
    first = page.locator(f"#column-{keys.columns['Dikerjakan']} .card").first
    expect(first).to_have_attribute("data-card-id", str(card))
    # Focus goes back to the moved card's own control.
    expect(page.locator(f'.card[data-card-id="{card}"] a.move')).to_be_focused()
    page.reload()
    expect(card_in(page, keys.columns["Dikerjakan"], card)).to_be_visible()


def test_keyboard_move_into_a_full_column_is_refused_in_the_dialog(page, login, board):
    keys = board("keyboard")
    card = keys.cards["Balas surat permohonan data"]
    login(page, "staff")
    page.goto(keys.url)
    page.locator(f'.card[data-card-id="{card}"] a.move').focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog#dialog")
    dialog.locator("#move-column").select_option(str(keys.columns["Diproses"]))
    dialog.get_by_role("button", name=t("Move"), exact=True).press("Enter")
    expect(dialog.get_by_role("alert")).to_contain_text(
        t("Column %(column)s is full: WIP limit %(limit)d", column="Diproses", limit=2)
    )
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(card_in(page, keys.columns["Masuk"], card)).to_be_visible()


def test_a_deadline_moves_only_with_a_reason_and_the_history_shows_it(page, login, board):
    dated = board("deadline")
    card = dated.cards["Verifikasi dokumen pemohon"]
    login(page, "staff")
    page.goto(f"/cards/{card}")
    due = page.locator("#card-due")
    old = due.input_value()
    due.fill("2026-12-31" if old != "2026-12-31" else "2027-01-04")
    new = due.input_value()
    page.get_by_role("button", name=t("Save")).click()

    reason_field = page.locator("#card-deadline-reason")
    expect(reason_field).to_have_attribute("aria-invalid", "true")
    # The message sits by the field, and the field names it for screen readers.
    error = page.locator("#card-deadline-reason ~ .field-error")
    expect(error).to_have_text(t("Say why the due date changes."))
    described = reason_field.get_attribute("aria-describedby").split()
    assert error.get_attribute("id") in described
    expect(page.get_by_role("alert")).to_contain_text(t("Changing a due date needs a reason."))
    page.goto(f"/cards/{card}")
    expect(page.locator("#card-due")).to_have_value(old)

    page.locator("#card-due").fill(new)
    page.locator("#card-deadline-reason").fill("Menunggu data dari Dinas Pendidikan")
    page.get_by_role("button", name=t("Save")).click()

    history = page.locator("#history")
    expect(history.locator(".event-deadline_changed")).to_have_count(1)
    expect(history.locator(".event-deadline_changed .reason")).to_have_text(
        "Menunggu data dari Dinas Pendidikan"
    )
    expect(history).to_contain_text(t("deadline moved %(n)d×", n=1))
    expect(page.locator("#card-due")).to_have_value(new)


def test_the_language_switch_changes_the_page_both_ways(page, login):
    login(page, "polyglot")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator("h1")).to_have_text(t("My work"))
    page.locator('.language-switch button[value="en"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("My work")
    expect(page.locator(".site-nav")).to_contain_text("Boards")
    # The choice is the person's own: it holds on the next page too.
    page.goto("/boards")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator('.language-switch button[value="id"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator(".site-nav")).to_contain_text(t("Boards"))
