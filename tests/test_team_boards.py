"""A work team's board: who creates it, who sees it (the team, heads above; not the team's unit),
who manages it (the ketua tim like a head: sprints, settings, WIP overrides, plugin settings),
and paraf steps "ketua tim"."""

import pytest
from sqlalchemy import select

import plugins.approvals as approvals_plugin
from app.extensions import db
from app.models import Board, Card
from app.services import access, accounts, boards, cards, moves, sprints, teams
from app.services import plugins as board_plugins
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from tests.conftest import PASSWORD, build_org, build_tokens, get_user, make_app

pytestmark = pytest.mark.pg


@pytest.fixture
def world(database_url):
    """The org fixture's Dinas with the approvals plugin, a member of Bidang TIK outside the
    team, a team TIM-SPBE in Bidang TIK led by a staff member of Seksi Aplikasi with a member
    from Bidang IKP, and the team's board."""
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"approvals": approvals_plugin})
    org = build_org(app)
    with app.app_context():
        other = accounts.create_user(
            "Rudi Hartono", PASSWORD, username="rudi", unit_code="BID-TIK", role="member"
        )
        org.users["bidstaff"] = other.id
        org.nips["bidstaff"] = "rudi"
        teams.create_team(
            get_user("kabid", org),
            "TIM-SPBE",
            "Tim SPBE",
            "BID-TIK",
            org.nips["staff"],
            [org.nips["outsider"]],
        )
        teams.create_team(
            get_user("admin", org), "TIM-IKP", "Tim IKP", "BID-IKP", org.nips["outsider"]
        )
        board = boards.create_board(
            get_user("staff", org),
            "SPBE",
            None,
            columns=[
                {"name": "Backlog", "kind": "backlog"},
                {"name": "Dikerjakan", "kind": "active", "wip_limit": 1},
                {"name": "Paraf", "kind": "active"},
                {"name": "Selesai", "kind": "done"},
            ],
            team="TIM-SPBE",
        )
        other_board = boards.create_board(get_user("outsider", org), "IKP", None, team="TIM-IKP")
        org.team_board = board.id
        org.other_team_board = other_board.id
        org.col = {c.name: c.id for c in board.columns}
    org.tokens = build_tokens(app, org)
    yield app, org
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def board_of(org):
    return db.session.get(Board, org.team_board)


def test_a_team_board_sits_in_the_team_unit_and_shows_the_team(world):
    app, org = world
    with app.app_context():
        board = board_of(org)
        assert board.unit.code == "BID-TIK" and board.team.code == "TIM-SPBE"
    client = app.test_client()
    token = {"Authorization": f"Bearer {org.tokens['outsider']}"}
    body = client.get(f"/api/v1/boards/{org.team_board}", headers=token).get_json()
    assert body["team"] == "TIM-SPBE" and body["unit"] == "BID-TIK"
    listed = client.get("/api/v1/boards", headers=token).get_json()["boards"]
    assert {b["team"] for b in listed} == {"TIM-SPBE", "TIM-IKP"}


@pytest.mark.parametrize(
    ("who", "sees", "manages"),
    [
        ("admin", True, True),
        ("kadis", True, True),
        ("kabid", True, True),
        ("staff", True, True),  # the ketua tim
        ("outsider", True, False),  # a member from another unit
        ("kasi", False, False),  # a head below the team's unit is not above it
        ("staff2", False, False),
        ("bidstaff", False, False),  # a member of the team's unit, not in the team
    ],
)
def test_who_sees_and_manages_a_team_board(world, who, sees, manages):
    app, org = world
    with app.app_context():
        user, board = get_user(who, org), board_of(org)
        assert access.can_view_board(user, board) is sees
        assert access.can_manage_board(user, board) is manages
        visible = db.session.scalars(select(Board.id).where(access.visible_boards_clause(user)))
        assert (org.team_board in set(visible)) is sees
        managed = db.session.scalars(select(Board.id).where(access.managed_boards_clause(user)))
        assert (org.team_board in set(managed)) is manages
        viewers = {u.id for u in access.board_viewers(board)}
        assert (org.users[who] in viewers) is sees


