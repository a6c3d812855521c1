"""Work teams (tim kerja): who makes and changes them, members and the team leader, the
administrative log, and the same rules through the pages, the API and the CLI."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AdminEvent, Team, TeamMember
from app.services import accounts, boards, cards, teams
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from tests.conftest import PASSWORD, get_user

pytestmark = pytest.mark.pg


def make_team(org, by="kabid", leader="staff", members=("outsider",), code="TIM-SPBE"):
    return teams.create_team(
        get_user(by, org),
        code,
        "Tim SPBE",
        "BID-TIK",
        org.nips[leader],
        [org.nips[m] for m in members],
    )


def member_logins(team):
    return sorted(p.login for p in teams.members_of(team))


def log_kinds():
    return [
        row.kind
        for row in db.session.scalars(
            select(AdminEvent).where(AdminEvent.kind.startswith("team.")).order_by(AdminEvent.id)
        )
    ]


def test_a_head_above_creates_a_team_with_a_leader_who_is_not_a_head(app, org):
    with app.app_context():
        team = make_team(org)
        assert team.leader_id == org.users["staff"]
        assert team.unit.code == "BID-TIK"
        assert member_logins(team) == sorted([org.nips["staff"], org.nips["outsider"]])
        event = db.session.scalars(
            select(AdminEvent).where(AdminEvent.kind.startswith("team."))
        ).one()
        assert event.kind == "team.created" and event.actor_id == org.users["kabid"]
        assert event.after["leader"] == org.nips["staff"]


@pytest.mark.parametrize("who", ["kasi", "staff", "outsider"])
def test_only_heads_of_the_unit_or_above_and_admins_create_teams(app, org, who):
    with app.app_context():
        with pytest.raises(Forbidden):
            make_team(org, by=who)
        assert db.session.scalar(select(Team.id)) is None
        assert log_kinds() == []


def test_bad_team_input_names_each_field_and_changes_nothing(app, org):
    with app.app_context():
        with pytest.raises(Invalid) as caught:
            teams.create_team(get_user("admin", org), "bad code!", "", "NOPE", "nobody")
        assert set(caught.value.fields) == {"code", "name", "unit", "leader"}
        make_team(org)
        with pytest.raises(Conflict):
            make_team(org, by="admin")
        assert db.session.scalar(select(Team.id).where(Team.code == "TIM-SPBE")) is not None


def test_an_inactive_person_cannot_lead_or_join(app, org):
    with app.app_context():
        person = accounts.create_user("Pensiun", PASSWORD, username="pensiun", unit_code="BID-TIK")
        person.active = False
        db.session.commit()
        with pytest.raises(Invalid) as caught:
            teams.create_team(get_user("admin", org), "T1", "Tim", "BID-TIK", "pensiun")
        assert "leader" in caught.value.fields
        make_team(org)
        with pytest.raises(Invalid):
            teams.add_member(get_user("admin", org), "TIM-SPBE", "pensiun")


def test_the_leader_adds_and_removes_members_of_their_own_team_only(app, org):
    with app.app_context():
        make_team(org)
        make_team(org, leader="outsider", members=(), code="TIM-IKP")
        leader = get_user("staff", org)
        teams.add_member(leader, "TIM-SPBE", org.nips["staff2"])
        assert org.nips["staff2"] in member_logins(teams.find_team("TIM-SPBE"))
        teams.remove_member(leader, "TIM-SPBE", org.nips["staff2"])
        assert org.nips["staff2"] not in member_logins(teams.find_team("TIM-SPBE"))
        # Another team's leader: the team is not even visible to them.
        with pytest.raises(NotFound):
            teams.add_member(leader, "TIM-IKP", org.nips["staff2"])
        # A member of the team sees it but may not change its members.
        with pytest.raises(Forbidden):
            teams.add_member(get_user("outsider", org), "TIM-SPBE", org.nips["staff2"])
        kinds = log_kinds()
        assert kinds.count("team.member_added") == 1 and kinds.count("team.member_removed") == 1


def test_nobody_makes_themself_leader_and_the_leader_cannot_hand_over_the_team(app, org):
    with app.app_context():
        make_team(org)
        for who in ("outsider", "staff"):
            with pytest.raises(Forbidden):
                teams.set_leader(get_user(who, org), "TIM-SPBE", org.nips[who])
        assert teams.find_team("TIM-SPBE").leader_id == org.users["staff"]
        team = teams.set_leader(get_user("kabid", org), "TIM-SPBE", org.nips["outsider"])
        assert team.leader_id == org.users["outsider"]
        event = db.session.scalars(select(AdminEvent).order_by(AdminEvent.id.desc())).first()
        assert event.kind == "team.leader_changed"
        assert event.before == {"leader": org.nips["staff"]}
        assert event.after == {"leader": org.nips["outsider"]}


def test_the_leader_cannot_be_removed_before_another_leads(app, org):
    with app.app_context():
        make_team(org)
        with pytest.raises(Conflict):
            teams.remove_member(get_user("kabid", org), "TIM-SPBE", org.nips["staff"])
        assert org.nips["staff"] in member_logins(teams.find_team("TIM-SPBE"))


def test_a_team_with_boards_cannot_be_deactivated_or_moved(app, org):
    with app.app_context():
        make_team(org)
        kabid = get_user("kabid", org)
        boards.create_board(kabid, "SPBE", None, team="TIM-SPBE")
        with pytest.raises(Conflict):
            teams.update_team(kabid, "TIM-SPBE", {"active": False})
        with pytest.raises(Conflict):
            teams.update_team(get_user("admin", org), "TIM-SPBE", {"unit": "BID-IKP"})
        assert teams.find_team("TIM-SPBE").active


def test_a_team_without_boards_is_deactivated_and_its_members_lose_it(app, org):
    with app.app_context():
        make_team(org)
        teams.update_team(get_user("kabid", org), "TIM-SPBE", {"active": False, "name": "Lama"})
        team = teams.find_team("TIM-SPBE")
        assert not team.active and team.name == "Lama"
        assert [t.code for t in teams.visible_teams(get_user("kabid", org))] == ["TIM-SPBE"]
    with app.app_context():
        assert teams.visible_teams(get_user("outsider", org)) == []
        event = db.session.scalars(select(AdminEvent).order_by(AdminEvent.id.desc())).first()
        assert event.kind == "team.updated"
        assert event.before == {"name": "Tim SPBE", "active": True}


def test_a_removed_member_loses_the_boards_and_their_open_cards_are_handed_over(app, org):
    with app.app_context():
        make_team(org, members=("outsider", "staff2"))
        leader = get_user("staff", org)
        board = boards.create_board(leader, "SPBE", None, team="TIM-SPBE")
        backlog = board.columns[0].id
        outsider = get_user("outsider", org)
        first = cards.create_card(
            outsider,
            board.id,
            {"title": "Peta proses", "assignee": org.nips["outsider"]},
            column_id=backlog,
        ).card
        second = cards.create_card(
            outsider,
            board.id,
            {"title": "Arsitektur", "assignee": org.nips["outsider"]},
            column_id=backlog,
        ).card
        open_cards = teams.open_cards_of(teams.find_team("TIM-SPBE"), outsider)
        assert {c.id for c in open_cards} == {first.id, second.id}
        # A hand-over to someone who cannot see the board is refused, and nothing changes.
        with pytest.raises(Invalid) as caught:
            teams.remove_member(
                leader, "TIM-SPBE", org.nips["outsider"], {str(first.id): org.nips["kasi"]}
            )
        assert f"handover.{first.id}" in caught.value.fields
        assert org.nips["outsider"] in member_logins(teams.find_team("TIM-SPBE"))
        handed = teams.remove_member(
            leader, "TIM-SPBE", org.nips["outsider"], {str(first.id): org.nips["staff2"]}
        )
        assert {c.id for c in handed} == {first.id, second.id}
    with app.app_context():
        from app.models import Card

        assert db.session.get(Card, first.id).assignee_id == org.users["staff2"]
        assert db.session.get(Card, second.id).assignee_id is None
        from app.services.access import can_view_board

        assert not can_view_board(get_user("outsider", org), db.session.get(Card, first.id).board)


def test_team_pages_list_show_and_change(app, org, client, auth):
    with app.app_context():
        make_team(org)
    auth.login(org.nips["outsider"])
    page = client.get("/teams").get_data(as_text=True)
    assert "Tim SPBE" in page and 'name="code"' not in page
    page = client.get("/teams/TIM-SPBE").get_data(as_text=True)
    assert "Agus Pratama" in page and "Bidang IKP" in page
    assert (
        client.post("/teams/TIM-SPBE/members", data={"user": org.nips["staff2"]}).status_code == 403
    )
    auth.logout()
    auth.login(org.nips["staff2"])
    assert client.get("/teams/TIM-SPBE").status_code == 404
    auth.logout()
    auth.login(org.nips["staff"])
    response = client.post("/teams/TIM-SPBE/members", data={"user": org.nips["staff2"]})
    assert response.status_code == 302
    again = client.post("/teams/TIM-SPBE/members", data={"user": org.nips["staff2"]})
    assert again.status_code == 409 and "field-error" in again.get_data(as_text=True)
    form = client.get(f"/teams/TIM-SPBE/members/{org.nips['staff2']}/remove")
    assert form.status_code == 200
    assert client.post(f"/teams/TIM-SPBE/members/{org.nips['staff2']}/remove").status_code == 302
    auth.logout()
    auth.login(org.nips["kabid"])
    page = client.get("/teams").get_data(as_text=True)
    assert 'name="code"' in page
    bad = client.post("/teams", data={"code": "", "name": "", "unit": "BID-TIK", "leader": ""})
    assert bad.status_code == 422 and "field-error" in bad.get_data(as_text=True)
    made = client.post(
        "/teams",
        data={
            "code": "TIM-DATA",
            "name": "Tim Data",
            "unit": "BID-TIK",
            "leader": org.nips["staff2"],
        },
    )
    assert made.status_code == 302 and made.headers["Location"].endswith("/teams/TIM-DATA")
    assert (
        client.post("/teams/TIM-DATA/leader", data={"leader": org.nips["staff"]}).status_code == 302
    )
    with app.app_context():
        assert teams.find_team("TIM-DATA").leader_id == org.users["staff"]


def test_team_api(app, org, api):
    made = api("kabid").post(
        "/api/v1/teams",
        json={
            "code": "TIM-SPBE",
            "name": "Tim SPBE",
            "unit": "BID-TIK",
            "leader": org.nips["staff"],
            "members": [org.nips["outsider"]],
        },
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["leader"] == org.nips["staff"]
    assert api("staff2").get("/api/v1/teams").get_json() == {"teams": []}
    assert api("staff2").get("/api/v1/teams/TIM-SPBE").status_code == 404
    assert api("outsider").get("/api/v1/teams/TIM-SPBE").status_code == 200
    # A member making themself leader.
    own = api("outsider").patch("/api/v1/teams/TIM-SPBE", json={"leader": org.nips["outsider"]})
    assert own.status_code == 403
    bad = api("kabid").patch("/api/v1/teams/TIM-SPBE", json={"active": "no"})
    assert bad.status_code == 422 and "active" in bad.get_json()["error"]["fields"]
    added = api("staff").post("/api/v1/teams/TIM-SPBE/members", json={"user": org.nips["staff2"]})
    assert added.status_code == 200
    assert org.nips["staff2"] in [m["login"] for m in added.get_json()["members"]]
    gone = api("staff").delete(f"/api/v1/teams/TIM-SPBE/members/{org.nips['staff2']}")
    assert gone.status_code == 200 and gone.get_json() == {"handed_over": []}
    missing = api("staff").delete(f"/api/v1/teams/TIM-SPBE/members/{org.nips['staff2']}")
    assert missing.status_code == 404


def test_team_cli(app, org, runner):
    result = runner.invoke(
        args=[
            "teams",
            "create",
            "--code",
            "TIM-SPBE",
            "--name",
            "Tim SPBE",
            "--unit",
            "BID-TIK",
            "--leader",
            org.nips["staff"],
            "--member",
            org.nips["outsider"],
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["teams", "add-member", "TIM-SPBE", org.nips["staff2"]])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["teams", "list"])
    assert "TIM-SPBE" in result.output and "3" in result.output
    result = runner.invoke(args=["teams", "set-leader", "TIM-SPBE", org.nips["outsider"]])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["teams", "remove-member", "TIM-SPBE", org.nips["outsider"]])
    assert result.exit_code == 1 and "Error:" in result.output
    result = runner.invoke(args=["teams", "remove-member", "TIM-SPBE", org.nips["staff2"]])
    assert result.exit_code == 0, result.output
    with app.app_context():
        team = teams.find_team("TIM-SPBE")
        assert team.leader_id == org.users["outsider"]
        rows = db.session.scalars(select(TeamMember).where(TeamMember.team_id == team.id)).all()
        assert {r.user_id for r in rows} == {org.users["staff"], org.users["outsider"]}
        assert log_kinds()[0] == "team.created"


def test_cli_removal_hands_each_open_card_to_the_person_named_or_nobody(app, org, runner):
    with app.app_context():
        make_team(org)
        board = boards.create_board(get_user("staff", org), "SPBE", None, team="TIM-SPBE")
        outsider = get_user("outsider", org)
        mine = {"assignee": org.nips["outsider"]}
        first = cards.create_card(outsider, board.id, {"title": "A", **mine}).card.id
        second = cards.create_card(outsider, board.id, {"title": "B", **mine}).card.id
    result = runner.invoke(
        args=["teams", "remove-member", "TIM-SPBE", org.nips["outsider"],
              "--reassign", f"{first}={org.nips['staff']}"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with app.app_context():
        from app.models import Card

        assert db.session.get(Card, first).assignee_id == org.users["staff"]
        assert db.session.get(Card, second).assignee_id is None
