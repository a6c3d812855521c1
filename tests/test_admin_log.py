"""The administration log page and API: newest first, in words (no codes or JSON), filtered by
what, who, dates and text, paged; administrators only (issue 21)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.admin import log as log_page
from app.extensions import db
from app.models import AdminEvent
from app.services import admin_log, admin_log_view, units
from app.services.tx import write_transaction
from tests.conftest import NIPS, get_user
from tests.query_counter import count_queries

pytestmark = pytest.mark.pg


def record(kind, actor, target_kind, **kwargs):
    with write_transaction():
        return admin_log.record(kind, actor, target_kind, **kwargs).id


@pytest.fixture
def history(app, org):
    """Entries of several kinds by two people, on top of building the org (by the CLI)."""
    with app.app_context():
        admin = get_user("admin", org)
        kadis = get_user("kadis", org)
        staff = get_user("staff", org)
        units.create_unit("SEKSI-INFRA", "Seksi Infrastruktur", "BID-TIK", actor=admin)
        units.move_unit(admin, "SEKSI-INFRA", "BID-IKP")
        record(
            "user.transferred",
            kadis,
            "user",
            target=staff,
            before={"unit": "SEKSI-APL", "role": "member"},
            after={"unit": "BID-IKP", "role": "head"},
            note="SK Bupati 800/12/2026",
        )
        record(
            "team.member_added", kadis, "team", label="TIM-SPBE Tim SPBE", after={"member": "Agus"}
        )
        record("robot.did_something", admin, "robot", label="Sesuatu")
        return {"admin": admin.id, "kadis": kadis.id}


def page(client, **params) -> str:
    response = client.get("/admin/log", query_string=params)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_log_shows_entries_in_words_newest_first(app, history, auth, client):
    auth.login("admin")
    body = page(client)
    # Newest first: the unknown kind, then the team, the transfer, the move.
    order = [body.index(text) for text in ("Sesuatu", "Tim SPBE", "SK Bupati", "Memindahkan unit")]
    assert order == sorted(order)
    assert "Memindahkan pegawai ke unit lain (mutasi)" in body
    assert "Menambahkan anggota tim kerja" in body
    # Before -> after with labels and unit names, not codes or JSON.
    assert 'Seksi Aplikasi</span> → <span class="log-after">Bidang IKP' in body
    assert "Unit induk" in body and 'Bidang TIK</span> → <span class="log-after">Bidang IKP' in body
    assert "anggota" in body and "kepala" in body
    assert "{" not in body[body.index("<tbody>") : body.index("</tbody>")]
    assert "unit.moved" not in body and "user.transferred" not in body
    # An unknown kind still reads as a sentence.
    assert "Perubahan administrasi" in body
    assert "WIB" in body


def test_the_log_filters(app, history, auth, client):
    auth.login("admin")
    body = page(client, what="user")
    assert "SK Bupati" in body and "Memindahkan unit" not in body
    body = page(client, who=str(history["kadis"]))
    assert "SK Bupati" in body and "Tim SPBE" in body and "Memindahkan unit" not in body
    # The "who" picker offers the people who acted.
    picker = body[body.index('id="log-who"') : body.index("</select>", body.index('id="log-who"'))]
    assert "Ir. Hendra Wijaya" in picker and "Administrator" in picker
    assert "Agus Pratama" not in picker
    body = page(client, q="spbe")
    assert "Tim SPBE" in body and "SK Bupati" not in body
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()  # the log filters in WIB
    assert "SK Bupati" in page(client, **{"from": today, "to": today})
    assert "Tidak ada catatan" in page(client, **{"from": "2030-01-01"})
    response = client.get("/admin/log", query_string={"from": "kemarin"})
    assert response.status_code == 422
    assert "log-from-error" in response.get_data(as_text=True)
    response = client.get("/admin/log", query_string={"q": "a\u0000b"})
    assert response.status_code == 422
    assert "log-q-error" in response.get_data(as_text=True)
    # Nonsense elsewhere is ignored, never a 500.
    assert (
        client.get(
            "/admin/log", query_string={"what": "x", "who": "abc", "before_id": "-1"}
        ).status_code
        == 200
    )


def test_the_log_pages_with_older_links(app, history, auth, client, monkeypatch):
    monkeypatch.setattr(log_page, "PAGE_SIZE", 2)
    auth.login("admin")
    body = page(client)
    assert "Sesuatu" in body and "Tim SPBE" in body and "SK Bupati" not in body
    assert "before_id=" in body
    with app.app_context():
        team_id = db.session.scalar(
            select(AdminEvent.id).where(AdminEvent.kind == "team.member_added")
        )
    body = page(client, before_id=str(team_id))
    assert "SK Bupati" in body and "Tim SPBE" not in body


def test_log_page_queries_do_not_grow_with_entries(app, history, auth, client):
    auth.login("admin")
    client.get("/admin/log")
    with count_queries(app) as few:
        client.get("/admin/log")
    with app.app_context():
        kadis = get_user(history["kadis"])
        for n in range(10):
            units.create_unit(f"S-{n}", f"Seksi {n}", "BID-IKP", actor=get_user(history["admin"]))
            record(
                "user.updated",
                kadis,
                "user",
                label=f"orang {n}",
                before={"unit": "SEKSI-APL"},
                after={"unit": f"S-{n}"},
            )
    with count_queries(app) as many:
        client.get("/admin/log")
    assert len(many) == len(few)


def test_the_log_is_for_admins(app, history, auth, client):
    auth.login(NIPS["kadis"])
    assert client.get("/admin/log").status_code == 403


def test_every_kind_other_helpers_write_has_a_sentence():
    kinds = [
        "user.created", "user.updated", "user.transferred", "user.deactivated", "user.reactivated",
        "user.password_reset_issued", "user.password_changed", "team.created", "team.updated",
        "team.member_added", "team.member_removed", "acting.appointed", "acting.ended",
        "import.applied", "setup.code_used", "unit.created", "unit.updated", "unit.moved",
        "unit.deactivated", "unit.reactivated",
    ]  # fmt: skip
    assert set(kinds) <= set(admin_log_view.SENTENCES)
    assert set(admin_log.TARGET_KINDS) == set(admin_log_view.TARGET_NAMES)


# API ---------------------------------------------------------------------------------------


def test_api_log_filters_and_pages(app, history, tokens, client):
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    response = client.get("/api/v1/admin/log", headers=admin)
    assert response.status_code == 200
    entries = response.get_json()["entries"]
    assert entries[0]["kind"] == "robot.did_something"
    assert [entry["id"] for entry in entries] == sorted(
        (entry["id"] for entry in entries), reverse=True
    )
    transfer = next(entry for entry in entries if entry["kind"] == "user.transferred")
    assert transfer["actor"] == NIPS["kadis"]
    assert transfer["before"] == {"unit": "SEKSI-APL", "role": "member"}
    response = client.get(
        "/api/v1/admin/log", query_string={"who": NIPS["kadis"], "what": "team"}, headers=admin
    )
    assert [entry["kind"] for entry in response.get_json()["entries"]] == ["team.member_added"]
    response = client.get("/api/v1/admin/log", query_string={"limit": "2"}, headers=admin)
    page_one = response.get_json()
    assert (
        len(page_one["entries"]) == 2 and page_one["next_before_id"] == page_one["entries"][1]["id"]
    )
    response = client.get(
        "/api/v1/admin/log",
        query_string={"limit": "2", "before_id": page_one["next_before_id"]},
        headers=admin,
    )
    assert response.get_json()["entries"][0]["id"] < page_one["next_before_id"]
    with app.app_context():
        total = db.session.scalar(select(func.count(AdminEvent.id)))
    response = client.get("/api/v1/admin/log", query_string={"limit": "200"}, headers=admin)
    assert len(response.get_json()["entries"]) == total
    assert response.get_json()["next_before_id"] is None


@pytest.mark.parametrize(
    "params,field",
    [
        ({"what": "robot"}, "what"),
        ({"who": "nobody"}, "who"),
        ({"from": "2026-02-30"}, "from"),
        ({"limit": "0"}, "limit"),
        ({"before_id": "x"}, "before_id"),
        ({"colour": "red"}, "colour"),
        ({"who": "a\u0000b"}, "who"),
        ({"q": "a\u0000b"}, "q"),
    ],
)
def test_api_log_refuses_bad_filters(app, history, tokens, client, params, field):
    response = client.get(
        "/api/v1/admin/log",
        query_string=params,
        headers={"Authorization": f"Bearer {tokens['admin']}"},
    )
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_api_log_is_for_admins(app, history, tokens, client):
    response = client.get(
        "/api/v1/admin/log", headers={"Authorization": f"Bearer {tokens['kadis']}"}
    )
    assert response.status_code == 403


def test_people_in_an_entry_are_named_not_only_numbered(app, org, client):
    from app.services import teams

    with app.app_context():
        admin = get_user("admin", org)
        teams.create_team(
            admin, "TIM-DATA", "Tim Data", "SEKSI-APL", NIPS["staff2"], members=[NIPS["staff"]]
        )
        leader = get_user("staff2", org)
        member = get_user("staff", org)
        events = admin_log.entries(kind_prefix="team.")
        (row,) = admin_log_view.rows(events)
        shown = {change.label: change.after for change in row.changes}
        leader_field = admin_log_view.field_label("leader")
        assert shown[leader_field] == f"{leader.name} ({leader.nip})"
        members = shown[admin_log_view.field_label("members")]
        assert f"{member.name} ({member.nip})" in members
        assert f"{leader.name} ({leader.nip})" in members
