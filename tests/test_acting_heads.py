"""Acting heads (Plt/Plh): who appoints them, what is refused, the head's rights while acting
(boards, sprints, paraf steps) and none before the first or after the last day."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import ActingHead, AdminEvent, Board, User
from app.services import access, accounts, acting, cards, moves
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from tests.approvals_fixtures import NIPS, chain  # noqa: F401
from tests.conftest import get_user

pytestmark = pytest.mark.pg

JAKARTA = ZoneInfo("Asia/Jakarta")


def today() -> date:
    return datetime.now(JAKARTA).date()


def appoint(org, by="kabid", who="staff2", unit="SEKSI-APL", kind="plh", start=0, days=5):
    first = today() + timedelta(days=start)
    return acting.appoint(
        get_user(by, org),
        unit,
        org.nips[who],
        kind,
        first.isoformat(),
        (first + timedelta(days=days - 1)).isoformat(),
        "800/123/SPT/2026",
    )


def board(org):
    return db.session.get(Board, org.board_id)


def test_a_head_above_appoints_a_plh_who_then_manages_the_unit_boards(app, org):
    with app.app_context():
        assert not access.can_manage_board(get_user("staff2", org), board(org))
        item = appoint(org)
        assert acting.status(item) == "current"
    with app.app_context():
        plh = get_user("staff2", org)
        assert access.can_manage_board(plh, board(org))
        assert access.acting_head_ids({board(org).unit_id}) == {org.users["staff2"]}
        event = db.session.scalars(
            select(AdminEvent).where(AdminEvent.kind.startswith("acting."))
        ).one()
        assert event.kind == "acting.appointed" and event.after["kind"] == "plh"
        assert event.after["decree"] == "800/123/SPT/2026"


@pytest.mark.parametrize(
    ("who", "unit"),
    [
        ("kasi", "SEKSI-APL"),
        ("staff", "SEKSI-APL"),
        ("kabid", "BID-IKP"),
        ("kabid", "BID-TIK"),
        ("kadis", "DISKOMINFO"),
    ],
)
def test_only_heads_above_and_admins_appoint(app, org, who, unit):
    """Nobody appoints their own Plh (kasi for Seksi Aplikasi, kabid for Bidang TIK), nor for a
    unit outside their tree; the top unit's acting heads come from admins."""
    with app.app_context():
        with pytest.raises(Forbidden):
            appoint(org, by=who, unit=unit)
        assert db.session.scalar(select(ActingHead.id)) is None


def test_an_acting_head_appoints_nobody(app, org):
    with app.app_context():
        appoint(org, by="kadis", who="staff", unit="BID-TIK", kind="plt")
    with app.app_context(), pytest.raises(Forbidden):
        appoint(org, by="staff", who="staff2", unit="SEKSI-APL")


def test_bad_appointments_are_refused(app, org):
    with app.app_context():
        admin = get_user("admin", org)
        with pytest.raises(Invalid) as caught:
            acting.appoint(admin, "SEKSI-APL", org.nips["staff2"], "pjs", "2026-13-01", "", "")
        assert set(caught.value.fields) == {"kind", "starts_on", "ends_on", "decree"}
        with pytest.raises(Invalid) as caught:
            appoint(org, start=3, days=-1)
        assert "ends_on" in caught.value.fields
        with pytest.raises(Invalid) as caught:
            appoint(org, days=367)
        assert "ends_on" in caught.value.fields
        with pytest.raises(Invalid) as caught:
            appoint(org, start=-10, days=3)
        assert "ends_on" in caught.value.fields
        person = get_user("staff2", org)
        person.active = False
        db.session.commit()
        with pytest.raises(Invalid) as caught:
            appoint(org)
        assert "user" in caught.value.fields
        assert db.session.scalar(select(ActingHead.id)) is None


def test_overlapping_appointments_of_the_same_kind_are_refused(app, org):
    with app.app_context():
        appoint(org, days=10)
        with pytest.raises(Conflict):
            appoint(org, who="staff", start=9, days=3)
        appoint(org, who="staff", kind="plt", start=9, days=3)  # another kind may overlap
        appoint(org, who="staff", start=10, days=3)  # the next day is free again


def test_no_rights_before_the_first_or_after_the_last_day(app, org):
    with app.app_context():
        item = appoint(org, start=2, days=3)
        assert acting.status(item) == "upcoming"
    with app.app_context():
        assert not access.can_manage_board(get_user("staff2", org), board(org))
    first = datetime.combine(today() + timedelta(days=2), datetime.min.time(), JAKARTA)
    with time_machine.travel(first + timedelta(hours=8), tick=False), app.app_context():
        assert access.can_manage_board(get_user("staff2", org), board(org))
    last_evening = time_machine.travel(first + timedelta(days=2, hours=23), tick=False)
    with last_evening, app.app_context():
        assert access.can_manage_board(get_user("staff2", org), board(org))
    day_after = time_machine.travel(first + timedelta(days=3, minutes=1), tick=False)
    with day_after, app.app_context():
        assert not access.can_manage_board(get_user("staff2", org), board(org))


