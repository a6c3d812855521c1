"""The governance rules, proved on random sequences of every write use case (issue 19).

A hypothesis `RuleBasedStateMachine` drives the JSON API of a seeded office with the built-in
plugins on (approvals with a three-step paraf chain, SLA with service-time policies, workload,
competency): random actors (members, the board's head, the heads above it, a Sekretaris, an
admin, a member of another unit) create cards in any column with any type, assignee and due
date, edit any field (type and assignee too, with and without a reason), move cards anywhere
(with and without an override reason), decide, return, reject and reassign paraf steps, name
Plh/Plt stand-ins, plan, fill, start and close sprints, change plugin settings, and send bad
input (Unicode digits, huge numbers, wrong types). Every answer must be below 500, and after
every step these invariants hold, read from the database and the plugins' own read helpers:

- **paraf gate**: no card of a chained type sits in a done column without an approved paraf
  state, no title, description or type change after the approval that let it through, and,
  where the approvals plugin stamps the approved content, a stamp that matches the card now;
- **delegations**: a refused stand-in gets one message whatever the reason;
- **paraf decisions**: nobody approves a card they created or were assignee of during the
  round, nobody decides two steps of one round, a step is reassigned only by an admin or a head
  above the step's post, and never to oneself;
- **SLA**: a card that once had a service-time clock (`plugins.sla` in the card API) keeps one;
- **deadlines**: every deadline change row has a reason, and every change of a set due date
  has its row;
- **WIP limits**: a hard-limited column, and a person under the board's personal limit, hold
  more cards than the limit only by audited overrides (`wip_override` events);
- **positions**: 0..n-1 in every column;
- **audit trail**: events are never altered or deleted, no card disappears, and every change
  of a card's column, content, assignee, due date, sprint or paraf state, and of a plugin's
  settings, comes with its event.

`make test` runs a fixed, derandomised budget (20 examples of up to 30 steps) on SQLite; the
full matrix (`make test-full`, or `--full-matrix`) runs it on PostgreSQL too. For a longer run
with fresh random sequences:

    CERGAS_RULES_EXAMPLES=2000 CERGAS_RULES_STEPS=60 \\
        .venv/bin/python -m pytest -p no:xdist -q tests/test_rules_state_machine.py

(`CERGAS_RULES_EXAMPLES` set: not derandomised, so every run tries new sequences;
`CERGAS_RULES_SEED=<n>` repeats one.) docs/security.md records how long it ran without a
finding.
"""

import hashlib
import json
import os
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, seed, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

import plugins.approvals as approvals_plugin
import plugins.competency as competency_plugin
import plugins.sla as sla_plugin
import plugins.workload as workload_plugin
from app.extensions import db
from app.models import Board, BoardColumn, BoardPlugin, Card, DeadlineChange, Event, Unit, User
from app.services import accounts, boards, card_types, cards
from app.services import plugins as board_plugins
from app.services.tx import write_transaction
from plugins.approvals import paraf
from tests.conftest import PASSWORD, SeededApp, make_app

LONG_RUN = "CERGAS_RULES_EXAMPLES" in os.environ
# The full run (`--full-matrix`, as `.ci/run` runs it) tries 20 sequences, the fast run 12.
FULL_RUN = os.environ.get("CERGAS_FULL_MATRIX") == "1"  # set by tests/conftest.py
EXAMPLES = int(os.environ.get("CERGAS_RULES_EXAMPLES", "20" if FULL_RUN else "12"))
STEPS = int(os.environ.get("CERGAS_RULES_STEPS", "30"))
SEED = os.environ.get("CERGAS_RULES_SEED")

PLUGINS = {
    "approvals": approvals_plugin,
    "sla": sla_plugin,
    "workload": workload_plugin,
    "competency": competency_plugin,
}
NIPS = {
    "kadis": "197001011995031001",
    "kabid": "197502022000031002",
    "kasi": "198003032005012003",
    "staff": "199001012015011004",
    "staff2": "199202022016012005",
    "sekretaris": "198804042010011006",
    "outsider": "198905052011012007",
}
PEOPLE = {
    "kadis": ("Ir. Hendra Wijaya", "DISKOMINFO", "head"),
    "sekretaris": ("Dra. Lestari Ayu", "DISKOMINFO", "member"),
    "kabid": ("Budi Santoso", "BID-TIK", "head"),
    "kasi": ("Siti Rahmawati", "SEKSI-APL", "head"),
    "staff": ("Agus Pratama", "SEKSI-APL", "member"),
    "staff2": ("Dewi Lestari", "SEKSI-APL", "member"),
    "outsider": ("Rina Kusuma", "BID-IKP", "member"),
}
ACTORS = ("staff", "staff2", "kasi", "kabid", "kadis", "sekretaris", "admin", "outsider")
CHAINED = "surat-keluar"
CHAIN = {
    "type": CHAINED,
    "review_column": "Paraf",
    "return_column": "Dikerjakan",
    "steps": [
        {"head_of": "SEKSI-APL"},
        {"head_of": "BID-TIK", "label": "Kabid TIK"},
        {"user": NIPS["kadis"]},
    ],
}
POLICIES = [
    {
        "type": "pengaduan",
        "duration": 3,
        "unit": "working_days",
        "start": "created",
        "pause_columns": ["Menunggu kelengkapan"],
    },
    {"type": "informasi", "duration": 10, "unit": "working_days", "start": "active"},
]
COLUMNS = [
    {"name": "Draf", "kind": "backlog", "wip_limit": None, "wip_policy": "hard"},
    {"name": "Dikerjakan", "kind": "active", "wip_limit": 3, "wip_policy": "hard"},
    {"name": "Paraf", "kind": "active", "wip_limit": None, "wip_policy": "hard"},
    {"name": "Menunggu kelengkapan", "kind": "active", "wip_limit": 2, "wip_policy": "soft"},
    {"name": "Selesai", "kind": "done", "wip_limit": None, "wip_policy": "hard"},
]
PERSONAL_LIMIT = 2
CONTENT = ("title", "description", "type")

