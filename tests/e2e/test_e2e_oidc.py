"""Single sign-on in the browser: the SSO button on the login page, the provider's sign-in
page (tests/oidc/provider.js, a real OpenID Provider), back on the home page signed in, then
signing out of Cergas and of the provider. Also the page a person nobody knows gets, on a
phone. Needs node and the provider's packages (`npm ci --prefix tests/oidc`)."""

import os
import re
import subprocess

import pytest
from playwright.sync_api import expect

from tests import oidc_provider
from tests.e2e.conftest import DESKTOP, start_server

pytestmark = pytest.mark.slow

PHONE_390 = {"width": 390, "height": 844}
# The provider's development pages load a web font from the internet: nothing leaves loopback.
OUTSIDE = re.compile(r"^(?!http://127\.0\.0\.1[:/])")


@pytest.fixture(scope="module")
def sso_server(tmp_path_factory):
    reason = oidc_provider.skip_reason()
    if reason:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason)
        pytest.skip(reason)
    workdir = tmp_path_factory.mktemp("e2e-sso")
    provider_port = oidc_provider.free_port()
    issuer = f"http://127.0.0.1:{provider_port}"
    process, url, seed = start_server(
        workdir,
        {
            "OIDC_ISSUER": issuer,
            "OIDC_CLIENT_ID": oidc_provider.CLIENT_ID,
            "OIDC_CLIENT_SECRET": oidc_provider.CLIENT_SECRET,
        },
    )
    provider = None
    try:
        provider = oidc_provider.Provider(provider_port, url, workdir / "provider.log")
        yield url, seed
    finally:
        if provider is not None:
            provider.stop()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def open_page(browser, url, viewport):
    context = browser.new_context(
        base_url=url, viewport=viewport, locale="id-ID", timezone_id="Asia/Jakarta"
    )
    context.set_default_timeout(10_000)
    context.route(OUTSIDE, lambda route: route.abort())
    return context, context.new_page()


def sign_in_at_provider(page, login):
    page.goto("/login")
    button = page.locator("a.login-option[data-method=oidc]")
    expect(button).to_have_text("Masuk dengan SSO")
    button.click()
    page.wait_for_url(re.compile(r"/interaction/"))
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "sandi-apa-saja")
    page.click("button.login-submit")


def test_sign_in_and_out_through_the_provider(browser, sso_server):
    url, _seed = sso_server
    context, page = open_page(browser, url, DESKTOP)
    try:
        sign_in_at_provider(page, "dimas")
        page.wait_for_url(f"{url}/", wait_until="domcontentloaded")
        expect(page.locator("body")).to_contain_text("Dimas Aditya Nugroho")
        # Signing out of Cergas leads to the provider's sign-out, then back to the login page.
        page.locator("form[action='/logout'] button").click()
        page.wait_for_url(re.compile(r"/session/end"), wait_until="domcontentloaded")
        page.click("button[name=logout][value=yes]")
        page.wait_for_url(
            re.compile(rf"^{re.escape(url)}/login(\?|$)"), wait_until="domcontentloaded"
        )
        expect(page.locator("#login-username")).to_be_visible()
        page.goto("/")
        page.wait_for_url(re.compile(r"/login"))
    finally:
        context.close()


def test_a_person_nobody_knows_sees_whom_to_ask_on_a_phone(browser, sso_server):
    url, _seed = sso_server
    context, page = open_page(browser, url, PHONE_390)
    try:
        sign_in_at_provider(page, "stranger")
        page.wait_for_url(re.compile(r"/login/sso/callback"))
        expect(page.locator("h1")).to_have_text("Akun SSO Anda tidak dikenal oleh Cergas")
        expect(page.locator(".sso-claim")).to_have_text("199505052020121007")
        # Nothing wider than the phone.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_390["width"]
        page.click("text=Kembali ke halaman masuk")
        page.wait_for_url(f"{url}/login", wait_until="domcontentloaded")
    finally:
        context.close()
