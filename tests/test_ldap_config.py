"""The LDAP settings are checked at start with a clear reason, and the typed login is escaped
in the search filter (the sign-in itself: tests/test_ldap_sign_in.py, against slapd)."""

import re
import shlex
from pathlib import Path

import pytest

from app.config import LDAP_DEFAULT_FILTER, ldap_settings
from app.services.ldap_auth import user_filter

GOOD = {
    "LDAP_URL": "ldaps://dc1.pemda.go.id",
    "LDAP_BIND_DN": "CN=svc-cergas,OU=Service Accounts,DC=pemda,DC=go,DC=id",
    "LDAP_BIND_PASSWORD": "rahasia",
    "LDAP_BASE_DN": "OU=Pegawai,DC=pemda,DC=go,DC=id",
}


def test_ldap_is_off_without_a_url():
    assert ldap_settings({}) == {"LDAP_URL": None}


def test_defaults_with_only_the_required_settings():
    settings = ldap_settings(GOOD)
    assert settings["LDAP_USER_FILTER"] == LDAP_DEFAULT_FILTER
    assert (settings["LDAP_ATTR_NIP"], settings["LDAP_ATTR_NAME"]) == ("employeeNumber", "cn")
    assert (settings["LDAP_ATTR_EMAIL"], settings["LDAP_ATTR_UNIT"]) == ("mail", "")
    assert settings["LDAP_START_TLS"] is False and settings["LDAP_CREATE_USERS"] is False
    assert settings["LDAP_SYNC"] is False and settings["LDAP_TIMEOUT"] == 5


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"LDAP_URL": "http://dc1"}, "LDAP_URL must look like"),
        ({"LDAP_URL": "ldaps://"}, "LDAP_URL must look like"),
        ({"LDAP_URL": "ldaps://dc1:99999"}, "wrong port"),
        ({"LDAP_URL": "ldap://dc1.pemda.go.id:389"}, "unencrypted"),
        ({"LDAP_START_TLS": "1"}, "LDAP_START_TLS=1 is for ldap://"),
        ({"LDAP_START_TLS": "yes"}, "LDAP_START_TLS must be 1 (on) or 0 (off)"),
        ({"LDAP_CA_FILE": "/no/such/ca.pem"}, "LDAP_CA_FILE: cannot read"),
        ({"LDAP_BIND_PASSWORD": ""}, "LDAP_BIND_DN and LDAP_BIND_PASSWORD"),
        ({"LDAP_BASE_DN": "pegawai"}, "LDAP_BASE_DN must be a distinguished name"),
        ({"LDAP_USER_FILTER": "(uid=%s)"}, "must contain {login}"),
        ({"LDAP_USER_FILTER": "(uid={login}"}, "one filter in parentheses"),
        ({"LDAP_USER_FILTER": "uid={login}"}, "one filter in parentheses"),
        ({"LDAP_ATTR_NIP": "employee number"}, "LDAP_ATTR_NIP must be an attribute name"),
        ({"LDAP_CREATE_USERS": "1"}, "LDAP_CREATE_USERS=1 needs LDAP_ATTR_UNIT"),
        ({"LDAP_TIMEOUT": "0"}, "LDAP_TIMEOUT must be a whole number of at least 1"),
        ({"LDAP_TIMEOUT": "600"}, "at most 120"),
    ],
)
def test_a_wrong_setting_stops_the_start_with_its_reason(change, reason):
    with pytest.raises(SystemExit) as stopped:
        ldap_settings({**GOOD, **change})
    assert reason in str(stopped.value)


def test_plain_ldap_is_accepted_with_start_tls_or_on_loopback():
    assert ldap_settings({**GOOD, "LDAP_URL": "ldap://dc1:389", "LDAP_START_TLS": "1"})
    assert ldap_settings({**GOOD, "LDAP_URL": "ldap://127.0.0.1:389"})["LDAP_URL"]


def test_the_typed_login_is_escaped_in_the_filter():
    template = "(|(employeeNumber={login})(sAMAccountName={login}))"
    assert user_filter(template, "siti") == "(|(employeeNumber=siti)(sAMAccountName=siti))"
    assert user_filter("(uid={login})", "*)(uid=*") == "(uid=\\2a\\29\\28uid=\\2a)"
    assert user_filter("(uid={login})", "a\\b\x00") == "(uid=a\\5cb\\00)"


def test_the_examples_in_the_deployment_guide_are_accepted():
    text = (Path(__file__).resolve().parents[1] / "docs" / "deploy.md").read_text()
    section = text.split("### LDAP / Active Directory", 1)[1]
    section = section.split("\n## ", 1)[0].split("\n### ")[0]
    examples = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(examples) == 2
    for example in examples:
        # As sh and systemd read deploy/cergas.env: double quotes around a value are dropped.
        env = dict(shlex.split(line)[0].split("=", 1) for line in example.strip().splitlines())
        env["LDAP_CA_FILE"] = __file__  # any readable file stands for the CA here
        settings = ldap_settings(env)
        assert "{login}" in settings["LDAP_USER_FILTER"]
