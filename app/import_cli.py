"""`cergas users import FILE` and `cergas units import FILE`: the staff-register import on the
command line (app/services/imports.py). The report is printed as a table with the totals; the
exit code is 0 when no row is refused, 1 when some are (with --dry-run: they would be), so a
script notices. Whoever runs the command runs the server: it acts as an administrator."""

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from app.services import import_files, imports
from app.services.errors import ServiceError


def action_names() -> dict[str, str]:
    return {
        "create": _("create"),
        "update": _("update"),
        "unchanged": _("unchanged"),
        "refused": _("refused"),
    }


def _shown(value) -> str:
    if value is None or value == "":
        return "-"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return str(value)


def report_lines(report: imports.Report) -> list[str]:
    """The report as text: one line per row (refused rows first), details indented, totals."""
    labels = import_files.column_labels()
    names = action_names()
    lines = []
    order = {"refused": 0, "create": 1, "update": 2, "unchanged": 3}
    for row in sorted(report.rows, key=lambda row: (order[row.action], row.line)):
        lines.append(
            f"{_('line')} {row.line:>5}  {names[row.action]:<12} {row.key[:20]:<20} {row.name[:50]}"
        )
        for reason in row.reasons:
            lines.append(f"{'':>12}- {reason}")
        if row.action == "update":
            for name, (old, new) in row.changes.items():
                label = labels.get(name, name)
                lines.append(f"{'':>12}{label}: {_shown(old)} → {_shown(new)}")
    if report.ignored_columns:
        lines.append(_("Columns not read: %(names)s", names=", ".join(report.ignored_columns)))
    totals = report.totals
    lines.append(
        _(
            "%(rows)d rows: %(create)d to create, %(update)d to update, %(unchanged)d "
            "unchanged, %(refused)d refused.",
            **totals,
        )
        if not report.applied
        else _(
            "%(rows)d rows: %(create)d created, %(update)d updated, %(unchanged)d "
            "unchanged, %(refused)d refused (skipped).",
            **totals,
        )
    )
    return lines


def run_import(kind: str, path: str, dry_run: bool, all_or_nothing: bool) -> None:
    from app.cli import _require_schema

    _require_schema()
    data = Path(path).read_bytes()[: import_files.MAX_BYTES + 1]
    try:
        table = import_files.read(data, kind)
        plan, apply = {
            "people": (imports.plan_people, imports.apply_people),
            "units": (imports.plan_units, imports.apply_units),
        }[kind]
        name = Path(path).name
        if dry_run:
            report = plan(None, table, name)
        else:
            report = apply(None, table, name, all_or_nothing=all_or_nothing)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    for line in report_lines(report):
        click.echo(line)
    if dry_run:
        click.echo(_("Dry run: nothing was changed."))
    if report.totals["refused"]:
        raise SystemExit(1)


def _command(kind: str, help_text: str):
    @click.command("import", help=help_text)
    @with_appcontext
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
    @click.option(
        "--all-or-nothing",
        is_flag=True,
        help="Apply nothing when any row is refused (default: skip the refused rows).",
    )
    def command(path, dry_run, all_or_nothing):
        run_import(kind, path, dry_run, all_or_nothing)

    return command


import_people = _command(
    "people",
    "Import people from a CSV or XLSX file of the staff register (docs/import.md). "
    "Exit code 1 when rows are refused.",
)
import_units = _command(
    "units",
    "Import units (kode, nama, induk) from a CSV or XLSX file (docs/import.md). "
    "Exit code 1 when rows are refused.",
)