# Values the rules pick from. Each rule draws sensible values (so that sequences get somewhere)
# and, one time in four, spoils one of them with a bad one, which the API must refuse cleanly.
TODAY = date.today()
DUE_DATES = [(TODAY + timedelta(days=days)).isoformat() for days in (30, 30, 45, 60)]
TITLES = ["Surat balasan undangan", "Surat edaran jam kerja", "Laporan;=1+2;", "Surat (revisi)"]
DESCRIPTIONS = ["", "Isi surat sudah disetujui.", "Diubah sesudah paraf", '=HYPERLINK("x")']
TYPES = ["tugas", CHAINED, CHAINED, "pengaduan", "pengaduan", "informasi"]
ASSIGNEES = [None, "staff", "staff", "staff2", "kasi"]
COLUMN_NAMES = [c["name"] for c in COLUMNS]
SUPERSCRIPT_TWO = "\u00b2"
ARABIC_THREE = "\u0663"
BAD = {
    "title": ["", "x" * 201, 17, "Nota\x00"],
    "description": ["x" * 20_001, ["a"]],
    "type": ["Surat Keluar!", "x" * 41, SUPERSCRIPT_TWO],
    "assignee": ["outsider", SUPERSCRIPT_TWO * 18, 5, "kadis-lama"],
    "due_date": [
        None,
        "\uff12\uff10\uff12\uff17-\uff10\uff11-\uff12\uff19",  # full-width digits
        SUPERSCRIPT_TWO + "027-01-01",
        "2027-13-45",
        "99999-01-01",
        20270129,
    ],
    "column": [SUPERSCRIPT_TWO, ARABIC_THREE, 10**20, -1, 0, True, 1.5],
    "position": [10**12, -1, SUPERSCRIPT_TWO, 2.5],
    "priority": [SUPERSCRIPT_TWO, "urgent!", None],
    "estimate": [10**12, -1, float("1e308"), "4"],
    "step": [7, 0, SUPERSCRIPT_TWO, True],
    "date": ["\uff12\uff10\uff12\uff17-01-01", "2027-02-30", "", 2027],
}
REASONS = [None, None, "", "   ", "Permintaan Kepala Dinas"]
WEIRD_IDS = [SUPERSCRIPT_TWO, ARABIC_THREE, "0x1f", "1e3", "%C2%B2"]


FOCUS = ["any", "done", "paraf", "pending", "chained", "clocked"]


def spoiled(*fields):
    """Which field a rule spoils: None three times in four."""
    return st.sampled_from([None] * (3 * len(fields)) + list(fields))


def seed_world(app) -> SimpleNamespace:
    """The office: Dinas > Bidang TIK > Seksi Aplikasi (the board's unit), a sibling Bidang, an
    admin; the board with a hard-limited column, a personal limit and the four plugins set."""
    accounts.create_unit("DISKOMINFO", "Dinas Komunikasi dan Informatika")
    accounts.create_unit("BID-TIK", "Bidang TIK", parent_code="DISKOMINFO")
    accounts.create_unit("SEKSI-APL", "Seksi Aplikasi", parent_code="BID-TIK")
    accounts.create_unit("BID-IKP", "Bidang IKP", parent_code="DISKOMINFO")
    admin = accounts.create_user("Administrator", PASSWORD, username="admin", admin=True)
    users = {"admin": admin}
    for key, (name, unit, role) in PEOPLE.items():
        users[key] = accounts.create_user(name, PASSWORD, nip=NIPS[key], unit_code=unit, role=role)
    board = boards.create_board(
        admin, "Persuratan dan Layanan", "SEKSI-APL", columns=COLUMNS, personal_wip_limit=2
    )
    kasi = users["kasi"]
    with write_transaction():  # the types the plugins' rules name, on the board's list
        card_types.ensure(board.id, types=sorted(set(TYPES)))
    board_plugins.set_board_plugin(kasi, board.id, "approvals", settings={"chains": [CHAIN]})
    board_plugins.set_board_plugin(kasi, board.id, "sla", settings={"policies": POLICIES})
    board_plugins.set_board_plugin(kasi, board.id, "workload", enabled=True)
    board_plugins.set_board_plugin(kasi, board.id, "competency", enabled=True)
    column = {c.name: c.id for c in board.columns}
    due = (TODAY + timedelta(days=20)).isoformat()
    # Cards to start from, each a step or two from a rule's edge: a letter waiting for its first
    # paraf, one whose first approver is its assignee, one approved by the whole chain and
    # waiting in review, a complaint with a running clock, a task in the backlog, one done.
    made = {}
    for key, title, type_, where, creator, assignee in [
        ("waiting", "Surat undangan rapat koordinasi", CHAINED, "Paraf", "staff", "staff"),
        ("own_step", "Surat edaran jam kerja", CHAINED, "Paraf", "staff", "kasi"),
        ("approved", "Surat tugas perjalanan dinas", CHAINED, "Paraf", "staff2", "staff2"),
        (
            "clocked",
            "Pengaduan jaringan kantor kecamatan",
            "pengaduan",
            "Dikerjakan",
            "staff",
            None,
        ),
        ("backlog", "Pemutakhiran data aplikasi", "tugas", "Draf", "staff", None),
        ("done", "Laporan bulanan pelayanan", "tugas", "Selesai", "staff2", "staff2"),
    ]:
        data = {"title": title, "type": type_, "due_date": due, "assignee": users.get(assignee)}
        made[key] = cards.create_card(users[creator], board.id, data, column_id=column[where]).card
    for approver in ("kasi", "kabid", "kadis"):
        paraf.decide(users[approver], made["approved"].id, "approve")
    return SimpleNamespace(
        board_id=board.id,
        column=column,
        ids={key: user.id for key, user in users.items()},
        logins={key: user.login for key, user in users.items()},
        tokens={key: accounts.create_token(user) for key, user in users.items()},
    )


