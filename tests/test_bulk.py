"""Bulk actions (issue 25): each card of a selection goes through its own use case, with the
same rules as alone; the answer says per card what was done and what was refused."""

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Card, Event
from app.services import boards, bulk, cards, sprints
from app.services.errors import Invalid, NotFound
from cergas.plugin import Veto, hookimpl
from tests.conftest import get_card, get_user, make_app

DUE = "2026-12-31"


def new_card(org, title, column=None, **fields):
    admin = get_user("admin", org)
    data = {"title": title, "due_date": DUE, **fields}
    return cards.create_card(admin, org.board_id, data, column_id=column or org.backlog).card.id


def outcome(result, card_id):
    return next(o for o in result.outcomes if o.card_id == card_id)


@pytest.mark.pg
def test_bulk_move_refuses_per_card_past_the_wip_limit_and_cards_of_other_boards(app, org):
    """Dikerjakan holds 3 (hard): with one card there, two of three move; the third is refused
    with the WIP reason, and a card of a board the person may not see is 'not found'."""
    with app.app_context():
        new_card(org, "Sudah dikerjakan", org.doing)
        chosen = [new_card(org, f"Surat {n}") for n in range(3)]
        outsider = get_user("outsider", org)
        hidden_board = boards.create_board(get_user("admin", org), "Humas", "BID-IKP")
        hidden = cards.create_card(outsider, hidden_board.id, {"title": "Rahasia"}).card.id

        result = bulk.apply(
            get_user("staff", org),
            org.board_id,
            [*chosen, hidden],
            "move",
            {"column_id": org.doing},
        )

        assert [o.status for o in result.outcomes] == ["done", "done", "refused", "refused"]
        wip = outcome(result, chosen[2])
        assert wip.code == "wip_limit_reached" and "Dikerjakan" in wip.message
        assert wip.title == "Surat 2"
        assert outcome(result, hidden).code == "not_found"
        assert outcome(result, hidden).title == ""  # nothing of the hidden card leaks
        assert [get_card(i).column_id for i in chosen] == [org.doing, org.doing, org.backlog]
        assert get_card(hidden).board_id == hidden_board.id
        moved = db.session.scalars(
            select(Event.card_id).where(Event.kind == "moved").order_by(Event.id)
        ).all()
        assert moved == chosen[:2]  # one audit event per card moved, none for the refused


def test_bulk_archive_refuses_a_card_the_member_may_not_archive_and_archives_the_others(app, org):
    """A member archives done cards; a card that is not done is for the heads: refused alone."""
    with app.app_context():
        finished = [new_card(org, f"Selesai {n}", org.done) for n in range(2)]
        open_card = new_card(org, "Belum selesai")

        result = bulk.apply(
            get_user("staff", org), org.board_id, [finished[0], open_card, finished[1]], "archive"
        )

        assert [o.status for o in result.outcomes] == ["done", "refused", "done"]
        assert outcome(result, open_card).code == "archive_forbidden"
        assert get_card(finished[0]).archived_at is not None
        assert get_card(finished[1]).archived_at is not None
        assert get_card(open_card).archived_at is None


def test_bulk_assign_gives_each_card_to_the_person_and_records_each_assignment(app, org):
    with app.app_context():
        chosen = [new_card(org, f"Tugas {n}") for n in range(3)]
        staff2 = get_user("staff2", org)

        result = bulk.apply(
            get_user("kasi", org), org.board_id, chosen, "assign", {"assignee": staff2.login}
        )

        assert len(result.done) == 3 and not result.refused
        assert {get_card(i).assignee_id for i in chosen} == {staff2.id}
        assigned = db.session.scalars(select(Event).where(Event.kind == "assigned")).all()
        assert sorted(e.card_id for e in assigned) == sorted(chosen)


