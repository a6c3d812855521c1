"""Done cards per person per period, as CSV and XLSX: evidence (*bukti dukung*) for the SKP
performance appraisal under PermenPANRB 6/2022."""

import io
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased

from app import clock
from app.extensions import db
from app.models import Board, BoardColumn, Card, Sprint, User
from app.services import spreadsheets
from app.services import validation as v
from app.services.access import visible_board
from app.services.metrics import clean_range, utc_bounds

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class DoneRow:
    person: str
    nip: str
    title: str
    type: str
    board: str
    started: date | None
    done: date
    sprint: str
    link: str


def headers() -> list[str]:
    return [
        _("Person"),
        _("NIP / username"),
        _("Title"),
        _("Type"),
        _("Board"),
        _("Started"),
        _("Done"),
        _("Sprint"),
        _("Link"),
    ]


def done_cards(actor: User, board_id, start=None, end=None, person=None, *, link_for, today=None):
    """(board, start, end, rows): cards done in [start, end] (local dates) that are still done,
    per person (by name), then by done date. `person` is a NIP or username to keep one person;
    `link_for(card_id)` builds the absolute link to a card."""
    board = visible_board(actor, board_id)
    zone = ZoneInfo(board.unit.timezone)
    today = today or clock.now().astimezone(zone).date()
    start, end = clean_range(start, end, today)
    lower, upper = utc_bounds(start, end, board.unit.timezone)
    assignee = aliased(User)
    query = (
        select(Card, assignee, Sprint.name)
        .join(BoardColumn, BoardColumn.id == Card.column_id)
        .outerjoin(assignee, assignee.id == Card.assignee_id)
        .outerjoin(Sprint, Sprint.id == Card.sprint_id)
        .where(
            Card.board_id == board.id,
            BoardColumn.kind == "done",
            Card.done_at >= lower,
            Card.done_at < upper,
        )
        .order_by(assignee.name, Card.done_at, Card.id)
    )
    if person not in (None, ""):
        try:
            login = v.text(person, field_max=60)
        except v.FieldError as exc:
            raise v.invalid({"person": str(exc)}) from None
        query = query.where((assignee.nip == login) | (assignee.username == login))

    def local(moment):
        return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).date() if moment else None

    rows = [
        DoneRow(
            person=user.name if user else _("Unassigned"),
            nip=user.login if user else "",
            title=card.title,
            type=card.type,
            board=board.name,
            started=local(card.first_active_at),
            done=local(card.done_at),
            sprint=sprint_name or "",
            link=link_for(card.id),
        )
        for card, user, sprint_name in db.session.execute(query)
    ]
    return board, start, end, rows


def _values(row: DoneRow) -> list:
    return [
        row.person,
        row.nip,
        row.title,
        row.type,
        row.board,
        row.started,
        row.done,
        row.sprint,
        row.link,
    ]


def as_csv(rows: list[DoneRow]) -> str:
    """Every cell neutralised and quoted (app/services/spreadsheets.py)."""
    return spreadsheets.csv_text([headers(), *(_values(row) for row in rows)])


def as_xlsx(board: Board, start: date, end: date, rows: list[DoneRow]) -> bytes:
    """A workbook: one sheet with every row, then one sheet per person."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("All")[:31]
    people: dict[tuple[str, str], list[DoneRow]] = {}
    for row in rows:
        people.setdefault((row.person, row.nip), []).append(row)

    def fill(sheet, items, who: str = ""):
        title = _(
            "Done cards, %(board)s, %(start)s to %(end)s",
            board=board.name,
            start=start.isoformat(),
            end=end.isoformat(),
        )
        # A person's sheet names them, name and NIP whole, in its first row (issue 27).
        spreadsheets.xlsx_append(sheet, [f"{title} · {who}" if who else title])
        spreadsheets.xlsx_append(sheet, headers())
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in items:
            spreadsheets.xlsx_append(sheet, _values(row))
            link = sheet.cell(row=sheet.max_row, column=9)
            link.hyperlink = row.link
        for column, width in zip("ABCDEFGHI", (28, 20, 50, 14, 24, 12, 12, 20, 40), strict=True):
            sheet.column_dimensions[column].width = width
            if column in "FG":
                for cell in sheet[column][2:]:
                    cell.number_format = "yyyy-mm-dd"

    fill(sheet, rows)
    used = {sheet.title}
    for (name, nip), items in people.items():
        # Excel allows 31 characters in a sheet name, which would cut "name NIP" (issue 27):
        # the sheet is named by the NIP alone (18 digits) and the first row names the person.
        title = spreadsheets.sheet_name(nip or name, used)
        used.add(title)
        fill(book.create_sheet(title), items, f"{name} {nip}".strip())
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