@pytest.fixture(scope="module")
def office(database_url):
    app = make_app(database_url, CERGAS_PLUGIN_OBJECTS=PLUGINS)
    yield from SeededApp.kept(app, seed_world)


# --- reading the state --------------------------------------------------------------------------


def card_rows(board_id: int) -> dict[int, dict]:
    rows = db.session.execute(
        select(
            Card.id,
            Card.column_id,
            Card.position,
            Card.title,
            Card.description,
            Card.type,
            Card.assignee_id,
            Card.due_date,
            Card.sprint_id,
            Card.created_by_id,
        ).where(Card.board_id == board_id)
    ).mappings()
    return {row["id"]: dict(row) for row in rows}


def event_rows() -> dict[int, tuple]:
    rows = db.session.execute(
        select(Event.id, Event.kind, Event.card_id, Event.actor_id, Event.at, Event.data).order_by(
            Event.id
        )
    )
    return {
        row.id: (row.kind, row.card_id, row.actor_id, row.at, json.dumps(row.data, sort_keys=True))
        for row in rows
    }


def paraf_summary(state: dict | None):
    """What of a paraf state must not change without an event."""
    if not state:
        return None
    step = paraf.current(state)
    return (
        state.get("state"),
        state.get("round"),
        state.get("current_step"),
        step.get("approver_id") if step else None,
    )


def stamp_of(state: dict):
    """The approved content's stamp the approvals plugin records in an approved state (None
    while it records none)."""
    return state.get("stamp")


def content_digest(card: dict) -> str:
    """The stamp of a card's content (title, description, type), computed as the approvals
    plugin computes it: SHA-256 of the fields as compact JSON with sorted keys."""
    content = {name: card[name] or "" for name in CONTENT}
    raw = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def content_matches(stamp, card: dict) -> bool:
    """Whether a recorded stamp is the card's current content: a digest, or the fields."""
    if isinstance(stamp, dict):
        return all(stamp.get(name) == card[name] for name in CONTENT if name in stamp)
    return stamp == content_digest(card)


def unit_ancestors(units: dict[int, Unit], unit_id: int | None) -> list[int]:
    found = []
    while unit_id is not None and unit_id in units:
        unit_id = units[unit_id].parent_id
        if unit_id is not None:
            found.append(unit_id)
    return found


