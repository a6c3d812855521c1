"""The demo office behind `cergas demo` and `make run`: the Diskominfo of Kabupaten Sleman with
its units, people, boards and twelve weeks of work behind what the boards show today (the data is
in `office.py`, the past in `history.py`).

Everything is created through the same use cases people use (accounts, boards, cards, skills,
sprints, documents), each at the moment it happened: `history.py` plays the weeks day by day
with the clock moved (`app.clock.at`), so events, flow metrics, SLA clocks, the workload trend
and sprint reviews read true figures. Due dates are relative to today in the office's time zone.
Every demo account has the password PASSWORD.

Plugins add their own demo content through the `cergas_demo_content(office)` hook, called once
the office is set up (units, people, the work boards; no card yet), at the start of its history,
with a `DemoOffice` naming its people, units and boards: this package knows no plugin's
settings. A plugin acts during the history with `office.each_working_day(...)` and after it with
`office.after_history(...)`.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from app import clock
from app.demo.competency import (
    create_competency_history,
    create_workload_demo,
    plan_publication_board,
)
from app.demo.dates import local_today, utc, working_day
from app.demo.history import WEEKS, History, add_draft_letter, plan_sprints
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
)
from app.demo.performance import seed_performance
from app.demo.player import Player
from app.demo.teams import TEAM_CARDS, create_team_demo
from app.extensions import db
from app.models import Board, Card, Sprint, User
from app.services import accounts, archive, boards, card_types, cards, sprints
from app.services import plugins as board_plugins
from app.services.tx import write_transaction

log = logging.getLogger(__name__)

__all__ = [
    "ADMIN_USERNAME",
    "LAYANAN_INFORMASI",
    "PASSWORD",
    "PENGEMBANGAN_APLIKASI",
    "PEOPLE",
    "PERSURATAN",
    "DemoOffice",
    "DemoSummary",
    "add_draft_letter",
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
    refused: list[str] = field(default_factory=list)  # history moves that never went through


@dataclass
class DemoOffice:
    """What `cergas_demo_content` receives: the demo office just set up, by the names its data
    uses, and the few writes a plugin needs to set itself up in it and take part in its
    history."""

    today: date  # in the office's time zone (the real today, not the day being played)
    admin: User
    people: dict[str, User]  # by demo key: "kadis", "sekretaris", "kasi_pip", ...
    units: list[str]  # unit codes, parents first
    boards: dict[str, int]  # board name -> id
    heads: dict[str, User]  # board name -> the head who runs it
    _daily: list[Callable[[date], None]] = field(default_factory=list, repr=False)
    _after: list[Callable[[], None]] = field(default_factory=list, repr=False)

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

    def each_working_day(self, action: Callable[[date], None]) -> None:
        """Call `action(day)` at 14:00 of every working day of the history (today excluded),
        with the clock at that moment, after the morning's work of the day."""
        self._daily.append(action)

    def after_history(self, action: Callable[[], None]) -> None:
        """Call `action()` once the history is played and today's cards are in place."""
        self._after.append(action)

    def _column_id(self, board: str, column: str) -> int:
        found = db.session.get(Board, self.boards[board])
        return next(c.id for c in found.columns if c.name == column)

    def _run(self, actions, *args) -> None:
        for action in actions:
            try:
                action(*args)
            except Exception:  # a plugin's part fails alone, as its hook would
                db.session.rollback()
                log.exception("demo: a plugin's part of the history failed")


