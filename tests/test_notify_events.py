"""The core notification events (app/services/notify_events.py): who is told of an assignment,
a comment, a mention, a card done, and the deadline reminders of `cergas tick`; following and
unfollowing cards (app/services/follows.py)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Card, CardFollow, Notification, ReminderSent, UnitCalendarDay
from app.services import cards, follows, notify_events, plugin_reads, tx
from app.services.errors import NotFound
from app.workcal import work_calendar
from tests.conftest import get_user


def kinds_of(app, org, who) -> list[str]:
    with app.app_context():
        user_id = org.users[who]
        return list(
            db.session.scalars(
                select(Notification.kind)
                .where(Notification.user_id == user_id)
                .order_by(Notification.id)
            )
        )


def everyone(app, org) -> dict[str, list[str]]:
    return {who: kinds_of(app, org, who) for who in org.users if kinds_of(app, org, who)}


def new_card(app, org, who="kasi", **data) -> int:
    with app.app_context():
        body = {"title": "Surat undangan rapat", **data}
        return cards.create_card(get_user(who, org), org.board_id, body).card.id


def version_of(app, card_id) -> int:
    """Inside the caller's app context."""
    return db.session.get(Card, card_id).version


# --- assigned ------------------------------------------------------------------------------


def test_created_with_an_assignee_tells_the_assignee_not_the_creator(app, org):
    card_id = new_card(app, org, assignee=org.nips["staff"])
    assert everyone(app, org) == {"staff": ["card_assigned"]}
    with app.app_context():
        note = db.session.scalar(select(Notification))
        assert note.card_id == card_id
        assert note.title == "Kartu ditugaskan kepada Anda: Surat undangan rapat"
        assert "Siti Rahmawati" in note.body


def test_taking_a_card_yourself_tells_nobody(app, org):
    card_id = new_card(app, org, who="staff", assignee=org.nips["staff"])
    with app.app_context():
        cards.update_card(
            get_user("staff", org),
            card_id,
            {"assignee": org.nips["staff2"]},
            version=version_of(app, card_id),
        )
    assert everyone(app, org) == {"staff2": ["card_assigned"]}


def test_edit_and_the_plugin_helper_tell_the_new_assignee(app, org):
    card_id = new_card(app, org)
    with app.app_context():
        cards.update_card(
            get_user("kasi", org), card_id, {"assignee": org.nips["staff"]}, version=1
        )
        plugin_reads.assign_card(
            get_user("kasi", org), card_id, org.nips["staff2"], version=version_of(app, card_id)
        )
        # Unassigning tells nobody.
        cards.update_card(
            get_user("kasi", org), card_id, {"assignee": ""}, version=version_of(app, card_id)
        )
    assert everyone(app, org) == {"staff": ["card_assigned"], "staff2": ["card_assigned"]}


def test_a_refused_edit_leaves_no_notification(app, org):
    card_id = new_card(app, org)
    with app.app_context(), pytest.raises(Exception):  # noqa: B017 - the stale version
        cards.update_card(
            get_user("kasi", org), card_id, {"assignee": org.nips["staff"]}, version=99
        )
    assert everyone(app, org) == {}


# --- comments and mentions -----------------------------------------------------------------


def comment(app, org, who, card_id, body):
    with app.app_context():
        return cards.add_comment(get_user(who, org), card_id, body)


def test_comment_tells_creator_assignee_and_followers_not_the_commenter(app, org):
    card_id = new_card(app, org, assignee=org.nips["staff"])
    with app.app_context():
        follows.follow(get_user("kabid", org), card_id)
    comment(app, org, "staff", card_id, "Sudah saya kerjakan.")
    got = everyone(app, org)
    assert got == {
        "staff": ["card_assigned"],
        "kasi": ["card_commented"],
        "kabid": ["card_commented"],
    }
    with app.app_context():
        note = db.session.scalar(
            select(Notification).where(Notification.user_id == org.users["kabid"])
        )
        assert note.body == "Sudah saya kerjakan."
        assert note.link.endswith(f"/cards/{card_id}#comments")


def test_unfollowing_stops_comments_even_for_the_creator(app, org):
    card_id = new_card(app, org)
    with app.app_context():
        kasi = get_user("kasi", org)
        assert follows.is_following(kasi, db.session.get(Card, card_id))
        follows.unfollow(kasi, card_id)
        assert follows.followers_of([card_id]) == {card_id: set()}
    comment(app, org, "staff", card_id, "Halo")
    assert everyone(app, org) == {}
    with app.app_context():
        follows.follow(get_user("kasi", org), card_id)
        assert follows.followers_of([card_id]) == {card_id: {org.users["kasi"]}}
    comment(app, org, "staff", card_id, "Halo lagi")
    assert everyone(app, org) == {"kasi": ["card_commented"]}


