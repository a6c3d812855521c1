"""Swimlanes in a real browser (issue 25): dragging a card into another person's lane assigns it
to them, and the board keeps it there after a reload."""

import pytest
from helpers import wait_until_saved
from i18n_helpers import t

pytestmark = pytest.mark.slow

sync_api = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright")
expect = sync_api.expect

# Whether the dragged card's placeholder is in the given lane's cell of the given column.
PLACEHOLDER_IN = """([lane, columnId]) => {
  const ghost = document.querySelector(".card-ghost");
  const list = ghost && ghost.parentElement;
  return !!list && list.dataset.lane === lane && list.dataset.columnId === String(columnId);
}"""


def lane_row(page, name: str):
    return page.locator("tr.lane").filter(has=page.locator(".lane-title", has_text=name))


def drag_into_lane(page, card_id: int, lane: str, column_id: int) -> None:
    """Drag with the mouse in small steps (SortableJS follows moves, not jumps) until the
    placeholder sits in the target cell, then let go."""
    card = page.locator(f'.card[data-card-id="{card_id}"] .card-meta')
    target = page.locator(f'.lane-list[data-lane="{lane}"][data-column-id="{column_id}"]')
    # Both ends must be on the screen when the mouse goes down: centre the card (the target
    # lane is next to it) rather than merely scrolling the target into view.
    card.evaluate("element => element.scrollIntoView({block: 'center', inline: 'center'})")
    target.scroll_into_view_if_needed()
    start, end = card.bounding_box(), target.bounding_box()
    x0, y0 = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 10, y0 + 10, steps=5)
    x, y = end["x"] + end["width"] / 2, end["y"] + end["height"] / 2
    page.mouse.move(x, y, steps=20)
    for nudge in range(40):
        try:
            page.wait_for_function(PLACEHOLDER_IN, arg=[lane, column_id], timeout=250)
            break
        except sync_api.Error:
            page.mouse.move(x + (2 if nudge % 2 else -2), y - 2, steps=2)
    page.mouse.up()
    wait_until_saved(page)


def test_dragging_a_card_to_another_persons_lane_assigns_it(page, login, board):
    lanes = board("lanes")
    card = lanes.cards["Balas surat permohonan data"]
    login(page, "head")
    page.goto(f"{lanes.url}?lanes=assignee")
    dimas = lane_row(page, "Dimas Aditya Nugroho")
    ahmad = lane_row(page, "Ahmad Fauzi")
    expect(dimas.locator(f'.card[data-card-id="{card}"]')).to_be_visible()
    ahmad_key = ahmad.get_attribute("data-lane")

    drag_into_lane(page, card, ahmad_key, lanes.columns["Masuk"])

    expect(page.locator("#alerts")).to_contain_text(
        t("“%(title)s” saved.", title="Balas surat permohonan data")
    )
    expect(lane_row(page, "Ahmad Fauzi").locator(f'.card[data-card-id="{card}"]')).to_be_visible()
    page.reload()
    expect(lane_row(page, "Ahmad Fauzi").locator(f'.card[data-card-id="{card}"]')).to_be_visible()
    expect(
        lane_row(page, "Dimas Aditya Nugroho").locator(f'.card[data-card-id="{card}"]')
    ).to_have_count(0)
    # The card page names the new assignee.
    page.goto(f"/cards/{card}")
    expect(page.locator(".card-facts")).to_contain_text("Ahmad Fauzi")
