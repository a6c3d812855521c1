"""approvals: own tables for rounds, steps, the inbox index and Plh/Plt delegations; the
key-value records of earlier releases (plugin_data rows `card/<id>`, `pending/<id>`,
`delegation/<id>` of plugin `approvals`) are converted into them and then deleted (the tables
are the only record from now on; a downgrade writes them back).

Revision ID: approvals_0001
Revises:
Create Date: 2026-12-20 10:00:00

"""

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "approvals_0001"
down_revision = None
branch_labels = ("approvals",)
depends_on = None
# The core revision this branch needs (checked by app/plugin_schema.py before it runs).
requires_core = "0010_office_administration"

PLUGIN = "approvals"
plugin_data = sa.table(
    "plugin_data",
    sa.column("id", sa.Integer),
    sa.column("plugin", sa.String),
    sa.column("key", sa.String),
    sa.column("value", sa.JSON),
    sa.column("updated_at", sa.DateTime),
)
ROUND_FIELDS = (
    "state",
    "round",
    "board_id",
    "tz",
    "type",
    "review_column",
    "return_column",
    "current_step",
    "content_stamp",
    "stamp",
)
STEP_FIELDS = (
    "spec",
    "label",
    "approver_id",
    "status",
    "by_id",
    "as_id",
    "as_kind",
    "note",
    "stamp",
    "reassigned_by_id",
)


def _moment(text):
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _iso(moment):
    if moment is None:
        return None
    if isinstance(moment, str):  # SQLite hands back what it stored
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _day(text):
    return date.fromisoformat(text) if text else None


def _day_text(value):
    if value is None:
        return None
    return value if isinstance(value, str) else value.isoformat()


