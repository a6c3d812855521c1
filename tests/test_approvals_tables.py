# ruff: noqa: F811 - the `chain` fixture is imported from tests.approvals_fixtures
"""The approvals plugin's own tables (app/plugin_schema.py): the data migration from the
key-value store of earlier releases, a database that keeps a removed plugin's tables, the inbox
count's constant queries over a large history, and the rule that keeps the plugin on (and its
chains) while letters wait for paraf (its `cergas_board_plugin_before_change`)."""

import secrets
from datetime import UTC, date, datetime, timedelta

import flask_migrate
import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.orm import Mapped, mapped_column

import plugins.approvals as approvals_plugin
from app import create_app, plugin_schema
from app.extensions import db
from app.models import BoardPlugin, PluginData, User
from app.services import accounts, boards, cards
from plugins.approvals import inbox, paraf
from plugins.approvals.models import Delegation, Pending, Round, Step
from tests.approvals_fixtures import CHAIN, NIPS, api, chain  # noqa: F401
from tests.conftest import PASSWORD, pg_url
from tests.conftest import test_config as config_for
from tests.query_counter import count_queries

pytestmark = pytest.mark.pg


@pytest.fixture(params=["sqlite-file", "postgresql"])
def database(request, tmp_path):
    """(url, engine options) of an empty database that only the migrations fill."""
    if request.param == "sqlite-file":
        yield f"sqlite:///{tmp_path / 'tables.db'}", {}
        return
    url = pg_url()
    if not url:
        pytest.skip("PostgreSQL case: set TEST_DATABASE_URL")
    schema = f"tab_{secrets.token_hex(4)}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield url, {"connect_args": {"options": f"-csearch_path={schema}"}}
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def app_on(database, *, approvals: bool):
    url, options = database
    extra = {"SQLALCHEMY_ENGINE_OPTIONS": options} if options else {}
    if approvals:
        extra["CERGAS_PLUGIN_OBJECTS"] = {"approvals": approvals_plugin}
    return create_app(config_for(url, **extra))


