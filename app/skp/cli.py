"""`cergas rhk import FILE`: the RHK import (app/services/rhk_import.py) on the command line.
Prints each RHK of the file with what happens to it; exit code 1 when any is refused (nothing
is then imported). Whoever runs the command runs the server: it may import for anyone, and each
RHK is written as its owner's own (`--as NIP` acts as that person instead)."""

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from app.services import accounts, rhk_import
from app.services.errors import ServiceError


@click.group("rhk", help="SKP planned work results (RHK).")
def rhk_cli():
    pass


@rhk_cli.command("import")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--as", "as_login", default="", help="Act as this person (NIP or username).")
def import_command(path, dry_run, as_login):
    """Import RHK from a CSV or XLSX file (columns in docs/skp.md)."""
    from app.cli import _require_schema

    _require_schema()
    data = Path(path).read_bytes()[: rhk_import.MAX_BYTES + 1]
    try:
        actor = accounts.find_login(as_login) if as_login else None
        if as_login and actor is None:
            raise click.ClickException(_("No person has this NIP or username."))
        report = rhk_import.plan(actor, data, Path(path).name)
        for item in report.items:
            lines = ", ".join(str(line) for line in item.lines)
            click.echo(f"{lines}\t{item.login}\t{item.year}\t{item.action}\t{item.text}")
            for reason in item.reasons:
                click.echo(f"\t{reason}")
        if report.refused:
            click.echo(_("Some RHK are refused: nothing was imported."))
            raise SystemExit(1)
        if dry_run:
            click.echo(_("Dry run: nothing was changed."))
            return
        report = rhk_import.apply(actor, data, Path(path).name, signature=report.signature)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(
        _(
            "RHK imported: %(create)d added, %(update)d changed, %(unchanged)d unchanged.",
            **report.totals,
        )
    )
