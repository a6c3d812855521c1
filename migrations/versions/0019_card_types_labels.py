"""card types and labels managed per board, with display names and colours (issue 26)

Every board gets a row for each type and label already in use on it (its cards, its card
templates, the card types its plugins' settings name: SLA policies, paraf chains) and for the
default types, named from a known map or the key humanised.

Revision ID: 0019_card_types_labels
Revises: 0018_search
Create Date: 2026-12-07 12:40:00

"""

import json
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019_card_types_labels"
down_revision = "0018_search"
branch_labels = None
depends_on = None

# Frozen copies of app/services/card_types.py DEFAULT_TYPES and KNOWN_NAMES (a migration must
# not change when the code does).
DEFAULT_TYPES = (
    ("tugas", "Tugas", "grey"),
    ("surat-masuk", "Surat masuk", "blue"),
    ("surat-keluar", "Surat keluar", "teal"),
    ("nota-dinas", "Nota dinas", "purple"),
    ("perizinan", "Perizinan", "green"),
    ("pengaduan", "Pengaduan", "red"),
    ("laporan", "Laporan", "yellow"),
    ("rapat", "Rapat", "orange"),
)
KNOWN_NAMES = {
    **{key: name for key, name, _colour in DEFAULT_TYPES},
    "permohonan-informasi": "Permohonan informasi",
    "keberatan": "Keberatan",
    "informasi-publik": "Informasi publik",
    "izin": "Izin",
    "bug": "Gangguan aplikasi",
    "perjalanan-dinas": "Perjalanan dinas",
    "surat-tugas": "Surat tugas",
    "spbe": "SPBE",
    "ppid": "PPID",
    "bps": "BPS",
    "sop": "SOP",
    "apbd": "APBD",
    "skp": "SKP",
    "lakip": "LAKIP",
    "rutin": "Rutin",
    "penting": "Penting",
    "mendesak": "Mendesak",
    "data": "Data",
}


def humanise(key):
    if key in KNOWN_NAMES:
        return KNOWN_NAMES[key]
    words = " ".join(re.split(r"[-_\s]+", key)).strip()
    return (words[:1].upper() + words[1:])[:80] if words else key


def _columns():
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("colour", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("archived_at", sa.DateTime(), nullable=True),
    ]


def _constraints(name):
    return (
        sa.ForeignKeyConstraint(
            ["board_id"], ["boards.id"], name=op.f(f"fk_{name}_board_id_boards"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint("board_id", "key", name=op.f(f"uq_{name}_board_id")),
    )


def upgrade():
    for name in ("card_types", "labels"):
        op.create_table(name, *_columns(), *_constraints(name))
        op.create_index(op.f(f"ix_{name}_board_id"), name, ["board_id"], unique=False)
    _fill()


def _as_list(value):
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return value if isinstance(value, list) else []


def _as_dict(value):
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def _fill():
    bind = op.get_bind()
    board_ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM boards ORDER BY id"))]
    types = {board_id: [key for key, _name, _colour in DEFAULT_TYPES] for board_id in board_ids}
    labels = {board_id: [] for board_id in board_ids}

    def add(found, board_id, key):
        if isinstance(key, str) and key and len(key) <= 40 and key not in found[board_id]:
            found[board_id].append(key)

    for source in ("cards", "card_templates"):
        rows = bind.execute(sa.text(f"SELECT board_id, type, labels FROM {source} ORDER BY id"))
        for board_id, card_type, card_labels in rows:
            add(types, board_id, card_type)
            for label in _as_list(card_labels):
                if isinstance(label, str) and not label.startswith("skill:"):
                    add(labels, board_id, label)
    for board_id, settings in bind.execute(sa.text("SELECT board_id, settings FROM board_plugins")):
        for value in _as_dict(settings).values():
            for item in value if isinstance(value, list) else ():
                if isinstance(item, dict):
                    add(types, board_id, item.get("type"))

    colours = {key: colour for key, _name, colour in DEFAULT_TYPES}
    for name, found in (("card_types", types), ("labels", labels)):
        rows = [
            {
                "board_id": board_id,
                "key": key,
                "name": humanise(key),
                "colour": colours.get(key, "grey") if name == "card_types" else "grey",
                "position": position,
            }
            for board_id, keys in found.items()
            for position, key in enumerate(keys)
        ]
        if rows:
            op.bulk_insert(sa.table(name, *[sa.column(c.name) for c in _columns()[1:]]), rows)


def downgrade():
    for name in ("labels", "card_types"):
        op.drop_index(op.f(f"ix_{name}_board_id"), table_name=name)
        op.drop_table(name)