def create_demo(password: str = PASSWORD, *, weeks: int = WEEKS) -> DemoSummary:
    """Create the demo office, let each loaded plugin set itself up in it, then play `weeks`
    weeks of work up to today. The caller checks that the database is empty."""
    today = local_today()
    player = Player(today, TIMEZONE, weeks)
    with clock.at(utc(player.back(player.first, 1), 7, 30)):
        admin, people = _create_people(password)
        built = {spec.name: _create_board(spec, admin) for spec in BOARDS}
        office = DemoOffice(
            today=today,
            admin=admin,
            people=people,
            units=[code for code, _name, _parent in UNITS],
            boards={name: board.id for name, board in built.items()},
            heads={spec.name: people[spec.head] for spec in BOARDS},
        )
        current_app.extensions["cergas_plugins"].call("cergas_demo_content", office=office)
        plan_publication_board(player, admin, people)
    history = History(player, people, built)
    for spec in BOARDS:
        for item in spec.cards:
            history.plan_office_card(spec, item)
    history.plan_recurring_work()
    desk = built[LAYANAN_INFORMASI.name]
    # Five closed sprints in twelve weeks; fewer in a shorter history.
    plan_sprints(
        player, history, people[LAYANAN_INFORMASI.head], desk, count_=min(5, weeks // 2 - 1)
    )
    for day in player.days():
        player.at(day, 14, 0, lambda day=day: office._run(office._daily, day))
        # What `cergas tick` does every night: done cards leave their boards after the board's
        # archive delay (14 days), so twelve weeks of history leave an archive behind.
        player.at(day, 1, 0, archive.archive_due)
    player.run()
    refused = history.finish()
    card_count = history.created
    card_count += create_competency_history(admin, people, today)
    create_workload_demo(people)
    start_current_sprint(people, history, today)
    create_team_demo(admin, people, today)
    card_count += len(TEAM_CARDS)
    office._run(office._after)
    # SKP: RHK cascaded from the Kadis down, cards linked to them (issue 27; last, so it sees
    # every card the history and the plugins made).
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
        refused=refused,
    )


def _create_people(password: str) -> tuple[User, dict[str, User]]:
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
    return admin, people


def _create_board(spec, admin: User) -> Board:
    board = boards.create_board(
        admin,
        spec.name,
        spec.unit,
        columns=spec.columns,
        personal_wip_limit=spec.personal_wip_limit,
    )
    # The card types and labels the board's cards and its history use, on the board's lists
    # by display name, as a manager would add them (issue 26).
    from app.demo.history import HISTORY

    recurring = HISTORY.get(spec.name, [])
    types = [card.type for card in spec.cards] + [kind.type for kind in recurring]
    labels = [x for card in spec.cards for x in card.labels]
    labels += [x for kind in recurring for x in kind.labels]
    board_names(admin, board.id, types, labels)
    return board


def board_names(admin: User, board_id: int, types, labels) -> None:
    """Put the types and labels on the board's lists under the keys the demo's cards use, named
    from the known display names (app/services/card_types.py); skill labels name the skill
    catalogue instead."""
    with write_transaction():
        card_types.ensure(
            board_id, types=list(dict.fromkeys(types)), labels=list(dict.fromkeys(labels))
        )


# --- sprints: the information desk works in two-week sprints with a written goal ---------------


def start_current_sprint(people: dict[str, User], history: History, today: date) -> None:
    """The sprint planned on Friday starts this week (the board shows its goal, working days left
    and progress) with the cards carried over and the work in hand; the next one is planned,
    ready to take carried-over cards. Five closed sprints before it have their reviews."""
    board = db.session.scalar(select(Board).where(Board.name == LAYANAN_INFORMASI.name))
    head = people[LAYANAN_INFORMASI.head]
    monday = today - timedelta(days=today.weekday())
    current = db.session.scalar(
        select(Sprint).where(Sprint.board_id == board.id, Sprint.state == "planned")
    )
    if current is None:  # a history too short for sprints
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
    chosen_ids = {card.id for card in sprints.sprint_cards(current)}
    candidates = sprints.backlog_cards(current)
    chosen = [c for c in candidates if c.column.kind == "active"]
    waiting = [c for c in candidates if c.column.kind == "backlog" and c.due_date]
    chosen += waiting[: max(0, 8 - len(chosen) - len(chosen_ids))]
    room = max(0, 8 - len(chosen_ids))
    if chosen[:room]:
        sprints.add_cards(head, current.id, [card.id for card in chosen[:room]])
    sprints.start_sprint(head, current.id)
