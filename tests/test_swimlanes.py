"""Swimlanes (issue 25): the board's cards in rows by assignee, type or first label, and a drop
into another lane as an edit through the card services, with every rule of an edit and a move."""

import re

import pytest

from app.extensions import db
from app.models import Card, Event
from app.services import boards, card_types, cards, lanes
from app.services.errors import Conflict, Invalid
from cergas.plugin import Veto, hookimpl
from tests.conftest import PASSWORD, get_board, get_card, get_user, make_app
from tests.query_counter import count_queries

DUE = "2026-12-20"


def add(org, title, *, who="staff", assignee=None, column=None, labels=None, type_="tugas"):
    data = {"title": title, "due_date": DUE, "type": type_, "labels": labels or []}
    if assignee:
        data["assignee"] = org.nips[assignee]
    column_id = getattr(org, column) if column else None
    return cards.create_card(get_user(who, org), org.board_id, data, column_id=column_id).card.id


def lane_of(result, key):
    return next(lane for lane in result if lane.key == key)


def grouped(org, kind, who="staff"):
    view = boards.load_board(get_user(who, org), org.board_id)
    people = [get_user("staff", org), get_user("staff2", org)]
    return lanes.group(view, view.cards, kind, people, card_types.lists_of(org.board_id))


def test_assignee_lanes_put_unassigned_first_and_keep_empty_lanes_for_people(app, org):
    with app.app_context():
        mine = add(org, "Surat balasan", assignee="staff")
        loose = add(org, "Rapat koordinasi")
        result = grouped(org, "assignee")
        assert [lane.title for lane in result][:2] == ["Belum ditugaskan", "Agus Pratama"]
        assert [c.id for c in lane_of(result, "").cards[org.backlog]] == [loose]
        staff_lane = lane_of(result, str(org.users["staff"]))
        assert [c.id for c in staff_lane.cards[org.backlog]] == [mine]
        # Dewi holds no card, yet has a lane to drop a card in.
        assert lane_of(result, str(org.users["staff2"])).count == 0


def test_a_card_with_two_labels_sits_in_its_first_labels_lane_only(app, org):
    with app.app_context():
        card_id = add(org, "Pengaduan jalan", labels=["ppid", "data"])
        plain = add(org, "Tanpa label")
        result = grouped(org, "label")
        assert [lane.key for lane in result] == ["ppid", ""]
        assert [c.id for c in lane_of(result, "ppid").cards[org.backlog]] == [card_id]
        assert [c.id for c in lane_of(result, "").cards[org.backlog]] == [plain]
        assert sum(lane.count for lane in result) == 2


def test_type_and_label_lanes_carry_the_boards_names_not_the_keys(app, org, client):
    with app.app_context():
        kasi = get_user("kasi", org)
        add(org, "Nota dinas", type_="surat-keluar", labels=["ppid"])
        lists = card_types.lists_of(org.board_id)
        card_types.rename(kasi, "type", lists.types["surat-keluar"].id, "Surat untuk instansi lain")
        card_types.rename(kasi, "label", lists.labels["ppid"].id, "Keterbukaan informasi")
        by_type = grouped(org, "type")
        by_label = grouped(org, "label")
        assert [lane.title for lane in by_type] == ["Surat untuk instansi lain"]
        assert [lane.title for lane in by_label][0] == "Keterbukaan informasi"
    client.post("/login", data={"username": org.nips["staff"], "password": PASSWORD})
    for kind, shown in (("type", "Surat untuk instansi lain"), ("label", "Keterbukaan informasi")):
        page = client.get(f"/boards/{org.board_id}?lanes={kind}").get_data(as_text=True)
        assert f'<span class="lane-title">{shown}</span>' in page
    # A card in another grouping shows the names on its chips too.
    page = client.get(f"/boards/{org.board_id}?lanes=assignee").get_data(as_text=True)
    lane_cards = page[page.index("lanes-area") :]
    assert "Surat untuk instansi lain" in lane_cards and "Keterbukaan informasi" in lane_cards
    assert ">surat-keluar<" not in lane_cards and ">ppid<" not in lane_cards


