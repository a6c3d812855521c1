"""`cergas sla due`: when is this due if I accept it now? A front-desk tool."""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from flask.cli import with_appcontext

from cergas.plugin import DURATION_UNITS, default_calendar, find_unit, work_calendar


@click.group("sla")
def sla():
    """Service-time (SLA) tools."""


@sla.command("due")
@with_appcontext
@click.option(
    "--from",
    "start_text",
    required=True,
    metavar="ISO-DATETIME",
    help="When the clock starts, e.g. 2026-12-23T10:00 (without an offset: the calendar's zone).",
)
@click.option("--duration", required=True, type=float, help="How many units, e.g. 3.")
@click.option("--unit", "unit", required=True, type=click.Choice(DURATION_UNITS))
@click.option("--org-unit", "org_unit", metavar="CODE", help="Use this unit's calendar.")
@click.option("--tz", "zone", metavar="ZONE", help="Time zone, e.g. Asia/Makassar (WITA).")
def due(start_text, duration, unit, org_unit, zone):
    """Print the due moment of an SLA; the last line is ISO-8601 with its offset."""
    if zone:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise click.BadParameter(f"unknown time zone {zone!r}", param_hint="--tz") from None
    if org_unit:
        found = find_unit(org_unit)
        if found is None:
            raise click.BadParameter(f"no unit with code {org_unit!r}", param_hint="--org-unit")
        cal = work_calendar(found)
    else:
        cal = default_calendar(zone or "Asia/Jakarta")
    shown_in = ZoneInfo(zone) if zone else cal.tz
    try:
        start = datetime.fromisoformat(start_text)
    except ValueError:
        raise click.BadParameter(
            f"not an ISO-8601 date and time: {start_text!r}", param_hint="--from"
        ) from None
    if start.tzinfo is None:
        start = start.replace(tzinfo=shown_in)
    if duration < 0 or duration != duration or duration > 100_000:
        raise click.BadParameter("must be a number from 0 to 100000", param_hint="--duration")
    if unit in ("working_days", "calendar_days") and duration.is_integer():
        duration = int(duration)
    moment = cal.due(start, duration, unit).astimezone(shown_in)
    where = f"unit {org_unit}" if org_unit else "national calendar"
    click.echo(f"Calendar: {where}, {cal.timezone}")
    click.echo(f"Start: {start.astimezone(shown_in).isoformat()}")
    click.echo(f"Duration: {duration:g} {unit}")
    click.echo(moment.isoformat())


@sla.command("fix-clocks")
@with_appcontext
@click.option(
    "--board", "board_ids", type=int, multiple=True, metavar="ID", help="Only this board (repeat)."
)
def fix_clocks(board_ids):
    """Store the clock of every card whose clock started before clocks were stored (run once
    after upgrading; `cergas tick` does it for open cards by itself)."""
    from .fixed import fix_started_clocks

    stored = fix_started_clocks(list(board_ids) or None)
    click.echo(f"Clocks fixed: {stored}")
