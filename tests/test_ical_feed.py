"""The personal iCal feed (issue 25): a secret, revocable address with the person's deadlines,
valid iCalendar (checked with the `icalendar` parser), only its hash stored."""

import hashlib
from datetime import date

import icalendar
import pytest

from app.extensions import db
from app.models import AdminEvent, CalendarFeed
from app.services import cards, ical_feeds
from app.services.errors import NotFound
from tests.conftest import get_card, get_user

LONG = "Laporan" + " sangat panjang" * 12  # longer than one folded line


def add(org, title, due, *, assignee="staff", column=None):
    data = {"title": title, "due_date": due, "assignee": org.nips[assignee]}
    column_id = getattr(org, column) if column else None
    return cards.create_card(
        get_user("staff", org), org.board_id, data, column_id=column_id
    ).card.id


@pytest.fixture
def feed(app, org):
    """Staff's cards and a live address: (token, ids)."""
    with app.app_context():
        ids = {
            "surat": add(org, "Surat balasan, PPID; tahap 1", "2026-12-20", column="doing"),
            "long": add(org, LONG, "2027-01-05"),
            "done": add(org, "Sudah selesai", "2026-12-18", column="done"),
            "dewi": add(org, "Punya Dewi", "2026-12-21", assignee="staff2"),
        }
        _row, token = ical_feeds.create_feed(get_user("staff", org))
    return token, ids


def parse(response) -> icalendar.Calendar:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return icalendar.Calendar.from_ical(response.get_data())


def events(calendar) -> dict[str, icalendar.Event]:
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_is_valid_icalendar_with_the_persons_open_deadlines(app, client, org, feed):
    token, ids = feed
    calendar = parse(client.get(f"/ical/{token}.ics"))  # no session: a phone has none
    assert str(calendar["VERSION"]) == "2.0"
    found = events(calendar)
    assert set(found) == {"Surat balasan, PPID; tahap 1", LONG}
    event = found["Surat balasan, PPID; tahap 1"]
    assert event.decoded("DTSTART") == date(2026, 12, 20)  # all day, the due date itself
    assert event.decoded("DTEND") == date(2026, 12, 21)
    assert str(event["UID"]).startswith(f"card-{ids['surat']}@")
    assert event.decoded("DTSTAMP") and event.decoded("LAST-MODIFIED")
    assert str(event["URL"]).endswith(f"/cards/{ids['surat']}")
    assert "Layanan Aplikasi" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "Layanan Aplikasi"


def test_every_line_is_folded_to_75_octets(app, client, feed):
    token, _ids = feed
    raw = client.get(f"/ical/{token}.ics").get_data()
    assert raw.endswith(b"\r\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))


def test_a_cards_uid_stays_when_the_card_changes(app, client, org, feed):
    token, ids = feed
    first = events(parse(client.get(f"/ical/{token}.ics")))
    with app.app_context():
        card = get_card(ids["surat"])
        cards.update_card(
            get_user("staff", org),
            card.id,
            {"title": "Surat balasan"},
            version=card.version,
        )
    second = events(parse(client.get(f"/ical/{token}.ics")))
    assert second["Surat balasan"]["UID"] == first["Surat balasan, PPID; tahap 1"]["UID"]


def test_only_the_tokens_hash_is_stored(app, feed):
    token, _ids = feed
    with app.app_context():
        row = db.session.scalar(db.select(CalendarFeed))
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in row.token_hash


def test_a_revoked_address_is_404(app, client, org, feed):
    token, _ids = feed
    with app.app_context():
        assert ical_feeds.revoke_feed(get_user("staff", org)) == 1
        assert ical_feeds.revoke_feed(get_user("staff", org)) == 0
    assert client.get(f"/ical/{token}.ics").status_code == 404


def test_a_new_address_revokes_the_old_one(app, client, org, feed):
    old, _ids = feed
    with app.app_context():
        _row, new = ical_feeds.create_feed(get_user("staff", org))
        kinds = db.session.scalars(db.select(AdminEvent.kind)).all()
        assert kinds.count("user.calendar_feed_created") == 2
    assert client.get(f"/ical/{old}.ics").status_code == 404
    assert client.get(f"/ical/{new}.ics").status_code == 200


@pytest.mark.parametrize("token", ["x", "A" * 43, "A" * 101])
def test_an_unknown_address_is_404(client, token):
    assert client.get(f"/ical/{token}.ics").status_code == 404


def test_a_deactivated_persons_address_is_404(app, client, org, feed):
    token, _ids = feed
    with app.app_context():
        get_user("staff", org).active = False
        db.session.commit()
    assert client.get(f"/ical/{token}.ics").status_code == 404


def test_owner_of_refuses_what_is_not_a_token(app):
    with app.app_context(), pytest.raises(NotFound):
        ical_feeds.owner_of(None)


def test_the_feed_records_when_it_was_read(app, client, feed):
    token, _ids = feed
    client.get(f"/ical/{token}.ics")
    with app.app_context():
        assert db.session.scalar(db.select(CalendarFeed)).last_used_at is not None


# --- the page "Calendar on your phone" ---------------------------------------------------------


def test_the_page_shows_a_new_address_once_and_revokes_it(app, client, auth, org):
    auth.login(org.nips["staff"])
    empty = client.get("/account/calendar").get_data(as_text=True)
    assert "Anda belum memiliki alamat kalender" in empty
    response = client.post("/account/calendar/new")
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    url = html.split('id="feed-url"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    assert "/ical/" in url and url.endswith(".ics") and 'class="js-copy"' in html
    path = url.split("localhost", 1)[1]
    assert client.get(path).status_code == 200
    again = client.get("/account/calendar").get_data(as_text=True)
    assert url not in again and "Sebuah alamat aktif" in again
    client.post("/account/calendar/revoke")
    assert client.get(path).status_code == 404


# --- the API ------------------------------------------------------------------------------------


def test_the_api_makes_shows_and_revokes_the_address(app, client, org, tokens):
    headers = {"Authorization": f"Bearer {tokens['staff']}"}
    assert client.get("/api/v1/me/calendar-feed", headers=headers).get_json()["active"] is False
    made = client.post("/api/v1/me/calendar-feed", headers=headers)
    assert made.status_code == 201
    url = made.get_json()["url"]
    path = url.split("localhost", 1)[1]
    assert client.get(path).status_code == 200
    shown = client.get("/api/v1/me/calendar-feed", headers=headers).get_json()
    assert shown["active"] is True and "url" not in shown
    gone = client.delete("/api/v1/me/calendar-feed", headers=headers)
    assert gone.get_json() == {"revoked": True}
    assert client.get(path).status_code == 404
    again = client.delete("/api/v1/me/calendar-feed", headers=headers)
    assert again.status_code == 200 and again.get_json() == {"revoked": False}


def test_the_api_needs_a_token(client):
    response = client.post("/api/v1/me/calendar-feed")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"]