def test_dropping_a_card_in_another_persons_lane_assigns_it_and_records_it(app, org):
    with app.app_context():
        card_id = add(org, "Nota dinas", assignee="staff", column="doing")
        card = get_card(card_id)
        lanes.drop_in_lane(
            get_user("kasi", org),
            card_id,
            kind="assignee",
            lane=str(org.users["staff2"]),
            column_id=org.doing,
            version=card.version,
        )
        db.session.expire_all()
        card = get_card(card_id)
        assert card.assignee_id == org.users["staff2"]
        kinds = [
            e.kind for e in db.session.scalars(db.select(Event).where(Event.card_id == card_id))
        ]
        assert "assigned" in kinds


def test_a_drop_into_a_lane_and_a_column_changes_both_in_one_go(app, org):
    with app.app_context():
        card_id = add(org, "Laporan bulanan", labels=["ppid", "rutin"])
        lanes.drop_in_lane(
            get_user("staff", org),
            card_id,
            kind="label",
            lane="rutin",
            column_id=org.doing,
            position=0,
            version=get_card(card_id).version,
        )
        db.session.expire_all()
        card = get_card(card_id)
        assert card.column_id == org.doing
        assert card.labels == ["rutin"]


def test_dropping_in_no_label_takes_the_labels_off(app, org):
    with app.app_context():
        card_id = add(org, "Laporan", labels=["ppid", "rutin"])
        version = get_card(card_id).version
        lanes.drop_in_lane(
            get_user("staff", org),
            card_id,
            kind="label",
            lane="",
            column_id=org.backlog,
            version=version,
        )
        db.session.expire_all()
        assert get_card(card_id).labels == []


@pytest.fixture
def limited(app, org):
    """The board's personal WIP limit is 1 and Dewi (staff2) already holds an active card."""
    with app.app_context():
        boards.update_board(get_user("admin", org), org.board_id, {"personal_wip_limit": 1})
        add(org, "Sudah dikerjakan", assignee="staff2", column="doing")
    return org


def test_assigning_by_lane_past_the_personal_wip_limit_is_refused_and_nothing_changes(app, limited):
    org = limited
    with app.app_context():
        card_id = add(org, "Surat keluar", assignee="staff", column="doing")
        before = get_card(card_id).version
        with pytest.raises(Conflict) as refused:
            lanes.drop_in_lane(
                get_user("staff", org),
                card_id,
                kind="assignee",
                lane=str(org.users["staff2"]),
                column_id=org.doing,
                version=before,
            )
        assert refused.value.code == "personal_wip_limit_reached"
        db.session.expire_all()
        card = get_card(card_id)
        assert (card.assignee_id, card.version) == (org.users["staff"], before)


def test_a_lane_change_into_an_active_column_is_counted_for_the_new_assignee(app, limited):
    org = limited
    with app.app_context():
        card_id = add(org, "Dari backlog", assignee="staff")
        with pytest.raises(Conflict) as refused:
            lanes.drop_in_lane(
                get_user("staff", org),
                card_id,
                kind="assignee",
                lane=str(org.users["staff2"]),
                column_id=org.doing,
                version=get_card(card_id).version,
            )
        assert refused.value.code == "personal_wip_limit_reached"
        db.session.expire_all()
        card = get_card(card_id)
        assert (card.assignee_id, card.column_id) == (org.users["staff"], org.backlog)


def test_a_lane_change_out_of_an_active_column_is_not_counted_against_the_new_assignee(
    app, limited
):
    org = limited
    with app.app_context():
        card_id = add(org, "Ke backlog", assignee="staff", column="doing")
        lanes.drop_in_lane(
            get_user("staff", org),
            card_id,
            kind="assignee",
            lane=str(org.users["staff2"]),
            column_id=org.backlog,
            version=get_card(card_id).version,
        )
        db.session.expire_all()
        card = get_card(card_id)
        assert (card.assignee_id, card.column_id) == (org.users["staff2"], org.backlog)


