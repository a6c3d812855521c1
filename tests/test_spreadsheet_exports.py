"""Issue 19, finding 13: no cell of a CSV or XLSX export runs as a formula, however the
spreadsheet splits the file (Excel with Indonesian settings splits CSV on `;`), and numbers stay
numbers."""

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from app.services.spreadsheets import csv_text, safe_text, xlsx_append
from tests.conftest import PASSWORD
from tests.sla_fixtures import desk  # noqa: F401 - a fixture
from tests.test_sprints_web import make_cards, page

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
DANGEROUS = [
    "Laporan;=1+2;",
    "Laporan,=1+2,",
    'Laporan;"=1+2";',
    "Rekap| @SUM(1)",
    "Baris satu\n=1+2",
    "Kolom\t-1+1",
    '=HYPERLINK("http://contoh.test","klik")',
    "+1",
    "-1+1",
    "@SUM(1)",
    "\t=1",
    " =1",
    "\r=1",
]
HARMLESS = ["Laporan bulanan", "Rp 150.000,-", "2026-12-01", "Rapat; notulen"]


def cells(text: str, delimiter: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def runs_as_formula(cell: str) -> bool:
    """True when a spreadsheet could take the cell for a formula: a trigger first, once the
    spaces and quotes a reader may trim are gone (a plain number such as -2.5 is a number)."""
    return cell.lstrip(' "')[:1] in TRIGGERS and not is_number(cell)


def assert_no_formula_cell(text: str) -> None:
    for delimiter in (",", ";", "|", "\t"):
        found = [cell for cell in cells(text, delimiter) if runs_as_formula(cell)]
        assert not found, (delimiter, found)
    # A line break inside a quoted cell may start a row for a careless reader.
    for line in text.splitlines():
        assert not runs_as_formula(line), line


@pytest.mark.parametrize("title", DANGEROUS)
def test_csv_cells_never_start_a_formula_whatever_the_separator(title):
    text = csv_text([["Judul", "Estimasi"], [title, 3], [title, -2.5]])
    assert_no_formula_cell(text)
    # Read back with the separator it was written with, the text is all there.
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][0].replace("'", "") == title.replace("'", "")
    # Numbers are written unquoted: the spreadsheet reads them as numbers.
    assert text.splitlines()[-1].endswith(",-2.5")


@pytest.mark.parametrize("title", HARMLESS)
def test_harmless_text_is_written_as_it_is(title):
    rows = list(csv.reader(io.StringIO(csv_text([[title]], bom=False))))
    assert rows == [[title]]
    assert safe_text(title) == title


@pytest.mark.parametrize("title", DANGEROUS)
def test_xlsx_cells_are_text_never_formulas(title):
    book = Workbook()
    xlsx_append(book.active, [title, 3, 1.5])
    out = io.BytesIO()
    book.save(out)
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    first, estimate, hours = next(sheet.iter_rows())
    assert first.data_type == "s" and not runs_as_formula(first.value)
    # (XML files keep line breaks as \n)
    assert first.value in (title.replace("\r", "\n"), "'" + title.replace("\r", "\n"))
    assert (estimate.value, estimate.data_type) == (3, "n")
    assert (hours.value, hours.data_type) == (1.5, "n")


def test_done_export_neutralises_every_title(app, client, auth, org):
    make_cards(app, org, *DANGEROUS, column=org.done, assignee=org.nips["staff"])
    auth.login(org.nips["staff"])
    base = f"/boards/{org.board_id}/reports"
    text = page(client.get(f"{base}/done.csv"))
    assert_no_formula_cell(text.lstrip("\ufeff"))
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 1 + len(DANGEROUS)
    assert "Laporan;'=1+2;" in [row[2] for row in rows]
    book = load_workbook(io.BytesIO(client.get(f"{base}/done.xlsx").data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value
                if isinstance(cell.value, str):
                    assert not runs_as_formula(cell.value), cell.value


def test_sla_report_csv_neutralises_titles(desk):  # noqa: F811 - the imported fixture
    from tests.sla_fixtures import NIPS, at

    app, s = desk.app, desk.s
    for title in DANGEROUS:
        desk.create("2026-12-01T09:00", title)
    client = app.test_client()
    client.post("/login", data={"username": NIPS["kadis"], "password": PASSWORD})
    with at("2026-12-22T10:00"):
        response = client.get(f"/plugins/sla/boards/{s.board_id}/report.csv")
    assert response.status_code == 200
    text = page(response).lstrip("\ufeff")
    assert_no_formula_cell(text)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(DANGEROUS)
    assert all(row["card_id"].isascii() and row["card_id"].isdigit() for row in rows)
    assert "Laporan;'=1+2;" in {row["title"] for row in rows}