def make_machine(office):
    class RulesMachine(RuleBasedStateMachine):
        """One office per example, put back to the seeded state."""

        @initialize()
        def open_office(self):
            self.w = office.restore()
            self.app = office.app
            self.client = self.app.test_client()
            self.clocked: set[int] = set()
            self.to_refusals: set[str] = set()
            self.requests = 0
            with self.app.app_context():
                self.snapshot = self.read_state()
            self.check_clocks()

        # -- calling the API ----------------------------------------------------------------

        def call(self, who: str, method: str, url: str, body=None):
            headers = {"Authorization": f"Bearer {self.w.tokens[who]}"}
            response = getattr(self.client, method)(url, json=body, headers=headers)
            self.requests += 1
            assert response.status_code < 500, (
                f"{who} {method.upper()} {url} {body!r}: {response.status_code} "
                f"{response.get_data(as_text=True)[:500]}"
            )
            return response

        def card_ids(self) -> list[int]:
            return sorted(self.snapshot["cards"])

        def pick_card(self, pick: int, prefer=None) -> int | None:
            ids = self.card_ids()
            if isinstance(prefer, str):
                prefer = self.focus(prefer)
            if prefer is not None:
                ids = [card_id for card_id in ids if prefer(card_id)] or ids
            return ids[pick % len(ids)] if ids else None

        def focus(self, name: str):
            """Cards where the rules matter most: in a done column, in the review column,
            waiting for paraf, of the chained type, with an SLA clock; "any" for all."""
            cards, done = self.snapshot["cards"], self.w.column["Selesai"]
            tests = {
                "any": None,
                "done": lambda card_id: cards[card_id]["column_id"] == done,
                "paraf": lambda card_id: cards[card_id]["column_id"] == self.w.column["Paraf"],
                "chained": lambda card_id: cards[card_id]["type"] == CHAINED,
                "clocked": lambda card_id: card_id in self.clocked,
                "pending": self.pending,
            }
            return tests[name]

        def who_is(self, user_id) -> str | None:
            return next((key for key, uid in self.w.ids.items() if uid == user_id), None)

        def junk(self, field: str, index: int):
            values = BAD[field]
            value = values[index % len(values)]
            return self.person(value) if field == "assignee" and isinstance(value, str) else value

        def person(self, key):
            return self.w.logins.get(key, key) if key is not None else None

        # -- rules: cards ---------------------------------------------------------------------

        @rule(
            actor=st.sampled_from(ACTORS),
            column=st.sampled_from([*COLUMN_NAMES, None]),
            type_=st.sampled_from(TYPES),
            title=st.sampled_from(TITLES),
            assignee=st.sampled_from(ASSIGNEES),
            due=st.sampled_from(DUE_DATES),
            bad=spoiled("title", "type", "assignee", "due_date", "column", "description"),
            junk=st.integers(0, 100),
        )
        def create_card(self, actor, column, type_, title, assignee, due, bad, junk):
            body = {"title": title, "type": type_, "due_date": due}
            if column is not None:
                body["column_id"] = self.w.column[column]
            if assignee is not None:
                body["assignee"] = self.person(assignee)
            if bad is not None:
                body["column_id" if bad == "column" else bad] = self.junk(bad, junk)
            self.call(actor, "post", f"/api/v1/boards/{self.w.board_id}/cards", body)

        @rule(
            actor=st.sampled_from((*ACTORS, "assignee", "assignee", "creator")),
            pick=st.integers(0, 1000),
            fields=st.fixed_dictionaries(
                {},
                optional={
                    "title": st.sampled_from(TITLES),
                    "description": st.sampled_from(DESCRIPTIONS),
                    "type": st.sampled_from(TYPES),
                    "assignee": st.sampled_from(ASSIGNEES),
                    "due_date": st.sampled_from(DUE_DATES),
                    "priority": st.sampled_from(["high", "normal", "low"]),
                    "estimate": st.sampled_from([2, 4.5, None]),
                },
            ),
            reason=st.sampled_from(REASONS),
            deadline_reason=st.sampled_from(REASONS),
            stale=st.sampled_from([False, False, False, True]),
            bad=spoiled("title", "type", "assignee", "due_date", "priority", "estimate"),
            junk=st.integers(0, 100),
            focus=st.sampled_from(FOCUS),
        )
        def edit_card(self, actor, pick, fields, reason, deadline_reason, stale, bad, junk, focus):
            card_id = self.pick_card(pick, focus)
            if card_id is None:
                return
            with self.app.app_context():
                card = db.session.get(Card, card_id)
                version = card.version - 1 if stale else card.version
                owner = {"assignee": card.assignee_id, "creator": card.created_by_id}
            if actor in owner:
                actor = self.who_is(owner[actor]) or "staff"
            body = dict(fields, version=version)
            if "assignee" in body:
                body["assignee"] = self.person(body["assignee"])
            if bad is not None:
                body[bad] = self.junk(bad, junk)
            if reason is not None:
                body["reason"] = reason
            if deadline_reason is not None:
                body["deadline_reason"] = deadline_reason
            self.call(actor, "patch", f"/api/v1/cards/{card_id}", body)

        def patch(self, actor, card_id: int, fields: dict, reason=None):
            with self.app.app_context():
                card = db.session.get(Card, card_id)
                owner = {"assignee": card.assignee_id, "creator": card.created_by_id}
                body = {**fields, "version": card.version}
            if actor in owner:
                actor = self.who_is(owner[actor]) or "staff"
            if reason is not None:
                body["reason"] = reason
            self.call(actor, "patch", f"/api/v1/cards/{card_id}", body)

        @rule(
            actor=st.sampled_from((*ACTORS, "assignee", "assignee", "creator")),
            pick=st.integers(0, 1000),
            type_=st.sampled_from(TYPES),
            reason=st.sampled_from(REASONS),
            focus=st.sampled_from(FOCUS),
        )
        def change_type(self, actor, pick, type_, reason, focus):
            """The type alone: around the paraf gate and the SLA clocks."""
            card_id = self.pick_card(pick, focus)
            if card_id is not None:
                self.patch(actor, card_id, {"type": type_}, reason)

        @rule(
            actor=st.sampled_from((*ACTORS, "assignee", "assignee")),
            pick=st.integers(0, 1000),
            assignee=st.sampled_from(ASSIGNEES),
            focus=st.sampled_from(FOCUS),
        )
        def change_assignee(self, actor, pick, assignee, focus):
            """The assignee alone: self-approval by toggling, personal limits."""
            card_id = self.pick_card(pick, focus)
            if card_id is not None:
                self.patch(actor, card_id, {"assignee": self.person(assignee)})

        @rule(
            actor=st.sampled_from((*ACTORS, "assignee", "creator")),
            pick=st.integers(0, 1000),
            field=st.sampled_from(["title", "description"]),
            text=st.sampled_from(["Isi diganti sesudah paraf", "Laporan;=1+2;"]),
            focus=st.sampled_from(FOCUS),
        )
        def rewrite(self, actor, pick, field, text, focus):
            """Title or description alone: what an approval vouches for."""
            card_id = self.pick_card(pick, focus)
            if card_id is not None:
                self.patch(actor, card_id, {field: text})

        @rule(
            actor=st.sampled_from((*ACTORS, "assignee", "assignee")),
            pick=st.integers(0, 1000),
            column=st.sampled_from([*COLUMN_NAMES, "Selesai", "Paraf"]),
            position=st.sampled_from([None, None, 0, 1, 2]),
            override=st.sampled_from([None, None, None, "Perintah Kepala Dinas", "  "]),
            bad=spoiled("column", "position"),
            junk=st.integers(0, 100),
            focus=st.sampled_from(FOCUS),
        )
        def move_card(self, actor, pick, column, position, override, bad, junk, focus):
            card_id = self.pick_card(pick, focus)
            if card_id is None:
                return
            if actor == "assignee":
                assignee = self.snapshot["cards"][card_id]["assignee_id"]
                actor = self.who_is(assignee) or "staff"
            body = {"column_id": self.w.column[column]}
            if position is not None:
                body["position"] = position
            if override is not None:
                body["override_reason"] = override
            if bad is not None:
                body["column_id" if bad == "column" else bad] = self.junk(bad, junk)
            self.call(actor, "post", f"/api/v1/cards/{card_id}/move", body)

        # -- rules: paraf -------------------------------------------------------------------------

        def pending(self, card_id: int) -> bool:
            summary = self.snapshot["paraf"].get(card_id)
            return summary is not None and summary[0] == "pending"

        @rule(
            actor=st.sampled_from(("approver", "approver", "approver", *ACTORS)),
            pick=st.integers(0, 1000),
            decision=st.sampled_from(["approve", "approve", "approve", "return", "reject"]),
            note=st.sampled_from([None, "Perbaiki paragraf kedua", ""]),
            step=st.sampled_from([None, "current", "current", "bad"]),
            junk=st.integers(0, 100),
        )
        def decide(self, actor, pick, decision, note, step, junk):
            card_id = self.pick_card(pick, prefer=self.pending)
            if card_id is None:
                return
            summary = self.snapshot["paraf"].get(card_id)
            if actor == "approver":
                actor = (summary and self.who_is(summary[3])) or "kasi"
            body = {"decision": decision}
            if note is not None:
                body["note"] = note
            if step == "current":
                body["step"] = summary[2] if summary and summary[2] else 1
            elif step == "bad":
                body["step"] = self.junk("step", junk)
            self.call(actor, "post", f"/api/v1/cards/{card_id}/approval", body)

        @rule(
            actor=st.sampled_from(ACTORS),
            pick=st.integers(0, 1000),
            to=st.sampled_from((*ACTORS, "self", "self", SUPERSCRIPT_TWO)),
            step=st.sampled_from([None, "current"]),
        )
        def reassign(self, actor, pick, to, step):
            card_id = self.pick_card(pick, prefer=self.pending)
            if card_id is None:
                return
            summary = self.snapshot["paraf"].get(card_id)
            body = {"decision": "reassign", "to": self.person(actor if to == "self" else to)}
            if step == "current" and summary and summary[2]:
                body["step"] = summary[2]
            self.call(actor, "post", f"/api/v1/cards/{card_id}/approval", body)

        @rule(
            actor=st.sampled_from(ACTORS),
            giver=st.sampled_from([None, None, "kadis", "kabid", "kasi", "staff"]),
            to=st.sampled_from([*ACTORS, SUPERSCRIPT_TWO]),
            kind=st.sampled_from(["plh", "plh", "plt", "plt", "bos"]),
            start=st.sampled_from([0, 0, 1, "bad"]),
            length=st.sampled_from([0, 3, 3, 30000]),
            junk=st.integers(0, 100),
        )
        def delegate(self, actor, giver, to, kind, start, length, junk):
            if isinstance(start, int):
                first = TODAY + timedelta(days=start)
                start, end = first.isoformat(), (first + timedelta(days=length)).isoformat()
            else:
                start, end = self.junk("date", junk), (TODAY + timedelta(days=length)).isoformat()
            body = {"to": self.person(to), "kind": kind, "start": start, "end": end}
            if giver is not None:
                body["from"] = self.person(giver)
            answer = self.call(actor, "post", "/api/v1/delegations", body)
            # A refused stand-in gets one message whatever the reason (unknown, away, oneself, a
            # colleague one may not name): the refusal must not tell who exists or who is away.
            if answer.status_code == 422:
                fields = answer.get_json()["error"].get("fields") or {}
                if "to" in fields:
                    self.to_refusals.add(fields["to"])
                    assert len(self.to_refusals) == 1, (
                        f"refused stand-ins get different messages: {sorted(self.to_refusals)}"
                    )

        # -- rules: sprints and settings ----------------------------------------------------------

        @rule(
            actor=st.sampled_from(("kasi", "kasi", "admin", "kabid", "staff", "outsider")),
            action=st.sampled_from(["plan", "add", "add", "remove", "start", "close"]),
            pick=st.integers(0, 1000),
            length=st.sampled_from([13, 13, 13, 10**9]),
        )
        def sprint(self, actor, action, pick, length):
            board = self.w.board_id
            listing = self.call("admin", "get", f"/api/v1/boards/{board}/sprints")
            open_ = [s for s in listing.get_json()["sprints"] if s["state"] != "closed"]
            sprint = open_[pick % len(open_)] if open_ else None
            card_id = self.pick_card(pick)
            if action == "plan" or sprint is None:
                end = (TODAY + timedelta(days=13)).isoformat() if length == 13 else "99999-1-1"
                body = {
                    "name": f"Sprint {pick}",
                    "goal": "Surat tuntas",
                    "start": TODAY.isoformat(),
                }
                self.call(actor, "post", f"/api/v1/boards/{board}/sprints", {**body, "end": end})
            elif action == "add" and card_id is not None:
                body = {"card_ids": [card_id] if length == 13 else [card_id, length]}
                self.call(actor, "post", f"/api/v1/sprints/{sprint['id']}/cards", body)
            elif action == "remove" and card_id is not None:
                self.call(actor, "delete", f"/api/v1/sprints/{sprint['id']}/cards/{card_id}")
            elif action == "start":
                self.call(actor, "post", f"/api/v1/sprints/{sprint['id']}/start")
            elif action == "close":
                body = {"goal_met": "partly", "note": "Dua surat menunggu paraf"}
                body["carry_over"] = "next" if pick % 2 else "backlog"
                self.call(actor, "post", f"/api/v1/sprints/{sprint['id']}/close", body)

        @rule(
            actor=st.sampled_from(("kasi", "kabid", "admin", "staff", "outsider")),
            change=st.sampled_from(
                [
                    ("approvals", {"remind_after_days": 5}),
                    ("approvals", {"remind_after_days": 10**15}),
                    ("approvals", {"remind_after_days": SUPERSCRIPT_TWO}),
                    ("sla", {"policies": [{**POLICIES[0], "at_risk": 0.5}, POLICIES[1]]}),
                    ("sla", {"policies": POLICIES}),
                    ("workload", {"horizon_days": 20}),
                    ("workload", {"horizon_days": 999_999_999_999_999}),
                    ("workload", {"default_estimate": 1e308}),
                    ("competency", {"busy_at": 3}),
                    ("competency", {"busy_at": 10**12}),
                ]
            ),
        )
        def change_settings(self, actor, change):
            plugin, values = change
            url = f"/api/v1/boards/{self.w.board_id}/plugins/{plugin}/settings"
            self.call(actor, "put", url, {"settings": values})

        @rule(
            actor=st.sampled_from(ACTORS),
            address=st.sampled_from(WEIRD_IDS),
            what=st.sampled_from(["card", "events", "board", "sprint", "move"]),
        )
        def bad_ids(self, actor, address, what):
            """Unicode digits and other non-ids in addresses: a clean 4xx, never a 500."""
            if what == "move":
                self.call(actor, "post", f"/api/v1/cards/{address}/move", {"column_id": 1})
            else:
                url = {
                    "card": f"/api/v1/cards/{address}",
                    "events": f"/api/v1/cards/{address}/events",
                    "board": f"/api/v1/boards/{address}",
                    "sprint": f"/api/v1/sprints/{address}",
                }[what]
                self.call(actor, "get", url)

        # -- invariants ---------------------------------------------------------------------------

        def read_state(self) -> dict:
            board_id = self.w.board_id
            rows = card_rows(board_id)
            states = paraf.states_of(list(rows))
            plugin_rows = db.session.scalars(
                select(BoardPlugin).where(BoardPlugin.board_id == board_id)
            )
            return {
                "cards": rows,
                "events": event_rows(),
                "paraf_states": states,
                "paraf": {card_id: paraf_summary(state) for card_id, state in states.items()},
                "settings": {
                    row.plugin: (row.enabled, json.dumps(row.settings, sort_keys=True))
                    for row in plugin_rows
                },
                "deadlines": db.session.execute(
                    select(
                        DeadlineChange.id,
                        DeadlineChange.card_id,
                        DeadlineChange.old_date,
                        DeadlineChange.new_date,
                        DeadlineChange.reason,
                    )
                ).all(),
            }

        @invariant()
        def rules_hold(self):
            with self.app.app_context():
                before, now = self.snapshot, self.read_state()
                self.snapshot = now
                if now == before:
                    return  # a refused request: nothing to check again
                columns = {
                    c.id: c
                    for c in db.session.scalars(
                        select(BoardColumn).where(BoardColumn.board_id == self.w.board_id)
                    )
                }
                units = {u.id: u for u in db.session.scalars(select(Unit))}
                people = {u.id: u for u in db.session.scalars(select(User))}
                check_events_append_only(before, now)
                check_no_card_lost(before, now)
                check_changes_audited(before, now)
                check_positions(now, columns)
                check_wip_limits(now, columns, people, self.w)
                check_deadlines(before, now)
                check_paraf_gate(now, columns)
                check_no_self_approval(now, people)
                check_one_step_per_person(now, people)
                check_reassignments(now, people, units)
            self.check_clocks()

        def check_clocks(self):
            """No SLA clock vanished: read through the plugin's card API hook, what the card
            API shows as `plugins.sla` (and the board and the compliance report show)."""
            with self.app.app_context():
                board = db.session.get(Board, self.w.board_id)
                every = db.session.scalars(select(Card).where(Card.board_id == board.id)).all()
                clocked = set(sla_plugin.cergas_card_api(cards=every, board=board) or {})
            vanished = self.clocked - clocked
            assert not vanished, f"SLA clock vanished for cards {sorted(vanished)}"
            self.clocked |= clocked

    return RulesMachine


