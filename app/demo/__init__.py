"""The demo office behind `cergas demo` and `make run`: the Diskominfo of Kabupaten Sleman with
its units, people, boards, cards, skills and a running sprint (the data is in `office.py`).

Everything is created through the same use cases people use (accounts, boards, cards, skills,
sprints), so the history, the WIP counts and the deadline-slip counts are true. Due dates are
relative to today in the office's time zone. Every demo account has the password PASSWORD.

Plugins add their own demo content through the `cergas_demo_content(office)` hook, called once
the core office is built with a `DemoOffice` naming its people, units and boards: this package
knows no plugin's settings.
"""

import io
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from app.demo.competency import create_competency_history, create_workload_demo
from app.demo.dates import local_today, working_day
from app.demo.office import (
    ADMIN_USERNAME,
    BOARDS,
    LAYANAN_INFORMASI,
    PASSWORD,
    PENGEMBANGAN_APLIKASI,
    PEOPLE,
    PERSURATAN,
    TIMEZONE,
    UNITS,
    DemoBoard,
)
from app.demo.pdf import simple_pdf
from app.demo.performance import seed_performance
from app.demo.teams import TEAM_CARDS, create_team_demo
from app.extensions import db
from app.models import Board, Card, User
from app.services import accounts, attachments, boards, card_types, cards, sprints
from app.services import plugins as board_plugins

__all__ = [
    "ADMIN_USERNAME",
    "LAYANAN_INFORMASI",
    "PASSWORD",
    "PENGEMBANGAN_APLIKASI",
    "PEOPLE",
    "PERSURATAN",
    "DemoOffice",
    "DemoSummary",
    "create_demo",
    "local_today",
    "working_day",
]


@dataclass
class DemoSummary:
    units: int
    people: int
    boards: int
    cards: int
    logins: list[tuple[str, str, str]]  # (login, name, "position, unit, role")


@dataclass
class DemoOffice:
    """What `cergas_demo_content` receives: the demo office just built, by the names its data
    uses, and the few writes a plugin needs to set itself up in it."""

    today: date  # in the office's time zone
    admin: User
    people: dict[str, User]  # by demo key: "kadis", "sekretaris", "kasi_pip", ...
    units: list[str]  # unit codes, parents first
    boards: dict[str, int]  # board name -> id
    heads: dict[str, User]  # board name -> the head who runs it

    def configure(self, plugin: str, board: str, settings: dict) -> None:
        """Save some of `plugin`'s settings on a board, as the board's head."""
        board_plugins.set_board_plugin(
            self.heads[board], self.boards[board], plugin, settings=settings
        )

    def cards(self, board: str, column: str) -> list[Card]:
        """The cards in a column of a board, in board order."""
        column_id = self._column_id(board, column)
        query = select(Card).where(Card.column_id == column_id).order_by(Card.position)
        return list(db.session.scalars(query))

    def move(self, card: Card, column: str) -> None:
        """Move a card to a column of its board, as its assignee (or the board's head), through
        the card service: plugin vetoes and hooks run as for any move."""
        board = next(name for name, board_id in self.boards.items() if board_id == card.board_id)
        actor = card.assignee or self.heads[board]
        cards.move_card(actor, card.id, self._column_id(board, column))

    def _column_id(self, board: str, column: str) -> int:
        found = db.session.get(Board, self.boards[board])
        return next(c.id for c in found.columns if c.name == column)


def _build_board(spec: DemoBoard, admin: User, people: dict[str, User], today: date) -> Board:
    board = boards.create_board(
        admin,
        spec.name,
        spec.unit,
        columns=spec.columns,
        personal_wip_limit=spec.personal_wip_limit,
    )
    column_ids = [column.id for column in board.columns]
    board_names(
        admin, board.id, [c.type for c in spec.cards], [x for c in spec.cards for x in c.labels]
    )
    # Cards that travel furthest go first, so a card passing through a column never meets a
    # column its own neighbours have already filled; each column ends with exactly its cards.
    ordered = sorted(spec.cards, key=lambda card: -card.column)
    for item in ordered:
        owner = people[item.assignee] if item.assignee else people[spec.head]
        data = {
            "title": item.title,
            "type": card_types.humanise(item.type),  # by its display name, as a person picks it
            "description": item.description,
            "assignee": people[item.assignee] if item.assignee else None,
            "due_date": working_day(today, item.due) if item.due is not None else None,
            "priority": item.priority,
            "estimate": item.estimate,
            "labels": list(item.labels),
        }
        card = cards.create_card(people[spec.head], board.id, data).card
        if item.type == "surat-keluar":
            # The draft letter is on the card, where its paraf can see it.
            add_draft_letter(owner, card, spec.name, revised=bool(item.comments))
        for column_id in column_ids[1 : item.column + 1]:
            cards.move_card(owner, card.id, column_id)
        for slip in item.slips:
            cards.update_card(
                people[slip.by],
                card.id,
                {"due_date": working_day(today, slip.due)},
                version=card.version,
                deadline_reason=slip.reason,
            )
        for author, body in item.comments:
            cards.add_comment(people[author], card.id, body)
    return board


