"""Issue 19, finding 11: numbers are written with ASCII digits only. `²` passes `str.isdigit()`
but `int()` refuses it (a 500); Arabic-Indic `٣` and fullwidth `１` pass both and silently meant
3 and 1. Ids, columns, positions, steps and years written so are refused with a 4xx (filters and
hints ignore them), nothing is stored when the answer says so, and an answer never says
"nothing was changed" after a change was saved."""

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Card
from app.services import cards, validation
from app.workcal import parse_hours
from tests.conftest import PASSWORD, build_org, build_tokens, get_card, get_user, make_app

# Superscript two, Arabic-Indic three, fullwidth one, Devanagari four, mathematical bold one,
# and an ASCII number with a superscript tail.
UNICODE_DIGITS = ["²", "٣", "１", "४", "𝟏", "1²"]


@pytest.fixture
def world(database_url):
    app = make_app(database_url, CERGAS_PLUGINS="approvals,competency", PROPAGATE_EXCEPTIONS=False)
    org = build_org(app)
    tokens = build_tokens(app, org)
    with app.app_context():
        card_id = cards.create_card(get_user("kasi", org), org.board_id, {"title": "Uji"}).card.id
    client = app.test_client()
    client.post("/login", data={"username": org.nips["kasi"], "password": PASSWORD})
    yield app, org, tokens, card_id, client
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def card_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Card.id)))


def place_of(app, card_id) -> tuple[int, int]:
    with app.app_context():
        card = get_card(card_id)
        return card.column_id, card.position


def test_a_nip_is_eighteen_ascii_digits(app):
    from app.services import accounts

    with app.app_context(), pytest.raises(validation.Invalid):
        accounts.create_user("Nama", PASSWORD, nip="١٩٩٠" + "0" * 14, unit_code=None)
    with app.app_context():
        assert validation.nip("199001012015011004") == "199001012015011004"


@pytest.mark.parametrize("digits", UNICODE_DIGITS)
def test_the_helper_reads_ascii_digits_only(digits):
    assert validation.ascii_int(digits, maximum=10**6) is None
    assert validation.ascii_int("42", maximum=10**6) == 42
    assert validation.ascii_int(" 7 ", minimum=1, maximum=9) == 7
    assert validation.ascii_int("10", minimum=1, maximum=9) is None
    assert validation.ascii_int("9" * 5000, maximum=10**6) is None
    with pytest.raises(validation.FieldError):
        validation.optional_int(digits)
    with pytest.raises(validation.FieldError):
        validation.record_id(digits)
    with pytest.raises(validation.FieldError):
        validation.optional_number(digits)
    with pytest.raises(validation.FieldError):
        validation.optional_date(f"2026-0{digits}-01")
    with pytest.raises(ValueError):
        parse_hours(f"0{digits}:30")
    with pytest.raises(ValueError):
        parse_hours(f"07:3{digits}")


def test_html_pages_refuse_or_ignore_unicode_digits(world):
    for digits in UNICODE_DIGITS:
        app, org, _tokens, card_id, client = world
        b, c = org.board_id, card_id
        htmx = {"HX-Request": "true"}
        before = card_count(app)
        where = place_of(app, c)
        # Filters and hints are ignored: the page shows as without them.
        for url in (
            f"/boards/{b}?assignee={digits}",
            f"/cards/{c}/move?column_id={digits}&place={digits}",
            f"/plugins/competency/people/{org.nips['kasi']}?year=20{digits}",
        ):
            response = client.get(url)
            assert response.status_code in (200, 422), (url, response.status_code)
        # Writes are refused: a 4xx, and nothing stored.
        writes = [
            (f"/boards/{b}/cards", {"title": "Baru", "column_id": digits}, {}),
            (f"/boards/{b}/cards", {"title": "Baru", "column_id": digits}, htmx),
            (f"/cards/{c}/move", {"column_id": digits}, {}),
            (f"/cards/{c}/move", {"column_id": digits}, htmx),
            (f"/cards/{c}/move", {"column_id": str(org.doing), "position": digits}, htmx),
            (f"/cards/{c}/move", {"column_id": str(org.doing), "place": digits}, {}),
            (
                f"/plugins/approvals/cards/{c}/decision",
                {"decision": "approve", "step": digits},
                htmx,
            ),
        ]
        for url, data, headers in writes:
            response = client.post(url, data=data, headers=headers)
            assert 400 <= response.status_code < 500, (url, data, response.status_code)
        # Without htmx the decision form answers with a redirect and the refusal as a message.
        data = {"decision": "approve", "step": digits}
        response = client.post(f"/plugins/approvals/cards/{c}/decision", data=data)
        assert response.status_code == 303
        assert card_count(app) == before
        assert place_of(app, c) == where