def test_an_appointment_in_the_past_gives_nothing(app, org):
    with app.app_context():
        db.session.add(
            ActingHead(
                unit_id=board(org).unit_id,
                user_id=org.users["outsider"],
                kind="plh",
                starts_on=today() - timedelta(days=10),
                ends_on=today() - timedelta(days=1),
                decree="lama",
            )
        )
        db.session.commit()
    with app.app_context():
        outsider = get_user("outsider", org)
        assert not access.can_view_board(outsider, board(org))
        assert acting.status(db.session.scalars(select(ActingHead)).one()) == "past"


def test_ending_early_takes_the_rights_away_at_once(app, org):
    with app.app_context():
        item = appoint(org)
        with pytest.raises(Forbidden):
            acting.end(get_user("kasi", org), item.id)
        with pytest.raises(NotFound):
            acting.end(get_user("outsider", org), item.id)
        acting.end(get_user("kabid", org), item.id)
        with pytest.raises(Conflict):
            acting.end(get_user("admin", org), item.id)
    with app.app_context():
        assert not access.can_manage_board(get_user("staff2", org), board(org))
        kinds = [
            e.kind
            for e in db.session.scalars(
                select(AdminEvent)
                .where(AdminEvent.kind.startswith("acting."))
                .order_by(AdminEvent.id)
            )
        ]
        assert kinds == ["acting.appointed", "acting.ended"]


def test_a_plt_of_a_bidang_heads_the_seksi_below_too(app, org):
    with app.app_context():
        appoint(org, by="kadis", who="outsider", unit="BID-TIK", kind="plt")
    with app.app_context():
        outsider = get_user("outsider", org)
        assert access.can_manage_board(outsider, board(org))  # Seksi Aplikasi, under Bidang TIK
        card = cards.create_card(
            get_user("staff", org),
            org.board_id,
            {"title": "Rapat", "due_date": "2026-12-31"},
            column_id=org.backlog,
        ).card
        moves.move_card(outsider, card.id, org.doing)


def test_acting_pages(app, org, client, auth):
    auth.login(org.nips["staff"])
    assert client.get("/acting").status_code == 403  # no head, no appointment
    auth.logout()
    auth.login(org.nips["kabid"])
    page = client.get("/acting").get_data(as_text=True)
    assert 'value="SEKSI-APL"' in page and 'value="BID-TIK"' not in page
    start = today().isoformat()
    end = (today() + timedelta(days=4)).isoformat()
    bad = client.post(
        "/acting",
        data={
            "unit": "SEKSI-APL",
            "user": org.nips["staff2"],
            "kind": "plh",
            "starts_on": end,
            "ends_on": start,
            "decree": "1",
        },
    )
    assert bad.status_code == 422 and "field-error" in bad.get_data(as_text=True)
    made = client.post(
        "/acting",
        data={
            "unit": "SEKSI-APL",
            "user": org.nips["staff2"],
            "kind": "plh",
            "starts_on": start,
            "ends_on": end,
            "decree": "800/1/SPT",
        },
    )
    assert made.status_code == 302
    page = client.get("/acting").get_data(as_text=True)
    assert "Dewi Lestari" in page and "800/1/SPT" in page
    with app.app_context():
        item_id = db.session.scalar(select(ActingHead.id))
    assert client.post(f"/acting/{item_id}/end").status_code == 302
    with app.app_context():
        assert db.session.get(ActingHead, item_id).ended_at is not None


def test_acting_api(app, org, api):
    start = today().isoformat()
    end = (today() + timedelta(days=4)).isoformat()
    body = {
        "unit": "SEKSI-APL",
        "user": org.nips["staff2"],
        "kind": "plh",
        "starts_on": start,
        "ends_on": end,
        "decree": "800/2/SPT",
    }
    assert api("kasi").post("/api/v1/acting-heads", json=body).status_code == 403
    assert api("kabid").post("/api/v1/acting-heads", json={**body, "kind": 1}).status_code == 422
    made = api("kabid").post("/api/v1/acting-heads", json=body)
    assert made.status_code == 201, made.get_json()
    item = made.get_json()
    assert item["status"] == "current" and item["user"] == org.nips["staff2"]
    assert api("kabid").post("/api/v1/acting-heads", json=body).status_code == 409
    listed = api("kasi").get("/api/v1/acting-heads?unit=SEKSI-APL").get_json()["acting_heads"]
    assert [x["id"] for x in listed] == [item["id"]]
    assert api("outsider").get("/api/v1/acting-heads").get_json() == {"acting_heads": []}
    assert api("outsider").post(f"/api/v1/acting-heads/{item['id']}/end").status_code == 404
    ended = api("kabid").post(f"/api/v1/acting-heads/{item['id']}/end")
    assert ended.status_code == 200 and ended.get_json()["status"] == "ended"