def test_followers_of_many_cards_in_one_query(app, org):
    from tests.query_counter import count_queries

    first = new_card(app, org, assignee=org.nips["staff"])
    second = new_card(app, org, who="staff")
    with app.app_context():
        follows.follow(get_user("kabid", org), second)
        follows.unfollow(get_user("staff", org), first)
        with count_queries(app) as queries:
            found = follows.followers_of([first, second])
        assert len([q for q in queries if q.startswith("SELECT")]) == 1
    assert found == {
        first: {org.users["kasi"]},
        second: {org.users["staff"], org.users["kabid"]},
    }


def test_an_outsider_may_not_follow(app, org):
    card_id = new_card(app, org)
    with app.app_context(), pytest.raises(NotFound):
        follows.follow(get_user("outsider", org), card_id)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CardFollow)) == 0


def test_mention_tells_once_and_replaces_the_comment_notice(app, org):
    card_id = new_card(app, org, assignee=org.nips["staff"])
    body = (
        f"Mohon dicek @{org.nips['staff']} dan @{org.nips['kabid']}, "
        f"sekali lagi @{org.nips['staff']}. Surel a@{org.nips['staff2']} bukan sebutan; "
        f"@{org.nips['outsider']} tidak melihat papan ini; @admin juga."
    )
    comment(app, org, "kasi", card_id, body)
    got = everyone(app, org)
    assert got == {
        "staff": ["card_assigned", "mentioned"],
        "kabid": ["mentioned"],
        "admin": ["mentioned"],
    }
    with app.app_context():
        note = db.session.scalar(
            select(Notification).where(Notification.user_id == org.users["kabid"])
        )
        assert note.title == "Siti Rahmawati menyebut Anda di Surat undangan rapat"


def test_mentioning_yourself_tells_nobody(app, org):
    card_id = new_card(app, org, who="staff")
    comment(app, org, "staff", card_id, f"catatan untuk @{org.nips['staff']}")
    assert everyone(app, org) == {}


def test_mention_tokens():
    assert notify_events.mentioned_logins("@budi.s, @199001012015011004. x@y @budi.s @a") == [
        "budi.s",
        "199001012015011004",
    ]


def test_comments_render_mentions_as_names_escaped(app, org, auth):
    card_id = new_card(app, org)
    comment(app, org, "kasi", card_id, f"<b>Halo</b> @{org.nips['staff']} dan @tidakada")
    auth.login(org.nips["kasi"])
    html = auth.client.get(f"/cards/{card_id}").get_data(as_text=True)
    assert "&lt;b&gt;Halo&lt;/b&gt;" in html
    assert f'<span class="mention" title="@{org.nips["staff"]}">@Agus Pratama</span>' in html
    assert "@tidakada" in html


# --- done ----------------------------------------------------------------------------------


@pytest.mark.pg
def test_card_done_tells_its_creator_unless_they_moved_it(app, org):
    card_id = new_card(app, org, assignee=org.nips["staff"], due_date="2030-01-01")
    other = new_card(app, org, assignee=org.nips["staff"], due_date="2030-01-01")
    with app.app_context():
        cards.move_card(get_user("staff", org), card_id, org.done)
        cards.move_card(get_user("kasi", org), other, org.done)
        # Moving within the done column tells nobody again.
        cards.move_card(get_user("staff", org), card_id, org.done, position=0)
    assert kinds_of(app, org, "kasi") == ["card_done"]
    with app.app_context():
        note = db.session.scalar(
            select(Notification).where(Notification.user_id == org.users["kasi"])
        )
        assert note.card_id == card_id
        assert "Selesai" in note.body


# --- reminders -----------------------------------------------------------------------------

# Thursday 2026-05-14 is Kenaikan Yesus Kristus, Friday 15 cuti bersama: on Wednesday 13 the next
# working day is Monday 18.
WED = date(2026, 5, 13)