# --- the checks ----------------------------------------------------------------------------------


def new_events(before: dict, now: dict, card_id: int | None = None) -> list[tuple]:
    return [
        (event_id, *row)
        for event_id, row in now["events"].items()
        if event_id not in before["events"] and (card_id is None or row[1] == card_id)
    ]


def check_events_append_only(before, now):
    for event_id, row in before["events"].items():
        assert event_id in now["events"], f"audit event {event_id} ({row[0]}) was deleted"
        assert now["events"][event_id] == row, f"audit event {event_id} was altered"


def check_no_card_lost(before, now):
    lost = set(before["cards"]) - set(now["cards"])
    assert not lost, f"cards {sorted(lost)} disappeared"


def check_changes_audited(before, now):
    """Every change of a card, of its paraf state and of the plugin settings has its event."""
    for card_id, card in now["cards"].items():
        kinds = new_events(before, now, card_id)
        seen = {row[1] for row in kinds}
        old = before["cards"].get(card_id)
        if old is None:
            assert "created" in seen, f"card {card_id} created without a `created` event"
            continue
        where = f"card {card_id}"
        if old["column_id"] != card["column_id"]:
            moved = [
                row
                for row in kinds
                if row[1] == "moved" and json.loads(row[5]).get("to_column_id") == card["column_id"]
            ]
            assert moved, f"{where} changed column without a `moved` event"
        updated = set()
        for row in kinds:
            if row[1] == "updated":
                updated |= set(json.loads(row[5]).get("changes", {}))
        for name in (*CONTENT, "due_date"):
            if old[name] == card[name]:
                continue
            if name == "due_date" and old[name] is not None:
                assert "deadline_changed" in seen, f"{where}: due date moved without its event"
            else:
                assert name in updated, f"{where}: {name} changed without an `updated` event"
        if old["assignee_id"] != card["assignee_id"]:
            assert "assigned" in seen, f"{where}: assignee changed without an `assigned` event"
        if old["sprint_id"] != card["sprint_id"]:
            sprint_kinds = {"sprint_card_added", "sprint_card_removed", "sprint_carried_over"}
            assert seen & sprint_kinds, f"{where}: sprint changed without its event"
        if before["paraf"].get(card_id) != now["paraf"].get(card_id):
            assert any(kind.startswith("approval_") for kind in seen), (
                f"{where}: paraf state {before['paraf'].get(card_id)} -> "
                f"{now['paraf'].get(card_id)} without an approval event"
            )
    if before["settings"] != now["settings"]:
        kinds = {row[1] for row in new_events(before, now)}
        assert "plugin_settings_changed" in kinds, "plugin settings changed without an event"


