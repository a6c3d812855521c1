"""The office the browser tests work in, written through the service layer.

Run as `python tests/e2e/seed.py` with DATABASE_URL pointing at a migrated database; prints
the ids the tests need as JSON. Each scenario gets its own board, so tests do not disturb one
another whatever order they run in. The SLA and workload scenarios live in units of their own
(Seksi Pelayanan, Subbagian Umum): their tests change that unit's calendar and people's load.
"""

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Run as a script from any directory: make the checkout importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app import create_app  # noqa: E402
from app.demo import local_today, working_day  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Card  # noqa: E402
from app.services import accounts, boards, card_types, cards, sprints  # noqa: E402
from app.services.tx import write_transaction  # noqa: E402
from app.workcal import work_calendar  # noqa: E402

PASSWORD = "rahasia-e2e-123"
STAFF_NIP = "199101052015031002"
SCENARIOS = (
    "drag",
    "full",
    "keyboard",
    "deadline",
    "mobile",
    "pages",
    "live",
    "sprint",
    "templates",
    "checklist",
    "recurrences",
    "documents",
    # Issue 25: swimlanes and the calendar.
    "lanes",
    "calendar",
    "archive",  # issue 25: archive and restore (tests/e2e/test_e2e_archive.py)
)
PEOPLE = {
    # key: (name, login kwargs, role, unit)
    "head": ("Retno Widyaningsih, S.Kom.", {"nip": "198204182006042012"}, "head", "SEKSI-PIP"),
    "staff": ("Dimas Aditya Nugroho, S.I.Kom.", {"nip": STAFF_NIP}, "member", "SEKSI-PIP"),
    "polyglot": ("Fitri Handayani, S.Sos.", {"username": "fitri"}, "member", "SEKSI-PIP"),
    "phone": ("Ahmad Fauzi", {"username": "ahmad"}, "member", "SEKSI-PIP"),
    # Seksi Pelayanan: the SLA scenario.
    "kasi_pel": ("Siti Rahmawati, S.AP.", {"nip": "198003032005012003"}, "head", "SEKSI-PEL"),
    "petugas": ("Agus Pratama", {"username": "agus"}, "member", "SEKSI-PEL"),
    # Subbagian Umum: the workload scenario.
    "kasubag": ("Hendra Wijaya, S.E.", {"nip": "197905122003121004"}, "head", "SUBBAG-UMUM"),
    "budi": ("Budi Santoso", {"username": "budi"}, "member", "SUBBAG-UMUM"),
    "rina": ("Rina Kusuma", {"username": "rina"}, "member", "SUBBAG-UMUM"),
    "yoga": ("Yoga Pratama", {"username": "yoga"}, "member", "SUBBAG-UMUM"),
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
    accounts.create_unit("SEKSI-PEL", "Seksi Pelayanan", parent_code="DISKOMINFO")
    accounts.create_unit("SUBBAG-UMUM", "Subbagian Umum", parent_code="DISKOMINFO")
    admin = accounts.create_user("Admin Cergas", PASSWORD, username="admin", admin=True)
    people = {
        key: accounts.create_user(name, PASSWORD, unit_code=unit, role=role, **login)
        for key, (name, login, role, unit) in PEOPLE.items()
    }
    today = local_today()
    ids = {"password": PASSWORD, "boards": {}, "logins": {}}
    for key, (_name, login, _role, _unit) in PEOPLE.items():
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
    ids["sprint"] = seed_sprints(people, ids["boards"]["sprint"], today)
    ids["approval"] = seed_approval(admin, people, today)
    ids["approval_plh"] = seed_approval(
        admin, people, today, "Papan paraf Plh", "Surat undangan rapat koordinasi PPID"
    )
    ids["approval_documents"] = seed_approval(
        admin, people, today, "Papan paraf dokumen", "Surat edaran keterbukaan informasi"
    )
    ids["sla"] = seed_sla(admin, people, today)
    ids["workload"] = seed_workload(admin, people, today)
    ids["bulk"] = seed_bulk(admin, people, today)
    return ids


def seed_bulk(admin, people, today) -> dict:
    """Bulk actions and saved filters (issue 25): three cards waiting in Masuk, and Dikerjakan
    (hard WIP limit 3) already holding one, so it has room for two of them."""
    columns = [
        {"name": "Masuk", "kind": "backlog", "wip_limit": None, "wip_policy": "hard"},
        {"name": "Dikerjakan", "kind": "active", "wip_limit": 3, "wip_policy": "hard"},
        {"name": "Selesai", "kind": "done", "wip_limit": None, "wip_policy": "hard"},
    ]
    board = boards.create_board(admin, "Papan bulk", "SEKSI-PIP", columns=columns)
    with write_transaction():  # the labels its cards carry, on the board's list (issue 26)
        card_types.ensure(board.id, labels=["ppid", "keberatan", "rutin", "urgent"])
    ids = [column.id for column in board.columns]
    due = working_day(today, 5)
    found = {}
    for title, column, labels in (
        ("Telaah keberatan informasi", 1, []),
        ("Surat balasan PPID 1", 0, ["ppid"]),
        ("Surat balasan PPID 2", 0, ["ppid"]),
        ("Undangan rapat evaluasi", 0, []),
    ):
        data = {"title": title, "due_date": due, "labels": labels}
        card = cards.create_card(people["head"], board.id, data, column_id=ids[column]).card
        found[title] = card.id
    return {
        "id": board.id,
        "columns": {column.name: column.id for column in board.columns},
        "cards": found,
    }


def seed_sprints(people, board: dict, today) -> dict:
    """On the sprint board: an active sprint, started a week ago with three unfinished cards, and
    the next one planned, so a head can close the first and carry cards over to the second."""
    head = people["head"]
    running = sprints.create_sprint(
        head,
        board["id"],
        {
            "name": "Sprint 7",
            "goal": "Semua permohonan data bulan ini terjawab",
            "start": today - timedelta(days=7),
            "end": today + timedelta(days=6),
        },
    )
    committed = (
        "Balas surat permohonan data",
        "Verifikasi dokumen pemohon",
        "Unggah DIP semester II",
    )
    sprints.add_cards(head, running.id, [board["cards"][title] for title in committed])
    sprints.start_sprint(head, running.id)
    planned = sprints.create_sprint(
        head,
        board["id"],
        {
            "name": "Sprint 8",
            "goal": "Daftar informasi publik 2027 tersusun",
            "start": today + timedelta(days=7),
            "end": today + timedelta(days=20),
        },
    )
    return {"active": running.id, "planned": planned.id}


def seed_approval(
    admin, people, today, name="Papan paraf", title="Surat balasan permohonan informasi"
) -> dict | None:
    """A letter board whose "Paraf" column asks the Kasi's paraf (the approvals plugin), with a
    letter drafted by the staff member. None when the plugin is not installed."""
    from app.services import plugins

    board = boards.create_board(
        admin,
        name,
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
    data = {"title": title, "type": "surat-keluar"}
    data["due_date"] = working_day(today, 4)
    data["assignee"] = people["staff"]
    card = cards.create_card(people["staff"], board.id, data).card
    return {
        "id": board.id,
        "columns": {column.name: column.id for column in board.columns},
        "cards": {card.title: card.id},
    }


SLA_POLICIES = [
    {"type": "pengaduan", "duration": 3, "unit": "working_days"},
    {"type": "informasi", "duration": 24, "unit": "working_hours", "at_risk": 0.75},
]
HOUR = 3600
SLA_CARDS = [
    # (title, type, working hours before now the clock started (None: now), done, assignee)
    ("Pengaduan jalan berlubang di Jl. Kaliurang", "pengaduan", "days:6", False, "petugas"),
    ("Pengaduan sampah menumpuk di pasar", "pengaduan", "days:6", True, "petugas"),
    # 4 working hours late; a day off between its start and now puts it back in time.
    ("Permohonan salinan SK Bupati", "informasi", 28, False, "petugas"),
    ("Permohonan data kunjungan wisata", "informasi", 20, False, "kasi_pel"),
    ("Permohonan profil desa", "informasi", None, False, "petugas"),
    ("Permohonan peta rawan bencana", "informasi", None, True, "petugas"),
]
# Three columns without WIP limits (the SLA and workload boards).
SLA_COLUMNS = [
    {"name": "Masuk", "kind": "backlog", "wip_limit": None, "wip_policy": "hard"},
    {"name": "Diproses", "kind": "active", "wip_limit": None, "wip_policy": "hard"},
    {"name": "Selesai", "kind": "done", "wip_limit": None, "wip_policy": "hard"},
]


def seed_sla(admin, people, today) -> dict | None:
    """A service desk board with service-time policies (the SLA plugin): cards late by working
    days, late by a few working hours, at risk, on track, met and missed. The clocks start at
    moments placed on the unit's working-time line, so the states do not depend on the hour the
    tests run. `day_off` is a working day inside the 4-hour-late card's clock: declaring it a
    day off puts that card back in time. None when the plugin is not installed."""
    from app.services import plugins

    board = boards.create_board(admin, "Papan SLA", "SEKSI-PEL", columns=SLA_COLUMNS)
    card_types.add(admin, "type", board.id, "Informasi")  # the second policy's card type
    try:
        plugins.set_board_plugin(
            admin, board.id, "sla", enabled=True, settings={"policies": SLA_POLICIES}
        )
    except Exception:  # the plugin is not installed or not loaded: no SLA scenario
        return None
    calendar = work_calendar(board.unit_id)
    now = datetime.now(UTC)
    point = calendar.worked(now)
    day = calendar.day_length(0)
    columns = [column.id for column in board.columns]
    starts, card_ids = {}, {}
    for title, kind, before, done, assignee in SLA_CARDS:
        data = {"title": title, "type": kind, "due_date": working_day(today, 5)}
        data["assignee"] = people[assignee]
        card = cards.create_card(people["kasi_pel"], board.id, data).card
        card_ids[title] = card.id
        for column_id in columns[1 : 3 if done else 2]:
            cards.move_card(people["kasi_pel"], card.id, column_id)
        if before is not None:
            worked = 6 * day if before == "days:6" else before * HOUR
            starts[card.id] = calendar.at_worked(point - worked)
    # The services stamp "now"; these requests came in earlier.
    with write_transaction():
        for card_id, started in starts.items():
            db.session.get(Card, card_id).created_at = started.astimezone(UTC).replace(tzinfo=None)
    day_off = calendar.local(calendar.at_worked(point - 14 * HOUR)).date()
    return {
        "id": board.id,
        "columns": {column.name: column.id for column in board.columns},
        "cards": card_ids,
        "unit": "SEKSI-PEL",
        "day_off": day_off.isoformat(),
    }


WORKLOAD_CARDS = [
    # (title, assignee): Budi holds 4 active cards against a team median of 1.5.
    ("Inventarisasi barang milik daerah", "budi"),
    ("Pengadaan ATK triwulan IV", "budi"),
    ("Perbaikan pendingin ruang rapat", "budi"),
    ("Perpanjangan STNK kendaraan dinas", "budi"),
    ("Rekap daftar hadir pegawai", "rina"),
    ("Arsip surat masuk Oktober", "rina"),
    ("Jadwal piket kebersihan", "yoga"),
    ("Laporan kepegawaian bulanan", "kasubag"),
]


def seed_workload(admin, people, today) -> dict:
    """A board where one member carries far more active cards than the rest (the workload
    plugin's warning and its suggestions of who could take a card)."""
    board = boards.create_board(admin, "Papan umum", "SUBBAG-UMUM", columns=SLA_COLUMNS)
    active = next(column.id for column in board.columns if column.kind == "active")
    card_ids = {}
    for number, (title, assignee) in enumerate(WORKLOAD_CARDS):
        data = {"title": title, "type": "tugas", "due_date": working_day(today, 3 + number)}
        data["assignee"] = people[assignee]
        data["estimate"] = 4
        card = cards.create_card(people["kasubag"], board.id, data).card
        cards.move_card(people["kasubag"], card.id, active)
        card_ids[title] = card.id
    return {
        "id": board.id,
        "columns": {column.name: column.id for column in board.columns},
        "cards": card_ids,
    }


def main() -> None:
    app = create_app()
    with app.app_context():
        print(json.dumps(seed()))


if __name__ == "__main__":
    main()
