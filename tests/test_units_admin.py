"""Units for administrators: the tree page, create, rename, move (never under itself or its own
sub-units), time zone, deactivate (refused while anything lives in it) and reactivate; the same
through the API and the CLI; every change in the administrative log (issue 21)."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AdminEvent, Unit
from app.services import accounts, boards, units
from app.services.errors import Conflict, Forbidden, Invalid
from tests.conftest import NIPS, PASSWORD, get_user
from tests.query_counter import count_queries

pytestmark = pytest.mark.pg


def unit(code) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


@pytest.fixture
def start(app, org) -> int:
    """The last log entry of building the org: tests look at what came after."""
    with app.app_context():
        return db.session.scalar(select(func.max(AdminEvent.id))) or 0


def log_kinds(app, start: int) -> list[tuple[str, dict | None, dict | None]]:
    with app.app_context():
        return [
            (event.kind, event.before, event.after)
            for event in db.session.scalars(
                select(AdminEvent)
                .where(AdminEvent.target_kind == "unit", AdminEvent.id > start)
                .order_by(AdminEvent.id)
            )
        ]


# Pages -------------------------------------------------------------------------------------


def test_tree_page_shows_every_unit_with_its_counts(app, org, auth, client):
    auth.login("admin")
    page = client.get("/admin/units")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    for name in ("Dinas Komunikasi dan Informatika", "Bidang TIK", "Seksi Aplikasi", "Bidang IKP"):
        assert name in body
    # Seksi Aplikasi: kasi, staff, staff2 and one board; its calendar is linked.
    row = body[body.index('id="unit-SEKSI-APL"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="number">3</td>' in row and '<td class="number">1</td>' in row
    assert "/admin/calendars/SEKSI-APL" in row
    assert "WITA" in body  # Bidang IKP


def test_tree_page_queries_do_not_grow_with_units(app, org, auth, client):
    auth.login("admin")
    client.get("/admin/units")
    with count_queries(app) as few:
        client.get("/admin/units")
    with app.app_context():
        for n in range(15):
            units.create_unit(f"SEKSI-{n}", f"Seksi {n}", "BID-IKP")
    with count_queries(app) as many:
        client.get("/admin/units")
    assert len(many) == len(few)


def test_create_rename_move_and_zone_through_the_pages(app, org, start, auth, client):
    auth.login("admin")
    response = client.post(
        "/admin/units",
        data={
            "code": "SEKSI-INFRA",
            "name": "Seksi Infrastruktur",
            "parent": "BID-TIK",
            "timezone": "Asia/Jakarta",
        },
    )
    assert response.status_code == 302
    assert client.get("/admin/units/SEKSI-INFRA").status_code == 200
    response = client.post(
        "/admin/units/SEKSI-INFRA",
        data={"name": "Seksi Infrastruktur TIK", "parent": "BID-IKP", "timezone": "Asia/Makassar"},
    )
    assert response.status_code == 302
    with app.app_context():
        moved = unit("SEKSI-INFRA")
        assert (moved.name, moved.parent.code, moved.timezone) == (
            "Seksi Infrastruktur TIK",
            "BID-IKP",
            "Asia/Makassar",
        )
    kinds = log_kinds(app, start)
    assert kinds[0] == (
        "unit.created",
        None,
        {
            "code": "SEKSI-INFRA",
            "name": "Seksi Infrastruktur",
            "parent": "BID-TIK",
            "timezone": "Asia/Jakarta",
            "active": True,
        },
    )
    assert ("unit.moved", {"parent": "BID-TIK"}, {"parent": "BID-IKP"}) in kinds
    assert (
        "unit.updated",
        {"name": "Seksi Infrastruktur", "timezone": "Asia/Jakarta"},
        {"name": "Seksi Infrastruktur TIK", "timezone": "Asia/Makassar"},
    ) in kinds


def test_page_refusals_are_shown_next_to_the_field(app, org, start, auth, client):
    auth.login("admin")
    response = client.post(
        "/admin/units",
        data={"code": "SEKSI-APL", "name": "Lagi", "parent": "", "timezone": "Asia/Jakarta"},
    )
    assert response.status_code == 409
    assert "new-code-error" in response.get_data(as_text=True)
    response = client.post(
        "/admin/units", data={"code": "a b", "name": "", "parent": "NOPE", "timezone": "UTC"}
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    for field in ("new-code-error", "new-name-error", "new-timezone-error"):
        assert field in body
    # Under its own sub-unit, or under itself.
    response = client.post(
        "/admin/units/BID-TIK",
        data={"name": "Bidang TIK", "parent": "SEKSI-APL", "timezone": "Asia/Jakarta"},
    )
    assert response.status_code == 422
    assert "edit-parent-error" in response.get_data(as_text=True)
    response = client.post(
        "/admin/units/BID-TIK",
        data={"name": "Bidang TIK", "parent": "BID-TIK", "timezone": "Asia/Jakarta"},
    )
    assert response.status_code == 422
    with app.app_context():
        assert unit("BID-TIK").parent.code == "DISKOMINFO"
    assert log_kinds(app, start) == []
    assert client.get("/admin/units/NOPE").status_code == 404


def test_deactivate_is_refused_with_reason_while_the_unit_is_in_use(app, org, auth, client):
    auth.login("admin")
    response = client.post("/admin/units/SEKSI-APL/deactivate")
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "3" in body and 'role="alert"' in body
    response = client.post("/admin/units/BID-TIK/deactivate")
    assert response.status_code == 409
    with app.app_context():
        assert unit("SEKSI-APL").active and unit("BID-TIK").active
        with pytest.raises(Conflict) as refused:
            units.deactivate_unit(None, "SEKSI-APL")
        assert refused.value.code == "unit_in_use"
        assert "3" in refused.value.message and "1" in refused.value.message


def test_deactivate_and_reactivate_an_empty_unit(app, org, start, auth, client):
    auth.login("admin")
    with app.app_context():
        units.create_unit("SEKSI-LAMA", "Seksi Lama", "BID-IKP")
    assert client.post("/admin/units/SEKSI-LAMA/deactivate").status_code == 302
    body = client.get("/admin/units").get_data(as_text=True)
    row = body[body.index('id="unit-SEKSI-LAMA"') :]
    assert row.startswith('id="unit-SEKSI-LAMA" class="inactive"')
    # Not offered as a parent any more, and nothing can be put into it.
    picker = body[body.index('id="new-parent"') :]
    picker = picker[: picker.index("</select>")]
    assert "SEKSI-LAMA" not in picker
    with app.app_context():
        admin = get_user("admin", org)
        with pytest.raises(Invalid) as refused:
            boards.create_board(admin, "Papan", "SEKSI-LAMA")
        assert "unit" in refused.value.fields
        with pytest.raises(Invalid):
            accounts.create_user("Baru", PASSWORD, username="baru", unit_code="SEKSI-LAMA")
        with pytest.raises(Invalid):
            units.create_unit("SUB", "Sub", "SEKSI-LAMA")
        with pytest.raises(Invalid):
            units.active_unit_by_code("SEKSI-LAMA")
    assert client.post("/admin/units/SEKSI-LAMA/reactivate").status_code == 302
    with app.app_context():
        assert unit("SEKSI-LAMA").active
    kinds = [kind for kind, _b, _a in log_kinds(app, start)]
    assert kinds[-2:] == ["unit.deactivated", "unit.reactivated"]


def test_a_unit_under_an_inactive_parent_is_reactivated_after_it(app, org):
    with app.app_context():
        units.create_unit("ATAS", "Atas")
        units.create_unit("BAWAH", "Bawah", "ATAS")
        units.deactivate_unit(None, "BAWAH")
        units.deactivate_unit(None, "ATAS")
        with pytest.raises(Conflict):
            units.reactivate_unit(None, "BAWAH")
        units.reactivate_unit(None, "ATAS")
        units.reactivate_unit(None, "BAWAH")


def test_non_admins_cannot_change_units(app, org, auth, client):
    auth.login(NIPS["kadis"])
    assert client.get("/admin/units").status_code == 403
    assert client.post("/admin/units", data={"code": "X", "name": "X"}).status_code == 403
    assert client.post("/admin/units/SEKSI-APL/deactivate").status_code == 403
    with app.app_context(), pytest.raises(Forbidden):
        units.rename_unit(get_user("kadis", org), "SEKSI-APL", "Seksi Apl")


# API ---------------------------------------------------------------------------------------


def test_api_lists_the_units_each_caller_sees(app, org, tokens, client):
    def codes(person):
        response = client.get(
            "/api/v1/units", headers={"Authorization": f"Bearer {tokens[person]}"}
        )
        assert response.status_code == 200
        return [item["code"] for item in response.get_json()["units"]]

    assert codes("admin") == ["DISKOMINFO", "BID-IKP", "BID-TIK", "SEKSI-APL"]
    assert codes("kabid") == ["BID-TIK", "SEKSI-APL"]
    assert codes("staff") == ["SEKSI-APL"]
    first = client.get(
        "/api/v1/units", headers={"Authorization": f"Bearer {tokens['admin']}"}
    ).get_json()["units"][0]
    assert first == {
        "code": "DISKOMINFO",
        "name": "Dinas Komunikasi dan Informatika",
        "parent": None,
        "timezone": "Asia/Jakarta",
        "zone": "WIB",
        "active": True,
    }


def test_api_create_and_patch(app, org, tokens, client):
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    response = client.post(
        "/api/v1/units",
        json={
            "code": "SEKSI-INFRA",
            "name": "Seksi Infrastruktur",
            "parent": "BID-TIK",
            "timezone": "WITA",
        },
        headers=admin,
    )
    assert response.status_code == 201
    assert response.get_json()["timezone"] == "Asia/Makassar"
    response = client.patch(
        "/api/v1/units/SEKSI-INFRA", json={"parent": None, "name": "Infra"}, headers=admin
    )
    assert response.status_code == 200
    assert response.get_json()["parent"] is None and response.get_json()["name"] == "Infra"
    response = client.patch("/api/v1/units/SEKSI-INFRA", json={"active": False}, headers=admin)
    assert response.status_code == 200 and response.get_json()["active"] is False


@pytest.mark.parametrize(
    "method,url,body,status,code",
    [
        ("POST", "/api/v1/units", {"code": "SEKSI-APL", "name": "Lagi"}, 409, "duplicate"),
        ("POST", "/api/v1/units", {"code": "X Y", "name": ""}, 422, "validation_error"),
        (
            "POST",
            "/api/v1/units",
            {"code": "X", "name": "X", "parent": "NOPE"},
            422,
            "validation_error",
        ),
        ("POST", "/api/v1/units", {"code": 5, "name": "X"}, 422, "validation_error"),
        ("PATCH", "/api/v1/units/BID-TIK", {"parent": "SEKSI-APL"}, 422, "validation_error"),
        ("PATCH", "/api/v1/units/BID-TIK", {"parent": "BID-TIK"}, 422, "validation_error"),
        ("PATCH", "/api/v1/units/SEKSI-APL", {"active": False}, 409, "unit_in_use"),
        ("PATCH", "/api/v1/units/SEKSI-APL", {"timezone": "UTC"}, 422, "validation_error"),
        ("PATCH", "/api/v1/units/SEKSI-APL", {"colour": "red"}, 422, "validation_error"),
        ("PATCH", "/api/v1/units/NOPE", {"name": "X"}, 404, "not_found"),
        ("PATCH", "/api/v1/units/SEKSI-APL", {"parent": "BID\u0000TIK"}, 400, "bad_request"),
        ("PATCH", "/api/v1/units/SEKSI%00APL", {"name": "X"}, 404, "not_found"),
    ],
)
def test_api_refusals(app, org, start, tokens, client, method, url, body, status, code):
    response = client.open(
        url, method=method, json=body, headers={"Authorization": f"Bearer {tokens['admin']}"}
    )
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code
    assert log_kinds(app, start) == []


def test_api_changes_are_for_admins(app, org, tokens, client):
    head = {"Authorization": f"Bearer {tokens['kadis']}"}
    assert (
        client.post("/api/v1/units", json={"code": "X", "name": "X"}, headers=head).status_code
        == 403
    )
    assert (
        client.patch("/api/v1/units/SEKSI-APL", json={"name": "X"}, headers=head).status_code == 403
    )


# CLI ---------------------------------------------------------------------------------------


def test_cli_units_commands(app, org, start):
    runner = app.test_cli_runner()
    ok = runner.invoke(
        args=["units", "create", "--code", "SEKSI-X", "--name", "Seksi X", "--parent", "BID-TIK"]
    )
    assert ok.exit_code == 0, ok.output
    for args in (
        ["units", "rename", "SEKSI-X", "Seksi Ekstra"],
        ["units", "move", "SEKSI-X", "BID-IKP"],
        ["units", "edit", "SEKSI-X", "--tz", "WIT"],
        ["units", "deactivate", "SEKSI-X"],
        ["units", "reactivate", "SEKSI-X"],
        ["units", "move", "SEKSI-X"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (args, result.output)
    with app.app_context():
        made = unit("SEKSI-X")
        assert (made.name, made.parent_id, made.timezone, made.active) == (
            "Seksi Ekstra",
            None,
            "Asia/Jayapura",
            True,
        )
    listing = runner.invoke(args=["units", "list"]).output
    assert "SEKSI-X  Seksi Ekstra  [WIT]" in listing
    kinds = [kind for kind, _b, _a in log_kinds(app, start)]
    assert kinds == [
        "unit.created",
        "unit.updated",
        "unit.moved",
        "unit.updated",
        "unit.deactivated",
        "unit.reactivated",
        "unit.moved",
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["units", "create", "--code", "SEKSI-APL", "--name", "Lagi"],
        ["units", "move", "BID-TIK", "SEKSI-APL"],
        ["units", "move", "BID-TIK", "BID-TIK"],
        ["units", "deactivate", "SEKSI-APL"],
        ["units", "rename", "NOPE", "Apa"],
        ["units", "edit", "SEKSI-APL", "--tz", "UTC"],
    ],
)
def test_cli_refusals_are_one_line_errors(app, org, start, args):
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "Traceback" not in result.output
    assert log_kinds(app, start) == []