def at_local(day: date, hour: int) -> datetime:
    """That hour of the day in WIB (UTC+7), as an aware UTC moment."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=7)


def reminders(app) -> list[tuple]:
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                select(Notification.kind, Notification.user_id, Notification.card_id)
                .where(Notification.kind.like("deadline_%"))
                .order_by(Notification.id)
            )
        ]


@pytest.mark.pg
def test_reminders_by_working_day_around_a_holiday(app, org):
    with app.app_context():
        cal = work_calendar(get_card_unit(org))
        assert not cal.is_working_day(date(2026, 5, 14))
        assert cal.next_working_day(WED) == date(2026, 5, 18)
    staff = org.users["staff"]
    monday = new_card(app, org, assignee=org.nips["staff"], due_date="2026-05-18")
    tuesday = new_card(app, org, assignee=org.nips["staff"], due_date="2026-05-19")
    no_one = new_card(app, org, due_date="2026-05-18")
    with app.app_context():
        # Tuesday: Monday is not the next working day yet.
        assert notify_events.run_reminders(at_local(date(2026, 5, 12), 8)).sent == 0
        # Wednesday before the hour: nothing; at 07:00 WIB Monday is the next working day.
        assert notify_events.run_reminders(at_local(WED, 6)).sent == 0
        assert notify_events.run_reminders(at_local(WED, 7)).sent == 1
        # Again, and on the holiday: sent once.
        assert notify_events.run_reminders(at_local(WED, 9)).sent == 0
        assert notify_events.run_reminders(at_local(date(2026, 5, 14), 8)).sent == 0
        # Monday: today for one, tomorrow for the other.
        assert notify_events.run_reminders(at_local(date(2026, 5, 18), 7)).sent == 2
        # The tick did not run on Tuesday; on Wednesday it catches up: passed, once each.
        assert notify_events.run_reminders(at_local(date(2026, 5, 20), 13)).sent == 2
        assert notify_events.run_reminders(at_local(date(2026, 5, 21), 13)).sent == 0
    assert reminders(app) == [
        ("deadline_tomorrow", staff, monday),
        ("deadline_today", staff, monday),
        ("deadline_tomorrow", staff, tuesday),
        ("deadline_passed", staff, monday),
        ("deadline_passed", staff, tuesday),
    ]
    assert all(card != no_one for _k, _u, card in reminders(app))


def test_a_unit_day_off_moves_tomorrow(app, org):
    """The unit's own day off (its calendar) counts: Monday off makes Tuesday "tomorrow"."""
    with app.app_context():
        db.session.add(
            UnitCalendarDay(unit_id=get_card_unit(org), day=date(2026, 5, 18), kind="off")
        )
        db.session.commit()
    new_card(app, org, assignee=org.nips["staff"], due_date="2026-05-19")
    with app.app_context():
        assert notify_events.run_reminders(at_local(WED, 8)).sent == 1
    assert kinds_of(app, org, "staff")[-1] == "deadline_tomorrow"


def get_card_unit(org) -> int:
    from app.models import Board

    return db.session.get(Board, org.board_id).unit_id


@pytest.mark.pg
def test_a_new_due_date_gets_new_reminders_and_done_cards_none(app, org):
    card_id = new_card(app, org, assignee=org.nips["staff"], due_date="2026-05-13")
    done = new_card(app, org, assignee=org.nips["staff"], due_date="2026-05-13")
    with app.app_context():
        cards.move_card(get_user("staff", org), done, org.done)
        assert notify_events.run_reminders(at_local(WED, 8)).sent == 1
        cards.update_card(
            get_user("kasi", org),
            card_id,
            {"due_date": "2026-05-18"},
            version=version_of(app, card_id),
            deadline_reason="Menunggu data",
        )
        assert notify_events.run_reminders(at_local(date(2026, 5, 18), 8)).sent == 1
        kept = db.session.execute(select(ReminderSent.kind, ReminderSent.due_date)).all()
        assert sorted(kept) == [
            ("deadline_today", date(2026, 5, 13)),
            ("deadline_today", date(2026, 5, 18)),
        ]


def test_tick_sends_reminders(app, org, runner):
    new_card(app, org, assignee=org.nips["staff"], due_date="2026-05-13")
    result = runner.invoke(args=["tick", "--now", "2026-05-13T01:00:00+00:00"])
    assert result.exit_code == 0, result.output
    assert kinds_of(app, org, "staff") == ["card_assigned", "deadline_today"]


def test_reminder_hour_from_config(app, org):
    new_card(app, org, assignee=org.nips["staff"], due_date="2026-05-13")
    app.config["NOTIFY_REMINDER_HOUR"] = 10
    with app.app_context():
        assert notify_events.run_reminders(at_local(WED, 9)).sent == 0
        assert notify_events.run_reminders(at_local(WED, 10)).sent == 1


def test_inside_the_write_transaction(app, org):
    """A notification written by an event commits with the change: a rollback takes both."""
    card_id = new_card(app, org)
    with app.app_context():

        class Boom(Exception):
            pass

        with pytest.raises(Boom), tx.write_transaction():
            cards.add_comment(get_user("staff", org), card_id, "tidak jadi")
            raise Boom
    assert everyone(app, org) == {}


def test_reminder_hour_from_the_environment(monkeypatch, tmp_path):
    from app.config import from_environment

    monkeypatch.setenv("CERGAS_NOTIFY_REMINDER_HOUR", "8")
    assert from_environment(tmp_path, {"SECRET_KEY": "x"})["NOTIFY_REMINDER_HOUR"] == 8
    monkeypatch.setenv("CERGAS_NOTIFY_REMINDER_HOUR", "24")
    with pytest.raises(SystemExit, match="0 to 23"):
        from_environment(tmp_path, {"SECRET_KEY": "x"})