def test_acting_cli(app, org, runner):
    start = today().isoformat()
    end = (today() + timedelta(days=4)).isoformat()
    result = runner.invoke(
        args=[
            "acting",
            "appoint",
            "--unit",
            "SEKSI-APL",
            "--user",
            org.nips["staff2"],
            "--kind",
            "plh",
            "--from",
            start,
            "--to",
            end,
            "--decree",
            "800/3/SPT",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=[
            "acting",
            "appoint",
            "--unit",
            "SEKSI-APL",
            "--user",
            org.nips["staff2"],
            "--kind",
            "plh",
            "--from",
            end,
            "--to",
            start,
            "--decree",
            "x",
        ]
    )
    assert result.exit_code == 1 and "Error:" in result.output
    listed = runner.invoke(args=["acting", "list"])
    assert "SEKSI-APL" in listed.output and "current" in listed.output
    with app.app_context():
        item_id = db.session.scalar(select(ActingHead.id))
    assert runner.invoke(args=["acting", "end", str(item_id)]).exit_code == 0
    assert runner.invoke(args=["acting", "end", str(item_id)]).exit_code == 1


# -- paraf: a Plh of Seksi Aplikasi decides the step "head of SEKSI-APL" ----------------------


def plh_of_seksi(app, s, days=1):
    with app.app_context():
        admin = db.session.get(User, s.ids["admin"])
        first = today()
        return acting.appoint(
            admin,
            "SEKSI-APL",
            NIPS["plh"],
            "plh",
            first.isoformat(),
            (first + timedelta(days=days - 1)).isoformat(),
            "800/4/SPT",
        ).id


def submit(app, s):
    with app.app_context():
        drafter = db.session.get(User, s.ids["drafter"])
        moves.move_card(drafter, s.card_id, s.column["Paraf"])


def test_a_plh_decides_a_head_of_step_while_acting(chain):  # noqa: F811
    from plugins.approvals import inbox, paraf

    app, s = chain
    plh_of_seksi(app, s)
    submit(app, s)
    with app.app_context():
        plh = db.session.get(User, s.ids["plh"])
        assert [item.card.id for item in inbox.waiting_on(plh)] == [s.card_id]
        assert inbox.inbox_count(plh) == 1
        paraf.decide(plh, s.card_id, "approve")
        state = paraf.state_of(s.card_id)
        step = state["steps"][0]
        assert step["by_id"] == s.ids["plh"] and step["as_id"] == s.ids["kasi"]
        assert step["as_kind"] == "plh" and state["current_step"] == 2


def test_a_plh_loses_the_paraf_the_day_after_the_end_date(chain):  # noqa: F811
    from plugins.approvals import inbox, paraf

    app, s = chain
    plh_of_seksi(app, s)
    submit(app, s)
    tomorrow = datetime.combine(today() + timedelta(days=1), datetime.min.time(), JAKARTA)
    with time_machine.travel(tomorrow + timedelta(hours=8), tick=False), app.app_context():
        plh = db.session.get(User, s.ids["plh"])
        assert inbox.waiting_on(plh) == []
        with pytest.raises(Forbidden):
            paraf.decide(plh, s.card_id, "approve")
        assert paraf.state_of(s.card_id)["current_step"] == 1


def test_a_plt_of_a_unit_without_head_is_the_approver(chain):  # noqa: F811
    from plugins.approvals import paraf

    app, s = chain
    with app.app_context():
        accounts.create_unit("SEKSI-INF", "Seksi Infrastruktur", parent_code="BID-TIK")
        admin = db.session.get(User, s.ids["admin"])
        acting.appoint(
            admin,
            "SEKSI-INF",
            NIPS["plh"],
            "plt",
            today().isoformat(),
            (today() + timedelta(days=30)).isoformat(),
            "800/5/SPT",
        )
    with app.app_context():
        approver, _label = paraf.resolve({"head_of": "SEKSI-INF"})
        assert approver == s.ids["plh"]


def test_acting_heads_count_as_heads_above_a_step(chain):  # noqa: F811
    from plugins.approvals import posts

    app, s = chain
    with app.app_context():
        admin = db.session.get(User, s.ids["admin"])
        acting.appoint(
            admin,
            "BID-TIK",
            NIPS["sekretaris"],
            "plt",
            today().isoformat(),
            today().isoformat(),
            "800/6/SPT",
        )
    with app.app_context():
        sekretaris = db.session.get(User, s.ids["sekretaris"])
        assert posts.above_step(sekretaris, {"head_of": "SEKSI-APL"})
        assert not posts.above_step(sekretaris, {"head_of": "DISKOMINFO"})


def test_plugins_asking_for_a_unit_heads_get_the_acting_head_too(app, org):
    from cergas.plugin import acting_heads, heads_of_units, memberships_of, unit_heads

    with app.app_context():
        appoint(org)
    with app.app_context():
        unit_id = board(org).unit_id
        plh = org.users["staff2"]
        assert [u.id for u in heads_of_units([unit_id])[unit_id]] == [org.users["kasi"], plh]
        assert [u.id for u in unit_heads(["SEKSI-APL"])["SEKSI-APL"]] == [org.users["kasi"], plh]
        assert [(u.id, k) for u, k in acting_heads(["SEKSI-APL"])["SEKSI-APL"]] == [(plh, "plh")]
        assert (unit_id, "head") in memberships_of([plh])[plh]
