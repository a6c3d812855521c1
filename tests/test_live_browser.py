"""Live updates in real browsers (Chromium through Playwright) on two gunicorn servers sharing
PostgreSQL and Redis: a move made on one server appears on the other page in place, and a column
in which the person is typing waits until they leave the field, keeping what they typed.

Skipped with the reason without PostgreSQL, Redis, Playwright or Chromium.
"""

import pytest

from tests.conftest import PASSWORD
from tests.test_live_cluster import cluster, database_url  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.pg, pytest.mark.slow]


def board_page(browser, server, login, board_id):
    context = browser.new_context(base_url=server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login")
    page.fill('input[name="username"]', login)
    page.fill('input[name="password"]', PASSWORD)
    page.click('button[type="submit"].primary')
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"/boards/{board_id}")
    page.wait_for_selector('#board-live[data-live-state="open"]', state="attached")
    return page


def move_from(page, card_id, column_id):
    """The move a drop sends (app.js), from this page's session."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    answer = page.context.request.post(
        f"/cards/{card_id}/move",
        form={"column_id": str(column_id)},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert answer.status == 200, answer.text()[:300]


def test_a_move_on_one_server_appears_live_on_the_other_and_typing_is_not_disturbed(
    app,
    org,
    cluster,  # noqa: F811  (the fixture imported above)
    browser,
):
    from playwright.sync_api import expect

    (one, two), _browsers, (first, second) = cluster
    staff = board_page(browser, one, org.nips["staff"], org.board_id)
    head = board_page(browser, two, org.nips["kasi"], org.board_id)

    move_from(staff, first, org.doing)
    expect(head.locator(f'#column-{org.doing} [data-card-id="{first}"]')).to_be_visible()
    expect(head.locator(f'#column-{org.backlog} [data-card-id="{first}"]')).to_have_count(0)
    expect(head.locator(f"#column-{org.doing} .wip")).to_have_text("1/3")

    # The head is typing a new card's title in Review when the staff member drops a card there.
    title = head.locator(f"#add-{org.review}-title")
    title.fill("Draf surat edaran")
    move_from(staff, second, org.review)
    expect(staff.locator(f'#column-{org.review} [data-card-id="{second}"]')).to_be_visible()
    head.wait_for_timeout(1500)
    expect(head.locator(f'#column-{org.review} [data-card-id="{second}"]')).to_have_count(0)
    expect(title).to_be_focused()
    # Leaving the field lets the column update, with the typed text kept.
    head.evaluate("document.activeElement.blur()")
    expect(head.locator(f'#column-{org.review} [data-card-id="{second}"]')).to_be_visible()
    expect(head.locator(f"#add-{org.review}-title")).to_have_value("Draf surat edaran")
    # And the staff page saw its own move arrive once, without a reload of the page.
    expect(staff.locator(f'[data-card-id="{second}"]')).to_have_count(1)
