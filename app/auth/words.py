"""Sign-in things in words, for the sessions pages (one's own, an administrator's, the
console): the browser of a session, the method it began with, the outcome of an attempt. The
sign-in log keeps codes (`password`, `wrong_credentials`); people read these."""

from flask_babel import gettext as _

from app.services import signin


def browser_of(user_agent: str) -> str:
    """ "Firefox, Windows" from a User-Agent header: enough to tell one's sessions apart."""
    agent = user_agent or ""
    browsers = (
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    )
    systems = (
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    )
    browser = next((name for mark, name in browsers if mark in agent), None)
    system = next((name for mark, name in systems if mark in agent), None)
    if browser is None and system is None:
        return _("Other browser or program")
    return ", ".join(part for part in (browser, system) if part)


def label_of(method: str | None) -> str:
    """A sign-in method in words, as the sessions pages show it."""
    words = {
        signin.PASSWORD: _("Password"),
        signin.LDAP: _("LDAP / Active Directory"),
        signin.OIDC: _("Single sign-on (SSO)"),
        signin.TOTP: _("Authenticator code"),
        signin.RECOVERY_CODE: _("Recovery code"),
        signin.API_TOKEN: _("API token"),
    }
    if method in words:
        return words[method]
    from app.auth.backends import backends

    found = backends().get(method or "")
    return str(found[1].label) if found else _("Another sign-in method")


def outcome_words(outcome: str) -> str:
    """A sign-in log outcome in words."""
    words = {
        "ok": _("Signed in"),
        "wrong_credentials": _("Wrong login or password"),
        "wrong_code": _("Wrong code"),
        "too_many_attempts": _("Too many attempts"),
        "unknown_person": _("Not a Cergas account"),
        "refused": _("Refused"),
    }
    return words.get(outcome, outcome)
