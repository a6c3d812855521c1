"""Notifications in a real browser (issue 24): the comment box suggests people when typing "@",
a keyboard picks one, and the mentioned person's bell counts the notification live."""

import pytest

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect


def unread(page) -> int:
    return int(page.locator(".notification-bell").get_attribute("data-unread"))


def test_a_mention_picked_from_the_suggestions_rings_the_persons_bell(new_page, login, board):
    pages = board("pages")
    card_id = next(iter(pages.cards.values()))
    mentioned = login(new_page(), "phone")
    with mentioned.expect_response(lambda answer: answer.url.endswith("/notifications/stream")):
        mentioned.goto("/")
    before = unread(mentioned)

    writer = login(new_page(), "head")
    writer.goto(f"/cards/{card_id}")
    box = writer.locator("#comment-body")
    box.click()
    box.press_sequentially("Mohon dicek @Ahm", delay=30)
    option = writer.locator("#comment-body-mentions [role=option]", has_text="Ahmad Fauzi")
    expect(option).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(option).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(box).to_have_value("Mohon dicek @ahmad ")
    expect(writer.locator("#comment-body-mentions")).to_be_hidden()
    box.press_sequentially("ya.")
    writer.locator("#comments form button[type=submit]").click()
    expect(writer.locator(".comment-body .mention", has_text="@Ahmad Fauzi")).to_be_visible()

    # The mentioned person's page counts one more without a reload.
    bell = mentioned.locator(".notification-bell")
    expect(bell).to_have_attribute("data-unread", str(before + 1))
    expect(bell.locator(".badge")).to_have_text(str(before + 1))
    mentioned.goto("/notifications")
    expect(mentioned.locator(".notification.is-unread").first).to_contain_text("menyebut Anda")
