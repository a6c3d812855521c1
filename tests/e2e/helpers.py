"""What the browser tests do again and again: drag a card, find a card, run axe."""

from pathlib import Path

try:
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # no Playwright: conftest skips every browser test
    PlaywrightError = Exception

AXE = next((Path(__file__).resolve().parent / "vendor").glob("axe-core-*.min.js"))


# Whether the dragged card's placeholder (SortableJS's ghost class) is in the column's list.
PLACEHOLDER_IN = """(columnId) => {
  const ghost = document.querySelector(".card-ghost");
  return !!ghost && ghost.parentElement.dataset.columnId === String(columnId);
}"""


def card_in(page, column_id: int, card_id: int):
    return page.locator(f'#column-{column_id} .card[data-card-id="{card_id}"]')


def drag_card(page, card_id: int, column_id: int) -> None:
    """Drag a card with the mouse onto the bottom of a column, in small steps as a hand would:
    SortableJS reacts to the moves, not to a single jump (page.drag_and_drop does not work).
    A drag that never reaches the column (on a loaded machine the page may still be settling
    when the hand starts) is taken back to where it began and tried again, as a person would."""
    for _try in range(3):
        if _drag_once(page, card_id, column_id):
            return
    raise AssertionError(f"the dragged card {card_id} never got over column {column_id}")


def _drag_once(page, card_id: int, column_id: int) -> bool:
    card = page.locator(f'.card[data-card-id="{card_id}"] .card-meta')
    target = page.locator(f'.card-list[data-column-id="{column_id}"]')
    # A column may be swapped in under us (the answer to an earlier move, then the same change
    # arriving again over the live stream): measure again until both boxes come from the page.
    for _attempt in range(10):
        wait_until_saved(page)
        try:
            card.scroll_into_view_if_needed(timeout=2000)
            start, end = card.bounding_box(timeout=2000), target.bounding_box(timeout=2000)
        except PlaywrightError:
            start = end = None
        if start and end:
            break
        page.wait_for_timeout(200)
    else:
        raise AssertionError(f"card {card_id} or column {column_id} never settled on the page")
    x0, y0 = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x0 + 10, y0 + 10, steps=5)
    x, y = end["x"] + end["width"] / 2, end["y"] + end["height"] - 8
    page.mouse.move(x, y, steps=20)
    # While SortableJS animates the card into a column it passes over, it ignores the pointer:
    # on a long drag the placeholder can still sit in a column on the way. Keep the hand moving
    # a little over the target until the placeholder is there, as a person would.
    for nudge in range(40):
        try:
            page.wait_for_function(PLACEHOLDER_IN, arg=column_id, timeout=250)
            break
        except PlaywrightError:
            page.mouse.move(x + (2 if nudge % 2 else -2), y - 2, steps=2)
    else:
        # Back to where the card was, so that letting go moves nothing, then settle.
        page.mouse.move(x0, y0, steps=20)
        page.wait_for_timeout(300)
        page.mouse.up()
        wait_until_saved(page)
        page.wait_for_timeout(500)
        return False
    page.mouse.up()
    return True


def wait_until_saved(page) -> None:
    """Wait until the server has answered the last drag: the answer redraws the columns, which
    takes away the dragged card's `is-saving` mark. (A dragged card shows in its new column at
    once, before the move is saved: a reload right after it may still see the old board.)"""
    page.wait_for_function("() => !document.querySelector('.is-saving')")


def run_axe(page) -> list[dict]:
    """The serious and critical axe-core violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