def check_positions(now, columns):
    for column_id in columns:
        positions = sorted(
            c["position"] for c in now["cards"].values() if c["column_id"] == column_id
        )
        assert positions == list(range(len(positions))), (
            f"positions in column {columns[column_id].name}: {positions}"
        )


def entries_and_overrides(now) -> dict[int, list[tuple]]:
    """card id -> its events in order, as (kind, data)."""
    history: dict[int, list[tuple]] = {}
    for _event_id, (kind, card_id, _actor, _at, data) in sorted(now["events"].items()):
        if card_id is not None:
            history.setdefault(card_id, []).append((kind, json.loads(data)))
    return history


def overridden_since_entry(history: list[tuple], column, limit_code: str, **match) -> bool:
    """Whether the card's last entry into `column` was followed by an override of that limit."""
    entered = None
    for index, (kind, data) in enumerate(history):
        if (kind == "created" and data.get("column") == column.name) or (
            kind == "moved" and data.get("to_column_id") == column.id
        ):
            entered = index
    if entered is None:
        return False
    return any(
        kind == "wip_override"
        and data.get("limit") == limit_code
        and all(data.get(key) == value for key, value in match.items())
        for kind, data in history[entered:]
    )


def check_wip_limits(now, columns, people, world):
    history = entries_and_overrides(now)
    for column in columns.values():
        if column.wip_limit is None or column.wip_policy != "hard":
            continue
        inside = [card_id for card_id, c in now["cards"].items() if c["column_id"] == column.id]
        excess = len(inside) - column.wip_limit
        if excess > 0:
            overridden = [
                card_id
                for card_id in inside
                if overridden_since_entry(
                    history.get(card_id, []), column, "wip_limit_reached", column=column.name
                )
            ]
            assert len(overridden) >= excess, (
                f"column {column.name} holds {len(inside)} cards, hard limit "
                f"{column.wip_limit}, overrides only for {overridden}"
            )
    active = {cid for cid, c in columns.items() if c.kind == "active"}
    held: dict[int, list[int]] = {}
    for card_id, card in now["cards"].items():
        if card["column_id"] in active and card["assignee_id"] is not None:
            held.setdefault(card["assignee_id"], []).append(card_id)
    for user_id, card_ids in held.items():
        excess = len(card_ids) - PERSONAL_LIMIT
        if excess > 0:
            login = people[user_id].login
            overridden = [
                card_id
                for card_id in card_ids
                if any(
                    kind == "wip_override"
                    and data.get("limit") == "personal_wip_limit_reached"
                    and data.get("assignee") == login
                    for kind, data in history.get(card_id, [])
                )
            ]
            assert len(overridden) >= excess, (
                f"{login} holds {len(card_ids)} active cards, personal limit "
                f"{PERSONAL_LIMIT}, overrides only for {overridden}"
            )


