"""Shared setup of the approvals tests: a Dinas with a three-step paraf chain for surat keluar."""

from types import SimpleNamespace

import pytest
from sqlalchemy import select

import plugins.approvals as approvals_plugin
from app.extensions import db
from app.models import User
from app.services import accounts, boards, card_types, cards
from app.services import plugins as board_plugins
from tests.conftest import PASSWORD, make_app, pg_url

NIPS = {
    "kadis": "197001011995031001",
    "kabid": "197502022000031002",
    "kasi": "198003032005012003",
    "drafter": "199001012015011004",
    "plh": "199202022016012005",
    "sekretaris": "198804042010011006",
}
CHAIN = {
    "type": "surat-keluar",
    "review_column": "Paraf",
    "return_column": "Dikerjakan",
    "steps": [
        {"head_of": "SEKSI-APL"},
        {"head_of": "BID-TIK", "label": "Kabid TIK"},
        {"user": NIPS["kadis"]},
    ],
}


def build(database_url: str, plugins: dict | None = None):
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS=plugins or {"approvals": approvals_plugin})
    with app.app_context():
        accounts.create_unit("DISKOMINFO", "Dinas Komunikasi dan Informatika")
        accounts.create_unit("BID-TIK", "Bidang TIK", parent_code="DISKOMINFO")
        accounts.create_unit("SEKSI-APL", "Seksi Aplikasi", parent_code="BID-TIK")
        accounts.create_user("Administrator", PASSWORD, username="admin", admin=True)
        people = {
            "kadis": ("Ir. Hendra Wijaya", "DISKOMINFO", "head"),
            "sekretaris": ("Dra. Lestari Ayu", "DISKOMINFO", "member"),
            "kabid": ("Budi Santoso", "BID-TIK", "head"),
            "kasi": ("Siti Rahmawati", "SEKSI-APL", "head"),
            "drafter": ("Agus Pratama", "SEKSI-APL", "member"),
            "plh": ("Dewi Lestari", "SEKSI-APL", "member"),
        }
        for key, (name, unit, role) in people.items():
            accounts.create_user(name, PASSWORD, nip=NIPS[key], unit_code=unit, role=role)
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        board = boards.create_board(
            admin,
            "Persuratan",
            "SEKSI-APL",
            columns=[
                {"name": "Draf", "kind": "backlog", "wip_limit": None, "wip_policy": "hard"},
                {"name": "Dikerjakan", "kind": "active", "wip_limit": None, "wip_policy": "hard"},
                {"name": "Paraf", "kind": "active", "wip_limit": None, "wip_policy": "hard"},
                {"name": "Terkirim", "kind": "done", "wip_limit": None, "wip_policy": "hard"},
            ],
        )
        kasi = db.session.scalar(select(User).where(User.nip == NIPS["kasi"]))
        card_types.add(kasi, "label", board.id, "Arsip")  # the label the tests put on cards
        board_plugins.set_board_plugin(kasi, board.id, "approvals", settings={"chains": [CHAIN]})
        drafter = db.session.scalar(select(User).where(User.nip == NIPS["drafter"]))
        column = {c.name: c.id for c in board.columns}
        card = cards.create_card(
            drafter,
            board.id,
            {
                "title": "Surat undangan rapat koordinasi",
                "type": "surat-keluar",
                "due_date": "2026-12-31",
            },
            column_id=column["Dikerjakan"],
        ).card
        ids = {
            key: db.session.scalar(select(User.id).where(User.nip == nip))
            for key, nip in NIPS.items()
        }
        ids["admin"] = admin.id
        tokens = {key: accounts.create_token(db.session.get(User, uid)) for key, uid in ids.items()}
        return app, SimpleNamespace(
            board_id=board.id, column=column, card_id=card.id, ids=ids, tokens=tokens
        )


@pytest.fixture
def chain(database_url):
    app, seeded = build(database_url)
    yield app, seeded
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def api(app, seeded, who):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {seeded.tokens[who]}"}

    class Caller:
        def get(self, url):
            return client.get(url, headers=headers)

        def post(self, url, json=None):
            return client.post(url, json=json, headers=headers)

        def delete(self, url):
            return client.delete(url, headers=headers)

    return Caller()


@pytest.fixture(params=["sqlite-file", "postgresql"])
def shared(request, tmp_path):
    """The seeded chain on a database shared by threads: a SQLite file, or PostgreSQL."""
    if request.param == "sqlite-file":
        url = f"sqlite:///{tmp_path / 'approvals.db'}"
    else:
        url = pg_url()
        if not url:
            pytest.skip("PostgreSQL case: set TEST_DATABASE_URL to run it")
    app, seeded = build(url)
    yield app, seeded
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