def close(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def seed_office():
    """Units, people and the Persuratan board of tests/approvals_fixtures.py, core services only
    (the approvals plugin is not loaded: its switch is written as the settings page wrote it)."""
    accounts.create_unit("DISKOMINFO", "Dinas Komunikasi dan Informatika")
    accounts.create_unit("BID-TIK", "Bidang TIK", parent_code="DISKOMINFO")
    accounts.create_unit("SEKSI-APL", "Seksi Aplikasi", parent_code="BID-TIK")
    roles = {
        "kadis": ("DISKOMINFO", "head"),
        "kabid": ("BID-TIK", "head"),
        "kasi": ("SEKSI-APL", "head"),
        "drafter": ("SEKSI-APL", "member"),
        "plh": ("SEKSI-APL", "member"),
    }
    ids = {}
    for key, (unit, role) in roles.items():
        ids[key] = accounts.create_user(
            key.title(), PASSWORD, nip=NIPS[key], unit_code=unit, role=role
        ).id
    admin = accounts.create_user("Administrator", PASSWORD, username="admin", admin=True)
    board = boards.create_board(
        admin,
        "Persuratan",
        "SEKSI-APL",
        columns=[
            {"name": name, "kind": kind, "wip_limit": None, "wip_policy": "hard"}
            for name, kind in (
                ("Draf", "backlog"),
                ("Dikerjakan", "active"),
                ("Paraf", "active"),
                ("Terkirim", "done"),
            )
        ],
    )
    column = {c.name: c.id for c in board.columns}
    drafter = db.session.get(User, ids["drafter"])
    waiting = cards.create_card(
        drafter,
        board.id,
        {"title": "Surat undangan", "type": "surat-keluar", "due_date": "2026-12-31"},
        column_id=column["Paraf"],
    ).card
    approved = cards.create_card(
        drafter,
        board.id,
        {"title": "Surat balasan", "type": "surat-keluar", "due_date": "2026-12-31"},
        column_id=column["Paraf"],
    ).card
    db.session.add(
        BoardPlugin(
            board_id=board.id, plugin="approvals", enabled=True, settings={"chains": [CHAIN]}
        )
    )
    db.session.commit()
    return board.id, column, ids, waiting, approved


def step(spec, label, approver_id, status, **decided):
    return {
        "spec": spec,
        "label": label,
        "approver_id": approver_id,
        "status": status,
        "by_id": decided.get("by_id"),
        "as_id": None,
        "as_kind": None,
        "at": decided.get("at"),
        "note": None,
        **({"stamp": decided["stamp"]} if "stamp" in decided else {}),
    }


def key_value_records(board_id, ids, waiting, approved) -> dict:
    """The plugin_data rows of plugin `approvals`, as the key-value code of earlier releases
    wrote them (plugins/approvals/store.py before the tables): `card/<id>`, `pending/<id>`,
    `delegation/<id>`."""
    now = datetime.now(UTC).replace(microsecond=0)
    started = iso(now - timedelta(days=1))
    specs = CHAIN["steps"]
    stamp = paraf.stamp_of(paraf.content_of(approved))
    base = {
        "board_id": board_id,
        "tz": "Asia/Jakarta",
        "type": "surat-keluar",
        "review_column": "Paraf",
        "return_column": "Dikerjakan",
        "started_at": started,
        "reminded_on": None,
        "assignees": [],
    }
    today = date.today()
    return {
        f"card/{waiting.id}": {
            **base,
            "state": "pending",
            "round": 1,
            "current_step": 1,
            "since": started,
            "content_stamp": paraf.stamp_of(paraf.content_of(waiting)),
            "steps": [
                step(specs[0], "Seksi Aplikasi", ids["kasi"], "current"),
                step(specs[1], "Kabid TIK", None, "waiting"),
                step(specs[2], "Kadis", None, "waiting"),
            ],
        },
        f"pending/{waiting.id}": {
            "approver_id": ids["kasi"],
            "since": started,
            "board_id": board_id,
            "tz": "Asia/Jakarta",
            "head_of": "SEKSI-APL",
        },
        f"card/{approved.id}": {
            **base,
            "state": "approved",
            "round": 2,
            "current_step": None,
            "since": started,
            "finished_at": iso(now),
            "content_stamp": stamp,
            "stamp": stamp,
            "reminded_on": today.isoformat(),
            "assignees": [ids["drafter"]],
            "steps": [
                step(
                    specs[0],
                    "Seksi Aplikasi",
                    ids["kasi"],
                    "approved",
                    by_id=ids["kasi"],
                    at=started,
                    stamp=stamp,
                ),
                step(
                    specs[1],
                    "Kabid TIK",
                    ids["kabid"],
                    "approved",
                    by_id=ids["kabid"],
                    at=started,
                    stamp=stamp,
                ),
                step(
                    specs[2],
                    "Kadis",
                    ids["kadis"],
                    "approved",
                    by_id=ids["kadis"],
                    at=iso(now),
                    stamp=stamp,
                ),
            ],
        },
        "delegation/live0000001": {
            "id": "live0000001",
            "from_id": ids["kasi"],
            "to_id": ids["plh"],
            "kind": "plh",
            "start": (today - timedelta(days=1)).isoformat(),
            "end": (today + timedelta(days=3)).isoformat(),
            "created_by_id": ids["kasi"],
            "created_at": started,
            "revoked_at": None,
            "revoked_by_id": None,
        },
        "delegation/over0000002": {
            "id": "over0000002",
            "from_id": ids["kabid"],
            "to_id": ids["plh"],
            "kind": "plt",
            "start": (today - timedelta(days=40)).isoformat(),
            "end": (today - timedelta(days=30)).isoformat(),
            "created_by_id": ids["kabid"],
            "created_at": iso(now - timedelta(days=41)),
            "revoked_at": iso(now - timedelta(days=35)),
            "revoked_by_id": ids["kabid"],
        },
    }


def test_the_upgrade_moves_key_value_records_into_the_tables_and_the_plugin_works_on_them(
    database,
):
    # A database of the release before: the core's schema, the approvals plugin's key-value rows.
    before = app_on(database, approvals=False)
    with before.app_context():
        flask_migrate.upgrade()
        board_id, column, ids, waiting, approved = seed_office()
        records = key_value_records(board_id, ids, waiting, approved)
        for key, value in records.items():
            db.session.add(PluginData(plugin="approvals", key=key, value=value))
        db.session.add(PluginData(plugin="approvals", key="other/kept", value={"x": 1}))
        db.session.commit()
        waiting_id, approved_id = waiting.id, approved.id
        assert "approvals_rounds" not in inspect(db.engine).get_table_names()
    close(before)

    app = app_on(database, approvals=True)
    with app.app_context():
        flask_migrate.upgrade()  # the core is at its head; the approvals branch runs
        keys = set(
            db.session.scalars(select(PluginData.key).where(PluginData.plugin == "approvals"))
        )
        assert keys == {"other/kept"}  # converted rows are gone, others stay
        for key, value in records.items():
            kind, _slash, ident = key.partition("/")
            if kind == "card":
                assert paraf.state_of(int(ident)) == {
                    **value,
                    "finished_at": value.get("finished_at"),
                    "stamp": value.get("stamp"),
                }
            elif kind == "pending":
                row = db.session.get(Pending, int(ident))
                assert row.approver_id == value["approver_id"]
                assert row.head_of == value["head_of"] and row.board_id == board_id
            else:
                from plugins.approvals.store import load_delegation

                assert load_delegation(ident) == value
        assert db.session.scalar(select(func.count()).select_from(Step)) == 6

    # The plugin works on what arrived: the inbox (in person and as Plh), the card's state,
    # a decision, and the gate before done.
    kasi = api(app, _tokens(app, ids), "kasi")
    listed = kasi.get("/api/v1/approvals/inbox").get_json()["items"]
    assert [item["card"]["id"] for item in listed] == [waiting_id]
    with app.test_request_context():
        plh = db.session.get(User, ids["plh"])
        assert inbox.inbox_count(plh) == 1
        assert inbox.inbox_count(db.session.get(User, ids["kabid"])) == 0
    board = kasi.get(f"/api/v1/boards/{board_id}").get_json()
    states = {c["id"]: c["plugins"]["approvals"]["state"] for c in _cards(board)}
    assert states[waiting_id] == "pending" and states[approved_id] == "approved"
    decided = kasi.post(
        f"/api/v1/cards/{waiting_id}/approval", json={"decision": "approve", "step": 1}
    )
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["approvals"]["current_step"] == 2
    drafter = api(app, _tokens(app, ids), "drafter")
    moved = drafter.post(
        f"/api/v1/cards/{approved_id}/move", json={"column_id": column["Terkirim"]}
    )
    assert moved.status_code == 200, moved.get_json()
    refused = drafter.post(
        f"/api/v1/cards/{waiting_id}/move", json={"column_id": column["Terkirim"]}
    )
    assert refused.status_code == 409

    # Back down: the tables go and the key-value rows come back as they were written.
    with app.app_context(), db.engine.connect() as conn:
        plugin_schema.downgrade_plugin(conn, plugin_schema.plugin_schema("approvals"))
    with app.app_context():
        assert "approvals_rounds" not in inspect(db.engine).get_table_names()
        back = dict(
            db.session.execute(
                select(PluginData.key, PluginData.value).where(
                    PluginData.plugin == "approvals", PluginData.key.like("delegation/%")
                )
            ).all()
        )
        assert back == {k: v for k, v in records.items() if k.startswith("delegation/")}
    close(app)


def _tokens(app, ids):
    from types import SimpleNamespace

    with app.app_context():
        tokens = {key: accounts.create_token(db.session.get(User, uid)) for key, uid in ids.items()}
    return SimpleNamespace(tokens=tokens)


def _cards(board_json) -> list:
    return [card for column in board_json["columns"] for card in column["cards"]]


def test_a_removed_plugin_leaves_its_tables_and_the_database_keeps_upgrading(database):
    app = app_on(database, approvals=True)
    with app.app_context():
        flask_migrate.upgrade()
        db.session.add(
            Delegation(
                id="kept",
                from_id=1,
                to_id=2,
                kind="plh",
                start=date(2026, 1, 1),
                end=date(2026, 1, 5),
                created_at=datetime(2026, 1, 1),
            )
        )
        db.session.commit()
    close(app)

    without = app_on(database, approvals=False)  # the plugin is uninstalled
    with without.app_context():
        flask_migrate.upgrade()  # neither fails on the plugin's revision nor touches its tables
        flask_migrate.upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"approvals_rounds", "approvals_delegations", "alembic_version_approvals"} <= tables
        assert db.session.scalar(text("SELECT count(*) FROM approvals_delegations")) == 1
        versions = db.session.scalars(text("SELECT version_num FROM alembic_version")).all()
        assert all(not version.startswith("approvals") for version in versions)
        accounts.create_unit("SEKSI", "Seksi Pelayanan")  # the app works on it
        head = accounts.create_user(
            "Kasi", PASSWORD, username="kasi", unit_code="SEKSI", role="head"
        )
        boards.create_board(head, "Pelayanan", "SEKSI")
    assert (
        without.test_client()
        .post("/login", data={"username": "kasi", "password": PASSWORD})
        .status_code
        == 302
    )
    close(without)

    again = app_on(database, approvals=True)  # and installed again: its data is there
    with again.app_context():
        flask_migrate.upgrade()
        assert db.session.get(Delegation, "kept").end == date(2026, 1, 5)
    close(again)


