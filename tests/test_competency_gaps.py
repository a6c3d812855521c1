"""Gap analysis from the board's real work, and what the board shows: badges on cards that need
a skill no free member holds, a warning for skills only one member holds, the "who can do this"
panel, all in a constant number of queries. Waiting times are worked out by hand below."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.extensions import db
from app.models import Board, Card
from app.services import cards, plugins, skills
from tests.conftest import NIPS, get_user, make_app
from tests.query_counter import count_queries

WIB = ZoneInfo("Asia/Jakarta")


def utc(day: str, hour: int) -> datetime:
    """A wall-clock time in WIB as the naive UTC the database stores."""
    local = datetime.fromisoformat(day).replace(hour=hour, tzinfo=WIB)
    return local.astimezone(UTC).replace(tzinfo=None)


@pytest.fixture
def app(database_url):
    app = make_app(database_url, CERGAS_PLUGINS="competency")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def team(app, org):
    """Agus (staff) is the only one with graphic design; Dewi (staff2) and Siti (kasi, head)
    have office software."""
    with app.app_context():
        skills.seed_catalog()
        kasi = get_user("kasi", org)
        skills.set_user_skills(kasi, get_user("staff", org), {"graphic-design": 3})
        skills.set_user_skills(kasi, get_user("staff2", org), {"office-software": 2})
        skills.set_user_skills(kasi, kasi, {"office-software": 3, "critical-thinking": 3})
    return org


def make_card(app, org, title, labels, *, column=None, assignee=None, estimate=None, when=None):
    """A card through the service; `when` = (created, first active, done) rewrites the
    timestamps to a history in the past."""
    with app.app_context():
        admin = get_user("admin", org)
        data = {"title": title, "labels": labels, "due_date": "2026-12-31", "estimate": estimate}
        if assignee:
            data["assignee"] = NIPS[assignee]
        card = cards.create_card(admin, org.board_id, data).card
        if column:
            cards.move_card(admin, card.id, column)
        if when:
            card = db.session.get(Card, card.id)
            card.created_at, card.first_active_at, card.done_at = when
            db.session.commit()
        return card.id


@pytest.fixture
def history(app, team):
    """October 2026 (no national holiday before the 23rd). Waits, counted as the working days
    after the day a card was created up to the day someone started it (started at 20:00, after
    the close of work):
      A created Mon 5 Oct, started Thu 8 Oct:  Tue, Wed, Thu        = 3
      B created Mon 12 Oct, started Mon 19 Oct: Tue-Fri, Mon        = 5
      C created Wed 14 Oct, started Fri 16 Oct: Thu, Fri            = 2
      D created Mon 19 Oct, never started, period ends Fri 23 Oct: Tue-Fri = 4
    Average (3 + 5 + 2 + 4) / 4 = 3.5 working days; estimates 2 + 3 + (none) + 1.5 = 6.5 h."""
    org = team
    done = org.done
    make_card(
        app,
        org,
        "Poster A",
        ["skill:graphic-design"],
        column=done,
        assignee="staff",
        estimate=2,
        when=(utc("2026-10-05", 8), utc("2026-10-08", 20), utc("2026-10-09", 15)),
    )
    make_card(
        app,
        org,
        "Banner B",
        ["skill:graphic-design"],
        column=done,
        assignee="staff",
        estimate=3,
        when=(utc("2026-10-12", 8), utc("2026-10-19", 20), utc("2026-10-20", 15)),
    )
    make_card(
        app,
        org,
        "Infografis C",
        ["Skill:Graphic-Design"],
        column=done,
        assignee="staff",
        when=(utc("2026-10-14", 8), utc("2026-10-16", 20), utc("2026-10-19", 15)),
    )
    make_card(
        app,
        org,
        "Feed D",
        ["skill:graphic-design"],
        estimate=1.5,
        when=(utc("2026-10-19", 8), None, None),
    )
    # Office software: one card, started the next working day (1); two people hold it.
    make_card(
        app,
        org,
        "Template surat",
        ["skill:office-software"],
        column=done,
        assignee="staff2",
        when=(utc("2026-10-05", 8), utc("2026-10-06", 20), utc("2026-10-07", 15)),
    )
    # Outside the analysis: done before the period, and a card without a skill.
    make_card(
        app,
        org,
        "Poster lama",
        ["skill:graphic-design"],
        column=done,
        assignee="staff",
        when=(utc("2026-09-01", 8), utc("2026-09-10", 20), utc("2026-09-11", 15)),
    )
    make_card(app, org, "Rapat", ["rapat"], when=(utc("2026-10-06", 8), None, None))
    return org  # fmt: skip


def gaps(app, org, who="kasi", start="2026-10-01", end="2026-10-23"):
    from datetime import date

    from plugins.competency import core

    with app.test_request_context():
        report = core.unit_gaps(
            get_user(who, org), "SEKSI-APL", date.fromisoformat(start), date.fromisoformat(end)
        )
        return core.report_json(report)


def test_gap_analysis_counts_demand_and_waiting_in_working_days(app, history):
    report = gaps(app, history)
    by_skill = {row["skill"]: row for row in report["skills"]}
    design = by_skill["graphic-design"]
    assert design["cards"] == 4
    assert design["estimated_hours"] == 6.5 and design["unestimated_cards"] == 1
    assert design["average_wait_working_days"] == 3.5
    assert design["still_waiting"] == 1
    assert [h["user"] for h in design["holders"]] == [NIPS["staff"]]
    assert design["bus_factor_one"] is True
    assert design["train"] == 2
    office = by_skill["office-software"]
    assert (office["cards"], office["average_wait_working_days"], office["train"]) == (1, 1.0, 0)
    assert {h["user"] for h in office["holders"]} == {NIPS["staff2"], NIPS["kasi"]}


def test_recommendations_are_ranked_and_name_the_skill_and_its_one_holder(app, history):
    report = gaps(app, history)
    first = report["skills"][0]
    assert first["skill"] == "graphic-design"
    text = report["recommendations"][0]
    assert text.startswith(first["name"] + ": ")
    assert "3,5" in text  # Indonesian number format
    assert "Agus Pratama" in text
    # Critical thinking: no demand, but only Siti holds it: a second person as cover.
    assert "critical-thinking" in report["bus_factor_one"]
    assert [row["skill"] for row in report["skills"]].index("critical-thinking") > 0
    candidates = {c["user"] for c in first["candidates"]}
    assert len(candidates) == 2 and NIPS["staff"] not in candidates


def test_gap_analysis_is_for_heads(app, history):
    from app.services.errors import Forbidden, NotFound

    with pytest.raises(Forbidden):
        gaps(app, history, who="staff")
    with pytest.raises(NotFound):
        gaps(app, history, who="outsider")
    assert gaps(app, history, who="kadis")["unit"] == "SEKSI-APL"  # head of a unit above


@pytest.fixture
def busy(app, team):
    """busy_at = 2 on the board; Agus already holds two active cards."""
    with app.app_context():
        plugins.set_board_plugin(
            get_user("admin", team), team.board_id, "competency", settings={"busy_at": 2}
        )
    for title in ("Kerja 1", "Kerja 2"):
        make_card(app, team, title, [], column=team.doing, assignee="staff")
    return team


def test_badges_on_cards_needing_a_skill_no_free_member_holds(app, client, auth, busy):
    design = make_card(app, busy, "Poster layanan", ["skill:graphic-design"])
    promo = make_card(app, busy, "Iklan medsos", ["skill:digital-promotion"])
    office = make_card(app, busy, "Template nota", ["skill:office-software"])
    with app.test_request_context():
        host = app.extensions["cergas_plugins"]
        board = db.session.get(Board, busy.board_id)
        all_cards = list(db.session.scalars(db.select(Card).where(Card.board_id == board.id)))
        found = host.card_badges(all_cards, board)
    badges = {card_id: [(b.tone, b.text) for _p, b in items] for card_id, items in found.items()}
    assert [tone for tone, _ in badges[design]] == ["warning"]  # Agus holds it but is busy
    assert [tone for tone, _ in badges[promo]] == ["danger"]  # nobody holds it
    assert office not in badges  # Dewi holds it and is free


def test_board_warns_about_a_skill_only_one_member_holds(app, client, auth, busy):
    make_card(app, busy, "Poster layanan", ["skill:graphic-design"])
    make_card(app, busy, "Template nota", ["skill:office-software"])
    auth.login(NIPS["kasi"])
    page = client.get(f"/boards/{busy.board_id}").get_data(as_text=True)
    assert "Agus Pratama" in page and "board-warning" in page
    with app.test_request_context():
        host = app.extensions["cergas_plugins"]
        board = db.session.get(Board, busy.board_id)
        all_cards = list(db.session.scalars(db.select(Card).where(Card.board_id == board.id)))
        warnings = [w.text for _p, w in host.board_warnings(board, all_cards)]
    assert len(warnings) == 1  # graphic design only; office software has two holders
    assert "Agus Pratama" in warnings[0]


def test_card_panel_lists_who_can_do_it_with_their_load(app, client, auth, busy):
    card = make_card(app, busy, "Template nota", ["skill:office-software"])
    auth.login(NIPS["staff"])
    page = client.get(f"/cards/{card}").get_data(as_text=True)
    assert 'class="competency-holders"' in page
    panel = page[page.index("competency-holders") :]
    # Dewi (0 active cards) before Siti; both free.
    assert panel.index("Dewi Lestari") < panel.index("Siti Rahmawati")
    assert "badge-success" in panel


def test_board_queries_do_not_grow_with_cards_or_people(app, client, auth, busy):
    auth.login(NIPS["kasi"])

    def board_queries():
        with count_queries(app) as statements:
            assert client.get(f"/boards/{busy.board_id}").status_code == 200
        return len(statements)

    make_card(app, busy, "Poster 0", ["skill:graphic-design"])
    few = board_queries()
    for n in range(1, 9):
        make_card(app, busy, f"Poster {n}", ["skill:graphic-design", "skill:office-software"])
    with app.app_context():
        from app.services import accounts

        for n in range(4):
            accounts.create_user(
                f"Pegawai {n}", "rahasia123", username=f"pegawai{n}", unit_code="SEKSI-APL"
            )
    assert board_queries() == few
