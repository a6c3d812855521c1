"""RHK (SKP planned work results, issue 27): who writes them, the leader's-RHK rule, the card
link on every path (service, HTML, API), the sprint goal's RHK, the pages and the CSV import."""

from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AdminEvent, Card, Event, Rhk, Unit
from app.services import cards, rhk_import, sprints
from app.services import rhk as rhk_service
from app.services.access import local_today
from app.services.errors import Invalid, NotFound
from tests.conftest import get_user

YEAR = date.today().year
DUE = date(YEAR, 12, 1)


def indicator(text="Jumlah layanan", target="12 layanan", aspect="kuantitas"):
    return {"aspect": aspect, "text": text, "target": target}


def add(actor_key, owner_key, org, text="Terlayaninya aplikasi", **extra):
    actor, owner = get_user(actor_key, org), get_user(owner_key, org)
    data = {"year": YEAR, "text": text, "indicators": [indicator()], **extra}
    return rhk_service.create_rhk(actor, owner, data)


@pytest.fixture
def plan(app, org):
    """The cascade kadis -> kabid -> kasi -> staff, and one RHK of staff2."""
    with app.app_context():
        kadis = add("kadis", "kadis", org, "Meningkatnya layanan TIK")
        kabid = add("kabid", "kabid", org, "Tersedianya aplikasi daerah", parent_id=kadis.id)
        kasi = add("kasi", "kasi", org, "Terkelolanya aplikasi layanan", parent_id=kabid.id)
        staff = add("staff", "staff", org, "Terpeliharanya website dinas", parent_id=kasi.id)
        staff2 = add("staff2", "staff2", org, "Terlayaninya helpdesk", parent_id=kasi.id)
        return {
            "kadis": kadis.id,
            "kabid": kabid.id,
            "kasi": kasi.id,
            "staff": staff.id,
            "staff2": staff2.id,
        }


def new_card(org, assignee="staff", actor="kasi", **data):
    return cards.create_card(
        get_user(actor, org),
        org.board_id,
        {"title": "Perbarui halaman", "assignee": org.nips[assignee], "due_date": DUE, **data},
    ).card


# --- the RHK itself -----------------------------------------------------------------------------


def test_person_and_head_above_write_an_rhk_colleague_and_outsider_get_404(app, org, plan):
    with app.app_context():
        staff = get_user("staff", org)
        assert [row.text for row in rhk_service.rhks_of(staff, YEAR)] == [
            "Terpeliharanya website dinas"
        ]
        assert add("kabid", "staff", org, "Dari kepala bidang").user_id == staff.id
        for stranger in ("staff2", "outsider"):
            with pytest.raises(NotFound):
                add(stranger, "staff", org, "Bukan miliknya")
            with pytest.raises(NotFound):
                rhk_service.rhk(get_user(stranger, org), plan["staff"])
            with pytest.raises(NotFound):
                rhk_service.withdraw_rhk(get_user(stranger, org), plan["staff"])


