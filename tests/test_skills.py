"""The skills platform: catalog, levels, verification, certificates, the audit trail of profile
changes, the one-query read helper plugins use, and the profile page."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import SkillEvent, UserSkill
from app.services import skills
from app.services.errors import Forbidden, Invalid, NotFound
from cergas.plugin import required_skills, skill_catalog, skills_of_users
from tests.conftest import NIPS, get_user
from tests.i18n_helpers import t as catalog_text
from tests.query_counter import count_queries


def t(msgid: str) -> str:
    """The Indonesian text once the lead has compiled this feature's strings, English before."""
    try:
        return catalog_text(msgid)
    except AssertionError:
        return msgid


SEEDED = {
    "office-software",
    "spreadsheet-data-analysis",
    "graphic-design",
    "digital-promotion",
    "public-presentation",
    "public-communication-writing",
    "critical-thinking",
    "service-excellence",
    "foreign-language",
}


@pytest.fixture
def catalog(app, org):
    with app.app_context():
        skills.seed_catalog()
    return org


def test_seeded_catalog_has_the_skills_a_regional_office_asks_for(app, catalog):
    with app.app_context():
        entries = skill_catalog()
        assert {s.slug for s in entries} == SEEDED
        assert {s.kind for s in entries} <= {
            "technical",
            "managerial",
            "social_cultural",
            "language",
        }
        assert skills.seed_catalog() == 0  # idempotent


@pytest.mark.pg
def test_skills_of_users_answers_every_id_in_one_query(app, catalog):
    with app.app_context():
        staff, staff2 = get_user("staff", catalog), get_user("staff2", catalog)
        skills.set_user_skills(staff, staff, {"graphic-design": 3, "office-software": 2})
        skills.set_user_skill(staff2, staff2, "office-software", None)
        ids = [staff.id, staff2.id, catalog.users["kasi"]]
        with count_queries(app) as queries:
            result = skills_of_users(ids)
        assert len(queries) == 1
        assert result == {
            staff.id: {"graphic-design": 3, "office-software": 2},
            staff2.id: {"office-software": None},
            catalog.users["kasi"]: {},
        }
        assert skills_of_users([]) == {}


def test_own_change_needs_verification_and_head_verifies(app, catalog):
    with app.app_context():
        staff, kasi = get_user("staff", catalog), get_user("kasi", catalog)
        skills.set_user_skills(staff, staff, {"graphic-design": 2})
        row = db.session.scalar(select(UserSkill).where(UserSkill.user_id == staff.id))
        assert row.verified_at is None
        with pytest.raises(Forbidden):
            skills.verify_user_skill(staff, staff, "graphic-design")
        skills.verify_user_skill(kasi, staff, "graphic-design")
        db.session.refresh(row)
        assert row.verified_by_id == kasi.id and row.verified_at is not None
        # Raising one's own level asks for verification again.
        skills.set_user_skills(staff, staff, {"graphic-design": 4})
        db.session.refresh(row)
        assert (row.level, row.verified_at) == (4, None)
        # A head who sets a level verifies it by doing so.
        skills.set_user_skills(kasi, staff, {"graphic-design": 3})
        db.session.refresh(row)
        assert (row.level, row.verified_by_id) == (3, kasi.id)


def test_who_may_change_a_profile(app, catalog):
    with app.app_context():
        staff = get_user("staff", catalog)
        outsider, staff2 = get_user("outsider", catalog), get_user("staff2", catalog)
        kabid, admin = get_user("kabid", catalog), get_user("admin", catalog)
        with pytest.raises(NotFound):
            skills.set_user_skills(outsider, staff, {"graphic-design": 1})
        with pytest.raises(Forbidden):  # a colleague sees but may not change
            skills.set_user_skills(staff2, staff, {"graphic-design": 1})
        skills.set_user_skills(kabid, staff, {"graphic-design": 1})  # head of a unit above
        skills.set_user_skills(admin, staff, {"critical-thinking": 2}, replace=False)
        assert skills_of_users([staff.id])[staff.id] == {
            "graphic-design": 1,
            "critical-thinking": 2,
        }


def test_bad_levels_and_unknown_skills_name_the_field(app, catalog):
    with app.app_context():
        staff = get_user("staff", catalog)
        with pytest.raises(Invalid) as refused:
            skills.set_user_skills(staff, staff, {"graphic-design": 5, "juggling": 1})
        assert set(refused.value.fields) == {"skill-graphic-design", "skill-juggling"}
        assert skills_of_users([staff.id])[staff.id] == {}


def test_every_change_is_in_the_append_only_trail(app, catalog):
    with app.app_context():
        staff, kasi = get_user("staff", catalog), get_user("kasi", catalog)
        skills.set_user_skills(staff, staff, {"graphic-design": 2})
        skills.verify_user_skill(kasi, staff, "graphic-design")
        skills.set_user_skills(staff, staff, {})
        cert = skills.add_certificate(
            staff,
            staff,
            {"test": "toefl", "score": "550", "taken_on": "2025-01-10", "expires_on": "2027-01-10"},
        )
        skills.delete_certificate(staff, staff, cert.id)
        events = db.session.scalars(
            select(SkillEvent).where(SkillEvent.user_id == staff.id).order_by(SkillEvent.id)
        ).all()
        assert [e.kind for e in events] == [
            "skill_set",
            "skill_verified",
            "skill_removed",
            "certificate_added",
            "certificate_removed",
        ]
        assert events[1].actor_id == kasi.id
        assert events[0].data == {
            "skill": "graphic-design",
            "old": None,
            "new": 2,
            "verified": False,
        }
        events[0].kind = "tampered"
        with pytest.raises(Exception, match="append-only"):
            db.session.flush()
        db.session.rollback()


