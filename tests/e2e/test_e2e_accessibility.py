"""axe-core on the main pages, keyboard focus that shows, and pages that fit a phone."""

import pytest
from conftest import DESKTOP, PHONE
from helpers import run_axe
from i18n_helpers import t

pytestmark = pytest.mark.slow

expect = pytest.importorskip("playwright.sync_api", reason="needs Python Playwright").expect

# (name, who logs in, path given the seeded board "pages")
PAGES = [
    ("login", None, lambda b: "/login"),
    ("my work", "staff", lambda b: "/"),
    ("board", "staff", lambda b: b.url),
    ("card", "staff", lambda b: f"/cards/{b.cards['Verifikasi dokumen pemohon']}"),
    ("settings", "head", lambda b: f"{b.url}/settings"),
    ("sessions", "staff", lambda b: "/account/sessions"),
]
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}

# Everything wider than the window, except what lives inside the board's sideways-scrolling
# column strip (which scrolls on its own and is allowed to be wider).
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest(".columns, .sr-only, dialog:not([open])")) continue;
    if (el.matches(".skip-link:not(:focus)")) continue;  // parked off-screen until focused
    const box = el.getBoundingClientRect();
    if (box.width && (box.right > width + 1 || box.left < -1)) {
      const classes = typeof el.className === "string" ? el.className.trim() : "";
      wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
                (classes ? "." + classes.split(/ +/).join(".") : "") +
                " " + Math.round(box.left) + ".." + Math.round(box.right));
    }
  }
  return {scroll: document.documentElement.scrollWidth, width, wide: wide.slice(0, 10)};
}"""


def open_page(new_page, login, board, who, path, viewport, **options):
    page = new_page(viewport, **options)
    if who:
        login(page, who)
    page.goto(path(board("pages")))
    page.wait_for_load_state("networkidle")
    return page


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize(("name", "who", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_axe_finds_nothing_serious_or_critical(new_page, login, board, name, who, path, viewport):
    # axe is injected as a script of the test's own: the page's CSP would refuse it.
    page = open_page(new_page, login, board, who, path, VIEWPORTS[viewport], bypass_csp=True)
    assert run_axe(page) == []


@pytest.mark.parametrize(("name", "who", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_only_the_column_strip_is_wider_than_a_phone(new_page, login, board, name, who, path):
    page = open_page(new_page, login, board, who, path, PHONE)
    found = page.evaluate(OVERFLOWING)
    assert found["scroll"] <= found["width"], found
    assert found["wide"] == [], found


def test_the_board_columns_scroll_sideways_on_a_phone(new_page, login, board):
    page = open_page(new_page, login, board, "staff", lambda b: b.url, PHONE)
    strip = page.evaluate(
        "() => { const s = document.querySelector('.columns');"
        " return {scroll: s.scrollWidth, width: s.clientWidth,"
        " overflow: getComputedStyle(s).overflowX}; }"
    )
    assert strip["overflow"] == "auto"
    assert strip["scroll"] > strip["width"]


def test_the_alert_region_is_announced_and_errors_are_alerts(new_page, login, board):
    page = open_page(new_page, login, board, None, lambda b: "/login", DESKTOP)
    expect(page.locator("#alerts")).to_have_attribute("role", "alert")
    page.fill("#login-username", "nobody")
    page.fill("#login-password", "wrong password")
    page.locator("form.stacked-form button[type=submit]").click()
    expect(page.locator("#login-error")).to_have_attribute("role", "alert")
    expect(page.locator("#login-username")).to_have_attribute("aria-describedby", "login-error")


FOCUS_STYLE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {tag: el.tagName, id: el.id, type: el.type, outline: style.outlineStyle,
          width: parseFloat(style.outlineWidth)};
}"""


@pytest.mark.parametrize(("name", "who", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_keyboard_focus_is_visible_on_every_control(new_page, login, board, name, who, path):
    page = open_page(new_page, login, board, who, path, DESKTOP)
    page.locator("body").focus()
    seen = set()
    for _ in range(25):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_STYLE)
        if focus["tag"] == "BODY":
            break
        seen.add(focus["tag"])
        assert focus["outline"] != "none" and focus["width"] >= 2, (name, focus)
    assert {"A", "BUTTON"} & seen or "INPUT" in seen


def test_the_skip_link_appears_on_focus_and_leads_to_the_content(new_page, login, board):
    page = open_page(new_page, login, board, "staff", lambda b: "/", DESKTOP)
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text(t("Skip to content"))
    assert skip.bounding_box()["x"] >= 0
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