def board_names(admin: User, board_id: int, types, labels) -> None:
    """The board's card types and labels that the demo's cards use, added through the service as
    a manager would (by display name; the keys follow from the names)."""
    lists = card_types.lists_of(board_id)
    present = {row.name.casefold() for row in lists.types.values()}
    for key in dict.fromkeys(types):
        name = card_types.humanise(key)
        if name.casefold() not in present:
            card_types.add(admin, "type", board_id, name)
            present.add(name.casefold())
    present = {row.name.casefold() for row in lists.labels.values()}
    for name in dict.fromkeys(labels):
        if not name.startswith(card_types.SKILL_PREFIX) and name.casefold() not in present:
            card_types.add(admin, "label", board_id, name)
            present.add(name.casefold())


def add_draft_letter(owner: User, card: Card, board: str, *, revised: bool) -> None:
    """A draft of the letter (a one-page PDF) on an outgoing letter's card; a letter someone
    already commented on has a second, revised version."""
    lines = ["PEMERINTAH KOTA CONTOH", board.upper(), "", card.title, "", "KONSEP"]
    title = card.title[:80]
    name = f"{title}.pdf" if title.lower().startswith("konsep") else f"Konsep {title}.pdf"
    document = attachments.add(
        owner, card.id, attachments.Upload(io.BytesIO(simple_pdf(lines, title=card.title)), name)
    )
    if revised:
        lines[-1] = "KONSEP (perbaikan)"
        revised_pdf = simple_pdf(lines, title=card.title)
        attachments.add_version(
            owner, document.id, attachments.Upload(io.BytesIO(revised_pdf), name)
        )


def create_demo(password: str = PASSWORD) -> DemoSummary:
    """Create the demo office, then let each loaded plugin add its part. The caller checks that
    the database is empty."""
    for code, name, parent in UNITS:
        accounts.create_unit(code, name, parent_code=parent, timezone=TIMEZONE)
    admin = accounts.create_user(
        "Admin Cergas", password, username=ADMIN_USERNAME, admin=True, email="admin@example.org"
    )
    people: dict[str, User] = {}
    for person in PEOPLE:
        login = {"nip": person.login} if person.login.isdigit() else {"username": person.login}
        people[person.key] = accounts.create_user(
            person.name,
            password,
            unit_code=person.unit,
            role=person.role,
            position=person.position,
            email=person.email,
            phone=person.phone,
            **login,
        )
    today = local_today()
    built = {spec.name: _build_board(spec, admin, people, today) for spec in BOARDS}
    card_count = sum(len(spec.cards) for spec in BOARDS)
    card_count += create_competency_history(admin, people, today)
    create_workload_demo(people)
    create_sprint_demo(people, today)
    create_team_demo(admin, people, today)
    card_count += len(TEAM_CARDS)
    office = DemoOffice(
        today=today,
        admin=admin,
        people=people,
        units=[code for code, _name, _parent in UNITS],
        boards={name: board.id for name, board in built.items()},
        heads={spec.name: people[spec.head] for spec in BOARDS},
    )
    current_app.extensions["cergas_plugins"].call("cergas_demo_content", office=office)
    # SKP: RHK cascaded from the Kadis down, cards linked to them (issue 27; last, so it sees
    # every card the demo and the plugins made).
    seed_performance(today.year)
    logins = [(ADMIN_USERNAME, "Admin Cergas", "site admin")]
    logins += [(p.login, p.name, f"{p.position}, {p.unit}, {p.role}") for p in PEOPLE]
    return DemoSummary(
        units=len(UNITS),
        people=len(PEOPLE) + 1,
        # + the publication board of create_competency_history and the work team's board
        boards=len(BOARDS) + 2,
        cards=card_count,
        logins=logins,
    )


# --- sprints: the information desk works in two-week sprints with a written goal ---------------


def create_sprint_demo(people: dict[str, User], today: date) -> None:
    """Seksi PIP's board runs a sprint that started this week (the board shows its goal, working
    days left and progress) and has the next one planned, ready to take carried-over cards."""
    board = db.session.scalar(select(Board).where(Board.name == LAYANAN_INFORMASI.name))
    head = people[LAYANAN_INFORMASI.head]
    monday = today - timedelta(days=today.weekday())
    current = sprints.create_sprint(
        head,
        board.id,
        {
            "name": f"Sprint {monday.isocalendar().week}",
            "goal": "Semua permohonan informasi yang masuk bulan ini dijawab tepat waktu",
            "start": monday.isoformat(),
            "end": (monday + timedelta(days=11)).isoformat(),
        },
    )
    sprints.create_sprint(
        head,
        board.id,
        {
            "name": f"Sprint {(monday + timedelta(days=14)).isocalendar().week}",
            "goal": "Daftar Informasi Publik diperbarui dan diumumkan di portal",
            "start": (monday + timedelta(days=14)).isoformat(),
            "end": (monday + timedelta(days=25)).isoformat(),
        },
    )
    candidates = sprints.backlog_cards(current)
    chosen = [c for c in candidates if c.column.kind == "active"]
    waiting = [c for c in candidates if c.column.kind == "backlog" and c.due_date]
    chosen += waiting[: 8 - len(chosen)]
    sprints.add_cards(head, current.id, [card.id for card in chosen[:8]])
    sprints.start_sprint(head, current.id)
