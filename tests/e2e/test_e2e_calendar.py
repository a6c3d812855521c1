"""The deadline calendar in a real browser (issue 25): the month view shows a card on its due date
and the national holidays, and its navigation moves between months."""

import re

import pytest
from i18n_helpers import t

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect


def test_the_month_view_shows_a_cards_deadline_and_a_holiday(page, login, board):
    calendar = board("calendar")
    card = calendar.cards["Balas surat permohonan data"]
    login(page, "staff")
    page.goto(calendar.url)
    page.locator(".views-bar").get_by_role("link", name=t("Calendar")).click()
    expect(page).to_have_url(re.compile(rf"/boards/{calendar.id}/calendar$"))
    # The card's due date: read from its card page, then found in its month.
    page.goto(f"/cards/{card}")
    due = page.locator(".card-facts time.due").get_attribute("datetime")
    page.goto(f"/boards/{calendar.id}/calendar?view=month&date={due}")
    day = page.locator(f'.cal-day[data-date="{due}"]')
    expect(day.get_by_role("link", name="Balas surat permohonan data")).to_be_visible()
    # Independence Day (17 August) of that year is a national holiday, shaded and named.
    year = due[:4]
    page.goto(f"/boards/{calendar.id}/calendar?view=month&date={year}-08-01")
    holiday = page.locator(f'.cal-day[data-date="{year}-08-17"]')
    expect(holiday).to_have_class(re.compile(r"\bis-off\b"))
    expect(holiday.locator(".cal-note")).to_contain_text("Kemerdekaan")
    # Next month from August is September.
    page.get_by_role("link", name=re.compile(t("Next month"))).click()
    expect(page.locator(f'.cal-day[data-date="{year}-09-01"]')).to_be_visible()
    expect(page.locator(f'.cal-day[data-date="{year}-08-17"]')).to_have_count(0)
