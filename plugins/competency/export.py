"""The unit's competency development plan as CSV and XLSX: the ranked skill gaps with their
recommendation, and each person's JP progress for the year."""

import io

from flask_babel import gettext as _

from cergas.plugin import csv_text, xlsx_append
from plugins.competency import core


def filename(report, extension: str) -> str:
    period = f"{report.start.isoformat()}-{report.end.isoformat()}"
    return f"rencana-pengembangan-kompetensi-{report.unit.code}-{period}.{extension}"


def gap_rows(report) -> list[list]:
    header = [
        _("Rank"),
        _("Skill"),
        _("Cards"),
        _("Estimated hours"),
        _("Average wait (working days)"),
        _("Still waiting"),
        _("Holders"),
        _("Active cards of holders"),
        _("Only one holder"),
        _("People to train"),
        _("Candidates"),
        _("Recommendation"),
    ]
    rows = [header]
    for rank, gap in enumerate(report.gaps, start=1):
        rows.append(
            [
                rank,
                gap.skill.name,
                gap.cards,
                round(gap.hours, 2),
                round(gap.average_wait, 2),
                gap.still_waiting,
                ", ".join(f"{h.user.name} ({h.level or '-'})" for h in gap.holders),
                gap.holder_load,
                _("yes") if gap.bus_factor_one else _("no"),
                gap.train,
                ", ".join(p.name for p in gap.candidates),
                core.recommendation_text(gap) if gap.recommended else "",
            ]
        )
    return rows


def progress_rows(progress) -> list[list]:
    rows = [
        [
            _("Name"),
            _("NIP or username"),
            _("Minutes"),
            _("JP"),
            _("Remaining minutes to %(num)d JP", num=core.jp_target()),
            _("Behind"),
            _("Months left"),
        ]
    ]
    for user, p in progress.rows:
        rows.append(
            [
                user.name,
                user.login,
                p.minutes,
                round(p.jp, 2),
                p.remaining_minutes,
                _("yes") if p.behind else _("no"),
                p.months_left,
            ]
        )
    return rows


def plan_csv(report, progress) -> str:
    """Every cell neutralised and quoted (`csv_text`), without a byte-order mark."""
    rows = [
        [
            _("Competency development plan"),
            report.unit.name,
            f"{report.start.isoformat()} – {report.end.isoformat()}",
        ],
        *gap_rows(report),
        [],
        [_("JP progress %(year)s", year=progress.year)],
        *progress_rows(progress),
    ]
    return csv_text(rows, bom=False)


def plan_xlsx(report, progress) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Plan")[:31]
    xlsx_append(sheet, [_("Competency development plan"), report.unit.name])
    xlsx_append(sheet, [_("Period"), report.start.isoformat(), report.end.isoformat()])
    sheet.append([])
    for index, row in enumerate(gap_rows(report)):
        xlsx_append(sheet, row)
        if index == 0:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    jp = book.create_sheet(_("JP %(year)s", year=progress.year)[:31])
    for index, row in enumerate(progress_rows(progress)):
        xlsx_append(jp, row)
        if index == 0:
            for cell in jp[1]:
                cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
