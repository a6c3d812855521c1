"""Template filters and globals shared by the HTML pages: dates, Markdown, the language switch."""

from datetime import UTC, date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import markdown as markdown_lib
import nh3
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from flask import request
from flask_babel import get_locale
from markupsafe import Markup

from app.models import TIMEZONES

LANGUAGES = (("id", "Bahasa Indonesia"), ("en", "English"))
MARKDOWN_EXTENSIONS = ["sane_lists", "fenced_code", "tables"]


def safe_next(value) -> str | None:
    """`value` when it is a path on this site, else None (no open redirects)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ch < " " for ch in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def here() -> str:
    """The current page as a local path with its query, for `next` fields. A page shown in
    answer to a POST cannot be fetched again, so it names the page the form was on instead."""
    if request.method != "GET":
        return local_referrer() or "/"
    path = request.full_path
    return path[:-1] if path.endswith("?") else path


def local_referrer() -> str | None:
    """The path of the referring page when it is on this site."""
    referrer, prefix = request.referrer, request.host_url
    if not referrer or not referrer.startswith(prefix):
        return None
    return safe_next("/" + referrer[len(prefix) :])


def render_markdown(text: str | None) -> Markup:
    """Markdown to HTML, sanitised with nh3 so no script or event handler survives."""
    if not text:
        return Markup("")
    html = markdown_lib.markdown(text, extensions=MARKDOWN_EXTENSIONS, output_format="html")
    return Markup(nh3.clean(html, link_rel="noopener noreferrer nofollow"))


def fmt_date(value: date | str | None, pattern: str = "d MMM yyyy") -> str:
    """A date (or an ISO date string, as stored in audit events) in the reader's language."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return babel_format_date(value, pattern, locale=str(get_locale() or "id"))


def fmt_when(value: datetime | None, timezone: str = "Asia/Jakarta") -> str:
    """A stored (naive UTC) timestamp in the unit's time zone, e.g. "3 Feb 2026 14:05 WITA"."""
    if value is None:
        return ""
    aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
    text = babel_format_datetime(
        aware, "d MMM yyyy HH:mm", tzinfo=ZoneInfo(timezone), locale=str(get_locale() or "id")
    )
    return f"{text} {TIMEZONES.get(timezone, '')}".strip()


def fmt_number(value: float | None) -> str:
    """4.0 -> "4", 2.5 -> "2.5", None -> ""."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def init_blueprint(bp) -> None:
    bp.add_app_template_filter(render_markdown, "markdown")
    bp.add_app_template_filter(fmt_date, "fmt_date")
    bp.add_app_template_filter(fmt_when, "fmt_when")
    bp.add_app_template_filter(fmt_number, "fmt_number")

    @bp.app_context_processor
    def shell_helpers():
        return {"languages": LANGUAGES, "current_locale": str(get_locale() or "id"), "here": here}
