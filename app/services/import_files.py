"""Reading the files of a staff-register import (SIMPEG/SIASN exports, spreadsheets typed by
hand): CSV in UTF-8, with or without a byte-order mark, separated by commas, semicolons (what
Excel writes with Indonesian settings) or tabs; or XLSX (its first sheet). The header row names
the columns, matched case-insensitively against the variants below; docs/import.md lists them.

Nothing in a file is ever run: cells are read as text (an XLSX is opened with `data_only`, so a
formula gives its cached value, never an evaluation), sizes are bounded before parsing.
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _

from app.services.errors import Invalid

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
# An XLSX is a zip: its parts unpacked may not exceed this (a "zip bomb" is refused unread).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_COLUMNS = 100

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The columns of each kind of file: field -> the header spellings accepted (after `header_key`).
PEOPLE_COLUMNS = {
    "nip": ("nip", "nip baru", "no nip", "nomor nip", "nomor induk pegawai"),
    "username": ("username", "nama pengguna", "login"),
    "name": (
        "nama",
        "nama lengkap",
        "nama pegawai",
        "nama dan gelar",
        "nama lengkap dan gelar",
        "name",
    ),
    "position": ("jabatan", "nama jabatan", "jabatan terakhir", "position"),
    "unit": ("kode unit", "kode unit kerja", "unit", "unit kerja", "kode satker", "unit code"),
    "email": ("email", "e mail", "surel", "alamat email", "alamat surel"),
    "phone": (
        "telepon",
        "no hp",
        "nomor hp",
        "hp",
        "no telp",
        "no telepon",
        "nomor telepon",
        "telp",
        "handphone",
        "no handphone",
        "whatsapp",
        "no wa",
        "nomor wa",
        "phone",
    ),
    "role": ("peran", "role", "peran di unit"),
    "admin": ("admin", "administrator"),
}
UNIT_COLUMNS = {
    "code": ("kode", "kode unit", "kode unit kerja", "code"),
    "name": ("nama", "nama unit", "nama unit kerja", "name"),
    "parent": ("induk", "kode induk", "unit induk", "kode unit induk", "parent"),
}
COLUMNS = {"people": PEOPLE_COLUMNS, "units": UNIT_COLUMNS}
# The header each field gets in the example files and the documentation.
HEADINGS = {
    "people": {
        "nip": "NIP",
        "username": "Username",
        "name": "Nama",
        "position": "Jabatan",
        "unit": "Kode Unit",
        "email": "Email",
        "phone": "No HP",
        "role": "Peran",
        "admin": "Admin",
    },
    "units": {"code": "Kode", "name": "Nama", "parent": "Induk"},
}


def column_labels() -> dict[str, str]:
    """How a field is named to people: the column name docs/import.md gives it."""
    return {
        "nip": "NIP",
        "username": _("Username"),
        "name": _("Name"),
        "position": _("Position"),
        "unit": _("Unit code"),
        "email": _("Email"),
        "phone": _("Phone"),
        "role": _("Role"),
        "admin": _("Admin"),
        "code": _("Code"),
        "parent": _("Parent"),
    }


@dataclass
class Table:
    """A file read: its data rows as {field: cell} with their line numbers, the columns that
    matched nothing (ignored) and the fields the header named."""

    kind: str
    rows: list[tuple[int, dict]] = field(default_factory=list)
    fields: tuple[str, ...] = ()
    ignored: list[str] = field(default_factory=list)


def file_error(message: str) -> Invalid:
    """The error for a file that cannot be read at all, on the `file` field."""
    return Invalid("invalid_file", message, fields={"file": message})


def header_key(text) -> str:
    """A header as matched: lowercase, punctuation and underscores as spaces ("No. HP" and
    "no_hp" are "no hp")."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text or "").lower()).split())


