"""Two-factor sign-in in a real browser (issue 22): a person sets it up on their own page with
the key shown there, signs out, and signs in with the password and a code from the
authenticator (computed here with pyotp); another signs in with a recovery code; the office's
rule walks someone through enrolment at sign-in. A server of its own, so that no other browser
test meets a person who suddenly needs a code.

With CERGAS_E2E_SCREENSHOTS=<folder> the pages are also saved as PNGs, at desktop and phone
width, for a person to look at."""

import os
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, start_server

pytestmark = pytest.mark.slow

PHONE_390 = {"width": 390, "height": 844}
SHOTS = os.environ.get("CERGAS_E2E_SCREENSHOTS")


@pytest.fixture(scope="module")
def tf_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("e2e-two-factor")
    process, url, seed = start_server(workdir)
    yield SimpleNamespace(url=url, seed=seed)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def open_page(browser, tf_server):
    contexts = []

    def make(viewport=DESKTOP):
        context = browser.new_context(
            base_url=tf_server.url, viewport=viewport, locale="id-ID", timezone_id="Asia/Jakarta"
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"]
        page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)


def password_step(page, tf_server, who: str) -> None:
    page.goto("/login")
    page.fill("#login-username", tf_server.seed["logins"][who])
    page.fill("#login-password", tf_server.seed["password"])
    page.locator("form.stacked-form button[type=submit]").click()


def next_code(secret: str) -> str:
    """A code the server has not accepted yet: the next time step's (inside the window)."""
    return pyotp.TOTP(secret).at(time.time() + 30)


def enrol_on_own_page(page) -> tuple[str, list[str]]:
    """Set up two-factor sign-in on the person's page; returns (secret, recovery codes)."""
    page.goto("/account/two-factor")
    page.locator("#two-factor-start").click()
    page.locator(".two-factor-key summary").click()
    secret = page.locator("#manual-key").inner_text().replace(" ", "")
    expect(page.locator(".qr-box svg")).to_be_visible()
    shot(page, "two-factor-enrol")
    page.fill("#enrol-code", pyotp.TOTP(secret).now())
    page.locator(".two-factor-enrol button[type=submit]").click()
    expect(page.locator("#recovery-code-list li")).to_have_count(10)
    shot(page, "two-factor-recovery-codes")
    codes = page.locator("#recovery-code-list code").all_inner_texts()
    page.locator("#codes-stored").click()
    expect(page.locator("#two-factor-status")).to_have_class("badge badge-success")
    return secret, codes


def open_header_menu(page) -> None:
    toggle = page.locator(".menu-toggle")
    if toggle.is_visible():  # a phone: the account links are in the header's menu
        toggle.click()


def expect_signed_in(page) -> None:
    open_header_menu(page)
    expect(page.locator(".user-name")).to_be_visible()


def log_out(page) -> None:
    open_header_menu(page)
    page.locator(".header-tools form[action$='/logout'] button").click()
    page.wait_for_url("**/login")


def test_enrol_then_sign_in_with_password_and_code(open_page, tf_server):
    page = open_page()
    password_step(page, tf_server, "staff")
    page.wait_for_url(lambda url: not url.rstrip("/").endswith("/login"))
    secret, _codes = enrol_on_own_page(page)
    log_out(page)
    password_step(page, tf_server, "staff")
    page.wait_for_url("**/login/code")
    code_input = page.locator("#second-factor-code")
    assert code_input.get_attribute("autocomplete") == "one-time-code"
    assert code_input.get_attribute("inputmode") == "numeric"
    shot(page, "two-factor-second-step")
    code_input.fill("000000" if next_code(secret) != "000000" else "111111")
    page.locator("form.stacked-form button[type=submit]").click()
    expect(page.locator("#code-error")).to_be_visible()
    code_input = page.locator("#second-factor-code")
    code_input.fill(next_code(secret))
    page.locator("form.stacked-form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)
    expect_signed_in(page)


def test_sign_in_with_a_recovery_code(open_page, tf_server):
    page = open_page(PHONE_390)
    password_step(page, tf_server, "polyglot")
    page.wait_for_url(lambda url: not url.rstrip("/").endswith("/login"))
    _secret, codes = enrol_on_own_page(page)
    log_out(page)
    password_step(page, tf_server, "polyglot")
    page.wait_for_url("**/login/code")
    shot(page, "two-factor-second-step")
    page.locator(".second-factor-switch a").click()
    page.wait_for_url("**use=recovery")
    page.fill("#second-factor-code", codes[3].upper())
    page.locator("form.stacked-form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)
    expect_signed_in(page)


def test_the_office_rule_walks_a_head_through_enrolment_at_sign_in(open_page, tf_server):
    admin = open_page()
    password_step(admin, tf_server, "admin")
    admin.wait_for_url(lambda url: not url.rstrip("/").endswith("/login"))
    admin.goto("/admin/")
    admin.locator("a[href$='/admin/sign-in']").click()
    admin.locator("input[name=two_factor_required][value=admins_heads]").check()
    shot(admin, "two-factor-admin-rule")
    admin.locator("form.stacked-form button[type=submit]").click()
    expect(admin.locator("input[value=admins_heads]")).to_be_checked()
    phone_admin = open_page(PHONE_390)
    phone_admin.context.add_cookies(admin.context.cookies())
    phone_admin.goto("/admin/sign-in")
    shot(phone_admin, "two-factor-admin-rule")

    for viewport in (PHONE_390, DESKTOP):
        page = open_page(viewport)
        password_step(page, tf_server, "head")
        page.wait_for_url("**/login/code")
        expect(page.locator(".qr-box svg")).to_be_visible()
        shot(page, "two-factor-enrol-at-sign-in")
        if viewport is PHONE_390:
            continue  # looked at only; each sign-in gets a fresh key
        page.locator(".two-factor-key summary").click()
        secret = page.locator("#manual-key").inner_text().replace(" ", "")
        page.fill("#enrol-code", pyotp.TOTP(secret).now())
        page.locator(".two-factor-enrol button[type=submit]").click()
        expect(page.locator("#recovery-code-list li")).to_have_count(10)
        page.locator("#codes-stored").click()
        page.wait_for_url(lambda url: "/login" not in url)
        expect_signed_in(page)