def test_a_plugin_branch_needing_a_newer_core_is_refused_and_tables_follow_the_naming_rule(
    tmp_path,
):
    name = f"future{secrets.token_hex(3)}"
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "f_0001.py").write_text(
        f'revision = "f_0001"\ndown_revision = None\nbranch_labels = ("{name}",)\n'
        'depends_on = None\nrequires_core = "9999_from_the_future"\n\n'
        "def upgrade():\n    raise AssertionError('must not run')\n\n"
        "def downgrade():\n    pass\n",
        encoding="utf-8",
    )
    base = plugin_schema.plugin_model_base(name, migrations=folder)
    try:
        with pytest.raises(TypeError, match=f"{name}_"):
            type(
                "Wrong",
                (base,),
                {
                    "__tablename__": "cards_extra",
                    "__annotations__": {"id": Mapped[int]},
                    "id": mapped_column(primary_key=True),
                },
            )
        assert base.metadata.tables == {}
        app = create_app(config_for(f"sqlite:///{tmp_path / 'core.db'}"))
        with app.app_context():
            flask_migrate.upgrade()
            with db.engine.connect() as conn, pytest.raises(plugin_schema.CoreTooOld, match="9999"):
                plugin_schema.upgrade_plugin(
                    conn, plugin_schema.plugin_schema(name), _core_script(app)
                )
            assert f"alembic_version_{name}" not in inspect(db.engine).get_table_names()
        close(app)
    finally:
        plugin_schema._schemas.pop(name, None)  # not a plugin of the other tests


