"""A board's card types and labels (app/models/card_type.py): what a card of the board may
carry, how it reads and its colour.

Use cases for the board's managers: add, rename, recolour, archive (and bring back), reorder;
each one audited. Readers: `lists_for` (the pickers and the display names of a board, one
query), `clean_type` / `clean_labels` (every path that writes a card's type or labels: the
card forms, quick-add, the API, imports, templates and so recurrences, the CLI and the plugin
helpers all end in `cards.clean_card_fields` or `card_templates`' cleaner, which call them).

A type or label is given by its key or by its display name (any case), so a spreadsheet that
says "Surat keluar" imports as `surat-keluar`; anything else is refused with a message naming
the board's list. Skill labels (`skill:<slug>`, read by the workload and competency plugins)
come from the office's skill catalogue, not from the board's list.
"""

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import func, literal, select, union_all

from app.extensions import db
from app.models import COLOURS, Board, CardType, Label, Skill, User, utcnow
from app.services import validation as v
from app.services.access import managed_board
from app.services.audit import record
from app.services.errors import Conflict, Invalid, NotFound
from app.services.tx import write_transaction

KINDS = {"type": CardType, "label": Label}
SKILL_PREFIX = "skill:"

# The types every new board starts with (key, display name, colour). The names are stored data
# in the office's language; managers rename them on the board's settings page.
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

# Display names for keys met in existing data and the demo (migration 0019 uses it too);
# any other key is humanised ("rapat-koordinasi" -> "Rapat koordinasi").
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


def humanise(key: str) -> str:
    """A readable name for a stored key: a known one, else words with a capital first."""
    if key in KNOWN_NAMES:
        return KNOWN_NAMES[key]
    words = " ".join(re.split(r"[-_\s]+", key)).strip()
    return (words[:1].upper() + words[1:])[:80] if words else key


def key_from_name(name: str, taken) -> str:
    """The stored key of a new entry: the name in lowercase words joined by hyphens, made unique
    on the board (`-2`, `-3` ...)."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:36] or "jenis"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


@dataclass
class BoardLists:
    """A board's types and labels by key (archived ones too: they still name cards)."""

    types: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)
    # The skill catalogue by slug, read on the first skill label named (one query).
    skills: dict | None = None

    def offered_types(self, keep=None) -> list:
        return [t for t in self.types.values() if t.archived_at is None or t.key == keep]

    def offered_labels(self, keep=()) -> list:
        return [x for x in self.labels.values() if x.archived_at is None or x.key in keep]

    def type_name(self, key: str) -> str:
        row = self.types.get(key)
        return row.name if row is not None else humanise(key)

    def type_colour(self, key: str) -> str:
        row = self.types.get(key)
        return row.colour if row is not None else "grey"

    def label_name(self, key: str) -> str:
        row = self.labels.get(key)
        if row is not None:
            return row.name
        if key.startswith(SKILL_PREFIX):
            if self.skills is None:
                self.skills = _skills()
            skill = self.skills.get(key[len(SKILL_PREFIX) :])
            if skill is not None:
                return skill.name
        return humanise(key)

    def label_colour(self, key: str) -> str:
        row = self.labels.get(key)
        return row.colour if row is not None else "grey"


def _skills() -> dict[str, Skill]:
    return {s.slug: s for s in db.session.scalars(select(Skill))}


def skill_label_name(key: str) -> str | None:
    """The display name of a skill label (`skill:graphic-design` -> "Desain grafis")."""
    if not key.startswith(SKILL_PREFIX):
        return None
    skill = db.session.scalar(select(Skill).where(Skill.slug == key[len(SKILL_PREFIX) :]))
    return skill.name if skill is not None else None


class Entry(NamedTuple):
    """A type or label as the lists read it (one statement for both tables)."""

    kind: str
    id: int
    board_id: int
    key: str
    name: str
    colour: str
    position: int
    archived_at: object


def _entries(model, kind: str, ids):
    t = model.__table__
    return select(
        literal(kind).label("kind"),
        t.c.id,
        t.c.board_id,
        t.c.key,
        t.c.name,
        t.c.colour,
        t.c.position,
        t.c.archived_at,
    ).where(t.c.board_id.in_(ids))


def lists_for(board_ids) -> dict[int, BoardLists]:
    """The lists of several boards at once: one query whatever the number of boards and cards
    (a board page counts its queries)."""
    ids = sorted(set(board_ids))
    found = {board_id: BoardLists() for board_id in ids}
    if not ids:
        return found
    both = union_all(_entries(CardType, "type", ids), _entries(Label, "label", ids)).subquery()
    rows = db.session.execute(select(both).order_by(both.c.kind, both.c.position, both.c.id)).all()
    for row in rows:
        entry = Entry(*row)
        lists = found[entry.board_id]
        (lists.types if entry.kind == "type" else lists.labels)[entry.key] = entry
    return found


