"""The `cergas_demo_content` hook: once the core demo office is built, each loaded plugin gets a
`DemoOffice` naming its people, units and boards and adds its own part; the core demo knows no
plugin's settings."""

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app import clock, demo
from app.extensions import db
from app.models import Board, Card, Event, User
from cergas.plugin import Setting, hookimpl, plugin_settings
from tests.conftest import make_app

# Each test builds the whole demo office (1-3 s): in the full run (`.ci/run`); the fast run keeps
# test_cli's check that `cergas demo` fills an empty database.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
INTAKE = "Permohonan Masuk"


class Recorder:
    """Notes what the office named (the objects live only in the demo's session), saves a
    setting on Persuratan, notes the days of the history it is called on (and the clock's day
    then) and moves one card once the history is played."""

    def __init__(self):
        self.offices = []
        self.moved = None
        self.days = []
        self.cards_at_setup = None

    @hookimpl
    def cergas_settings(self):
        return [Setting("motto", "str", "", "Motto")]

    @hookimpl
    def cergas_demo_content(self, office):
        self.offices.append(
            {
                "people": {key: user.name for key, user in office.people.items()},
                "person_ids": {key: user.id for key, user in office.people.items()},
                "units": office.units,
                "boards": dict(office.boards),
                "heads": {name: user.id for name, user in office.heads.items()},
                "admin": office.admin.is_admin,
                "today": office.today,
            }
        )
        office.configure("recorder", demo.PERSURATAN.name, {"motto": "Tertib administrasi"})
        self.cards_at_setup = len(office.cards(demo.LAYANAN_INFORMASI.name, INTAKE))
        office.each_working_day(lambda day: self.days.append((day, clock.today())))
        office.after_history(lambda: self.move_one(office))

    def move_one(self, office):
        # The first card with a due date (a card enters an active column only with one).
        card = next(c for c in office.cards(demo.LAYANAN_INFORMASI.name, INTAKE) if c.due_date)
        office.move(card, "Verifikasi")
        self.moved = card.id


# One office for the module (it takes a while to build); the tests only read it.
@pytest.fixture(scope="module")
def recorder():
    return Recorder()


@pytest.fixture(scope="module")
def app(recorder):
    app = make_app("sqlite://", CERGAS_PLUGIN_OBJECTS={"recorder": recorder})
    with app.app_context():
        demo.create_demo()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_each_plugin_gets_the_office_once_named_as_the_demo_names_it(app, recorder):
    assert len(recorder.offices) == 1
    office = recorder.offices[0]
    assert set(office["people"]) == {person.key for person in demo.PEOPLE}
    assert office["people"]["sekretaris"].startswith("Sri Wahyuni")
    assert office["units"] == [code for code, _name, _parent in demo.office.UNITS]
    assert list(office["boards"]) == [spec.name for spec in demo.office.BOARDS]
    assert office["heads"][demo.PERSURATAN.name] == office["person_ids"]["kasubbag"]
    assert office["admin"] is True
    assert office["today"] == demo.local_today()
    with app.app_context():
        for name, board_id in office["boards"].items():
            assert db.session.get(Board, board_id).name == name


def test_a_plugin_sets_up_before_the_history_and_acts_on_each_of_its_working_days(app, recorder):
    assert recorder.cards_at_setup == 0  # the office is set up; its work is still to come
    days = [day for day, _clock_day in recorder.days]
    assert len(days) >= 55  # twelve weeks of working days, holidays off
    assert days == sorted(days) and days[-1] < demo.local_today()
    assert all(day.weekday() < 5 for day in days)
    # Each call runs with the clock at that day, so what the plugin writes is dated then.
    assert all(day == clock_day for day, clock_day in recorder.days)


def test_a_plugin_configures_its_settings_and_moves_cards_through_the_office(app, recorder):
    office = recorder.offices[0]
    with app.app_context():
        persuratan = db.session.get(Board, office["boards"][demo.PERSURATAN.name])
        assert plugin_settings(persuratan, "recorder")["motto"] == "Tertib administrasi"
        card = db.session.get(Card, recorder.moved)
        assert card.column.name == "Verifikasi"
        move = db.session.scalar(
            select(Event).where(Event.card_id == card.id, Event.kind == "moved")
        )
        # The card has no assignee: the board's head moved it, audited like any move.
        assert move.actor_id == office["person_ids"][demo.LAYANAN_INFORMASI.head]


def test_sla_demo_content_sets_the_information_desks_service_standards():
    app = make_app("sqlite://", CERGAS_PLUGINS="sla")
    try:
        with app.app_context():
            demo.create_demo(weeks=1)
            desk = db.session.scalar(select(Board).where(Board.name == demo.LAYANAN_INFORMASI.name))
            policies = plugin_settings(desk, "sla")["policies"]
            assert [p["type"] for p in policies] == [
                "permohonan-informasi",
                "keberatan",
                "pengaduan",
            ]
            assert [p["duration"] for p in policies] == [10, 30, 3]
            other = db.session.scalar(select(Board).where(Board.name == demo.PERSURATAN.name))
            assert plugin_settings(other, "sla")["policies"] == []
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_the_core_demo_knows_no_plugin():
    for path in sorted((ROOT / "app" / "demo").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import) plugins\b", text, flags=re.MULTILINE), path
        for name in ("approvals", "sla", "workload", "competency", "email"):
            assert f'"{name}"' not in text, f"{path.name} names the plugin {name}"
        for setting in ("chains", "policies", "review_column", "remind_after_days"):
            assert setting not in text, f"{path.name} knows the plugin setting {setting}"


def test_the_demo_stores_each_persons_position_and_a_few_contacts(app):
    with app.app_context():
        stored = {user.login: user for user in db.session.scalars(select(User))}
        for person in demo.PEOPLE:
            user = stored[person.login]
            assert user.position == person.position, person.key
            assert user.email == person.email, person.key
        dimas = stored["199101052015031002"]
        assert dimas.position == "Pranata Humas Ahli Pertama"
        assert dimas.email == "dimas.nugroho@example.org"
        assert dimas.phone == "+6285743210962"
        assert sum(1 for user in stored.values() if user.phone) >= 3
