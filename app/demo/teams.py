"""The demo's work team and acting head: the Tim Percepatan SPBE (a Pranata Komputer Ahli Muda
leads people of three units on the team's own board) and a Plh of Seksi PIP while its head is
on leave this week."""

from datetime import date, timedelta

from app.demo.dates import working_day
from app.models import Board, User
from app.services import acting, boards, card_types, cards, teams

TEAM_CODE = "TIM-SPBE"
TEAM_BOARD = "Evaluasi SPBE 2026"
# (title, column index, assignee key, due in working days, estimate)
TEAM_CARDS = [
    ("Isi kuesioner evaluasi SPBE domain kebijakan", 0, "nuraini", 12, 3.0),
    ("Kumpulkan bukti dukung layanan publik berbasis elektronik", 1, "dimas", 6, 5.0),
    ("Petakan arsitektur aplikasi perangkat daerah", 1, "rizky", 9, 8.0),
    ("Rapat pleno tim SPBE dengan Sekretariat", 2, "yoga", 2, 2.0),
]


def create_team_demo(admin: User, people: dict[str, User], today: date) -> Board:
    """The team, its board with a few cards, and a current Plh of Seksi PIP."""
    teams.create_team(
        people["kabid_aptika"],
        TEAM_CODE,
        "Tim Percepatan SPBE",
        "BID-APTIKA",
        people["yoga"].login,
        [people[key].login for key in ("rizky", "dimas", "nuraini")],
    )
    board = boards.create_board(
        people["yoga"],
        TEAM_BOARD,
        None,
        columns=[
            {"name": "Rencana", "kind": "backlog"},
            {"name": "Dikerjakan", "kind": "active", "wip_limit": 4},
            {"name": "Reviu Ketua Tim", "kind": "active", "wip_limit": 2, "wip_policy": "soft"},
            {"name": "Selesai", "kind": "done"},
        ],
        personal_wip_limit=3,
        team=TEAM_CODE,
    )
    column_ids = [column.id for column in board.columns]
    card_types.add(people["yoga"], "label", board.id, "SPBE", "blue")  # the cards' label
    for title, column, who, due, estimate in TEAM_CARDS:
        card = cards.create_card(
            people["yoga"],
            board.id,
            {
                "title": title,
                "type": "tugas",
                "assignee": people[who],
                "due_date": working_day(today, due),
                "estimate": estimate,
                "labels": ["SPBE"],
            },
        ).card
        for column_id in column_ids[1 : column + 1]:
            cards.move_card(people[who], card.id, column_id)
    # The head of Seksi PIP is on leave: Dimas stands in (Plh) from two days ago to next week.
    acting.appoint(
        people["kabid_ikp"],
        "SEKSI-PIP",
        people["dimas"].login,
        "plh",
        (today - timedelta(days=2)).isoformat(),
        (today + timedelta(days=6)).isoformat(),
        "800/214/SPT/BID-IKP/2026",
    )
    return board