def lists_of(board_id: int) -> BoardLists:
    return lists_for([board_id])[board_id]


def _match(rows: dict, value: str):
    if value in rows:
        return rows[value]
    folded = " ".join(value.split()).casefold()
    for row in rows.values():
        if row.name.casefold() == folded:
            return row
    return None


def _names(rows) -> str:
    return ", ".join(row.name for row in rows) or _("(none)")


def clean_type(board: Board, value, *, keep: str | None = None) -> str:
    """A card type for a card of `board`: the key of one of its types that is not archived
    (`keep`: the card's current type, accepted even when archived since)."""
    lists = lists_of(board.id)
    if value is None or value == "":
        offered = lists.offered_types(keep)
        if keep is not None:
            return keep
        if "tugas" in lists.types and lists.types["tugas"].archived_at is None:
            return "tugas"
        if offered:
            return offered[0].key
        raise v.FieldError(_("This board has no card types; a manager adds them in settings."))
    if not isinstance(value, str):
        raise v.FieldError(_("Choose a card type from the board's list."))
    row = _match(lists.types, value.strip())
    if row is None or (row.archived_at is not None and row.key != keep):
        raise v.FieldError(
            _(
                "This board has no card type “%(value)s”. Choose one of: %(names)s.",
                value=value.strip()[:40],
                names=_names(lists.offered_types(keep)),
            )
        )
    return row.key


def clean_labels(board: Board, value, *, keep=()) -> list[str]:
    """Labels for a card of `board`: keys (or names) of its labels that are not archived, and
    skill labels of skills in the catalogue (`keep`: the card's current labels)."""
    given = v.labels(value)
    if not given:
        return []
    lists = lists_of(board.id)
    skills = None
    cleaned, unknown = [], []
    for item in given:
        if item.casefold().startswith(SKILL_PREFIX):
            skills = _skills() if skills is None else skills
            item = item.casefold()  # "Skill:Graphic-Design" is skill:graphic-design
            skill = skills.get(item[len(SKILL_PREFIX) :])
            key = item if skill is not None and (skill.active or item in keep) else None
        else:
            row = _match(lists.labels, item)
            key = (
                row.key
                if row is not None and (row.archived_at is None or row.key in keep)
                else None
            )
        if key is None:
            unknown.append(item)
        elif key not in cleaned:
            cleaned.append(key)
    if unknown:
        if not lists.offered_labels(keep):
            raise v.FieldError(
                _("This board has no labels yet; a manager adds them in the board's settings.")
            )
        raise v.FieldError(
            _(
                "This board has no label “%(value)s”. Choose from: %(names)s.",
                value=unknown[0][:40],
                names=_names(lists.offered_labels(keep)),
            )
        )
    return cleaned


# --- use cases ---------------------------------------------------------------------------


def _kind(kind: str):
    if kind not in KINDS:
        raise NotFound("not_found", _("Not found."))
    return KINDS[kind]


def _clean_name(value) -> str:
    try:
        return v.text(value, field_max=80, required=True)
    except v.FieldError as exc:
        raise v.invalid({"name": str(exc)}) from None


def _clean_colour(value, default=None) -> str:
    try:
        return v.choice(value, COLOURS, default=default)
    except v.FieldError:
        raise v.invalid({"colour": _("Choose one of the colours offered.")}) from None


def _rows(model, board_id: int) -> list:
    return list(
        db.session.scalars(
            select(model).where(model.board_id == board_id).order_by(model.position, model.id)
        )
    )


def _require_unique_name(rows, name: str, except_id=None) -> None:
    if any(r.name.casefold() == name.casefold() and r.id != except_id for r in rows):
        raise Invalid(
            "duplicate_name",
            _("The board already has an entry with this name."),
            {"name": _("Choose another name.")},
        )


def _entry(model, actor: User, entry_id):
    try:
        entry_id = v.record_id(entry_id)
    except v.FieldError:
        raise NotFound("not_found", _("Not found.")) from None
    row = db.session.get(model, entry_id)
    if row is None:
        raise NotFound("not_found", _("Not found."))
    managed_board(actor, row.board_id)
    return row


def _event_kind(model, verb: str) -> str:
    return f"{'card_type' if model is CardType else 'label'}_{verb}"


def add(actor: User, kind: str, board_id, name, colour=None):
    """A new type or label on the board; its key is derived from the name."""
    model = _kind(kind)
    name = _clean_name(name)
    colour = _clean_colour(colour, default="grey")
    with write_transaction():
        board = managed_board(actor, board_id)
        rows = _rows(model, board.id)
        _require_unique_name(rows, name)
        row = model(
            board_id=board.id,
            key=key_from_name(name, {r.key for r in rows}),
            name=name,
            colour=colour,
            position=len(rows),
        )
        db.session.add(row)
        record(_event_kind(model, "added"), actor, board_id=board.id, key=row.key, name=name)
    return row


