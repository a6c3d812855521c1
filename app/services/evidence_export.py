"""A person's evidence for a period as XLSX and CSV, laid out for pasting into e-Kinerja: one row
per RHK with its indicators, targets and evidence (card titles with dates, links, documents),
then the work linked to no RHK (issue 27).

The person's name and NIP are written whole in the first rows and in the file name; sheet names
are short fixed words, never cut (Excel allows 31 characters). Every cell goes through
app/services/spreadsheets.py (no cell runs as a formula).
"""

import io
import re
from collections.abc import Callable

from flask_babel import gettext as _

from app.services import spreadsheets
from app.services.evidence import Evidence, EvidenceCard

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# card id -> absolute link; (card id, document id) -> absolute download link
CardLink = Callable[[int], str]
DocumentLink = Callable[[int, int], str]


def rhk_headers() -> list[str]:
    return [
        _("No"),
        _("RHK"),
        _("Indicator"),
        _("Target"),
        _("Realisation / evidence"),
        _("Links"),
        _("Documents"),
    ]


def unlinked_headers() -> list[str]:
    return [_("No"), _("Work"), _("Board"), _("Done"), _("Due date"), _("Link"), _("Documents")]


def heading_rows(evidence: Evidence) -> list[list[str]]:
    person = evidence.person
    return [
        [_("Performance evidence (bukti dukung)")],
        [_("Name"), person.name],
        [_("NIP"), person.nip or person.username or ""],
        [_("Unit"), evidence.unit.name if evidence.unit else ""],
        [
            _("Period"),
            f"{evidence.period.label} ({evidence.period.start.isoformat()} – "
            f"{evidence.period.end.isoformat()})",
        ],
    ]


def card_line(card: EvidenceCard) -> str:
    return _(
        "%(title)s (done %(date)s, %(board)s)",
        title=card.title,
        date=card.done_on.isoformat(),
        board=card.board,
    )


def _links(cards: list[EvidenceCard], link_for: CardLink) -> str:
    return "\n".join(link_for(card.id) for card in cards if card.may_open)


def _documents(cards: list[EvidenceCard], document_for: DocumentLink) -> str:
    lines = []
    for card in cards:
        for document in card.documents:
            if card.may_open:
                lines.append(f"{document.name}: {document_for(card.id, document.id)}")
            else:
                lines.append(document.name)
    return "\n".join(lines)


def rhk_rows(evidence: Evidence, link_for: CardLink, document_for: DocumentLink) -> list[list]:
    rows = []
    for number, group in enumerate(evidence.groups, start=1):
        rhk = group.rhk
        rows.append(
            [
                number,
                rhk.text,
                "\n".join(indicator.text for indicator in rhk.indicators),
                "\n".join(indicator.target for indicator in rhk.indicators if indicator.target),
                "\n".join(card_line(card) for card in group.cards) or _("No work done yet."),
                _links(group.cards, link_for),
                _documents(group.cards, document_for),
            ]
        )
    return rows


def unlinked_rows(evidence: Evidence, link_for: CardLink, document_for: DocumentLink) -> list[list]:
    return [
        [
            number,
            card.title,
            card.board,
            card.done_on,
            card.due_date,
            link_for(card.id) if card.may_open else "",
            _documents([card], document_for),
        ]
        for number, card in enumerate(evidence.unlinked, start=1)
    ]


def file_name(evidence: Evidence, extension: str) -> str:
    """e.g. "Bukti dukung - Agus Pratama, S.Kom. - 199001012015011004 - 2026-Q4.xlsx": the
    name and the NIP whole; only characters no file system accepts are left out."""
    person = evidence.person
    name = re.sub(r'[\x00-\x1f<>:"/\\|?*]', "", person.name).strip()
    parts = [_("Evidence"), name, person.nip or person.username or "", evidence.period.file_part]
    return " - ".join(part for part in parts if part) + f".{extension}"


def as_csv(evidence: Evidence, link_for: CardLink, document_for: DocumentLink) -> str:
    rows = [
        *heading_rows(evidence),
        [],
        rhk_headers(),
        *rhk_rows(evidence, link_for, document_for),
        [],
        [_("Work linked to no RHK")],
        unlinked_headers(),
        *unlinked_rows(evidence, link_for, document_for),
    ]
    return spreadsheets.csv_text(rows)


def as_xlsx(evidence: Evidence, link_for: CardLink, document_for: DocumentLink) -> bytes:
    """Two sheets, "RHK" and "Tanpa RHK" (short names, never cut); each starts with the
    person's name, NIP, unit and the period."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    used: set[str] = set()

    def sheet_for(title: str, sheet=None):
        name = spreadsheets.sheet_name(title, used)
        used.add(name)
        if sheet is None:
            return book.create_sheet(name)
        sheet.title = name
        return sheet

    def fill(sheet, headers, rows, widths):
        for row in heading_rows(evidence):
            spreadsheets.xlsx_append(sheet, row)
        sheet["A1"].font = Font(bold=True, size=13)
        spreadsheets.xlsx_append(sheet, [])
        spreadsheets.xlsx_append(sheet, headers)
        header_row = sheet.max_row
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
        for row in rows:
            spreadsheets.xlsx_append(sheet, row)
            for cell in sheet[sheet.max_row]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                if hasattr(cell.value, "isoformat"):
                    cell.number_format = "yyyy-mm-dd"
        for index, width in enumerate(widths):
            sheet.column_dimensions["ABCDEFG"[index]].width = width
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)

    fill(
        sheet_for(_("RHK"), book.active),
        rhk_headers(),
        rhk_rows(evidence, link_for, document_for),
        (5, 45, 40, 20, 60, 45, 45),
    )
    fill(
        sheet_for(_("Without RHK")),
        unlinked_headers(),
        unlinked_rows(evidence, link_for, document_for),
        (5, 50, 25, 12, 12, 45, 45),
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
