"""`cergas cards archive-due` and the archive step of `cergas tick` (issue 25): done cards leave
their boards after the board's `archive_after_days` (app/services/archive.py)."""

import logging

import click
from flask.cli import AppGroup, with_appcontext
from flask_babel import ngettext

from app.extensions import db

cards_cli = AppGroup("cards", help="Cards across boards (the archive).")


def _naive_utc(now):
    from datetime import UTC

    return now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo is not None else now


def archive_in_tick(now) -> int:
    """The tick's archive run: the number archived; a failure is logged and never stops the
    rest of the tick."""
    from app.services import archive

    try:
        return archive.archive_due(_naive_utc(now))
    except Exception:  # noqa: BLE001 - the archive never stops the rest of the tick
        logging.getLogger("cergas.tick").exception("archiving done cards failed")
        db.session.rollback()
        return 0


def say_archived(archived: int) -> None:
    if archived:
        click.echo(
            ngettext("Archived %(num)d done card.", "Archived %(num)d done cards.", archived)
        )


@cards_cli.command("archive-due")
@with_appcontext
@click.option(
    "--now", "now_text", metavar="ISO-8601", help="Pretend it is this time (default: now)."
)
@click.option(
    "--batch",
    default=500,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Cards archived per transaction (a board's lock is held for one batch).",
)
def archive_due_command(now_text, batch):
    """Archive the cards that have been in a done column longer than their board's archive
    delay (`cergas tick` does it too)."""
    from app.cli import _parse_now, _require_schema
    from app.services import archive

    now = _parse_now(now_text)
    _require_schema()
    archived = archive.archive_due(_naive_utc(now), batch=batch)
    click.echo(ngettext("Archived %(num)d done card.", "Archived %(num)d done cards.", archived))