def rename(actor: User, kind: str, entry_id, name):
    """A new display name; the key (and every rule keyed on it) stays."""
    model = _kind(kind)
    name = _clean_name(name)
    with write_transaction():
        row = _entry(model, actor, entry_id)
        _require_unique_name(_rows(model, row.board_id), name, except_id=row.id)
        if row.name != name:
            old, row.name = row.name, name
            record(
                _event_kind(model, "renamed"),
                actor,
                board_id=row.board_id,
                key=row.key,
                old=old,
                new=name,
            )
    return row


def edit(actor: User, kind: str, entry_id, name, colour=None):
    """Rename and recolour at once (the settings form): one transaction, one event each."""
    with write_transaction():
        row = rename(actor, kind, entry_id, name)
        if colour not in (None, ""):
            recolour(actor, kind, entry_id, colour)
    return row


def recolour(actor: User, kind: str, entry_id, colour):
    model = _kind(kind)
    colour = _clean_colour(colour)
    with write_transaction():
        row = _entry(model, actor, entry_id)
        if row.colour != colour:
            row.colour = colour
            record(
                _event_kind(model, "recoloured"),
                actor,
                board_id=row.board_id,
                key=row.key,
                name=row.name,
                colour=colour,
            )
    return row


def archive(actor: User, kind: str, entry_id, archived: bool = True):
    """Archive (offered for nothing new; still names its cards) or bring back an entry. The
    board keeps at least one card type."""
    model = _kind(kind)
    with write_transaction():
        row = _entry(model, actor, entry_id)
        if archived and row.archived_at is None:
            if model is CardType:
                live = db.session.scalar(
                    select(func.count())
                    .select_from(CardType)
                    .where(CardType.board_id == row.board_id, CardType.archived_at.is_(None))
                )
                if live <= 1:
                    raise Conflict(
                        "last_card_type",
                        _("A board keeps at least one card type."),
                    )
            row.archived_at = utcnow()
            verb = "archived"
        elif not archived and row.archived_at is not None:
            row.archived_at = None
            verb = "restored"
        else:
            return row
        record(_event_kind(model, verb), actor, board_id=row.board_id, key=row.key, name=row.name)
    return row


def reorder(actor: User, kind: str, board_id, ids):
    """Put the board's entries in the order of `ids` (each of them exactly once)."""
    model = _kind(kind)
    if not isinstance(ids, list):
        raise v.invalid({"order": _("Give the entries in their new order.")})
    try:
        wanted = [v.record_id(i) for i in ids]
    except v.FieldError:
        raise v.invalid({"order": _("Give the entries in their new order.")}) from None
    with write_transaction():
        board = managed_board(actor, board_id)
        rows = {r.id: r for r in _rows(model, board.id)}
        if sorted(wanted) != sorted(rows):
            raise v.invalid({"order": _("Give every entry of the list exactly once.")})
        for position, entry_id in enumerate(wanted):
            rows[entry_id].position = position
        record(
            _event_kind(model, "reordered"),
            actor,
            board_id=board.id,
            order=[rows[i].name for i in wanted],
        )
    return [rows[i] for i in wanted]


def seed_defaults(board: Board) -> None:
    """The default types of a new board, in the board's creating transaction."""
    for position, (key, name, colour) in enumerate(DEFAULT_TYPES):
        db.session.add(
            CardType(board_id=board.id, key=key, name=name, colour=colour, position=position)
        )


def ensure(board_id: int, *, types=(), labels=()) -> None:
    """Make sure the board's lists hold these keys (named from KNOWN_NAMES or humanised), in
    the caller's transaction: board copies, the demo and imports of whole boards use it so that
    the cards they write find their types and labels."""
    lists = lists_of(board_id)
    for model, keys, present in ((CardType, types, lists.types), (Label, labels, lists.labels)):
        position = len(present)
        for key in keys:
            if key in present or key.startswith(SKILL_PREFIX):
                continue
            row = model(board_id=board_id, key=key, name=humanise(key), position=position)
            db.session.add(row)
            present[key] = row
            position += 1
    db.session.flush()


def copy_lists(source_id: int, board_id: int) -> None:
    """A copied board's lists are its source's (names, colours, order, archived ones too), in
    the copying transaction: its templates and plugin settings name those types."""
    source = lists_of(source_id)
    db.session.execute(CardType.__table__.delete().where(CardType.board_id == board_id))
    for model, rows in ((CardType, source.types), (Label, source.labels)):
        for row in rows.values():
            db.session.add(
                model(
                    board_id=board_id,
                    key=row.key,
                    name=row.name,
                    colour=row.colour,
                    position=row.position,
                    archived_at=row.archived_at,
                )
            )
    db.session.flush()