def check_deadlines(before, now):
    for row in now["deadlines"]:
        assert row.reason and row.reason.strip(), f"deadline change {row.id} has no reason"
    fresh = {(row.card_id, row.old_date, row.new_date) for row in now["deadlines"]} - {
        (row.card_id, row.old_date, row.new_date) for row in before["deadlines"]
    }
    for card_id, card in now["cards"].items():
        old = before["cards"].get(card_id)
        if old and old["due_date"] is not None and old["due_date"] != card["due_date"]:
            assert (card_id, old["due_date"], card["due_date"]) in fresh, (
                f"card {card_id}: due date {old['due_date']} -> {card['due_date']} "
                "without a deadline change and its reason"
            )


def check_paraf_gate(now, columns):
    history = entries_and_overrides(now)
    for card_id, card in now["cards"].items():
        if columns[card["column_id"]].kind != "done" or card["type"] != CHAINED:
            continue
        state = now["paraf_states"].get(card_id)
        where = f"card {card_id} ({card['type']}) in {columns[card['column_id']].name}"
        assert state and state.get("state") == "approved", (
            f"{where} without an approved paraf: {paraf_summary(state)}"
        )
        events = history.get(card_id, [])
        last_approval = max(
            (i for i, (kind, _data) in enumerate(events) if kind == "approval_approved"),
            default=None,
        )
        assert last_approval is not None, f"{where}: approved state without an approval event"
        for kind, data in events[last_approval:]:
            changed = set(data.get("changes", {})) & set(CONTENT) if kind == "updated" else set()
            assert not changed, f"{where}: {sorted(changed)} changed after the approval"
        stamp = stamp_of(state)
        if stamp is not None:
            assert content_matches(stamp, card), f"{where}: approved {stamp!r}, card is {card}"


