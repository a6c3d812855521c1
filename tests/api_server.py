"""A real Cergas server for the fuzz tests: a seeded SQLite database in a temporary file, every
installed plugin, a free loopback port.

    python tests/api_server.py DIRECTORY

creates DIRECTORY/cergas.sqlite, seeds it (units, one person per role, a board with cards, a
notification, an API token per role and a revoked one, and what the built-in plugins' endpoints
answer about: skills, a certificate and learning, a paraf chain with a card waiting in it, a
Plh delegation; documents on a card, stored in DIRECTORY/documents), serves on 127.0.0.1 on a
free port and writes {"url", "tokens", "ids"} to DIRECTORY/server.json once it accepts
connections.
"""

import json
import logging
import sys
from datetime import timedelta
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app, plugin_schema  # noqa: E402

PASSWORD = "rahasia123"
NIPS = {
    "kadis": "197001011995031001",
    "kabid": "197502022000031002",
    "kasi": "198003032005012003",
    "staff": "199001012015011004",
    "outsider": "198804042010011006",
}


def seed() -> dict:
    """The organisation of tests/conftest.py `org`, plus cards and tokens; returns the ids."""
    from app.services import accounts, boards, cards
    from app.services.notifications import notify
    from app.services.plugins import set_board_plugin

    accounts.create_unit("DISKOMINFO", "Dinas Komunikasi dan Informatika")
    accounts.create_unit("BID-TIK", "Bidang TIK", parent_code="DISKOMINFO")
    accounts.create_unit("SEKSI-APL", "Seksi Aplikasi", parent_code="BID-TIK")
    accounts.create_unit("BID-IKP", "Bidang IKP", parent_code="DISKOMINFO")
    users = {"admin": accounts.create_user("Administrator", PASSWORD, username="admin", admin=True)}
    people = {
        "kadis": ("Ir. Hendra Wijaya", "DISKOMINFO", "head"),
        "kabid": ("Budi Santoso", "BID-TIK", "head"),
        "kasi": ("Siti Rahmawati", "SEKSI-APL", "head"),
        "staff": ("Agus Pratama", "SEKSI-APL", "member"),
        "outsider": ("Rina Kusuma", "BID-IKP", "member"),
    }
    for key, (name, unit, role) in people.items():
        users[key] = accounts.create_user(name, PASSWORD, nip=NIPS[key], unit_code=unit, role=role)
    board = boards.create_board(users["admin"], "Layanan Aplikasi", "SEKSI-APL")
    columns = [column.id for column in board.columns]
    card_ids = [
        cards.create_card(
            users["staff"],
            board.id,
            {"title": f"Permohonan data {n}", "due_date": "2026-12-01", "assignee": NIPS["staff"]},
        ).card.id
        for n in range(3)
    ]
    delegation = seed_plugins(users, board, card_ids, set_board_plugin)
    tokens = {key: accounts.create_token(user, "fuzz") for key, user in users.items()}
    revoked = accounts.create_token(users["staff"], "revoked")
    accounts.revoke_tokens(users["staff"])
    tokens["staff"] = accounts.create_token(users["staff"], "fuzz")
    tokens["revoked"] = revoked
    # The caller of the operations that revoke one's own tokens (tests/test_api_fuzz.py), so
    # that the other callers keep theirs for the whole run.
    spare = accounts.create_user("Dewi Lestari", PASSWORD, username="cadangan")
    spare_tokens = [accounts.issue_token(spare, f"cadangan {n}")[0].id for n in range(3)]
    tokens["spare"] = accounts.create_token(spare, "fuzz")
    notification = notify(users["staff"], "Kartu baru untuk Anda", card=None)
    attachment_ids = seed_documents(users, card_ids[2])
    return {
        "tokens": tokens,
        "ids": {
            "board": board.id,
            "columns": columns,
            "cards": card_ids,
            "notification": notification.id,
            "units": ["DISKOMINFO", "BID-TIK", "SEKSI-APL", "BID-IKP"],
            "logins": [*NIPS.values(), "admin"],
            "delegations": [delegation],
            "spare_tokens": spare_tokens,
            "attachments": attachment_ids,
        },
    }


def seed_documents(users: dict, card_id: int) -> list[int]:
    """Documents on a card: a PDF with two versions, an image, and a removed PDF."""
    from app.services import attachments
    from tests import documents

    staff, kasi = users["staff"], users["kasi"]
    pdf = attachments.add(staff, card_id, documents.upload(documents.pdf(), "nota dinas.pdf"))
    attachments.add_version(kasi, pdf.id, documents.upload(documents.pdf("Versi 2"), "nota.pdf"))
    image = attachments.add(kasi, card_id, documents.upload(documents.PNG, "denah.png"))
    removed = attachments.add(staff, card_id, documents.upload(documents.pdf(), "salah.pdf"))
    attachments.remove(staff, removed.id, "Salah unggah")
    return [pdf.id, image.id, removed.id]


def seed_plugins(users: dict, board, card_ids: list[int], set_board_plugin) -> str:
    """Competency data of staff, a two-step paraf chain on the board with the first card
    waiting at step 1 (kasi's inbox), and a Plh for kasi; returns the delegation's id."""
    from app.services import cards, skills
    from plugins.approvals.clock import jakarta_today
    from plugins.approvals.delegations import create_delegation

    skills.seed_catalog()
    staff = users["staff"]
    skills.set_user_skills(staff, staff, {"graphic-design": 2, "public-presentation": None})
    skills.add_certificate(
        staff,
        staff,
        {"test": "TOEIC", "score": "700", "taken_on": "2025-01-01", "expires_on": "2027-01-01"},
    )
    skills.record_learning(
        staff,
        staff,
        {"activity": "bimtek", "date": "2026-03-10", "hours": 7.5, "skills": ["graphic-design"]},
    )
    cards.update_card(
        staff, card_ids[1], {"labels": ["skill:graphic-design"], "estimate": 4.0}, version=1
    )
    # The default columns: Backlog, In progress, Review, Done (names in the server's language).
    doing, review = board.columns[1], board.columns[2]
    chain = {
        "type": "tugas",
        "review_column": review.name,
        "return_column": doing.name,
        "steps": [{"head_of": "SEKSI-APL"}, {"head_of": "BID-TIK"}],
    }
    set_board_plugin(users["kasi"], board.id, "approvals", settings={"chains": [chain]})
    cards.move_card(staff, card_ids[0], review.id)
    # A delegation lasts at most 90 days and must not have ended (the approvals rules).
    today = jakarta_today()
    delegation = create_delegation(
        users["kasi"],
        {
            "to": NIPS["staff"],
            "kind": "plh",
            "start": today.isoformat(),
            "end": (today + timedelta(days=60)).isoformat(),
        },
    )
    return delegation["id"]


def main(directory: str) -> None:
    folder = Path(directory)
    app = create_app(
        {
            "SECRET_KEY": "fuzz-secret",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'cergas.sqlite'}",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "REDIS_URL": None,
            "DOCUMENT_FOLDER": str(folder / "documents"),
        }
    )
    with app.app_context():
        plugin_schema.create_schema()
        info = seed()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server("127.0.0.1", 0, app, threaded=False)
    info["url"] = f"http://127.0.0.1:{server.server_port}"
    ready = folder / "server.json.tmp"
    ready.write_text(json.dumps(info), encoding="utf-8")
    ready.rename(folder / "server.json")
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
