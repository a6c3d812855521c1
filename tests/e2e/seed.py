"""The office the browser tests work in, written through the service layer.

Run as `python tests/e2e/seed.py` with DATABASE_URL pointing at a migrated database; prints
the ids the tests need as JSON. Each scenario gets its own board, so tests do not disturb one
another whatever order they run in.
"""

import json
import sys
from datetime import timedelta
from pathlib import Path

# Run as a script from any directory: make the checkout importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app import create_app  # noqa: E402
from app.services import accounts, boards, cards  # noqa: E402
from app.services.demo import local_today, working_day  # noqa: E402

PASSWORD = "rahasia-e2e-123"
STAFF_NIP = "199101052015031002"
SCENARIOS = ("drag", "full", "keyboard", "deadline", "mobile", "pages", "live")
PEOPLE = {
    # key: (name, login kwargs, role)
    "head": ("Retno Widyaningsih, S.Kom.", {"nip": "198204182006042012"}, "head"),
    "staff": ("Dimas Aditya Nugroho, S.I.Kom.", {"nip": STAFF_NIP}, "member"),
    "polyglot": ("Fitri Handayani, S.Sos.", {"username": "fitri"}, "member"),
    "phone": ("Ahmad Fauzi", {"username": "ahmad"}, "member"),
}
COLUMNS = [
    {"name": "Masuk", "kind": "backlog", "wip_limit": None, "wip_policy": "hard"},
    {"name": "Dikerjakan", "kind": "active", "wip_limit": 5, "wip_policy": "hard"},
    {"name": "Diproses", "kind": "active", "wip_limit": 2, "wip_policy": "hard"},
    {"name": "Selesai", "kind": "done", "wip_limit": None, "wip_policy": "hard"},
]
CARDS = [
    # (title, column index, due in working days, assignee key)
    ("Balas surat permohonan data", 0, 5, "staff"),
    ("Rekap pengaduan LAPOR! minggu ini", 0, 8, "phone"),
    ("Siapkan bahan rapat koordinasi PPID", 0, None, None),
    ("Verifikasi dokumen pemohon", 1, 3, "staff"),
    ("Unggah DIP semester II", 2, 2, "head"),
    ("Jawab permohonan salinan DPA", 2, 4, "head"),
    ("Laporan bulanan Oktober", 3, -3, "staff"),
]


def seed() -> dict:
    accounts.create_unit("DISKOMINFO", "Dinas Komunikasi dan Informatika")
    accounts.create_unit(
        "SEKSI-PIP", "Seksi Pengelolaan Informasi Publik", parent_code="DISKOMINFO"
    )
    admin = accounts.create_user("Admin Cergas", PASSWORD, username="admin", admin=True)
    people = {
        key: accounts.create_user(name, PASSWORD, unit_code="SEKSI-PIP", role=role, **login)
        for key, (name, login, role) in PEOPLE.items()
    }
    today = local_today()
    ids = {"password": PASSWORD, "boards": {}, "logins": {}}
    for key, (_name, login, _role) in PEOPLE.items():
        ids["logins"][key] = login.get("nip") or login.get("username")
    ids["logins"]["admin"] = "admin"
    for scenario in SCENARIOS:
        board = boards.create_board(admin, f"Papan {scenario}", "SEKSI-PIP", columns=COLUMNS)
        columns = [column.id for column in board.columns]
        card_ids = {}
        # Cards that travel furthest first, so no column fills up before its own cards arrive.
        for title, column, due, assignee in sorted(CARDS, key=lambda c: -c[1]):
            data = {"title": title, "type": "tugas"}
            if due is not None:
                data["due_date"] = working_day(today, due) if due > 0 else today + timedelta(due)
            if assignee:
                data["assignee"] = people[assignee]
            card = cards.create_card(people["head"], board.id, data).card
            for column_id in columns[1 : column + 1]:
                cards.move_card(people["head"], card.id, column_id)
            card_ids[title] = card.id
        ids["boards"][scenario] = {
            "id": board.id,
            "columns": {column.name: column.id for column in board.columns},
            "cards": card_ids,
        }
    ids["approval"] = seed_approval(admin, people, today)
    return ids


def seed_approval(admin, people, today) -> dict | None:
    """A letter board whose "Paraf" column asks the Kasi's paraf (the approvals plugin), with a
    letter drafted by the staff member. None when the plugin is not installed."""
    from app.services import plugins

    board = boards.create_board(
        admin,
        "Papan paraf",
        "SEKSI-PIP",
        columns=[
            {"name": "Dikonsep", "kind": "active", "wip_limit": None, "wip_policy": "hard"},
            {"name": "Paraf", "kind": "active", "wip_limit": None, "wip_policy": "hard"},
            {"name": "Terkirim", "kind": "done", "wip_limit": None, "wip_policy": "hard"},
        ],
    )
    chain = {
        "type": "surat-keluar",
        "review_column": "Paraf",
        "return_column": "Dikonsep",
        "steps": [{"head_of": "SEKSI-PIP", "label": "Kasi PIP"}],
    }
    try:
        plugins.set_board_plugin(
            admin, board.id, "approvals", enabled=True, settings={"chains": [chain]}
        )
    except Exception:  # the plugin is not installed or not loaded: no approval scenario
        return None
    data = {"title": "Surat balasan permohonan informasi", "type": "surat-keluar"}
    data["due_date"] = working_day(today, 4)
    data["assignee"] = people["staff"]
    card = cards.create_card(people["staff"], board.id, data).card
    return {
        "id": board.id,
        "columns": {column.name: column.id for column in board.columns},
        "cards": {card.title: card.id},
    }


def main() -> None:
    app = create_app()
    with app.app_context():
        print(json.dumps(seed()))


if __name__ == "__main__":
    main()
