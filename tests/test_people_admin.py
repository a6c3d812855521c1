"""People administration: the list, adding and editing people, roles and the admin flag, and
who may do which (admins everyone; heads their unit tree, never admins, never themselves
beyond their profile fields) through the pages, the API and the CLI."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AdminEvent, User
from app.services import accounts, people, person_fields
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from tests.conftest import NIPS, PASSWORD, get_user
from tests.query_counter import count_queries

pytestmark = pytest.mark.pg
NEW_NIP = "199505052020121001"


def log_kinds(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AdminEvent.kind).order_by(AdminEvent.id)))


def test_head_adds_a_person_to_their_unit_and_the_log_keeps_it(app, org, auth, client):
    auth.login(NIPS["kasi"])
    page = client.get("/people/new")
    assert page.status_code == 200
    assert "Nama lengkap dengan gelar" in page.get_data(as_text=True)
    response = client.post(
        "/people/new",
        data={
            "nip": "1995 0505 2020 12 1 001",
            "name": " Rina  Marlina, S.Kom. ",
            "position": "Pranata Komputer Ahli Pertama",
            "email": "Rina@Kominfo.GO.ID",
            "phone": "0812-3456-7890",
            "unit": "SEKSI-APL",
            "role": "member",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        rina = people.find_person(NEW_NIP)
        assert rina.name == "Rina Marlina, S.Kom."
        assert rina.phone == "+6281234567890"
        assert rina.email == "Rina@kominfo.go.id"
        assert rina.password_hash == person_fields.UNUSABLE_PASSWORD
        assert people.membership_of(rina).unit.code == "SEKSI-APL"
        event = db.session.scalar(select(AdminEvent).where(AdminEvent.kind == "user.created"))
        assert event.actor_id == org.users["kasi"] and event.after["unit"] == "SEKSI-APL"
    # The profile shows the number as people read it, with a WhatsApp link.
    profile = client.get(f"/people/{NEW_NIP}").get_data(as_text=True)
    assert "+62 812-3456-7890" in profile
    assert 'href="https://wa.me/6281234567890"' in profile
    # Without a password nobody signs in until a reset link sets one.
    auth.logout()
    assert auth.login(NEW_NIP, "").status_code != 302


def test_bad_fields_are_shown_next_to_each_field(app, org, auth, client):
    auth.login("admin")
    response = client.post(
        "/people/new",
        data={"nip": "199513052020121001", "name": "", "email": "x@", "phone": "12", "unit": ""},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field in ("p-nip-error", "p-name-error", "p-email-error", "p-phone-error", "p-unit-error"):
        assert field in html
    with app.app_context():
        assert db.session.scalar(select(User).where(User.name == "")) is None


def test_a_taken_nip_is_a_clear_409(app, org, api):
    response = api("admin").patch(f"/api/v1/users/{NIPS['staff']}", json={"nip": NIPS["staff2"]})
    assert response.status_code == 409
    body = response.get_json()["error"]
    assert body["code"] == "duplicate" and "Dewi Lestari" in body["message"]
    assert "nip" in body["fields"]


def test_head_cannot_place_people_above_their_unit_grant_admin_or_edit_outside(app, org):
    with app.app_context():
        kasi = get_user("kasi", org)
        data = {"nip": NEW_NIP, "name": "Rina", "unit": "BID-TIK"}
        with pytest.raises(Forbidden):
            people.create_person(kasi, data)
        with pytest.raises(Forbidden):
            people.create_person(kasi, {**data, "unit": "SEKSI-APL", "admin": True})
        with pytest.raises(NotFound):  # Rina Kusuma of Bidang IKP: not in the tree, unseen
            people.update_person(kasi, NIPS["outsider"], {"position": "Kepala"})
        with pytest.raises(NotFound):  # the kabid heads the unit above: not the kasi's to see
            people.update_person(kasi, NIPS["kabid"], {"position": "x"})
        with pytest.raises(Forbidden):  # the kadis sees the admin-less kasi... but not an admin
            people.update_person(get_user("kabid", org), NIPS["kasi"], {"admin": True})
        with pytest.raises(Forbidden):
            people.update_person(kasi, NIPS["staff"], {"admin": True})
        people.update_person(get_user("admin", org), NIPS["staff2"], {"admin": True})
        with pytest.raises(Forbidden):  # an admin's account is for admins, even in the tree
            people.update_person(get_user("kasi", org), NIPS["staff2"], {"position": "x"})
        kasi = get_user("kasi", org)
        with pytest.raises(Forbidden):  # their own role
            people.update_person(kasi, NIPS["kasi"], {"role": "member"})
        # Their own profile fields: yes.
        people.update_person(kasi, NIPS["kasi"], {"position": "Kepala Seksi Aplikasi"})
        assert get_user("kasi", org).position == "Kepala Seksi Aplikasi"
        with pytest.raises(Forbidden):
            people.list_people(get_user("staff", org), {})


def test_head_changes_a_members_role_and_it_is_logged(app, org, api):
    response = api("kabid").patch(f"/api/v1/users/{NIPS['staff']}", json={"role": "head"})
    assert response.status_code == 200 and response.get_json()["role"] == "head"
    with app.app_context():
        event = db.session.scalar(select(AdminEvent).where(AdminEvent.kind == "user.updated"))
        assert event.before == {"role": "member"} and event.after == {"role": "head"}


def test_nobody_removes_the_last_active_admin(app, org, api):
    response = api("admin").patch("/api/v1/users/admin", json={"admin": False})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "last_admin"
    # With a second admin, the first may step down.
    assert (
        api("admin").patch(f"/api/v1/users/{NIPS['kadis']}", json={"admin": True}).status_code
        == 200
    )
    assert api("admin").patch("/api/v1/users/admin", json={"admin": False}).status_code == 200


def test_list_searches_filters_and_pages_in_constant_queries(app, org, api):
    with app.app_context():
        admin = get_user("admin", org)
        for i in range(30):
            accounts.create_user(
                f"Pegawai {i:02d}", None, username=f"peg{i:02d}", unit_code="BID-IKP"
            )
    listed = api("admin").get("/api/v1/users?q=pegawai&page=2").get_json()
    assert listed["total"] == 30 and listed["pages"] == 2 and len(listed["users"]) == 5
    assert api("admin").get(f"/api/v1/users?q={NIPS['staff'][:10]}").get_json()["total"] == 1
    heads = api("admin").get("/api/v1/users?role=head&unit=BID-TIK").get_json()
    assert {u["login"] for u in heads["users"]} == {NIPS["kabid"], NIPS["kasi"]}
    only = api("admin").get("/api/v1/users?role=head&unit=BID-TIK&sub_units=false").get_json()
    assert [u["login"] for u in only["users"]] == [NIPS["kabid"]]
    # A head sees their tree only.
    kasi = api("kasi").get("/api/v1/users").get_json()
    assert {u["login"] for u in kasi["users"]} == {NIPS["kasi"], NIPS["staff"], NIPS["staff2"]}
    with app.app_context():
        admin = get_user("admin", org)
        counts = []
        for per_page in (5, 25):
            with count_queries(app) as statements, app.test_request_context():
                page = people.list_people(admin, people.clean_filters({}), per_page=per_page)
                [people.membership_of(p).unit.name for p in page.items if p.memberships]
            counts.append(len(statements))
        assert counts[0] == counts[1]


def test_list_page_for_heads_and_403_for_members(app, org, auth, client):
    auth.login(NIPS["kabid"])
    html = client.get("/people?q=agus").get_data(as_text=True)
    assert "Agus Pratama" in html and "Rina Kusuma" not in html
    auth.logout()
    auth.login(NIPS["staff"])
    assert client.get("/people").status_code == 403
    assert client.post(f"/people/{NIPS['staff2']}/edit", data={"name": "X"}).status_code == 403


def test_cli_edits_and_lists_with_filters(app, org, runner):
    result = runner.invoke(
        args=["users", "edit", NIPS["staff"], "--phone", "0813 1111 2222", "--role", "head"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert get_user("staff", org).phone == "+6281311112222"
    listed = runner.invoke(args=["users", "list", "--unit", "SEKSI-APL", "--role", "head"])
    assert NIPS["staff"] in listed.output and NIPS["kabid"] not in listed.output
    bad = runner.invoke(args=["users", "edit", NIPS["staff"], "--email", "nope"])
    assert bad.exit_code == 1 and "Error" in bad.output


def test_create_user_checks_nip_plausibility(app):
    with app.app_context():
        with pytest.raises(Invalid) as caught:
            accounts.create_user("X", PASSWORD, nip="199513012020121001")
        assert "nip" in caught.value.fields
        with pytest.raises(Conflict):
            accounts.create_user("A", PASSWORD, username="sama")
            accounts.create_user("B", PASSWORD, username="sama")


def test_a_head_makes_no_second_head_of_their_own_unit(app, org, api):
    """A second head of one's own unit would hold the head's rights, e.g. to decide the head's
    own paraf steps: only someone above the unit (or an admin) names a head."""
    kasi = api("kasi")
    response = kasi.patch(f"/api/v1/users/{NIPS['staff']}", json={"role": "head"})
    assert response.status_code == 403 and "role" in response.get_json()["error"]["fields"]
    created = kasi.post(
        "/api/v1/users",
        json={"nip": NEW_NIP, "name": "Rina Marlina", "unit": "SEKSI-APL", "role": "head"},
    )
    assert created.status_code == 403
    with app.app_context():
        assert get_user("staff", org).memberships[0].role == "member"
        assert db.session.scalar(select(User).where(User.nip == NEW_NIP)) is None
        # Nor through a transfer into the unit as its head.
        with pytest.raises(Forbidden):
            people.plan_transfer(get_user("kasi", org), NIPS["staff2"], "SEKSI-APL", role="head")
    # The head above may.
    assert (
        api("kabid").patch(f"/api/v1/users/{NIPS['staff']}", json={"role": "head"}).status_code
        == 200
    )


def test_a_head_does_not_manage_a_fellow_head_of_the_same_unit(app, org, api):
    assert (
        api("kabid").patch(f"/api/v1/users/{NIPS['staff']}", json={"role": "head"}).status_code
        == 200
    )
    kasi = api("kasi")
    # The new co-head can be neither demoted, deactivated nor edited by the other head.
    assert kasi.patch(f"/api/v1/users/{NIPS['staff']}", json={"role": "member"}).status_code == 403
    assert (
        kasi.post(
            f"/api/v1/users/{NIPS['staff']}/deactivate", json={"reason": "retired"}
        ).status_code
        == 403
    )
    assert (
        kasi.patch(f"/api/v1/users/{NIPS['staff']}", json={"email": "x@y.go.id"}).status_code == 403
    )
    with app.app_context():
        assert get_user("staff", org).active


def test_a_head_cannot_take_over_a_fellow_heads_account_with_a_reset_link(app, org, api):
    assert (
        api("kabid").patch(f"/api/v1/users/{NIPS['staff']}", json={"role": "head"}).status_code
        == 200
    )
    response = api("kasi").post(f"/api/v1/users/{NIPS['staff']}/reset-link")
    assert response.status_code == 403
    # The head above still may (the co-head forgot their password).
    assert api("kabid").post(f"/api/v1/users/{NIPS['staff']}/reset-link").status_code == 201