def test_bulk_assign_to_nobody_takes_the_cards_back(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        chosen = [new_card(org, f"Tugas {n}", assignee=staff.login) for n in range(2)]

        result = bulk.apply(staff, org.board_id, chosen, "assign", {"assignee": ""})

        assert len(result.done) == 2
        assert {get_card(i).assignee_id for i in chosen} == {None}


def test_bulk_assign_refuses_a_card_changed_since_the_caller_saw_it(app, org):
    """With `versions`, a card edited in the meantime is refused (version_conflict) alone."""
    with app.app_context():
        first, second = new_card(org, "Satu"), new_card(org, "Dua")
        seen = {first: get_card(first).version, second: get_card(second).version}
        kasi = get_user("kasi", org)
        cards.update_card(kasi, second, {"title": "Dua (diubah)"}, version=seen[second])

        result = bulk.apply(
            kasi,
            org.board_id,
            [first, second],
            "assign",
            {"assignee": get_user("staff", org).login},
            versions={str(k): value for k, value in seen.items()},
        )

        assert outcome(result, first).status == "done"
        assert outcome(result, second).code == "version_conflict"
        assert get_card(second).assignee_id is None


def test_bulk_label_adds_and_removes_labels_keeping_the_others(app, org):
    with app.app_context():
        first = new_card(org, "Satu", labels=["urgent", "ppid"])
        second = new_card(org, "Dua", labels=["ppid"])

        result = bulk.apply(
            get_user("staff", org),
            org.board_id,
            [first, second],
            "label",
            {"add_labels": "data, rapat", "remove_labels": ["urgent"]},
        )

        assert len(result.done) == 2
        assert get_card(first).labels == ["ppid", "data", "rapat"]
        assert get_card(second).labels == ["ppid", "data", "rapat"]


def test_bulk_sprint_actions_are_for_heads_and_go_through_the_sprint_services(app, org):
    with app.app_context():
        chosen = [new_card(org, f"Sprint {n}") for n in range(2)]
        kasi = get_user("kasi", org)
        sprint = sprints.create_sprint(
            kasi,
            org.board_id,
            {"name": "Sprint 1", "goal": "Semua surat", "start": "2026-12-07", "end": "2026-12-18"},
        )

        refused = bulk.apply(
            get_user("staff", org), org.board_id, chosen, "add_to_sprint", {"sprint_id": sprint.id}
        )
        assert {o.code for o in refused.outcomes} == {"forbidden"}

        added = bulk.apply(kasi, org.board_id, chosen, "add_to_sprint", {"sprint_id": sprint.id})
        assert len(added.done) == 2
        assert {get_card(i).sprint_id for i in chosen} == {sprint.id}

        removed = bulk.apply(kasi, org.board_id, chosen[:1], "remove_from_sprint")
        assert len(removed.done) == 1
        assert get_card(chosen[0]).sprint_id is None
        again = bulk.apply(kasi, org.board_id, chosen[:1], "remove_from_sprint")
        assert again.outcomes[0].code == "not_in_sprint"


@pytest.mark.parametrize(
    "card_ids,action,params,code",
    [
        ([], "move", {"column_id": 0}, "empty_selection"),
        (list(range(1, bulk.MAX_CARDS + 2)), "move", None, "too_many_cards"),
        ([1], "delete", {}, "unknown_action"),
        ([1], "move", {"column_id": 999_999}, "validation_error"),
        (["satu"], "label", {"add_labels": "x"}, "validation_error"),
        ([1], "label", {}, "validation_error"),
        ([1], "assign", {"assignee": "199999999999999999"}, "validation_error"),
        ([1], "add_to_sprint", {"sprint_id": 12345}, "validation_error"),
    ],
)
def test_a_bad_bulk_request_is_refused_whole_and_changes_nothing(
    app, org, card_ids, action, params, code
):
    with app.app_context():
        if action == "move" and params is None:
            params = {"column_id": org.doing}
        before = db.session.scalar(select(db.func.count(Event.id)))
        with pytest.raises(Invalid) as refused:
            bulk.apply(get_user("staff", org), org.board_id, card_ids, action, params)
        assert refused.value.code == code
        assert db.session.scalar(select(db.func.count(Event.id))) == before


def test_a_board_the_person_may_not_see_is_not_found(app, org):
    with app.app_context():
        card_id = new_card(org, "Satu")
        with pytest.raises(NotFound):
            bulk.apply(
                get_user("outsider", org), org.board_id, [card_id], "move", {"column_id": org.done}
            )
        assert get_card(card_id).column_id == org.backlog


class NoDoneOnFriday:
    """A throw-away plugin that refuses every move into a done column."""

    @hookimpl
    def cergas_card_before_move(self, card, target):
        if target.kind == "done" and card.title.startswith("Paraf"):
            return Veto("Menunggu paraf Kasi.")
        return None


def test_a_plugin_veto_refuses_its_card_only_with_the_plugins_words(database_url):
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS={"paraf_uji": NoDoneOnFriday()})
    try:
        with app.app_context():
            from tests.conftest import build_org

            org = build_org(app)
            free = new_card(org, "Surat biasa", org.review)
            gated = new_card(org, "Paraf surat", org.review)

            result = bulk.apply(
                get_user("staff", org), org.board_id, [free, gated], "move", {"column_id": org.done}
            )

            assert outcome(result, free).status == "done"
            refused = outcome(result, gated)
            assert refused.code == "vetoed" and refused.message == "Menunggu paraf Kasi."
            assert db.session.get(Card, gated).column_id == org.review
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