def test_a_member_of_the_team_unit_outside_the_team_gets_404(world):
    app, org = world
    client = app.test_client()
    client.post("/login", data={"username": "rudi", "password": PASSWORD})
    assert client.get(f"/boards/{org.team_board}").status_code == 404
    assert "SPBE" not in client.get("/boards").get_data(as_text=True)
    token = {"Authorization": f"Bearer {org.tokens['bidstaff']}"}
    assert client.get(f"/api/v1/boards/{org.team_board}", headers=token).status_code == 404


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("staff", True), ("kabid", True), ("admin", True), ("outsider", False), ("kasi", False)],
)
def test_who_creates_a_team_board(world, who, allowed):
    app, org = world
    with app.app_context():
        if allowed:
            board = boards.create_board(get_user(who, org), "Baru", None, team="TIM-SPBE")
            assert board.team_id is not None
        else:
            with pytest.raises(Forbidden):
                boards.create_board(get_user(who, org), "Baru", None, team="TIM-SPBE")


def test_a_ketua_tim_does_not_manage_another_team_board(world):
    app, org = world
    with app.app_context():
        leader = get_user("staff", org)
        with pytest.raises(NotFound):
            boards.update_board(leader, org.other_team_board, {"name": "Diambil"})
        with pytest.raises(Forbidden):
            boards.create_board(leader, "Lain", None, team="TIM-IKP")
        with pytest.raises(Invalid):
            boards.create_board(leader, "Lain", "SEKSI-APL", team="TIM-SPBE")


def test_the_board_form_offers_units_and_teams_the_user_may_manage(world):
    app, org = world
    client = app.test_client()
    client.post("/login", data={"username": org.nips["staff"], "password": PASSWORD})
    page = client.get("/boards").get_data(as_text=True)
    assert 'value="team:TIM-SPBE"' in page and "team:TIM-IKP" not in page
    assert 'value="unit:' not in page
    made = client.post("/boards", data={"name": "Data SPBE", "owner": "team:TIM-SPBE"})
    assert made.status_code == 302
    refused = client.post("/boards", data={"name": "Curang", "owner": "team:TIM-IKP"})
    assert refused.status_code == 403
    bad = client.post("/boards", data={"name": "X", "owner": "team:NOPE"})
    assert bad.status_code == 422 and "field-error" in bad.get_data(as_text=True)
    with app.app_context():
        made = db.session.scalar(select(Board).where(Board.name == "Data SPBE"))
        assert made.team.code == "TIM-SPBE"


def test_the_api_creates_a_team_board(world):
    app, org = world
    client = app.test_client()
    token = {"Authorization": f"Bearer {org.tokens['staff']}"}
    made = client.post("/api/v1/boards", json={"name": "API", "team": "TIM-SPBE"}, headers=token)
    assert made.status_code == 201 and made.get_json()["team"] == "TIM-SPBE"
    token = {"Authorization": f"Bearer {org.tokens['outsider']}"}
    refused = client.post("/api/v1/boards", json={"name": "API", "team": "TIM-SPBE"}, headers=token)
    assert refused.status_code == 403


def test_the_ketua_tim_starts_a_sprint_and_a_member_may_not(world):
    app, org = world
    with app.app_context():
        member = get_user("outsider", org)
        card = cards.create_card(
            member, org.team_board, {"title": "Peta proses"}, column_id=org.col["Backlog"]
        ).card
        with pytest.raises(Forbidden):
            sprints.create_sprint(
                member,
                org.team_board,
                {"name": "S1", "goal": "G", "start": "2026-01-05", "end": "2026-01-16"},
            )
        leader = get_user("staff", org)
        sprint = sprints.create_sprint(
            leader,
            org.team_board,
            {"name": "S1", "goal": "G", "start": "2026-01-05", "end": "2026-01-16"},
        )
        sprints.add_cards(leader, sprint.id, [card.id])
        with pytest.raises(Forbidden):
            sprints.start_sprint(member, sprint.id)
        assert sprints.start_sprint(leader, sprint.id).state == "active"