def test_a_stale_version_is_refused(app, org):
    with app.app_context():
        card_id = add(org, "Surat")
        with pytest.raises(Conflict) as refused:
            lanes.drop_in_lane(
                get_user("staff", org),
                card_id,
                kind="type",
                lane="rapat",
                column_id=org.backlog,
                version=get_card(card_id).version - 1 or 99,
            )
        assert refused.value.code == "version_conflict"


def test_a_lane_person_who_does_not_see_the_board_is_refused(app, org):
    with app.app_context():
        card_id = add(org, "Surat")
        with pytest.raises(Invalid):
            lanes.drop_in_lane(
                get_user("staff", org),
                card_id,
                kind="assignee",
                lane=str(org.users["outsider"]),
                column_id=org.backlog,
                version=get_card(card_id).version,
            )
        db.session.expire_all()
        assert get_card(card_id).assignee_id is None


class RefuseTypeChange:
    @hookimpl
    def cergas_card_before_update(self, card, changes, reason, actor, board):
        if "type" in changes:
            return Veto("Jenis kartu dikunci.")


def test_a_plugin_veto_on_the_edit_refuses_the_drop_and_the_move_with_it():
    app = make_app("sqlite://", CERGAS_PLUGIN_OBJECTS={"lock": RefuseTypeChange()})
    from tests.conftest import build_org

    org = build_org(app)
    with app.app_context():
        card_id = add(org, "Surat", type_="surat-keluar")
        with pytest.raises(Conflict):
            lanes.drop_in_lane(
                get_user("staff", org),
                card_id,
                kind="type",
                lane="rapat",
                column_id=org.doing,
                version=get_card(card_id).version,
            )
        db.session.expire_all()
        card = get_card(card_id)
        assert (card.type, card.column_id) == ("surat-keluar", org.backlog)


# --- the page ---------------------------------------------------------------------------------


def test_the_board_in_lanes_shows_rows_and_the_toggle_remembers_it(app, client, auth, org):
    with app.app_context():
        add(org, "Surat undangan", assignee="staff2")
    auth.login(org.nips["staff"])
    html = client.get(f"/boards/{org.board_id}?lanes=assignee").get_data(as_text=True)
    assert 'class="lanes"' in html and 'data-lanes="assignee"' in html
    assert "Dewi Lestari" in html and "Surat undangan" in html
    assert "swimlanes.js" in html
    # The filters keep the lanes; the plain page has no lanes.
    assert '<input type="hidden" name="lanes" value="assignee">' in html
    plain = client.get(f"/boards/{org.board_id}").get_data(as_text=True)
    assert 'class="lanes"' not in plain and "swimlanes.js" not in plain


def test_an_unknown_grouping_shows_the_columns(app, client, auth, org):
    auth.login(org.nips["staff"])
    html = client.get(f"/boards/{org.board_id}?lanes=priority").get_data(as_text=True)
    assert 'class="lanes"' not in html and 'class="columns"' in html


