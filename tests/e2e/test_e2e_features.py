"""The features around the board in a real browser: live updates between two people, sprint
planning, and the pages of the approvals, SLA and workload plugins (they load, work for a
keyboard and pass axe-core)."""

from datetime import date, timedelta

import pytest
from helpers import card_in, drag_card, run_axe

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect


def open_board(page, board):
    """Open a board and wait until its live stream is connected."""
    with page.expect_response(lambda answer: answer.url.endswith(f"{board.url}/stream")):
        page.goto(board.url)


def test_a_move_shows_up_live_in_another_browser(new_page, login, board):
    live = board("live")
    card = live.cards["Balas surat permohonan data"]
    mover = login(new_page(), "staff")
    watcher = login(new_page(), "head")
    open_board(watcher, live)
    open_board(mover, live)
    expect(card_in(watcher, live.columns["Masuk"], card)).to_be_visible()

    drag_card(mover, card, live.columns["Dikerjakan"])
    expect(card_in(mover, live.columns["Dikerjakan"], card)).to_be_visible()

    # The other person's page changes by itself, counts included, without a reload.
    expect(card_in(watcher, live.columns["Dikerjakan"], card)).to_be_visible()
    expect(card_in(watcher, live.columns["Masuk"], card)).to_have_count(0)
    expect(watcher.locator(f"#column-{live.columns['Dikerjakan']} .wip")).to_have_text("2/5")


def test_a_card_added_in_one_browser_appears_in_the_other(new_page, login, board):
    live = board("live")
    adder = login(new_page(), "head")
    watcher = login(new_page(), "polyglot")
    open_board(watcher, live)
    open_board(adder, live)
    adder.locator(f"#add-{live.columns['Masuk']}-title").fill("Kartu baru dari rapat pagi")
    adder.locator(f"#add-{live.columns['Masuk']}-title").press("Enter")
    column = watcher.locator(f"#column-{live.columns['Masuk']}")
    expect(column.get_by_text("Kartu baru dari rapat pagi")).to_be_visible()


def test_a_head_plans_and_starts_a_sprint_with_a_goal(new_page, login, board):
    plan = board("pages")
    page = login(new_page(), "head")
    page.goto(f"{plan.url}/sprints")
    start = date.today()
    page.fill("#sprint-name", "Sprint e2e")
    page.fill("#sprint-goal", "Semua permohonan informasi terjawab tepat waktu")
    page.fill("#sprint-start", start.isoformat())
    page.fill("#sprint-end", (start + timedelta(days=13)).isoformat())
    page.locator("#sprint-end").press("Enter")
    expect(page.locator("h1")).to_contain_text("Sprint e2e")
    expect(page.locator(".sprint-goal")).to_contain_text(
        "Semua permohonan informasi terjawab tepat waktu"
    )
    # Commit a card from the backlog, then start.
    pick = page.locator(
        f'input[name="card_ids"][value="{plan.cards["Balas surat permohonan data"]}"]'
    )
    pick.check()
    pick.press("Enter")
    expect(page.locator("#sprint-cards + *")).to_contain_text("Balas surat permohonan data")
    sprint_url = page.url
    page.locator("form[action$='/start'] button").click()
    # Starting leads back to the board, which now shows the sprint goal.
    expect(page.locator("main")).to_contain_text("Semua permohonan informasi terjawab tepat waktu")
    page.goto(sprint_url)
    expect(page.locator(".sprint-state")).to_have_class("sprint-state sprint-state-active")


@pytest.mark.parametrize(
    "path",
    [
        "/plugins/approvals/inbox",
        "/plugins/sla/boards/{board}",
        "/plugins/workload/boards/{board}",
        "/boards/{board}/sprints",
    ],
)
def test_plugin_and_sprint_pages_pass_axe(new_page, login, board, path):
    page = login(new_page(bypass_csp=True), "head")
    answer = page.goto(path.format(board=board("pages").id))
    assert answer.status == 200
    page.wait_for_load_state("networkidle")
    assert run_axe(page) == []


def test_a_letter_reaches_done_only_after_the_paraf(new_page, login, board):
    letters = board("approval")
    card = letters.cards["Surat balasan permohonan informasi"]
    drafter = login(new_page(), "staff")
    drafter.goto(letters.url)
    drag_card(drafter, card, letters.columns["Paraf"])
    expect(card_in(drafter, letters.columns["Paraf"], card)).to_be_visible()
    # Before the paraf the card may not go to Done: the refusal names the step it waits on.
    drag_card(drafter, card, letters.columns["Terkirim"])
    expect(drafter.get_by_role("alert")).to_contain_text("Kasi PIP")
    expect(card_in(drafter, letters.columns["Paraf"], card)).to_be_visible()

    head = login(new_page(), "head")
    head.goto("/plugins/approvals/inbox")
    expect(head.locator("main")).to_contain_text("Surat balasan permohonan informasi")
    head.goto(f"/cards/{card}")
    head.locator('button[name="decision"][value="approve"]').click()
    expect(head.locator("#history")).to_contain_text("Kasi PIP")

    drafter.goto(letters.url)
    drag_card(drafter, card, letters.columns["Terkirim"])
    expect(card_in(drafter, letters.columns["Terkirim"], card)).to_be_visible()
