# ruff: noqa: F811 - the `desk` fixture is imported from tests.sla_fixtures
"""SLA policies as board settings: what is accepted, what is refused (and how), and the
platform read helpers the plugin relies on."""

import pytest

from app.services import accounts
from tests.sla_fixtures import NIPS, POLICIES, desk, user  # noqa: F401


def put_settings(d, settings, who="kasi"):
    with d.app.app_context():
        token = accounts.create_token(user(who))
    return d.app.test_client().put(
        f"/api/v1/boards/{d.s.board_id}/plugins/sla/settings",
        json={"settings": settings},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_policies_are_saved_with_their_defaults_filled_in(desk):
    response = put_settings(desk, {"policies": [{"type": "izin", "duration": 5}]})
    assert response.status_code == 200, response.get_json()
    (saved,) = response.get_json()["settings"]["policies"]
    assert saved == {
        "type": "izin",
        "duration": 5,
        "unit": "working_days",
        "start": "created",
        "pause_columns": [],
        "at_risk": 0.75,
    }


@pytest.mark.parametrize(
    "policies, words",
    [
        ({"type": "izin"}, None),
        ([{"duration": 5}], "type"),
        ([{"type": "izin", "duration": 0}], "duration"),
        ([{"type": "izin", "duration": True}], "duration"),
        ([{"type": "izin", "duration": 5, "unit": "weeks"}], "unit"),
        ([{"type": "izin", "duration": 5, "start": "later"}], "start"),
        ([{"type": "izin", "duration": 5, "at_risk": 1.5}], "at_risk"),
        ([{"type": "izin", "duration": 5, "pause_columns": "Tunggu"}], "pause_columns"),
        ([{"type": "izin", "duration": 5, "colour": "red"}], "colour"),
        ([{"type": "izin", "duration": 5}, {"type": "izin", "duration": 3}], "izin"),
        (["izin"], "1"),
    ],
)
def test_bad_policies_are_refused_naming_the_problem(desk, policies, words):
    response = put_settings(desk, {"policies": policies})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    message = fields["settings.policies"]
    # The message names the policy's field (kept as is in every language), or the field's own
    # key does (`settings.policies.<row>.<field>`, where the settings page shows it).
    assert words is None or words in message or any(words in key for key in fields)


def test_members_cannot_change_policies(desk):
    assert put_settings(desk, {"policies": []}, who="petugas").status_code == 403


def test_card_moves_touching_reads_only_cards_that_used_those_columns(desk):
    from cergas.plugin import card_moves

    plain = desk.create("2026-12-23T10:00", "Tanpa jeda", column="Diproses")
    desk.move("2026-12-23T11:00", plain, "Selesai")
    # Created straight into the pause column, then moved out: no move *into* it, but one out.
    waited = desk.create("2026-12-23T10:00", "Mulai menunggu", column="Menunggu kelengkapan")
    desk.move("2026-12-24T09:00", waited, "Diproses")
    with desk.app.app_context():
        pause = desk.s.column["Menunggu kelengkapan"]
        moves = card_moves([plain, waited], touching=[pause])
        assert moves[plain] == []
        assert [(m.from_column_id, m.to_column_id) for m in moves[waited]] == [
            (pause, desk.s.column["Diproses"])
        ]
        assert len(card_moves([plain, waited])[plain]) == 1
        assert card_moves([plain], touching=[]) == {plain: []}


def test_a_card_created_in_a_pause_column_starts_paused(desk):
    from tests.test_sla_clock import sla_of

    card = desk.create("2026-12-23T10:00", "Berkas kurang", column="Menunggu kelengkapan")
    assert sla_of(desk, card, "2026-12-28T10:00")["state"] == "paused"
    desk.move("2026-12-28T10:00", card, "Diproses")
    # Waited 23 Dec 10:00 to 28 Dec 10:00 (6 + 2.5 working hours): 30 Dec 16:00 moves a full
    # working day (8.5 h), to 31 Dec 16:00.
    assert sla_of(desk, card, "2026-12-28T10:30")["due_at"] == "2026-12-31T16:00:00+07:00"