def test_rhk_needs_text_and_an_indicator_with_a_known_aspect_and_target(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        with pytest.raises(Invalid) as refused:
            rhk_service.create_rhk(staff, staff, {"year": YEAR, "text": "", "indicators": []})
        assert set(refused.value.fields) == {"text", "indicators"}
        with pytest.raises(Invalid) as refused:
            rhk_service.create_rhk(
                staff,
                staff,
                {"year": YEAR, "text": "X", "indicators": [indicator(aspect="gaya", target="")]},
            )
        assert set(refused.value.fields) == {"indicators[0].aspect", "indicators[0].target"}
        assert db.session.scalar(select(Rhk.id)) is None


def test_parent_must_be_an_rhk_of_the_persons_leader_of_the_same_year(app, org, plan):
    with app.app_context():
        # staff's leader is kasi: kabid's and kadis's RHK, and a colleague's, are refused.
        for wrong in (plan["kabid"], plan["kadis"], plan["staff2"], plan["staff"], 999_999):
            with pytest.raises(Invalid) as refused:
                add("staff", "staff", org, "Lain", parent_id=wrong)
            assert "parent_id" in refused.value.fields
        # A head's leader is the head of the parent unit.
        with pytest.raises(Invalid):
            add("kasi", "kasi", org, "Lain", parent_id=plan["kadis"])
        # Another year's RHK of the leader is refused too.
        kasi = get_user("kasi", org)
        older = rhk_service.create_rhk(
            kasi, kasi, {"year": YEAR - 1, "text": "Lama", "indicators": [indicator()]}
        )
        with pytest.raises(Invalid):
            add("staff", "staff", org, "Lain", parent_id=older.id)


def test_acting_head_is_a_leader_while_acting(app, org, plan):
    from app.services import acting

    with app.app_context():
        today = local_today("Asia/Jakarta").isoformat()
        acting.appoint(
            get_user("admin", org), "SEKSI-APL", org.nips["staff2"], "plh", today, today, "800/1"
        )
        staff = get_user("staff", org)
        assert get_user("staff2", org).id in rhk_service.leader_ids(staff)
        row = add("staff", "staff", org, "Didukung Plh", parent_id=plan["staff2"])
        assert row.parent_id == plan["staff2"]


def test_withdrawn_rhk_leaves_the_plan_and_is_audited_then_restored(app, org, plan):
    with app.app_context():
        staff = get_user("staff", org)
        rhk_service.withdraw_rhk(staff, plan["staff"])
        assert rhk_service.rhks_of(staff, YEAR) == []
        rhk_service.restore_rhk(staff, plan["staff"])
        assert len(rhk_service.rhks_of(staff, YEAR)) == 1
        kinds = db.session.scalars(
            select(AdminEvent.kind).where(AdminEvent.target_kind == "rhk")
        ).all()
        assert {"rhk.created", "rhk.withdrawn", "rhk.restored"} <= set(kinds)


def test_update_replaces_indicators_and_keeps_the_year(app, org, plan):
    with app.app_context():
        staff = get_user("staff", org)
        row = rhk_service.update_rhk(
            staff, plan["staff"], {"indicators": [indicator("A", "1"), indicator("B", "2")]}
        )
        assert [item.text for item in row.indicators] == ["A", "B"]
        with pytest.raises(Invalid) as refused:
            rhk_service.update_rhk(staff, plan["staff"], {"year": YEAR + 1})
        assert "year" in refused.value.fields


# --- cards count toward an RHK --------------------------------------------------------------------


def test_card_links_to_its_assignees_rhk_with_a_history_line(app, org, plan):
    with app.app_context():
        card = new_card(org, rhk_id=plan["staff"])
        assert card.rhk_id == plan["staff"]
        linked = db.session.scalar(
            select(Event).where(Event.card_id == card.id, Event.kind == "rhk_linked")
        )
        assert linked.data["params"]["rhk"] == "Terpeliharanya website dinas"


def test_foreign_or_withdrawn_or_other_year_rhk_is_refused_on_create_and_edit(app, org, plan):
    with app.app_context():
        staff = get_user("staff", org)
        other_year = rhk_service.create_rhk(
            staff, staff, {"year": YEAR - 1, "text": "Lama", "indicators": [indicator()]}
        )
        withdrawn = add("staff", "staff", org, "Ditarik")
        rhk_service.withdraw_rhk(staff, withdrawn.id)
        for wrong in (plan["staff2"], plan["kasi"], other_year.id, withdrawn.id, 999_999):
            with pytest.raises(Invalid) as refused:
                new_card(org, rhk_id=wrong)
            assert "rhk_id" in refused.value.fields
        card = new_card(org)
        for wrong in (plan["staff2"], withdrawn.id):
            with pytest.raises(Invalid) as refused:
                cards.update_card(staff, card.id, {"rhk_id": wrong}, version=card.version)
            assert "rhk_id" in refused.value.fields
        assert db.session.get(Card, card.id).rhk_id is None


def test_a_colleague_who_sees_the_card_may_not_link_it(app, org, plan):
    with app.app_context():
        card = new_card(org)
        with pytest.raises(Invalid) as refused:
            cards.update_card(
                get_user("staff2", org), card.id, {"rhk_id": plan["staff"]}, version=card.version
            )
        assert "rhk_id" in refused.value.fields


def test_assignee_change_unlinks_the_old_assignees_rhk_with_a_history_line(app, org, plan):
    with app.app_context():
        card = new_card(org, rhk_id=plan["staff"])
        card = cards.update_card(
            get_user("kasi", org),
            card.id,
            {"assignee": org.nips["staff2"]},
            version=card.version,
        )
        assert card.rhk_id is None
        assert db.session.scalar(
            select(Event.id).where(Event.card_id == card.id, Event.kind == "rhk_unlinked")
        )


def test_assignee_change_may_link_the_new_assignees_rhk_at_once(app, org, plan):
    with app.app_context():
        card = new_card(org, rhk_id=plan["staff"])
        card = cards.update_card(
            get_user("kasi", org),
            card.id,
            {"assignee": org.nips["staff2"], "rhk_id": plan["staff2"]},
            version=card.version,
        )
        assert card.rhk_id == plan["staff2"]


def test_due_date_moved_into_another_year_unlinks(app, org, plan):
    with app.app_context():
        card = new_card(org, rhk_id=plan["staff"])
        card = cards.update_card(
            get_user("kasi", org),
            card.id,
            {"due_date": date(YEAR + 1, 1, 15)},
            version=card.version,
            deadline_reason="Menunggu anggaran",
        )
        assert card.rhk_id is None


def test_withdrawn_rhk_stays_on_cards_already_linked(app, org, plan):
    with app.app_context():
        card = new_card(org, rhk_id=plan["staff"])
        rhk_service.withdraw_rhk(get_user("staff", org), plan["staff"])
        card = cards.update_card(
            get_user("staff", org),
            card.id,
            {"title": "Judul baru", "rhk_id": str(plan["staff"])},
            version=card.version,
        )
        assert card.rhk_id == plan["staff"]


# --- API ------------------------------------------------------------------------------------------


def test_api_card_rhk_field_on_create_patch_and_refusal(app, org, plan, api):
    created = api("kasi").post(
        f"/api/v1/boards/{org.board_id}/cards",
        json={
            "title": "Rilis",
            "assignee": org.nips["staff"],
            "due_date": DUE.isoformat(),
            "rhk_id": plan["staff"],
        },
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["rhk"] == {"id": plan["staff"], "text": "Terpeliharanya website dinas"}
    refused = api("kasi").patch(
        f"/api/v1/cards/{body['id']}", json={"version": body["version"], "rhk_id": plan["staff2"]}
    )
    assert refused.status_code == 422
    assert "rhk_id" in refused.get_json()["error"]["fields"]
    unlinked = api("staff").patch(
        f"/api/v1/cards/{body['id']}", json={"version": body["version"], "rhk_id": None}
    )
    assert unlinked.status_code == 200
    assert unlinked.get_json()["rhk"] is None


def test_api_rhk_list_create_patch_withdraw_and_colleague_404(app, org, plan, api):
    staff_nip = org.nips["staff"]
    listed = api("kasi").get(f"/api/v1/users/{staff_nip}/rhk?year={YEAR}")
    assert listed.status_code == 200
    assert [row["text"] for row in listed.get_json()["rhk"]] == ["Terpeliharanya website dinas"]
    assert listed.get_json()["rhk"][0]["parent"]["id"] == plan["kasi"]
    for stranger in ("staff2", "outsider"):
        assert api(stranger).get(f"/api/v1/users/{staff_nip}/rhk").status_code == 404
        assert api(stranger).get(f"/api/v1/rhk/{plan['staff']}").status_code == 404
        assert api(stranger).delete(f"/api/v1/rhk/{plan['staff']}").status_code == 404
    created = api("staff").post(
        f"/api/v1/users/{staff_nip}/rhk",
        json={"text": "Baru", "indicators": [indicator()], "parent_id": plan["kasi"]},
    )
    assert created.status_code == 201, created.get_json()
    rhk_id = created.get_json()["id"]
    bad = api("staff").patch(f"/api/v1/rhk/{rhk_id}", json={"parent_id": plan["kabid"]})
    assert bad.status_code == 422
    assert "parent_id" in bad.get_json()["error"]["fields"]
    changed = api("staff").patch(f"/api/v1/rhk/{rhk_id}", json={"text": "Baru sekali"})
    assert changed.get_json()["text"] == "Baru sekali"
    withdrawn = api("staff").delete(f"/api/v1/rhk/{rhk_id}")
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["withdrawn_at"] is not None


# --- sprint goal ----------------------------------------------------------------------------------


def test_sprint_goal_names_an_rhk_of_a_head_of_the_board(app, org, plan):
    with app.app_context():
        kasi = get_user("kasi", org)
        data = {"name": "S1", "goal": "Rilis", "start": date(YEAR, 3, 2), "end": date(YEAR, 3, 13)}
        for wrong in (plan["staff"], 999_999):
            with pytest.raises(Invalid) as refused:
                sprints.create_sprint(kasi, org.board_id, {**data, "goal_rhk_id": wrong})
            assert "goal_rhk_id" in refused.value.fields
        sprint = sprints.create_sprint(kasi, org.board_id, {**data, "goal_rhk_id": plan["kasi"]})
        assert sprint.goal_rhk_id == plan["kasi"]
        # The kadis heads the units above: their RHK may be named too.
        rhk_service.set_sprint_goal_rhk(kasi, sprint.id, str(plan["kadis"]))
        assert sprint.goal_rhk_id == plan["kadis"]


# --- pages ----------------------------------------------------------------------------------------


def test_skp_page_shows_rhk_indicators_leader_rhk_and_linked_cards(app, org, plan, auth, client):
    with app.app_context():
        card_id = new_card(org, rhk_id=plan["staff"]).id
    auth.login(org.nips["staff"])
    page = client.get("/skp", follow_redirects=True)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Terpeliharanya website dinas" in html
    assert "Terkelolanya aplikasi layanan" in html  # the leader's RHK it supports
    assert f"/cards/{card_id}" in html
    assert client.get(f"/people/{org.nips['staff2']}/skp").status_code == 404


def test_unit_tree_for_its_head_lists_unlinked_rhk_apart_and_is_404_for_staff(
    app, org, plan, auth, client
):
    with app.app_context():
        add("staff2", "staff2", org, "Tanpa induk")
        unit_id = db.session.scalar(select(Unit.id).where(Unit.code == "SEKSI-APL"))
    auth.login(org.nips["kasi"])
    html = client.get(f"/units/{unit_id}/skp").get_data(as_text=True)
    tree, _sep, apart = html.partition('id="unlinked-title"')
    assert "Terpeliharanya website dinas" in tree and "Terlayaninya helpdesk" in tree
    assert "Tanpa induk" in apart
    auth.logout()
    auth.login(org.nips["staff"])
    assert client.get(f"/units/{unit_id}/skp").status_code == 404


def test_card_page_picker_links_the_card(app, org, plan, auth, client):
    with app.app_context():
        card = new_card(org)
        card_id, version = card.id, card.version
    auth.login(org.nips["staff"])
    page = client.get(f"/cards/{card_id}").get_data(as_text=True)
    assert 'id="card-rhk-select"' in page
    response = client.post(
        f"/cards/{card_id}/rhk", data={"rhk_id": plan["staff"], "version": version}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Card, card_id).rhk_id == plan["staff"]
    # A colleague who sees the card sees no choices of the assignee's RHK.
    client.post("/logout")
    auth.login(org.nips["staff2"])
    page = client.get(f"/cards/{card_id}").get_data(as_text=True)
    assert 'id="card-rhk-select"' not in page


# --- import ---------------------------------------------------------------------------------------

CSV_HEADER = "NIP;Tahun;Jenis;RHK;RHK Atasan;Aspek;Indikator;Target\n"


def test_import_groups_rows_into_rhk_and_resolves_the_leaders_rhk(app, org, plan):
    text = CSV_HEADER + (
        f"{org.nips['staff']};{YEAR};utama;Tersedianya data statistik;"
        "Terkelolanya aplikasi layanan;kuantitas;Jumlah dataset;20 dataset\n"
        f"{org.nips['staff']};{YEAR};utama;Tersedianya data statistik;"
        "Terkelolanya aplikasi layanan;waktu;Ketepatan waktu;Desember\n"
        f"{org.nips['staff2']};{YEAR};tambahan;Terdukungnya rapat;1;kualitas;Notulen;12 notulen\n"
    )
    with app.app_context():
        kasi = get_user("kasi", org)
        report = rhk_import.plan(kasi, text.encode())
        assert [item.action for item in report.items] == ["create", "create"]
        applied = rhk_import.apply(kasi, text.encode(), "rhk.csv", signature=report.signature)
        assert applied.applied
        staff = get_user("staff", org)
        row = [r for r in rhk_service.rhks_of(staff, YEAR) if r.text.startswith("Tersedia")][0]
        assert row.parent_id == plan["kasi"]
        assert [item.aspect for item in row.indicators] == ["kuantitas", "waktu"]
        again = rhk_import.plan(kasi, text.encode())
        assert [item.action for item in again.items] == ["unchanged", "unchanged"]


def test_import_refuses_rows_per_line_and_writes_nothing(app, org, plan):
    text = CSV_HEADER + (
        f"{org.nips['outsider']};{YEAR};utama;Milik orang lain;;kuantitas;X;1\n"
        f"{org.nips['staff']};{YEAR};utama;Induk salah;Meningkatnya layanan TIK;kuantitas;X;1\n"
        f"{org.nips['staff']};{YEAR};utama;Aspek salah;;gaya;X;\n"
    )
    with app.app_context():
        kasi = get_user("kasi", org)
        report = rhk_import.plan(kasi, text.encode())
        assert [item.action for item in report.items] == ["refused"] * 3
        reasons = [" ".join(item.reasons) for item in report.items]
        # Each reason names its line of the file ("Baris 2: ...").
        for reason, line in zip(reasons, (2, 3, 4), strict=True):
            assert f" {line}:" in reason
        with pytest.raises(Invalid):
            rhk_import.apply(kasi, text.encode())
        assert len(rhk_service.rhks_of(get_user("staff", org), YEAR)) == 1


def test_import_page_previews_then_imports(app, org, plan, auth, client):
    text = CSV_HEADER + (
        f"{org.nips['staff']};{YEAR};utama;Dari berkas;2;kuantitas;Jumlah;5 kali\n".replace(
            ";2;", ";Terkelolanya aplikasi layanan;"
        )
    )
    auth.login(org.nips["staff"])
    import io

    preview = client.post(
        "/skp/import", data={"file": (io.BytesIO(text.encode()), "rhk.csv")}
    ).get_data(as_text=True)
    assert "Dari berkas" in preview and 'name="signature"' in preview
    with app.app_context():
        signature = rhk_import.plan(get_user("staff", org), text.encode()).signature
    done = client.post(
        "/skp/import",
        data={"confirm": "1", "signature": signature, "content": text, "filename": "rhk.csv"},
    )
    assert done.status_code == 302
    with app.app_context():
        texts = [r.text for r in rhk_service.rhks_of(get_user("staff", org), YEAR)]
        assert "Dari berkas" in texts


def test_cli_rhk_import(app, org, plan, runner, tmp_path):
    path = tmp_path / "rhk.csv"
    path.write_text(
        CSV_HEADER + f"{org.nips['staff']};{YEAR};utama;Lewat CLI;;kuantitas;Jumlah;3\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["rhk", "import", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        texts = [r.text for r in rhk_service.rhks_of(get_user("staff", org), YEAR)]
        assert "Lewat CLI" in texts


def test_a_member_acting_as_head_of_their_own_unit_keeps_their_head_as_leader(app, org, plan):
    from app.services import acting

    with app.app_context():
        today = local_today("Asia/Jakarta").isoformat()
        acting.appoint(
            get_user("admin", org), "SEKSI-APL", org.nips["staff"], "plh", today, today, "800/2"
        )
        row = add("staff", "staff", org, "Tetap dari Kasi", parent_id=plan["kasi"])
        assert row.parent_id == plan["kasi"]


def test_card_edit_form_saves_and_refuses_an_rhk_next_to_the_field(app, org, plan, auth, client):
    with app.app_context():
        card = new_card(org)
        card_id, version = card.id, card.version
    auth.login(org.nips["staff"])
    form = {"title": "Perbarui halaman", "version": version, "rhk_id": plan["staff2"]}
    refused = client.post(f"/cards/{card_id}", data=form)
    assert refused.status_code == 422
    assert 'id="card-rhk-id-error"' in refused.get_data(as_text=True)
    saved = client.post(f"/cards/{card_id}", data={**form, "rhk_id": plan["staff"]})
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(Card, card_id).rhk_id == plan["staff"]


def test_board_json_with_rhk_links_costs_the_same_queries_for_few_and_many_cards(
    app, org, plan, client, tokens
):
    from tests.query_counter import count_queries

    headers = {"Authorization": f"Bearer {tokens['staff']}"}
    with app.app_context():
        new_card(org, rhk_id=plan["staff"])
    assert client.get("/api/v1/boards", headers=headers).status_code == 200
    with count_queries(app) as few:
        assert client.get(f"/api/v1/boards/{org.board_id}", headers=headers).status_code == 200
    with app.app_context():
        for _n in range(6):
            new_card(org, rhk_id=plan["staff"])
            new_card(org, assignee="staff2", rhk_id=plan["staff2"])
    with count_queries(app) as many:
        body = client.get(f"/api/v1/boards/{org.board_id}", headers=headers).get_json()
    linked = [c["rhk"] for column in body["columns"] for c in column["cards"] if c["rhk"]]
    assert len(linked) == 13
    assert len(few) == len(many)


def test_sprint_json_names_the_goal_rhk(app, org, plan, api):
    body = {
        "name": "S2",
        "goal": "Rilis",
        "start": f"{YEAR}-03-02",
        "end": f"{YEAR}-03-13",
        "goal_rhk_id": plan["kasi"],
    }
    created = api("kasi").post(f"/api/v1/boards/{org.board_id}/sprints", json=body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["goal_rhk"]["id"] == plan["kasi"]
    refused = api("kasi").post(
        f"/api/v1/boards/{org.board_id}/sprints", json={**body, "goal_rhk_id": plan["staff"]}
    )
    assert refused.status_code == 422
    assert "goal_rhk_id" in refused.get_json()["error"]["fields"]