def create_tables():
    op.create_table(
        "approvals_rounds",
        sa.Column("card_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("review_column", sa.String(length=120), nullable=False),
        sa.Column("return_column", sa.String(length=120), nullable=False),
        sa.Column("current_step", sa.Integer(), nullable=True),
        sa.Column("since", sa.DateTime(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.Column("content_stamp", sa.String(length=64), nullable=True),
        sa.Column("stamp", sa.String(length=64), nullable=True),
        sa.Column("assignees", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("card_id", name=op.f("pk_approvals_rounds")),
    )
    op.create_index("ix_approvals_rounds_board_id_state", "approvals_rounds", ["board_id", "state"])
    op.create_table(
        "approvals_steps",
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("approver_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=True),
        sa.Column("as_id", sa.Integer(), nullable=True),
        sa.Column("as_kind", sa.String(length=8), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("stamp", sa.String(length=64), nullable=True),
        sa.Column("reassigned_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["approvals_rounds.card_id"],
            name=op.f("fk_approvals_steps_card_id_approvals_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("card_id", "number", name=op.f("pk_approvals_steps")),
    )
    op.create_table(
        "approvals_pending",
        sa.Column("card_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("approver_id", sa.Integer(), nullable=True),
        sa.Column("head_of", sa.String(length=64), nullable=True),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("card_id", name=op.f("pk_approvals_pending")),
    )
    op.create_index(op.f("ix_approvals_pending_approver_id"), "approvals_pending", ["approver_id"])
    op.create_index(op.f("ix_approvals_pending_head_of"), "approvals_pending", ["head_of"])
    op.create_table(
        "approvals_delegations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("from_id", sa.Integer(), nullable=False),
        sa.Column("to_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals_delegations")),
    )
    op.create_index(op.f("ix_approvals_delegations_from_id"), "approvals_delegations", ["from_id"])
    op.create_index("ix_approvals_delegations_to_id_end", "approvals_delegations", ["to_id", "end"])


def tables():
    meta = sa.MetaData()
    meta.reflect(
        bind=op.get_bind(),
        only=["approvals_rounds", "approvals_steps", "approvals_pending", "approvals_delegations"],
    )
    return meta.tables


def upgrade():
    create_tables()
    bind = op.get_bind()
    found = bind.execute(
        sa.select(plugin_data.c.key, plugin_data.c.value).where(
            plugin_data.c.plugin == PLUGIN,
            sa.or_(
                plugin_data.c.key.startswith("card/"),
                plugin_data.c.key.startswith("pending/"),
                plugin_data.c.key.startswith("delegation/"),
            ),
        )
    ).all()
    rounds, steps, pending, delegations = [], [], [], []
    for key, value in found:
        kind, _slash, ident = key.partition("/")
        if not isinstance(value, dict):
            continue
        if kind == "card":
            card_id = int(ident)
            rounds.append(
                {
                    "card_id": card_id,
                    **{name: value.get(name) for name in ROUND_FIELDS},
                    "tz": value.get("tz") or "Asia/Jakarta",
                    "since": _moment(value.get("since")),
                    "started_at": _moment(value.get("started_at")),
                    "finished_at": _moment(value.get("finished_at")),
                    "reminded_on": _day(value.get("reminded_on")),
                    "assignees": list(value.get("assignees") or []),
                }
            )
            for number, step in enumerate(value.get("steps") or [], start=1):
                steps.append(
                    {
                        "card_id": card_id,
                        "number": number,
                        **{name: step.get(name) for name in STEP_FIELDS},
                        "spec": dict(step.get("spec") or {}),
                        "at": _moment(step.get("at")),
                    }
                )
        elif kind == "pending":
            pending.append(
                {
                    "card_id": int(ident),
                    "approver_id": value.get("approver_id"),
                    "head_of": value.get("head_of"),
                    "board_id": value.get("board_id"),
                    "since": _moment(value.get("since")),
                    "tz": value.get("tz") or "Asia/Jakarta",
                }
            )
        elif kind == "delegation":
            delegations.append(
                {
                    "id": value.get("id") or ident,
                    "from_id": value["from_id"],
                    "to_id": value["to_id"],
                    "kind": value["kind"],
                    "start": _day(value["start"]),
                    "end": _day(value["end"]),
                    "created_by_id": value.get("created_by_id"),
                    "created_at": _moment(value.get("created_at")) or datetime(1970, 1, 1),
                    "revoked_at": _moment(value.get("revoked_at")),
                    "revoked_by_id": value.get("revoked_by_id"),
                }
            )
    table = tables()
    for name, rows in (
        ("approvals_rounds", rounds),
        ("approvals_steps", steps),
        ("approvals_pending", pending),
        ("approvals_delegations", delegations),
    ):
        if rows:
            bind.execute(table[name].insert(), rows)
    if found:
        bind.execute(
            plugin_data.delete().where(
                plugin_data.c.plugin == PLUGIN,
                plugin_data.c.key.in_([key for key, _value in found]),
            )
        )


def downgrade():
    """Back to the key-value records of earlier releases, then the tables go."""
    bind = op.get_bind()
    table = tables()
    now = datetime.now(UTC).replace(tzinfo=None)
    records = []
    steps_of: dict = {}
    for row in bind.execute(
        sa.select(table["approvals_steps"]).order_by(
            table["approvals_steps"].c.card_id, table["approvals_steps"].c.number
        )
    ).mappings():
        step = {name: row[name] for name in STEP_FIELDS}
        step["at"] = _iso(row["at"])
        for name in ("stamp", "reassigned_by_id"):
            if step[name] is None:
                del step[name]
        steps_of.setdefault(row["card_id"], []).append(step)
    for row in bind.execute(sa.select(table["approvals_rounds"])).mappings():
        state = {name: row[name] for name in ROUND_FIELDS}
        state.update(
            since=_iso(row["since"]),
            started_at=_iso(row["started_at"]),
            finished_at=_iso(row["finished_at"]),
            reminded_on=_day_text(row["reminded_on"]),
            assignees=list(row["assignees"] or []),
            steps=steps_of.get(row["card_id"], []),
        )
        records.append((f"card/{row['card_id']}", state))
    for row in bind.execute(sa.select(table["approvals_pending"])).mappings():
        records.append(
            (
                f"pending/{row['card_id']}",
                {
                    "approver_id": row["approver_id"],
                    "since": _iso(row["since"]),
                    "board_id": row["board_id"],
                    "tz": row["tz"],
                    "head_of": row["head_of"],
                },
            )
        )
    for row in bind.execute(sa.select(table["approvals_delegations"])).mappings():
        records.append(
            (
                f"delegation/{row['id']}",
                {
                    "id": row["id"],
                    "from_id": row["from_id"],
                    "to_id": row["to_id"],
                    "kind": row["kind"],
                    "start": _day_text(row["start"]),
                    "end": _day_text(row["end"]),
                    "created_by_id": row["created_by_id"],
                    "created_at": _iso(row["created_at"]),
                    "revoked_at": _iso(row["revoked_at"]),
                    "revoked_by_id": row["revoked_by_id"],
                },
            )
        )
    if records:
        bind.execute(
            plugin_data.insert(),
            [
                {"plugin": PLUGIN, "key": key, "value": value, "updated_at": now}
                for key, value in records
            ],
        )
    op.drop_table("approvals_delegations")
    op.drop_table("approvals_pending")
    op.drop_table("approvals_steps")
    op.drop_table("approvals_rounds")
