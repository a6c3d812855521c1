"""The card rules of the service layer: WIP limits, deadlines, versions, the audit trail."""

import pytest
from sqlalchemy import func, select, text

from app.extensions import db
from app.models import Card, DeadlineChange, Event
from app.services import cards
from app.services.errors import Conflict, Forbidden, Invalid
from tests.conftest import get_card, get_user

pytestmark = pytest.mark.pg


def new_card(org, who="staff", **data):
    data.setdefault("title", "Surat balasan permohonan data")
    column = data.pop("column_id", None)
    return cards.create_card(get_user(who, org), org.board_id, data, column_id=column).card


def events_of(card_id):
    return db.session.scalars(
        select(Event.kind).where(Event.card_id == card_id).order_by(Event.id)
    ).all()


def test_new_card_goes_to_first_column_and_is_recorded(app, org):
    with app.app_context():
        card = new_card(org)
        assert card.column_id == org.backlog and card.position == 0 and card.version == 1
        assert events_of(card.id) == ["created"]


def test_card_cannot_enter_active_column_without_due_date(app, org):
    with app.app_context():
        card = new_card(org)
        with pytest.raises(Invalid) as refused:
            cards.move_card(get_user("staff", org), card.id, org.doing)
        assert refused.value.code == "due_date_required"
        assert get_card(card.id).column_id == org.backlog
        assert events_of(card.id) == ["created"]


def test_move_into_full_hard_column_is_refused_with_reason(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        for _ in range(3):
            card = new_card(org, due_date="2026-12-01")
            cards.move_card(staff, card.id, org.doing)
        extra = new_card(org, due_date="2026-12-01")
        with pytest.raises(Conflict) as refused:
            cards.move_card(staff, extra.id, org.doing)
        assert refused.value.code == "wip_limit_reached"
        assert "Dikerjakan" in refused.value.message and "3" in refused.value.message
        assert get_card(extra.id).column_id == org.backlog


def test_head_overrides_hard_limit_with_reason_and_it_is_audited(app, org):
    with app.app_context():
        staff, kasi = get_user("staff", org), get_user("kasi", org)
        for _ in range(3):
            cards.move_card(staff, new_card(org, due_date="2026-12-01").id, org.doing)
        extra = new_card(org, due_date="2026-12-01")
        with pytest.raises(Forbidden):
            cards.move_card(staff, extra.id, org.doing, override_reason="penting")
        result = cards.move_card(kasi, extra.id, org.doing, override_reason="Permintaan Bupati")
        assert result.overridden
        assert events_of(extra.id) == ["created", "moved", "wip_override"]
        override = db.session.scalar(select(Event).where(Event.kind == "wip_override"))
        assert override.data["reason"] == "Permintaan Bupati"


def test_soft_limit_allows_with_warning(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        for _ in range(2):
            cards.move_card(staff, new_card(org, due_date="2026-12-01").id, org.review)
        result = cards.move_card(staff, new_card(org, due_date="2026-12-01").id, org.review)
        assert result.card.column_id == org.review
        assert result.warnings and "Review" in result.warnings[0]


def test_personal_wip_limit_refuses_move(app, org):
    from app.services import boards

    with app.app_context():
        boards.update_board(get_user("kasi", org), org.board_id, {"personal_wip_limit": 1})
        staff = get_user("staff", org)
        first = new_card(org, assignee=org.nips["staff"], due_date="2026-12-01")
        cards.move_card(staff, first.id, org.doing)
        second = new_card(org, assignee=org.nips["staff"], due_date="2026-12-01")
        with pytest.raises(Conflict) as refused:
            cards.move_card(staff, second.id, org.review)
        assert refused.value.code == "personal_wip_limit_reached"
        # Moving between active columns does not count twice.
        cards.move_card(staff, first.id, org.review)


def test_positions_stay_dense_after_moves(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        ids = [new_card(org, title=f"Kartu {i}").id for i in range(5)]
        cards.move_card(staff, ids[4], org.backlog, position=0)
        cards.move_card(staff, ids[0], org.backlog, position=2)
        rows = db.session.execute(
            select(Card.id, Card.position)
            .where(Card.column_id == org.backlog)
            .order_by(Card.position)
        ).all()
        assert [r.position for r in rows] == [0, 1, 2, 3, 4]
        assert [r.id for r in rows] == [ids[4], ids[1], ids[0], ids[2], ids[3]]


def test_moving_between_columns_keeps_both_columns_dense(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        ids = [new_card(org, title=f"Kartu {i}", due_date="2026-12-01").id for i in range(5)]
        cards.move_card(staff, ids[0], org.review)
        cards.move_card(staff, ids[1], org.review)
        cards.move_card(staff, ids[3], org.review, position=1)

        def column(column_id):
            return db.session.execute(
                select(Card.id, Card.position)
                .where(Card.column_id == column_id)
                .order_by(Card.position)
            ).all()

        assert [(r.id, r.position) for r in column(org.review)] == [
            (ids[0], 0),
            (ids[3], 1),
            (ids[1], 2),
        ]
        assert [(r.id, r.position) for r in column(org.backlog)] == [(ids[2], 0), (ids[4], 1)]


def test_deadline_change_needs_reason_and_is_counted(app, org):
    with app.app_context():
        staff = get_user("staff", org)
        card = new_card(org, due_date="2026-12-01")
        with pytest.raises(Invalid) as refused:
            cards.update_card(staff, card.id, {"due_date": "2026-12-05"}, version=1)
        assert refused.value.code == "deadline_reason_required"
        card = cards.update_card(
            staff,
            card.id,
            {"due_date": "2026-12-05"},
            version=1,
            deadline_reason="Menunggu data BPS",
        )
        assert card.deadline_changes == 1 and card.version == 2
        change = db.session.scalar(select(DeadlineChange))
        assert (str(change.old_date), str(change.new_date), change.reason) == (
            "2026-12-01",
            "2026-12-05",
            "Menunggu data BPS",
        )
        assert events_of(card.id) == ["created", "deadline_changed"]


def test_stale_version_is_refused(app, org):
    with app.app_context():
        staff, other = get_user("staff", org), get_user("staff2", org)
        card = new_card(org)
        cards.update_card(other, card.id, {"title": "Judul baru"}, version=1)
        with pytest.raises(Conflict) as refused:
            cards.update_card(staff, card.id, {"title": "Judul saya"}, version=1)
        assert refused.value.code == "version_conflict"
        assert get_card(card.id).title == "Judul baru"


def test_assignee_must_see_the_board(app, org):
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            new_card(org, assignee=org.nips["outsider"])
        assert "assignee" in refused.value.fields
        assert db.session.scalar(select(func.count(Card.id))) == 0


def test_events_cannot_be_updated_or_deleted_even_in_sql(app, org):
    with app.app_context():
        new_card(org)
        for statement in ("UPDATE events SET kind = 'x'", "DELETE FROM events"):
            with pytest.raises(Exception, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()
        assert db.session.scalar(select(func.count(Event.id))) >= 1
