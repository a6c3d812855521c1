"""Issue 27: colleagues see each other's skills and certificates only where their unit allows
it (`Unit.colleagues_see_competency`, off by default, set on the unit's admin page); the person
and the heads above them always do. Enforced on the profile, the competency plugin's page and
the API."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AdminEvent, Unit
from app.services import skills
from tests.conftest import NIPS, get_user, make_app

STAFF = NIPS["staff"]
PAGES = {
    "profile": f"/people/{STAFF}",
    "plugin": f"/plugins/competency/people/{STAFF}",
}


@pytest.fixture
def app(database_url):
    app = make_app(database_url, CERGAS_PLUGINS="competency")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def held(app, org):
    with app.app_context():
        skills.seed_catalog()
        staff = get_user("staff", org)
        skills.set_user_skills(staff, staff, {"graphic-design": 2})
        skills.add_certificate(
            staff,
            staff,
            {"test": "TOEIC", "score": "805", "taken_on": "2025-03-01", "expires_on": "2027-03-01"},
        )
    return org


def sees(client, auth, api, who) -> dict:
    auth.login("admin" if who == "admin" else NIPS[who])
    profile = client.get(PAGES["profile"])
    found = {
        "profile": profile.status_code,
        "skills": "skills-section" in profile.get_data(as_text=True),
        "certificate": "805" in profile.get_data(as_text=True),
        "plugin": client.get(PAGES["plugin"]).status_code,
        "api": api(who).get(f"/api/v1/users/{STAFF}/competency").status_code,
    }
    auth.logout()
    return found


HIDDEN = {"profile": 200, "skills": False, "certificate": False, "plugin": 404, "api": 404}
SHOWN = {"profile": 200, "skills": True, "certificate": True, "plugin": 200, "api": 200}


def test_a_colleague_sees_the_profile_but_not_the_competency_by_default(client, auth, api, held):
    assert sees(client, auth, api, "staff2") == HIDDEN


@pytest.mark.parametrize("who", ["staff", "kasi", "kabid", "admin"])
def test_the_person_their_heads_and_admins_always_see_it(client, auth, api, held, who):
    assert sees(client, auth, api, who) == SHOWN


def test_the_unit_admin_page_opens_it_to_colleagues_and_logs_the_change(
    app, client, auth, api, held
):
    auth.login("admin")
    page = client.get("/admin/units/SEKSI-APL")
    assert 'name="colleagues_see_competency"' in page.get_data(as_text=True)
    saved = client.post(
        "/admin/units/SEKSI-APL",
        data={
            "name": "Seksi Aplikasi",
            "parent": "BID-TIK",
            "timezone": "Asia/Jakarta",
            "colleagues_see_competency": ["0", "1"],
        },
    )
    assert saved.status_code == 302
    auth.logout()
    assert sees(client, auth, api, "staff2") == SHOWN
    # Someone outside the unit still sees nothing of it.
    outsider = sees(client, auth, api, "outsider")
    assert outsider["plugin"] == 404 and outsider["api"] == 404
    with app.app_context():
        entry = db.session.scalar(
            select(AdminEvent).where(AdminEvent.kind == "unit.updated").order_by(AdminEvent.id)
        )
        assert entry.after == {"colleagues_see_competency": True}
    # Unticking the box (only the hidden "0" is sent) closes it again.
    auth.login("admin")
    client.post(
        "/admin/units/SEKSI-APL",
        data={
            "name": "Seksi Aplikasi",
            "parent": "BID-TIK",
            "timezone": "Asia/Jakarta",
            "colleagues_see_competency": "0",
        },
    )
    auth.logout()
    assert sees(client, auth, api, "staff2") == HIDDEN
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "SEKSI-APL"))
        assert unit.colleagues_see_competency is False


def test_the_api_refuses_a_setting_that_is_not_true_or_false(app, held):
    from app.services import units
    from app.services.errors import Invalid

    with app.app_context():
        admin = get_user("admin", held)
        with pytest.raises(Invalid) as refused:
            units.edit_unit(admin, "SEKSI-APL", {"colleagues_see_competency": "ya"})
        assert "colleagues_see_competency" in refused.value.fields