def test_the_ketua_tim_overrides_a_wip_limit_and_a_member_may_not(world):
    app, org = world
    with app.app_context():
        member, leader = get_user("outsider", org), get_user("staff", org)
        first = cards.create_card(
            member,
            org.team_board,
            {"title": "Satu", "due_date": "2026-12-31"},
            column_id=org.col["Backlog"],
        ).card
        second = cards.create_card(
            member,
            org.team_board,
            {"title": "Dua", "due_date": "2026-12-31"},
            column_id=org.col["Backlog"],
        ).card
        moves.move_card(member, first.id, org.col["Dikerjakan"])  # a member moves cards
        with pytest.raises(Conflict):
            moves.move_card(member, second.id, org.col["Dikerjakan"])
        with pytest.raises(Forbidden):
            moves.move_card(member, second.id, org.col["Dikerjakan"], override_reason="Mendesak")
        moves.move_card(leader, second.id, org.col["Dikerjakan"], override_reason="Mendesak")
        assert db.session.get(Card, second.id).column_id == org.col["Dikerjakan"]


def test_the_ketua_tim_changes_settings_and_plugin_settings(world):
    app, org = world
    with app.app_context():
        leader, member = get_user("staff", org), get_user("outsider", org)
        boards.update_board(leader, org.team_board, {"personal_wip_limit": 3})
        with pytest.raises(Forbidden):
            boards.update_board(member, org.team_board, {"personal_wip_limit": 9})
        board_plugins.set_board_plugin(leader, org.team_board, "approvals", enabled=True)
        with pytest.raises(Forbidden):
            board_plugins.set_board_plugin(member, org.team_board, "approvals", enabled=False)


TEAM_CHAIN = {
    "type": "nota-dinas",
    "review_column": "Paraf",
    "return_column": "Dikerjakan",
    "steps": [{"team_lead": True}, {"head_of": "BID-TIK"}],
}


def test_a_team_lead_step_is_refused_on_a_unit_board(world):
    app, org = world
    with app.app_context():
        with pytest.raises(Invalid) as caught:
            board_plugins.set_board_plugin(
                get_user("kasi", org),
                org.board_id,
                "approvals",
                # the unit board's own columns: only the team leader step is wrong
                settings={"chains": [{**TEAM_CHAIN, "review_column": "Review"}]},
            )
        assert "bukan milik tim kerja" in caught.value.fields["chains"]
        assert "bukan milik tim kerja" in caught.value.fields["chains.0.steps.0.team_lead"]
        with pytest.raises(Invalid):
            bad = {**TEAM_CHAIN, "steps": [{"team_lead": "yes"}]}
            board_plugins.set_board_plugin(
                get_user("staff", org), org.team_board, "approvals", settings={"chains": [bad]}
            )


def test_the_ketua_tim_gives_paraf_at_a_team_lead_step(world):
    from plugins.approvals import paraf

    app, org = world
    with app.app_context():
        leader, member = get_user("staff", org), get_user("outsider", org)
        board_plugins.set_board_plugin(
            leader, org.team_board, "approvals", settings={"chains": [TEAM_CHAIN]}
        )
        card = cards.create_card(
            member,
            org.team_board,
            {"title": "Nota dinas SPBE", "type": "nota-dinas", "due_date": "2026-12-31"},
            column_id=org.col["Dikerjakan"],
        ).card
        moves.move_card(member, card.id, org.col["Paraf"])
        state = paraf.state_of(card.id)
        assert state["steps"][0]["approver_id"] == org.users["staff"]
        assert "Tim SPBE" in state["steps"][0]["label"]
        with pytest.raises(Forbidden):
            paraf.decide(member, card.id, "approve")
        paraf.decide(leader, card.id, "approve")
        state = paraf.state_of(card.id)
        assert state["current_step"] == 2
        assert state["steps"][1]["approver_id"] == org.users["kabid"]