def card_histories(now) -> dict[int, list[tuple]]:
    """card id -> its events in order, as (kind, actor id, data)."""
    history: dict[int, list[tuple]] = {}
    for _event_id, (kind, card_id, actor, _at, data) in sorted(now["events"].items()):
        if card_id is not None:
            history.setdefault(card_id, []).append((kind, actor, json.loads(data)))
    return history


def check_no_self_approval(now, people):
    """Nobody approves a card they created, or were assignee of at any time in the round."""
    login_of = {user.id: user.login for user in people.values()}
    for card_id, events in card_histories(now).items():
        card = now["cards"].get(card_id)
        assignee, round_people = None, set()
        for kind, actor, data in events:
            if kind == "created":
                # A card created into its review column: its round's first request may come
                # before the `created` event, in the same transaction.
                assignee = data.get("assignee")
                round_people.add(assignee)
            elif kind == "assigned":
                assignee = data.get("new")
                round_people.add(assignee)
            elif kind == "approval_requested" and data.get("step") == 1:
                round_people = {assignee}
            elif kind == "approval_approved":
                who = login_of.get(actor)
                where = f"card {card_id} round {data.get('round')} step {data.get('step')}"
                assert actor != card["created_by_id"], f"{where}: approved by its creator {who}"
                assert who not in round_people, (
                    f"{where}: approved by {who}, assignee during the round ({round_people})"
                )


def check_one_step_per_person(now, people):
    """One person decides at most one step of a round (in person or as Plh/Plt)."""
    login_of = {user.id: user.login for user in people.values()}
    for card_id, events in card_histories(now).items():
        deciders: dict[int, list] = {}
        for kind, actor, data in events:
            if kind == "approval_approved":
                decided = deciders.setdefault(data.get("round"), [])
                decided.append(login_of.get(actor))
                assert len(decided) == len(set(decided)), (
                    f"card {card_id} round {data.get('round')}: one person decided two steps: "
                    f"{decided}"
                )


def check_reassignments(now, people, units):
    """A step is reassigned by an admin or a head of a unit above the step's post, and never to
    the one who reassigns it."""
    login_of = {user.id: user.login for user in people.values()}
    by_login = {user.login: user for user in people.values()}
    heads_of: dict[int, set] = {}
    units_of: dict[int, set] = {}
    for user in people.values():
        for membership in user.memberships:
            units_of.setdefault(user.id, set()).add(membership.unit_id)
            if membership.role == "head":
                heads_of.setdefault(membership.unit_id, set()).add(user.id)
    for card_id, events in card_histories(now).items():
        for kind, actor, data in events:
            if kind != "approval_reassigned":
                continue
            who = login_of.get(actor)
            where = f"card {card_id} step {data.get('step')}"
            assert data.get("new") != who, f"{where}: {who} reassigned a step to themself"
            if people[actor].is_admin:
                continue
            spec = CHAIN["steps"][data["step"] - 1]
            if "head_of" in spec:
                posts = {u.id for u in units.values() if u.code == spec["head_of"]}
            else:
                posts = units_of.get(by_login[spec["user"]].id, set())
            above = {
                head
                for post in posts
                for unit_id in unit_ancestors(units, post)
                for head in heads_of.get(unit_id, ())
            }
            assert actor in above, f"{where}: reassigned by {who}, who is not above the step's post"


def test_the_rules_hold_on_random_sequences(office):
    machine = make_machine(office)
    run_settings = settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        derandomize=not LONG_RUN and SEED is None,
        deadline=None,
        database=None,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
    )
    if SEED is not None:
        machine = seed(int(SEED))(machine)
    run_state_machine_as_test(machine, settings=run_settings)
