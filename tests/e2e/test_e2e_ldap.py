"""Signing in with a directory password in Chromium: a `cergas run` server configured for a real
slapd (tests/ldap_server.py) over StartTLS with the test CA; the sessions page then shows the
session; with the directory down, the login page says so and the local administrator still
signs in."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, run, start_server
from tests.i18n_helpers import t
from tests.ldap_server import PEOPLE_ENTRIES, SERVICE_DN, SERVICE_PASSWORD, running_directory

pytestmark = pytest.mark.slow

SITI = PEOPLE_ENTRIES[0]
ADMIN_PASSWORD = "Admin-Lokal-2026"
PHONE_390 = {"width": 390, "height": 844}
UNREACHABLE = (
    "The directory (LDAP) cannot be reached, so your password cannot be checked. Try again in a "
    "few minutes; if it persists, tell the administrator."
)
SEED = f"""
from app import create_app
from app.services import accounts
app = create_app()
with app.app_context():
    accounts.create_unit("BKD", "Badan Kepegawaian Daerah")
    accounts.create_user("Administrator", {ADMIN_PASSWORD!r}, username="admin", admin=True)
    accounts.create_user("Siti Rahma", None, nip={SITI.nip!r}, unit_code="BKD")
"""


@pytest.fixture(scope="module")
def directory():
    yield from running_directory()


@pytest.fixture(scope="module")
def ldap_server(tmp_path_factory, directory):
    workdir = tmp_path_factory.mktemp("e2e-ldap")
    env = {
        "LDAP_URL": directory.url,
        "LDAP_START_TLS": "1",
        "LDAP_CA_FILE": str(directory.ca_file),
        "LDAP_BIND_DN": SERVICE_DN,
        "LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
        "LDAP_BASE_DN": f"ou=people,{SERVICE_DN.split(',', 2)[2]}",
        "LDAP_ATTR_UNIT": "departmentNumber",
        "LDAP_TIMEOUT": "3",
    }
    process, url, _seed = start_server(workdir, env, seeded=False)
    try:
        seed_env = {
            **os.environ,
            **env,
            "DATABASE_URL": f"sqlite:///{workdir / 'e2e.db'}",
            "SECRET_KEY": "e2e-secret",
        }
        seed_env.pop("REDIS_URL", None)
        run([sys.executable, "-c", SEED], seed_env, Path(__file__).resolve().parents[2])
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def sign_in(page, login: str, password: str) -> None:
    page.goto("/login")
    page.fill("#login-username", login)
    page.fill("#login-password", password)
    page.locator("form.stacked-form button[type=submit]").click()


def test_sign_in_through_the_directory_then_directory_down(
    browser, ldap_server, directory, tmp_path
):
    context = browser.new_context(base_url=ldap_server, viewport=DESKTOP, locale="id-ID")
    page = context.new_page()
    sign_in(page, SITI.nip, SITI.password)
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/account/sessions")
    expect(page.locator("a.user-name")).to_contain_text("Siti Rahma")
    context.close()

    directory.stop()
    try:
        for name, viewport in (("desktop", DESKTOP), ("phone", PHONE_390)):
            context = browser.new_context(base_url=ldap_server, viewport=viewport, locale="id-ID")
            page = context.new_page()
            sign_in(page, SITI.nip, SITI.password)
            expect(page.locator("#login-error")).to_have_text(t(UNREACHABLE))
            page.screenshot(path=str(tmp_path / f"ldap-unreachable-{name}.png"), full_page=True)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{name}: the page scrolls sideways ({width} px)"
            context.close()
        context = browser.new_context(base_url=ldap_server, viewport=DESKTOP, locale="id-ID")
        page = context.new_page()
        sign_in(page, "admin", ADMIN_PASSWORD)
        page.wait_for_url(lambda url: "/login" not in url)
        context.close()
    finally:
        directory.start()
