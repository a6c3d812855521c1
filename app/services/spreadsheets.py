"""Cells written to CSV and XLSX files that a spreadsheet program opens (CSV/formula injection).

A spreadsheet runs a cell as a formula when its text starts with `=`, `+`, `-` or `@` (a tab or
carriage return first may hide one). In a CSV file a cell is also whatever lies between two
separators, and the separator is the reader's choice: Excel and LibreOffice with Indonesian
settings split on `;`, so a title `Laporan;=1+2;` read that way holds the cell `=1+2`.

Every exporter writes each cell through here:
- `safe_text` puts an apostrophe before a formula trigger at the start of the text *and* after
  every separator (`;`, `,`, `|`, tab, line break; spaces in between too), so no way of splitting
  the text gives a cell that starts with a trigger;
- `csv_text` quotes every text cell (a separator inside a quoted cell does not split it for a
  reader that uses the same separator) and leaves numbers unquoted, so they stay numbers;
- `xlsx_append` writes text cells as text, never as formulas, with leading triggers neutralised.
"""

import csv
import io
import re
from datetime import date, datetime

TRIGGERS = "=+-@\t\r"
SEPARATORS = ";,|\t\r\n"
# A trigger at the start, or after a separator (spaces between do not help: readers may trim),
# followed by something: a lone trailing "-" (as in "Rp 150.000,-") is no formula.
_LEADING = re.compile(r'\A[ \t\r\n"]*[=+\-@\t\r]')
_AFTER_SEPARATOR = re.compile(r'([;,|\t\r\n][ \t\r\n"]*)(?=[=+\-@].)', re.DOTALL)


def safe_text(value: str, *, separators: bool = True) -> str:
    """`value` with an apostrophe before each formula trigger a spreadsheet could act on."""
    if separators:
        value = _AFTER_SEPARATOR.sub(r"\1'", value)
    if _LEADING.match(value):
        value = "'" + value
    return value


def safe_cell(value, *, separators: bool = True):
    """A cell's value for an export: text neutralised, dates as ISO text, numbers unchanged."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return safe_text(value, separators=separators)
    return value


def csv_text(rows, *, bom: bool = True) -> str:
    """The rows as CSV: every text cell neutralised and quoted, numbers left as numbers. `bom`
    starts the file with a byte-order mark, so spreadsheet programs read it as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC)
    for row in rows:
        writer.writerow(["" if value is None else safe_cell(value) for value in row])
    return ("\ufeff" if bom else "") + out.getvalue()


def xlsx_append(sheet, values) -> None:
    """Append one row to an openpyxl sheet: dates stay dates, numbers stay numbers, text is
    stored as text (openpyxl would store text starting with `=` as a formula)."""
    row = [
        value if isinstance(value, date | datetime) else safe_cell(value, separators=False)
        for value in values
    ]
    sheet.append(row)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


SHEET_NAME_MAX = 31  # Excel's limit
_SHEET_FORBIDDEN = set("[]:*?/\\")


def sheet_name(text: str, used=()) -> str:
    """A valid sheet name for `text` (Excel: at most 31 characters, none of `[]:*?/\\`), made
    unique among `used` with a "-2", "-3"... suffix. Callers keep the text short (a NIP, a
    fixed word) and write anything longer, such as a person's name, into the sheet's rows."""
    title = "".join(ch for ch in text if ch not in _SHEET_FORBIDDEN).strip("' ")
    title = title[:SHEET_NAME_MAX] or "-"
    base, suffix = title, 2
    while title in used:
        tail = f"-{suffix}"
        title = f"{base[: SHEET_NAME_MAX - len(tail)]}{tail}"
        suffix += 1
    return title
