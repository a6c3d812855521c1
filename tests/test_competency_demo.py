"""On the demo office: the gap analysis names the skill that held work up (graphic design) and
the one person who holds it (Fitri); the board shows the badges and the warning; a certificate
warns before it lapses; JP are right to the minute."""

import pytest
from sqlalchemy import select

from app import demo
from app.extensions import db
from app.models import Board, User
from tests.conftest import make_app
from tests.i18n_helpers import t

# Each test builds the whole demo office (1-3 s): in the full run (`.ci/run`); the fast run keeps
# test_cli's check that `cergas demo` fills an empty database.
pytestmark = pytest.mark.slow


@pytest.fixture
def app(database_url):
    app = make_app(database_url, CERGAS_PLUGINS="competency")
    with app.app_context():
        demo.create_demo()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def person(key: str) -> User:
    login = next(p.login for p in demo.PEOPLE if p.key == key)
    return db.session.scalar(select(User).where((User.nip == login) | (User.username == login)))


def test_gap_analysis_names_graphic_design_and_fitri(app):
    from plugins.competency import core

    with app.test_request_context():
        report = core.report_json(core.unit_gaps(person("kasi_pip"), "SEKSI-PIP"))
        top = report["skills"][0]
        assert top["skill"] == "graphic-design"
        assert [h["name"] for h in top["holders"]] == [person("fitri").name]
        assert top["bus_factor_one"] and top["train"] == 2
        assert top["average_wait_working_days"] >= 2.0
        assert report["recommendations"][0].startswith(top["name"])
        assert "Fitri Handayani" in report["recommendations"][0]
        writing = next(s for s in report["skills"] if s["skill"] == "public-communication-writing")
        assert len(writing["holders"]) == 3 and writing["train"] == 0


def test_demo_board_shows_badges_and_the_bus_factor_warning(app):
    client = app.test_client()
    with app.app_context():
        board_id = db.session.scalar(
            select(Board.id).where(Board.name == "Publikasi dan Media Sosial")
        )
        login = person("kasi_pip").login
    client.post("/login", data={"username": login, "password": demo.PASSWORD})
    page = client.get(f"/boards/{board_id}").get_data(as_text=True)
    assert "Fitri Handayani" in page and "board-warning" in page
    # The four posters nobody has started: Fitri, the only holder, is busy.
    import re

    # The badge names the plugin by its title (issue 26), not its package name.
    title = re.escape(t("Competency development"))
    busy = re.findall(rf'<li class="badge badge-warning" title="[^"]*· {title}">', page)
    assert len(busy) == 4


def test_demo_certificates_and_jp(app):
    from plugins.competency import core

    with app.test_request_context():
        dimas = core.person_competency(person("dimas"), person("dimas").login)
        assert [state for _c, state in dimas.certificates] == ["expiring"]
        fitri = core.person_competency(person("fitri"), person("fitri").login)
        # 3.5 h + 1.25 h = 210 + 75 = 285 minutes = 6 JP 15 minutes (45 a JP); 615 to go.
        assert fitri.progress.minutes == 285
        assert (fitri.progress.whole_jp, fitri.progress.rest_minutes) == (6, 15)
        assert fitri.progress.remaining_minutes == 615


def test_tick_warns_each_certificate_holder_once(app):
    from datetime import UTC, datetime, timedelta

    from app.models import Notification

    host = app.extensions["cergas_plugins"]
    now = datetime.now(UTC)
    with app.app_context():
        dimas = person("dimas")
        host.call("cergas_periodic", now=now)
        host.call("cergas_periodic", now=now + timedelta(hours=1))
        mine = db.session.scalars(
            select(Notification).where(Notification.plugin == "competency")
        ).all()
        # Dimas' TOEFL lapses in six weeks; the kasi's IELTS lapsed a month ago.
        assert sorted(n.user_id for n in mine) == sorted([dimas.id, person("kasi_pip").id])
        assert all(n.link.startswith("/people/") for n in mine)