def test_a_refused_drop_answers_with_the_reason_at_the_card(app, client, auth, limited):
    org = limited
    with app.app_context():
        card_id = add(org, "Surat keluar", assignee="staff", column="doing")
        version = get_card(card_id).version
    auth.login(org.nips["staff"])
    response = client.post(
        f"/boards/{org.board_id}/lanes/drop",
        data={
            "lanes": "assignee",
            "card_id": card_id,
            "lane": org.users["staff2"],
            "column_id": org.doing,
            "version": version,
        },
        headers={"HX-Request": "true", "HX-Target": "alerts"},
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'hx-swap-oob="true"' in html
    refusal = re.search(rf'data-card-id="{card_id}".*?</li>', html, re.S).group(0)
    assert 'class="lane-refusal"' in refusal
    with app.app_context():
        assert get_card(card_id).assignee_id == org.users["staff"]


def test_a_drop_without_javascript_redirects_back_to_the_lanes(app, client, auth, org):
    with app.app_context():
        card_id = add(org, "Surat")
        version = get_card(card_id).version
    auth.login(org.nips["staff"])
    response = client.post(
        f"/boards/{org.board_id}/lanes/drop",
        data={
            "lanes": "type",
            "card_id": card_id,
            "lane": "rapat",
            "column_id": org.backlog,
            "version": version,
        },
    )
    assert response.status_code == 302 and "lanes=type" in response.headers["Location"]
    with app.app_context():
        assert get_card(card_id).type == "rapat"


def test_an_outsider_cannot_drop_cards_on_a_board_they_do_not_see(app, client, auth, org):
    with app.app_context():
        card_id = add(org, "Surat")
        version = get_card(card_id).version
    auth.login(org.nips["outsider"])
    response = client.post(
        f"/boards/{org.board_id}/lanes/drop",
        data={
            "lanes": "type",
            "card_id": card_id,
            "lane": "rapat",
            "column_id": org.backlog,
            "version": version,
        },
    )
    assert response.status_code == 404
    with app.app_context():
        assert get_card(card_id).type == "tugas"


@pytest.mark.pg
def test_the_lanes_page_query_count_does_not_grow_with_cards(app, client, auth, org):
    auth.login(org.nips["staff"])

    def queries():
        with count_queries(app) as statements:
            response = client.get(f"/boards/{org.board_id}?lanes=assignee")
        assert response.status_code == 200
        return len(statements)

    with app.app_context():
        for i in range(3):
            add(org, f"Kartu {i}", assignee=("staff", "staff2", None)[i % 3], labels=["rutin"])
    few = queries()
    with app.app_context():
        for i in range(3, 40):
            add(org, f"Kartu {i}", assignee=("staff", "staff2", None)[i % 3], labels=["rutin"])
    assert few == queries()


def test_cards_of_another_board_are_not_dropped_through_this_one(app, client, auth, org):
    with app.app_context():
        other = boards.create_board(get_user("admin", org), "Papan lain", "SEKSI-APL")
        card_id = cards.create_card(get_user("staff", org), other.id, {"title": "Lain"}).card.id
        version = get_card(card_id).version
        assert get_board(other.id) is not None
    auth.login(org.nips["staff"])
    response = client.post(
        f"/boards/{org.board_id}/lanes/drop",
        data={
            "lanes": "type",
            "card_id": card_id,
            "lane": "rapat",
            "column_id": org.backlog,
            "version": version,
        },
        headers={"HX-Request": "true", "HX-Target": "alerts"},
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Card, card_id).type == "tugas"


@pytest.mark.parametrize(
    "bad",
    [
        {"lanes": "priority"},
        {"lane": "x" * 300},
        {"lane": "999999"},
        {"column_id": "abc"},
        {"column_id": "999999"},
        {"version": ""},
        {"position": "-1"},
        {"card_id": "kartu"},
    ],
)
def test_unusable_drops_are_refused_without_a_change(app, client, auth, org, bad):
    with app.app_context():
        card_id = add(org, "Surat", assignee="staff")
        version = get_card(card_id).version
    auth.login(org.nips["staff"])
    data = {
        "lanes": "assignee",
        "card_id": card_id,
        "lane": org.users["staff2"],
        "column_id": org.doing,
        "version": version,
        **bad,
    }
    response = client.post(
        f"/boards/{org.board_id}/lanes/drop",
        data=data,
        headers={"HX-Request": "true", "HX-Target": "alerts"},
    )
    assert response.status_code in (404, 409, 422)
    with app.app_context():
        card = get_card(card_id)
        assert (card.assignee_id, card.column_id, card.version) == (
            org.users["staff"],
            org.backlog,
            version,
        )
