"""The administration hub (`/admin/`): one page that leads admins and heads to the parts of
the office's administration they may use, each with a line saying what it is for."""

from dataclasses import dataclass

from flask import render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from app.admin import bp
from app.services import access, people
from app.services.errors import Forbidden


@dataclass(frozen=True)
class Section:
    endpoint: str
    title: object
    text: object
    # Who sees it: "admin" (administrators) or "head" (administrators and heads, acting
    # heads included).
    audience: str


SECTIONS = (
    Section(
        "people.index",
        _l("People"),
        _l("Find, add and change staff; transfer (mutasi), deactivate, give a sign-in link."),
        "head",
    ),
    Section(
        "admin.import_page",
        _l("Import from the staff register"),
        _l("Bring in people (and, for administrators, units) from a SIMPEG/SIASN export."),
        "head",
    ),
    Section(
        "teams.index",
        _l("Work teams"),
        _l("Tim kerja across units, their leaders (ketua tim), members and boards."),
        "head",
    ),
    Section(
        "teams.acting_index",
        _l("Acting heads (Plt/Plh)"),
        _l("Who holds a head's rights over a unit, from when to when."),
        "head",
    ),
    Section(
        "admin.units",
        _l("Work units"),
        _l("The office's tree of units: create, rename, move, deactivate."),
        "admin",
    ),
    Section(
        "admin.calendars",
        _l("Working calendars"),
        _l("Working hours, local days off and extra working days of each unit."),
        "admin",
    ),
    Section(
        "admin.sign_in",
        _l("Sign-in"),
        _l("Who must use two-factor sign-in (a code from a phone app)."),
        "admin",
    ),
    Section(
        "admin.chat_channels",
        _l("Telegram and WhatsApp"),
        _l("The office's Telegram bot and WhatsApp number for notifications; a test message."),
        "admin",
    ),
    Section(
        "admin.log",
        _l("Administration log"),
        _l("Every change to units, people, roles, teams, imports and passwords: who, when, what."),
        "admin",
    ),
    Section(
        "admin.webhooks_page",
        _l("Webhooks for every board"),
        _l("Other systems told of every board's events: their addresses and what they answered."),
        "admin",
    ),
    Section(
        "admin.deliveries",
        _l("Notification deliveries"),
        _l("Emails and messages that could not be sent: why, and send them again."),
        "admin",
    ),
    Section(
        "admin.plugins",
        _l("Plugins"),
        _l("The installed plugins and their health."),
        "admin",
    ),
)


def sections_for(user) -> list[Section]:
    if user.is_admin:
        return list(SECTIONS)
    if access.managed_unit_ids(user):
        return [section for section in SECTIONS if section.audience == "head"]
    return []


@bp.app_template_global("may_open_admin_hub")
def may_open_hub() -> bool:
    """For the navigation: whether the signed-in person has an administration page to open."""
    return bool(current_user.is_authenticated and people.may_administer(current_user))


@bp.get("/")
@login_required
def index():
    from flask_babel import gettext as _

    sections = sections_for(current_user._get_current_object())
    if not sections:
        raise Forbidden("forbidden", _("Only an administrator or a head may open this page."))
    links = [(section, url_for(section.endpoint)) for section in sections]
    return render_template("admin/index.html", links=links)