def test_closing_a_sprint_refuses_a_carry_choice_for_no_card(world):
    from app.models import Sprint
    from tests.test_sprints_web import create_sprint_form

    app, org, _tokens, card_id, client = world
    sprint_id = int(create_sprint_form(client, org).headers["Location"].rsplit("/", 1)[1])
    client.post(f"/sprints/{sprint_id}/cards", data={"card_ids": [card_id]})
    client.post(f"/sprints/{sprint_id}/start")
    for digits in UNICODE_DIGITS:
        data = {"goal_met": "yes", "carry_mode": "each", f"carry-{digits}": "next"}
        response = client.post(f"/sprints/{sprint_id}/close", data=data)
        assert response.status_code == 422, digits
    with app.app_context():
        assert db.session.get(Sprint, sprint_id).state == "active"


def test_a_card_added_from_a_filtered_board_is_stored_once_and_said_so(world):
    """The htmx case: the board's URL (HX-Current-URL) carried `assignee=²`; the card was
    stored, then redrawing the columns failed and the page said nothing was changed."""
    for digits in UNICODE_DIGITS:
        app, org, _tokens, _card_id, client = world
        before = card_count(app)
        headers = {
            "HX-Request": "true",
            "HX-Current-URL": f"http://localhost/boards/{org.board_id}?assignee={digits}",
        }
        data = {"title": "Surat undangan", "column_id": str(org.backlog)}
        response = client.post(f"/boards/{org.board_id}/cards", data=data, headers=headers)
        assert response.status_code == 200
        assert "Surat undangan" in response.get_data(as_text=True)
        assert card_count(app) == before + 1


def test_a_failure_after_a_saved_change_does_not_say_nothing_changed(world, monkeypatch):
    app, org, _tokens, _card_id, client = world
    import app.boards.views as board_views

    def broken(*args, **kwargs):
        raise RuntimeError("drawing the columns failed")

    monkeypatch.setattr(board_views, "columns_update", broken)
    before = card_count(app)
    data = {"title": "Surat tugas", "column_id": str(org.backlog)}
    response = client.post(
        f"/boards/{org.board_id}/cards", data=data, headers={"HX-Request": "true"}
    )
    assert response.status_code == 500
    assert card_count(app) == before + 1
    with app.test_request_context():
        from flask_babel import gettext

        nothing = gettext(
            "Something went wrong on our side. Nothing was changed; please try again."
        )
    assert nothing not in response.get_data(as_text=True)
    # A failure before anything was saved still says so.
    refused = client.get(f"/boards/{org.board_id}/nope")
    assert refused.status_code == 404


def test_the_api_refuses_unicode_digits(world):
    for digits in UNICODE_DIGITS:
        app, org, tokens, card_id, client = world
        headers = {"Authorization": f"Bearer {tokens['kasi']}"}
        before = card_count(app)
        where = place_of(app, card_id)
        for url in (f"/api/v1/boards/{digits}", f"/api/v1/cards/{digits}"):
            assert client.get(url, headers=headers).status_code == 404
        writes = [
            (f"/api/v1/boards/{org.board_id}/cards", {"title": "Baru", "column_id": digits}),
            (f"/api/v1/cards/{card_id}/move", {"column_id": digits}),
            (f"/api/v1/cards/{card_id}/move", {"column_id": org.doing, "position": digits}),
        ]
        for url, body in writes:
            response = client.post(url, json=body, headers=headers)
            assert response.status_code == 422, (url, body, response.status_code)
            assert response.get_json()["error"]["code"] == "validation_error"
        response = client.get(
            f"/api/v1/users/{org.nips['kasi']}/competency?year=20{digits}", headers=headers
        )
        assert response.status_code == 422
        response = client.get(
            f"/api/v1/boards/{org.board_id}/metrics?from=2026-0{digits}-01", headers=headers
        )
        assert response.status_code == 422
        assert card_count(app) == before
        assert place_of(app, card_id) == where