def read(data: bytes, kind: str) -> Table:
    """The table in `data` (CSV or XLSX, told apart by their first bytes), or Invalid on the
    `file` field saying why it cannot be read."""
    if kind not in COLUMNS:
        raise ValueError(kind)
    if not data or not data.strip():
        raise file_error(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise file_error(
            _("The file is larger than %(mb)d MB; split it into several files.", mb=MAX_BYTES >> 20)
        )
    if data.startswith(b"PK\x03\x04"):
        raw_rows = _xlsx_rows(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise file_error(
            _("This is an old Excel file (.xls). Save it as .xlsx or as CSV UTF-8 and try again.")
        )
    else:
        raw_rows = _csv_rows(data)
    return _table(raw_rows, kind)


def _csv_rows(data: bytes):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise file_error(
            _(
                "The file is not a CSV in UTF-8 nor an XLSX. In Excel choose Save As, "
                "then “CSV UTF-8 (Comma delimited)” or “Excel Workbook (.xlsx)”."
            )
        ) from None
    if "\x00" in text:
        raise file_error(_("The file is not a CSV nor an XLSX file."))
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    separator = None
    # Excel may start a CSV with "sep=;" naming its separator.
    match = re.fullmatch(r"\s*sep=(.)\s*", first)
    if match:
        separator = match.group(1)
        text = text[text.index(first) + len(first) :].lstrip("\r\n")
    else:
        separator = _separator(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    start = 1 if match is None else 2
    ended = 0
    try:
        for cells in reader:
            yield ended + start, cells
            ended = reader.line_num
    except csv.Error as exc:
        raise file_error(
            _("Line %(line)d of the file cannot be read: %(error)s", line=ended + start, error=exc)
        ) from None


def _separator(line: str) -> str:
    """The separator of a header line: the most frequent of `;`, `,` and tab outside quotes."""
    outside = re.sub(r'"[^"]*"', "", line)
    counts = {sep: outside.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _xlsx_rows(data: bytes):
    from openpyxl import load_workbook

    not_xlsx = _("The file is not a readable XLSX workbook; save it again from Excel or as CSV.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise file_error(not_xlsx) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise file_error(not_xlsx)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of error on a damaged or foreign file
        raise file_error(not_xlsx) from None
    try:
        if not workbook.worksheets:
            raise file_error(not_xlsx)
        sheet = workbook.worksheets[0]
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, list(values[:MAX_COLUMNS])
    except Invalid:
        raise
    except Exception:
        raise file_error(not_xlsx) from None
    finally:
        workbook.close()


def _table(raw_rows, kind: str) -> Table:
    spellings = {
        spelling: name for name, variants in COLUMNS[kind].items() for spelling in variants
    }
    table = Table(kind)
    columns: dict[int, str] = {}
    header_seen = False
    for line, cells in raw_rows:
        if not any(_blank(cell) is False for cell in cells):
            continue
        if not header_seen:
            header_seen = True
            columns = _header(cells, spellings, table)
            continue
        if len(table.rows) >= MAX_ROWS:
            raise file_error(
                _("The file has more than %(n)d rows; split it into several files.", n=MAX_ROWS)
            )
        table.rows.append((line, {name: cells[i] for i, name in columns.items() if i < len(cells)}))
    if not header_seen:
        raise file_error(_("The file is empty."))
    if not table.rows:
        raise file_error(_("The file has a header but no rows below it."))
    return table


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _header(cells, spellings: dict[str, str], table: Table) -> dict[int, str]:
    columns: dict[int, str] = {}
    seen: dict[str, str] = {}
    for index, cell in enumerate(cells[:MAX_COLUMNS]):
        if _blank(cell):
            continue
        written = str(cell).strip()
        name = spellings.get(header_key(written))
        if name is None:
            table.ignored.append(written[:60])
            continue
        if name in seen:
            raise file_error(
                _(
                    "Two columns mean the same thing: “%(first)s” and “%(second)s”. "
                    "Keep one of them.",
                    first=seen[name],
                    second=written[:60],
                )
            )
        seen[name] = written[:60]
        columns[index] = name
    table.fields = tuple(columns.values())
    missing = _missing(table.kind, set(table.fields))
    if missing:
        labels = column_labels()
        names = ", ".join(f"“{labels[name]}”" for name in missing)
        raise file_error(
            _(
                "The first row of the file must name the columns; not found: %(names)s.",
                names=names,
            )
        )
    return columns


def _missing(kind: str, present: set[str]) -> list[str]:
    if kind == "units":
        return [name for name in ("code", "name") if name not in present]
    missing = [name for name in ("name", "unit") if name not in present]
    if "nip" not in present and "username" not in present:
        missing.insert(0, "nip")
    return missing


def cell_text(value, name: str) -> str:
    """A cell as text. Spreadsheets turn long numbers into numbers: a phone number loses its
    leading 0 (restored when it starts with 8, as Indonesian mobile numbers do); an 18-digit NIP
    stored as a number has lost its last digits, which `NUMBER_NIP` marks for refusal."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        if name == "nip":
            return NUMBER_NIP
        value = int(value) if value.is_integer() else value
    if isinstance(value, int):
        text = str(value)
        if name == "phone" and text.startswith("8"):
            text = "0" + text
        return text
    return str(value).strip()


# What `cell_text` gives for a NIP a spreadsheet stored as a (rounded) number.
NUMBER_NIP = "\x00number"