def _core_script(app):
    from alembic.script import ScriptDirectory

    config = app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config)


def add_history(app, s, rounds: int, delegations: int):
    """Decided rounds on other cards and delegations to kasi that ended long ago or were
    revoked: the history the inbox count must not read."""
    with app.app_context():
        first = db.session.scalar(select(func.coalesce(func.max(Round.card_id), 0))) + 1000
        old = datetime(2025, 1, 1)
        for offset in range(rounds):
            card_id = first + offset
            db.session.add(
                Round(
                    card_id=card_id,
                    board_id=s.board_id,
                    state="approved",
                    round=1,
                    type="surat-keluar",
                    tz="Asia/Jakarta",
                    review_column="Paraf",
                    return_column="Dikerjakan",
                    since=old,
                    started_at=old,
                    finished_at=old,
                    assignees=[],
                    steps=[
                        Step(
                            number=1,
                            spec={"head_of": "SEKSI-APL"},
                            label="Seksi Aplikasi",
                            approver_id=s.ids["kasi"],
                            status="approved",
                            by_id=s.ids["kasi"],
                            at=old,
                        )
                    ],
                )
            )
        count = db.session.scalar(select(func.count()).select_from(Delegation))
        for offset in range(delegations):
            db.session.add(
                Delegation(
                    id=f"h{count + offset:08d}",
                    from_id=s.ids["kabid"],
                    to_id=s.ids["kasi"],
                    kind="plh",
                    start=date(2025, 1, 1) + timedelta(days=offset % 300),
                    end=date(2025, 1, 3) + timedelta(days=offset % 300),
                    created_at=old,
                    revoked_at=old if offset % 2 else None,
                )
            )
        db.session.commit()