def test_certificate_score_must_fit_the_test_and_expire_after_it(app, catalog):
    with app.app_context():
        staff = get_user("staff", catalog)
        with pytest.raises(Invalid) as refused:
            skills.add_certificate(
                staff,
                staff,
                {
                    "test": "IELTS",
                    "score": "10",
                    "taken_on": "2026-05-01",
                    "expires_on": "2026-04-01",
                    "evidence_url": "javascript:alert(1)",
                },
            )
        assert set(refused.value.fields) == {"score", "expires_on", "evidence_url"}
        with pytest.raises(Invalid) as refused:
            skills.add_certificate(staff, staff, {"test": "SAT", "score": ""})
        assert {"test", "score", "taken_on", "expires_on"} <= set(refused.value.fields)


def test_required_skills_are_read_from_skill_labels():
    class CardLike:
        labels = [
            "mendesak",
            "skill:graphic-design",
            "Skill:Office-Software",
            "skill:",
            "skill:graphic-design",
        ]

    assert required_skills(CardLike()) == ["graphic-design", "office-software"]


def test_profile_page_edits_skills_and_shows_errors_next_to_the_field(app, client, auth, catalog):
    auth.login(NIPS["staff"])
    page = client.get("/profile", follow_redirects=True)
    assert page.status_code == 200
    assert t("Graphic design (e.g. Canva)") in page.get_data(as_text=True)
    response = client.post(
        f"/people/{NIPS['staff']}/skills",
        data={"skill-graphic-design": "3", "skill-office-software": "9"},
    )
    assert response.status_code == 422
    assert 'id="skill-office-software-error"' in response.get_data(as_text=True)
    response = client.post(f"/people/{NIPS['staff']}/skills", data={"skill-graphic-design": "3"})
    assert response.status_code == 302
    with app.app_context():
        assert skills_of_users([catalog.users["staff"]])[catalog.users["staff"]] == {
            "graphic-design": 3
        }


def test_head_verifies_on_the_profile_page_and_outsiders_do_not_see_it(app, client, auth, catalog):
    with app.app_context():
        staff = get_user("staff", catalog)
        skills.set_user_skills(staff, staff, {"graphic-design": 3})
    auth.login(NIPS["outsider"])
    assert client.get(f"/people/{NIPS['staff']}").status_code == 404
    auth.logout()
    auth.login(NIPS["kasi"])
    page = client.get(f"/people/{NIPS['staff']}").get_data(as_text=True)
    assert t("Waiting for your verification") in page
    response = client.post(f"/people/{NIPS['staff']}/skills/graphic-design/verify")
    assert response.status_code == 302
    page = client.get(f"/people/{NIPS['staff']}").get_data(as_text=True)
    assert t("Waiting for your verification") not in page
    assert client.post(f"/people/{NIPS['staff']}/skills/juggling/verify").status_code == 404


def test_profile_history_names_skills_not_their_slugs(app, client, auth, catalog):
    with app.app_context():
        staff = get_user("staff", catalog)
        skills.set_user_skills(staff, staff, {"graphic-design": 3})
    auth.login(NIPS["staff"])
    page = client.get(f"/people/{NIPS['staff']}").get_data(as_text=True)
    history = page.split('id="history-section"')[1]
    assert t("Graphic design (e.g. Canva)") in history
    assert "graphic-design" not in history


def test_certificate_form_warns_before_expiry(app, client, auth, catalog):
    from datetime import timedelta

    from app.web import local_today

    soon = local_today() + timedelta(days=30)
    auth.login(NIPS["staff"])
    response = client.post(
        f"/people/{NIPS['staff']}/certificates",
        data={
            "test": "TOEIC",
            "score": "785",
            "taken_on": "2024-12-01",
            "expires_on": soon.isoformat(),
        },
    )
    assert response.status_code == 302
    page = client.get(f"/people/{NIPS['staff']}").get_data(as_text=True)
    assert "certificate-expiring" in page
    response = client.post(
        f"/people/{NIPS['staff']}/certificates",
        data={
            "test": "TOEIC",
            "score": "2000",
            "taken_on": "2024-12-01",
            "expires_on": "2026-12-01",
        },
    )
    assert response.status_code == 422
    assert 'id="cert-score-error"' in response.get_data(as_text=True)


def test_test_kit_has_the_catalog_and_records_skills(cergas_make):
    unit = cergas_make.unit("SEKSI-UJI")
    head = cergas_make.user("Kepala Uji", role="head", unit=unit)
    sari = cergas_make.user("Sari Wulandari", unit=unit)
    assert cergas_make.skills(sari, {"graphic-design": 3}) == {"graphic-design": 3}
    # Recorded by the head: verified, and added to what she already holds.
    held = cergas_make.skills(sari, {"office-software": None}, actor=head)
    assert held == {"graphic-design": 3, "office-software": None}


def test_profile_form_keeps_a_skill_held_without_a_level(app, client, auth, catalog):
    with app.app_context():
        staff = get_user("staff", catalog)
        skills.set_user_skill(staff, staff, "office-software", None)
    auth.login(NIPS["staff"])
    page = client.get(f"/people/{NIPS['staff']}").get_data(as_text=True)
    assert '<option value="held" selected>' in page
    client.post(
        f"/people/{NIPS['staff']}/skills",
        data={"skill-office-software": "held", "skill-graphic-design": "2"},
    )
    with app.app_context():
        held = skills_of_users([catalog.users["staff"]])[catalog.users["staff"]]
        assert held == {"office-software": None, "graphic-design": 2}
