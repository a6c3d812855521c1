"""How a clock reads on a badge, in a notification and in the report."""

from flask_babel import gettext as _
from flask_babel import ngettext

from .clock import Clock

HOUR = 3600


def duration_text(clock: Clock, seconds: int, cal) -> str:
    """Working time in whole working days (of the unit's day length), else hours and minutes."""
    seconds = abs(seconds)
    if clock.policy.unit == "calendar_days":
        days, rest = divmod(seconds, 86400)
        if days:
            return ngettext("%(num)d day", "%(num)d days", days)
        return _hours(rest)
    day_length = _day_length(cal, clock)
    days, rest = divmod(seconds, day_length)
    if days:
        return ngettext("%(num)d working day", "%(num)d working days", int(days))
    return _hours(rest)


def _hours(seconds: int) -> str:
    hours, rest = divmod(int(seconds), HOUR)
    minutes = rest // 60
    if hours:
        return _("%(h)d h %(m)02d min", h=hours, m=minutes)
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


def _day_length(cal, clock: Clock) -> int:
    # A typical (Monday) working day: 3 days with a longer Friday still read "3 days".
    return cal.day_length(0)


def badge_text(clock: Clock, cal) -> tuple[str, str, str]:
    """(text, tone, title) of the card badge."""
    due = clock.due_at.strftime("%d-%m-%Y %H:%M")
    zone = clock.due_at.tzname() or ""
    title = _("SLA %(policy)s, due %(due)s %(zone)s", policy=clock.policy.label, due=due, zone=zone)
    state = clock.state
    if state == "breached":
        return (
            _("Late %(time)s", time=duration_text(clock, clock.remaining_seconds, cal)),
            "danger",
            title,
        )
    if state == "missed":
        return _("SLA missed"), "danger", title
    if state == "met":
        return _("SLA met"), "success", title
    if state == "paused":
        return _("SLA paused"), "info", title
    left = _("%(time)s left", time=duration_text(clock, clock.remaining_seconds, cal))
    return left, ("warning" if state == "at_risk" else "success"), title