def test_the_inbox_count_is_constant_in_queries_whatever_the_history(chain):
    app, s = chain
    with app.app_context():
        drafter = db.session.get(User, s.ids["drafter"])
        cards.move_card(drafter, s.card_id, s.column["Paraf"])  # waits on kasi

    def counted():
        with app.test_request_context(), count_queries(app) as statements:
            user = db.session.get(User, s.ids["kasi"])
            statements.clear()
            number = inbox.inbox_count(user)
        return number, len(statements)

    small = counted()
    add_history(app, s, rounds=400, delegations=300)
    large = counted()
    assert small == large
    assert small[0] == 1
    if db_dialect(app) == "postgresql":
        with app.app_context():
            db.session.execute(text("ANALYZE approvals_pending"))
            db.session.execute(text("ANALYZE approvals_delegations"))
            db.session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(
                db.session.scalars(
                    text(
                        "EXPLAIN SELECT count(*) FROM approvals_delegations "
                        'WHERE to_id = :me AND revoked_at IS NULL AND "end" >= :day'
                    ),
                    {"me": s.ids["kasi"], "day": date.today()},
                )
            )
            assert "ix_approvals_delegations_to_id_end" in plan
            db.session.rollback()


def db_dialect(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


# --- the rule: approvals stays on (and its chains stay) while letters wait for paraf ---------


def test_a_head_cannot_switch_approvals_off_or_change_the_chain_while_letters_wait(chain):
    app, s = chain
    with app.app_context():
        drafter = db.session.get(User, s.ids["drafter"])
        cards.move_card(drafter, s.card_id, s.column["Paraf"])
    kasi = api(app, s, "kasi")
    url = f"/api/v1/boards/{s.board_id}/plugins/approvals/settings"
    off = app.test_client().put(
        url, json={"enabled": False}, headers={"Authorization": f"Bearer {s.tokens['kasi']}"}
    )
    assert off.status_code == 422
    error = off.get_json()["error"]
    assert error["code"] == "plugin_change_refused"
    assert "1" in error["message"] and "enabled" in error["fields"]
    other_chain = {**CHAIN, "steps": CHAIN["steps"][:1]}
    changed = app.test_client().put(
        url,
        json={"settings": {"chains": [other_chain]}},
        headers={"Authorization": f"Bearer {s.tokens['kasi']}"},
    )
    assert changed.status_code == 422
    assert "settings.chains" in changed.get_json()["error"]["fields"]
    removed = app.test_client().put(
        url,
        json={"settings": {"chains": []}},
        headers={"Authorization": f"Bearer {s.tokens['kasi']}"},
    )
    assert removed.status_code == 422
    # Other settings may change; the chain and the switch are as they were.
    fine = app.test_client().put(
        url,
        json={"settings": {"remind_after_days": 5}},
        headers={"Authorization": f"Bearer {s.tokens['kasi']}"},
    )
    assert fine.status_code == 200, fine.get_json()
    state = kasi.get(url).get_json()
    assert state["enabled"] is True and state["settings"]["chains"] == [CHAIN]

    # The settings page: the message stands next to the switch, and nothing changed.
    browser = app.test_client()
    browser.post("/login", data={"username": NIPS["kasi"], "password": PASSWORD})
    page = browser.post(
        f"/boards/{s.board_id}/plugins/approvals",
        data={"setting-chains": "[]", "setting-remind_after_days": "5"},
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'id="plugin-approvals-enabled-error"' in html
    with app.app_context():
        row = db.session.scalar(
            select(BoardPlugin).where(
                BoardPlugin.board_id == s.board_id, BoardPlugin.plugin == "approvals"
            )
        )
        assert row.enabled is True and row.settings["chains"] == [CHAIN]

    # A gate still holds: the letter cannot reach done.
    drafter = api(app, s, "drafter")
    done = drafter.post(f"/api/v1/cards/{s.card_id}/move", json={"column_id": s.column["Terkirim"]})
    assert done.status_code == 409

    # Once the round is withdrawn (the letter leaves review), the head may switch it off.
    back = drafter.post(
        f"/api/v1/cards/{s.card_id}/move", json={"column_id": s.column["Dikerjakan"]}
    )
    assert back.status_code == 200
    off = app.test_client().put(
        url, json={"enabled": False}, headers={"Authorization": f"Bearer {s.tokens['kasi']}"}
    )
    assert off.status_code == 200, off.get_json()


def test_a_veto_hook_that_fails_refuses_the_change(chain, monkeypatch):
    app, s = chain

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(approvals_plugin.paraf, "open_rounds", broken)
    answer = app.test_client().put(
        f"/api/v1/boards/{s.board_id}/plugins/approvals/settings",
        json={"settings": {"remind_after_days": 4}},
        headers={"Authorization": f"Bearer {s.tokens['kasi']}"},
    )
    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == "plugin_change_refused"


def test_loading_many_rounds_takes_two_queries_whatever_their_number():
    """Rounds, then all their steps: the relationship's own selectin loading would ask again for
    every 500 rounds (an inbox of 500 letters once took one query more than one of 100)."""
    from plugins.approvals import store
    from tests.conftest import make_app

    app = make_app("sqlite://", CERGAS_PLUGIN_OBJECTS={"approvals": approvals_plugin})
    with app.app_context():
        moment = datetime(2026, 12, 1, 9)
        for card_id in range(1, 1202):
            db.session.add(
                Round(
                    card_id=card_id,
                    board_id=1,
                    state="pending",
                    round=1,
                    type="surat-keluar",
                    tz="Asia/Jakarta",
                    review_column="Paraf",
                    return_column="Dikerjakan",
                    current_step=1,
                    since=moment,
                    started_at=moment,
                    assignees=[],
                )
            )
            for number in (1, 2):
                db.session.add(
                    Step(
                        card_id=card_id,
                        number=number,
                        spec={"head_of": "SEKSI-APL"},
                        label=f"Langkah {number}",
                        status="waiting",
                    )
                )
        db.session.commit()
        db.session.expunge_all()
        with count_queries(app) as statements:
            states = store.load_states(range(1, 1202))
        assert len(states) == 1201
        assert [step["label"] for step in states[1201]["steps"]] == ["Langkah 1", "Langkah 2"]
        assert len([q for q in statements if q.lstrip().upper().startswith("SELECT")]) == 2
    close(app)
