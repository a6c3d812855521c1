"""Shared setup of the SLA tests: a front office (Seksi Pelayanan) with a complaints board and
service-time policies, and helpers to act at a chosen moment (time-machine)."""

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

import plugins.email as email_plugin
import plugins.sla as sla_plugin
from app.extensions import db
from app.models import User
from app.services import accounts, boards, card_types, cards
from app.services import plugins as board_plugins
from tests.conftest import PASSWORD, make_app

WIB = ZoneInfo("Asia/Jakarta")
NIPS = {
    "kadis": "197001011995031001",
    "kasi": "198003032005012003",
    "petugas": "199001012015011004",
    "petugas2": "199202022016012005",
    "outsider": "198804042010011006",
}
POLICIES = [
    {
        "type": "pengaduan",
        "duration": 3,
        "unit": "working_days",
        "start": "created",
        "pause_columns": ["Menunggu kelengkapan"],
        "at_risk": 0.75,
    },
    {"type": "informasi", "duration": 10, "unit": "working_days", "start": "active"},
    {"type": "dukcapil", "duration": 4, "unit": "working_hours"},
]


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB)


def at(text: str):
    """Freeze the clock at a WIB moment: `with at("2026-12-23T10:00"): ...`."""
    return time_machine.travel(wib(text), tick=False)


def user(key: str) -> User:
    return db.session.scalar(select(User).where(User.nip == NIPS[key]))


def build(database_url: str, **config):
    app = make_app(
        database_url,
        CERGAS_PLUGIN_OBJECTS={"sla": sla_plugin, "email": email_plugin},
        **config,
    )
    with app.app_context():
        accounts.create_unit("DPMPTSP", "Dinas Penanaman Modal dan PTSP")
        accounts.create_unit("SEKSI-PEL", "Seksi Pelayanan", parent_code="DPMPTSP")
        accounts.create_unit("SEKSI-LAIN", "Seksi Lain", parent_code="DPMPTSP")
        accounts.create_user("Administrator", PASSWORD, username="admin", admin=True)
        people = {
            "kadis": ("Ir. Hendra Wijaya", "DPMPTSP", "head"),
            "kasi": ("Siti Rahmawati", "SEKSI-PEL", "head"),
            "petugas": ("Agus Pratama", "SEKSI-PEL", "member"),
            "petugas2": ("Dewi Lestari", "SEKSI-PEL", "member"),
            "outsider": ("Rina Kusuma", "SEKSI-LAIN", "member"),
        }
        for key, (name, unit, role) in people.items():
            accounts.create_user(
                name,
                PASSWORD,
                nip=NIPS[key],
                unit_code=unit,
                role=role,
                email=f"{key}@dpmptsp.example.go.id",
                locale="en",
            )
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        board = boards.create_board(
            admin,
            "Layanan Pengaduan",
            "SEKSI-PEL",
            columns=[
                {"name": "Masuk", "kind": "backlog", "wip_limit": None, "wip_policy": "hard"},
                {"name": "Diproses", "kind": "active", "wip_limit": None, "wip_policy": "hard"},
                {
                    "name": "Menunggu kelengkapan",
                    "kind": "active",
                    "wip_limit": None,
                    "wip_policy": "hard",
                },
                {"name": "Selesai", "kind": "done", "wip_limit": None, "wip_policy": "hard"},
            ],
        )
        # The types the policies and the tests use beyond the board's defaults.
        for name in ("Informasi", "Dukcapil", "Izin", "Informasi publik"):
            card_types.add(user("kasi"), "type", board.id, name)
        board_plugins.set_board_plugin(
            user("kasi"), board.id, "sla", settings={"policies": POLICIES}
        )
        return app, SimpleNamespace(
            board_id=board.id,
            column={c.name: c.id for c in board.columns},
        )


class Desk:
    """Acts on the board at chosen moments, through the card services."""

    def __init__(self, app, s):
        self.app, self.s = app, s

    def create(self, when: str, title: str, type_="pengaduan", who="petugas", column="Masuk"):
        with self.app.app_context(), at(when):
            card = cards.create_card(
                user(who),
                self.s.board_id,
                {
                    "title": title,
                    "type": type_,
                    "assignee": NIPS["petugas"],
                    "due_date": "2027-12-31",
                },
                column_id=self.s.column[column],
            ).card
            return card.id

    def move(self, when: str, card_id: int, column: str, who="petugas"):
        with self.app.app_context(), at(when):
            cards.move_card(user(who), card_id, self.s.column[column])


@pytest.fixture
def desk(database_url):
    app, s = build(database_url)
    try:
        yield Desk(app, s)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def api_get(app, who: str, url: str):
    with app.app_context():
        token = accounts.create_token(user(who))
    return app.test_client().get(url, headers={"Authorization": f"Bearer {token}"})
