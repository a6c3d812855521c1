"""Import from the staff register (SIMPEG/SIASN exports): people and units from a CSV or XLSX
file (app/services/import_files.py reads it), dry run first, then applied in one transaction.

`plan_people` / `plan_units` say per row what applying would do: create, update (each changed
field, old and new), unchanged, or refused with every reason. `apply_people` / `apply_units`
compute the plan again under the write lock and apply exactly that: the rows refused are
skipped (or, with `all_or_nothing`, nothing is applied when any is refused); when the caller
passes the `signature` of the dry run it saw and the plan is no longer the same (someone
changed the people in between), nothing is applied. One admin-log row `import.applied`
records the whole import, with every change's before and after.

People are matched by NIP, else by username (non-ASN staff), units by code: importing the same
file again changes nothing. A blank cell leaves the stored value as it is. Rules decided here
(docs/import.md): a person already in another unit is refused (a transfer, *mutasi*, hands
their open cards over on the person's page); new people get no usable password (a sign-in link
comes later); heads import people into the units they manage only; units are for admins.

The work is done in bulk (one SELECT per chunk of NIPs, one executemany per kind of write), so
5,000 rows take seconds (bench/import.py, docs/benchmarks.md).
"""

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import insert, select, update

from app.extensions import db
from app.models import Membership, Unit, User, utcnow
from app.services import access, admin_log, people, person_fields, search_index
from app.services import validation as v
from app.services.errors import Conflict, Forbidden, Invalid
from app.services.import_files import NUMBER_NIP, Table, cell_text, column_labels
from app.services.tx import write_transaction

CHUNK = 500
ACTIONS = ("create", "update", "unchanged", "refused")
UNIT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")

# What the `peran` column accepts besides member/head (lowercase, spaces collapsed).
MEMBER_WORDS = frozenset(
    {"member", "anggota", "pelaksana", "staf", "staff", "fungsional", "jft", "jfu"}
)
HEAD_WORDS = frozenset(
    {
        "head",
        "kepala",
        "kadis",
        "kaban",
        "kabid",
        "kabag",
        "kasi",
        "kasie",
        "kasubag",
        "kasubbag",
        "kasubbid",
        "pimpinan",
    }
)
# The person fields an import compares, in the order reports show them.
PERSON_COMPARED = ("username", "name", "position", "email", "phone", "admin", "unit", "role")
UNIT_COMPARED = ("name", "parent")


@dataclass
class Row:
    """One data row of the file and what applying does with it."""

    line: int
    key: str
    name: str
    action: str = ""
    # field -> (old, new) for an update; field -> (None, value) for a creation.
    changes: dict = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    # For applying: the stored row's id and the values to write.
    target_id: int | None = None
    values: dict = field(default_factory=dict)

    def refuse(self, reason: str) -> None:
        self.reasons.append(reason)

    def to_json(self) -> dict:
        return {
            "line": self.line,
            "key": self.key,
            "name": self.name,
            "action": self.action,
            "changes": {
                name: {"old": old, "new": new} for name, (old, new) in self.changes.items()
            },
            "reasons": list(self.reasons),
        }


@dataclass
class Report:
    """The per-row plan of an import, and whether it was applied."""

    kind: str
    filename: str
    rows: list[Row]
    ignored_columns: list[str] = field(default_factory=list)
    applied: bool = False
    all_or_nothing: bool = False

    @property
    def totals(self) -> dict[str, int]:
        counts = Counter(row.action for row in self.rows)
        return {"rows": len(self.rows), **{action: counts[action] for action in ACTIONS}}

    @property
    def signature(self) -> str:
        """What the plan means, as a short hash: the same file on the same data gives the same
        signature; a dry run's signature is checked again when applying."""
        meaning = [
            (row.line, row.key, row.action, sorted(row.changes.items()), row.reasons)
            for row in self.rows
        ]
        text = json.dumps([self.kind, meaning], default=str, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def to_json(self) -> dict:
        return {
            "kind": self.kind,
            "file": self.filename,
            "applied": self.applied,
            "signature": self.signature,
            "totals": self.totals,
            "ignored_columns": list(self.ignored_columns),
            "rows": [row.to_json() for row in self.rows],
        }


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _invalid(label: str, message: str) -> str:
    return _("%(field)s is not valid: %(message)s", field=label, message=message)


# -- people -----------------------------------------------------------------------------------


def _is_admin(actor: User | None) -> bool:
    """The command line (no actor: whoever runs it runs the server) acts as an administrator."""
    return actor is None or actor.is_admin


def may_import_people(actor: User | None) -> bool:
    return _is_admin(actor) or bool(access.managed_unit_ids(actor))


def require_importer(actor: User | None, kind: str) -> None:
    """Forbidden unless `actor` may import files of `kind` (people: admins and heads; units:
    admins), asked before a file is read."""
    if kind == "units" and not _is_admin(actor):
        raise Forbidden("forbidden", _("Only an administrator may import units."))
    if not may_import_people(actor):
        raise Forbidden("forbidden", _("Only an administrator or a head may import people."))


def role_of(word: str) -> str | None:
    """member/head for a `peran` cell (Indonesian words too: docs/import.md), None if unknown."""
    word = " ".join(word.lower().replace(".", " ").split())
    if word in MEMBER_WORDS:
        return "member"
    if word in HEAD_WORDS or word.startswith("kepala "):
        return "head"
    return None


def _clean_person_row(line: int, cells: dict, labels: dict) -> Row:
    """The row with its cleaned values (person_fields, as the people pages) or its reasons."""
    text = {name: cell_text(value, name) for name, value in cells.items()}
    nip_text, username_text = text.get("nip", ""), text.get("username", "")
    row = Row(line, nip_text or username_text, text.get("name", ""))
    data = {name: value for name, value in text.items() if value and name not in ("unit", "role")}
    if nip_text == NUMBER_NIP:
        row.key = ""
        data.pop("nip")
        row.refuse(
            _(
                "The NIP was stored as a number by the spreadsheet and lost its last digits; "
                "format the NIP column as Text and type it again."
            )
        )
    role_text = text.get("role", "")
    role = role_of(role_text) if role_text else None
    if role_text and role is None:
        row.refuse(
            _(
                "Role “%(value)s” is not known; write member (anggota, staf, pelaksana) "
                "or head (kepala, kabid, kasi).",
                value=role_text[:40],
            )
        )
    try:
        cleaned = person_fields.clean_person(data, partial=True)
    except Invalid as exc:
        cleaned = {}
        for name, message in exc.fields.items():
            row.refuse(_invalid(labels.get(name, name), message))
    if not text.get("name"):
        row.refuse(_("%(field)s is empty.", field=labels["name"]))
    if not text.get("unit"):
        row.refuse(_("%(field)s is empty.", field=labels["unit"]))
    if not nip_text and not username_text:
        row.refuse(_("Give a NIP or, for non-ASN staff, a username."))
    row.key = cleaned.get("nip") or cleaned.get("username") or row.key
    row.name = cleaned.get("name") or row.name
    row.values = {name: cleaned[name] for name in cleaned if name != "unit"}
    row.values["unit"] = text.get("unit", "")
    if role is not None:
        row.values["role"] = role
    return row


def _mark_duplicates(rows: list[Row], name: str, label: str) -> None:
    lines: dict[str, list[int]] = {}
    for row in rows:
        value = row.values.get(name)
        if value:
            lines.setdefault(value, []).append(row.line)
    for row in rows:
        value = row.values.get(name)
        if value and len(lines[value]) > 1:
            where = ", ".join(str(line) for line in lines[value])
            row.refuse(
                _(
                    "%(field)s %(value)s appears more than once in the file (lines %(lines)s).",
                    field=label,
                    value=value,
                    lines=where,
                )
            )


def _units_by_code() -> tuple[dict, dict]:
    """code -> (id, code, name, parent id, active, timezone) of every unit, and lowercase
    code or name -> the code when that spelling names exactly one unit."""
    units = {
        row.code: row
        for row in db.session.execute(
            select(Unit.id, Unit.code, Unit.name, Unit.parent_id, Unit.active, Unit.timezone)
        )
    }
    spellings: dict[str, set[str]] = {}
    for unit in units.values():
        spellings.setdefault(unit.code.lower(), set()).add(unit.code)
        spellings.setdefault(" ".join(unit.name.lower().split()), set()).add(unit.code)
    loose = {key: next(iter(codes)) for key, codes in spellings.items() if len(codes) == 1}
    return units, loose


def importable_units(actor: User | None) -> list[tuple[str, str]]:
    """(code, name) of the active units `actor` may import people into, by code."""
    statement = select(Unit.code, Unit.name).where(Unit.active.is_(True)).order_by(Unit.code)
    if not _is_admin(actor):
        statement = statement.where(Unit.id.in_(access.managed_unit_ids(actor)))
    return [tuple(row) for row in db.session.execute(statement)]


def unit_names() -> dict[str, str]:
    """code -> name of every unit, for reports that name units."""
    return dict(db.session.execute(select(Unit.code, Unit.name)).all())


_PERSON_COLUMNS = (
    User.id,
    User.nip,
    User.username,
    User.name,
    User.position,
    User.email,
    User.phone,
    User.is_admin,
)


def _existing_people(rows: list[Row]) -> tuple[dict, dict, dict]:
    """The stored people the rows name (by NIP, by username), in chunks, and their
    memberships: user id -> [(membership id, unit id, role)]."""
    nips = sorted({row.values["nip"] for row in rows if row.values.get("nip")})
    usernames = sorted({row.values["username"] for row in rows if row.values.get("username")})
    by_nip, by_username = {}, {}
    for chunk in _chunks(nips):
        for person in db.session.execute(select(*_PERSON_COLUMNS).where(User.nip.in_(chunk))):
            by_nip[person.nip] = person
    for chunk in _chunks(usernames):
        statement = select(*_PERSON_COLUMNS).where(User.username.in_(chunk))
        for person in db.session.execute(statement):
            by_username[person.username] = person
    ids = sorted({p.id for p in by_nip.values()} | {p.id for p in by_username.values()})
    memberships: dict[int, list] = {}
    for chunk in _chunks(ids):
        statement = select(
            Membership.user_id, Membership.id, Membership.unit_id, Membership.role
        ).where(Membership.user_id.in_(chunk))
        for user_id, membership_id, unit_id, role in db.session.execute(statement):
            memberships.setdefault(user_id, []).append((membership_id, unit_id, role))
    return by_nip, by_username, memberships


def plan_people(actor: User | None, table: Table, filename: str = "") -> Report:
    """What importing the people of `table` would do, row by row (nothing is written)."""
    require_importer(actor, "people")
    labels = column_labels()
    rows = [_clean_person_row(line, cells, labels) for line, cells in table.rows]
    _mark_duplicates(rows, "nip", "NIP")
    _mark_duplicates(rows, "username", labels["username"])
    units, loose = _units_by_code()
    codes_by_id = {unit.id: unit.code for unit in units.values()}
    managed = None if _is_admin(actor) else access.managed_unit_ids(actor)
    by_nip, by_username, memberships = _existing_people(rows)
    known = _Known(units, loose, codes_by_id, managed, by_nip, by_username, memberships)
    for row in rows:
        _plan_person(row, actor, known)
    return Report("people", filename, rows, list(table.ignored))


@dataclass
class _Known:
    """What the database holds that a people file's rows are planned against."""

    units: dict
    loose: dict
    codes_by_id: dict
    managed: set | None
    by_nip: dict
    by_username: dict
    memberships: dict


def _plan_person(row: Row, actor: User | None, known: _Known) -> None:
    values, units, managed = row.values, known.units, known.managed
    unit = None
    unit_text = values.get("unit", "")
    if unit_text:
        spelling = " ".join(unit_text.lower().split())
        code = unit_text if unit_text in units else known.loose.get(spelling)
        unit = units.get(code) if code else None
        if unit is None:
            row.refuse(_("Unit code %(code)s is not known.", code=unit_text[:40]))
        elif not unit.active:
            row.refuse(_("Unit %(code)s is no longer active.", code=unit.code))
        elif managed is not None and unit.id not in managed:
            row.refuse(
                _(
                    "You may import people only into the units you head; %(code)s is not one "
                    "of them.",
                    code=unit.code,
                )
            )
    nip, username = values.get("nip"), values.get("username")
    person = known.by_nip.get(nip) if nip else known.by_username.get(username)
    holder = known.by_username.get(username) if username else None
    if holder is not None and (person is None or holder.id != person.id):
        row.refuse(
            _(
                "Username %(username)s is already used by %(holder)s.",
                username=username,
                holder=holder.nip or holder.name,
            )
        )
    if "admin" in values and not _is_admin(actor):
        current = bool(person.is_admin) if person is not None else False
        if values["admin"] != current:
            row.refuse(_("Only an administrator may grant or withdraw administrator rights."))
    own = actor is not None and person is not None and person.id == actor.id
    if own and actor.is_admin and values.get("admin") is False:
        row.refuse(_("You cannot withdraw your own administrator rights."))
    if row.reasons:
        row.action = "refused"
        return
    if person is None:
        _plan_new_person(row, unit)
    else:
        held = known.memberships.get(person.id, [])
        _plan_known_person(row, person, unit, known.codes_by_id, held)
    _check_heads(row, actor, unit, person, known)


def _check_heads(row: Row, actor: User | None, unit, person, known: _Known) -> None:
    """A head's post is given, taken or changed only by those who may appoint a head of the
    unit (app/services/people.py `may_appoint_head`): a head importing into their own unit
    neither makes a second head of it nor changes a fellow head's record."""
    if row.action not in ("create", "update") or _is_admin(actor):
        return
    heads_here = person is not None and any(
        unit_id == unit.id and role == "head"
        for _id, unit_id, role in known.memberships.get(person.id, [])
    )
    becomes_head = "role" in row.changes and row.changes["role"][1] == "head"
    if (heads_here or becomes_head) and not people.may_appoint_head(actor, unit):
        row.refuse(
            _(
                "Only an administrator or a head of a unit above %(code)s may make someone its "
                "head or change a head's record.",
                code=unit.code,
            )
        )
        row.action = "refused"


def _plan_new_person(row: Row, unit) -> None:
    values = row.values
    role = values.get("role") or "member"
    created = {
        "nip": values.get("nip"),
        "username": values.get("username"),
        "name": values["name"],
        "position": values.get("position") or "",
        "email": values.get("email"),
        "phone": values.get("phone"),
        "admin": bool(values.get("admin", False)),
        "unit": unit.code,
        "role": role,
    }
    row.action = "create"
    row.changes = {name: (None, value) for name, value in created.items() if value}
    row.values = {**created, "unit_id": unit.id}


def _plan_known_person(row: Row, person, unit, codes_by_id: dict, held: list) -> None:
    values = row.values
    stored = {
        "username": person.username,
        "name": person.name,
        "position": person.position,
        "email": person.email,
        "phone": person.phone,
        "admin": bool(person.is_admin),
    }
    changes = {}
    for name, old in stored.items():
        new = values.get(name)
        if name in values and new not in (None, "") and new != old:
            changes[name] = (old, new)
    write = {"user": {stored_name(name): new for name, (_old, new) in changes.items()}}
    here = next((m for m in held if m[1] == unit.id), None)
    if here is not None:
        membership_id, _unit_id, role = here
        if values.get("role") and values["role"] != role:
            changes["role"] = (role, values["role"])
            write["role"] = (membership_id, values["role"])
    elif not held:
        role = values.get("role") or "member"
        changes["unit"] = (None, unit.code)
        changes["role"] = (None, role)
        write["membership"] = (unit.id, role)
    else:
        current = ", ".join(sorted(codes_by_id.get(m[1], "?") for m in held))
        row.refuse(
            _(
                "Works in %(current)s, not in %(new)s: move the person (mutasi) on their page, "
                "where their open cards are handed over, then import again.",
                current=current,
                new=unit.code,
            )
        )
        row.action = "refused"
        return
    row.target_id = person.id
    row.changes = changes
    row.values = write
    row.action = "update" if changes else "unchanged"


def stored_name(name: str) -> str:
    """The User attribute a compared field is stored in."""
    return "is_admin" if name == "admin" else name


def apply_people(
    actor: User | None,
    table: Table,
    filename: str = "",
    *,
    signature: str | None = None,
    all_or_nothing: bool = False,
) -> Report:
    """Apply the plan of `table` in one transaction (see the module's docstring)."""
    return _apply(plan_people, _write_people, actor, table, filename, signature, all_or_nothing)


def _apply(plan, write, actor, table, filename, signature, all_or_nothing) -> Report:
    """Plan again under the write lock, check it is the plan the caller saw, write it and log
    it, all in one transaction."""
    with write_transaction():
        report = plan(actor, table, filename)
        _check_plan(report, signature, all_or_nothing)
        write(report)
        _record(actor, report)
    access.forget_unit_tree()
    report.applied = True
    return report


def _check_plan(report: Report, signature: str | None, all_or_nothing: bool) -> None:
    report.all_or_nothing = all_or_nothing
    if signature is not None and signature != report.signature:
        raise Conflict(
            "import_changed",
            _(
                "The data changed since the dry run (someone edited people or units): nothing "
                "was applied. Check the new dry run and apply again."
            ),
        )
    refused = report.totals["refused"]
    if all_or_nothing and refused:
        raise Conflict(
            "import_refused",
            _(
                "%(n)d row(s) are refused and “all or nothing” was chosen: nothing was applied.",
                n=refused,
            ),
        )


def _write_people(report: Report) -> None:
    now = utcnow()
    created = [row for row in report.rows if row.action == "create"]
    new_users = [
        {
            "nip": row.values["nip"],
            "username": row.values["username"],
            "name": row.values["name"],
            "position": row.values["position"],
            "email": row.values["email"],
            "phone": row.values["phone"],
            "is_admin": row.values["admin"],
            "password_hash": person_fields.UNUSABLE_PASSWORD,
            "active": True,
            "created_at": now,
            "deactivation_reason": "",
        }
        for row in created
    ]
    new_memberships = []
    if new_users:
        # One executemany, then the new ids by NIP or username in chunks: INSERT ... RETURNING
        # in parameter order is one statement per row on SQLite.
        db.session.execute(insert(User), new_users)
        ids = _ids_of_people(created)
        for row in created:
            row.target_id = ids[row.values["nip"] or row.values["username"]]
            new_memberships.append(
                {
                    "user_id": row.target_id,
                    "unit_id": row.values["unit_id"],
                    "role": row.values["role"],
                }
            )
    updates: dict[tuple, list[dict]] = {}
    roles = []
    for row in report.rows:
        if row.action != "update":
            continue
        changed = row.values["user"]
        if changed:
            updates.setdefault(tuple(sorted(changed)), []).append({"id": row.target_id, **changed})
        if "role" in row.values:
            membership_id, role = row.values["role"]
            roles.append({"id": membership_id, "role": role})
        if "membership" in row.values:
            unit_id, role = row.values["membership"]
            new_memberships.append({"user_id": row.target_id, "unit_id": unit_id, "role": role})
    for batch in updates.values():
        db.session.execute(update(User), batch)
    # A bulk UPDATE passes no ORM flush: the search index learns of new names and NIPs here.
    renamed = [
        row["id"] for batch in updates.values() for row in batch if {"name", "nip"} & set(row)
    ]
    search_index.note_people(db.session(), renamed)
    if roles:
        db.session.execute(update(Membership), roles)
    if new_memberships:
        db.session.execute(insert(Membership), new_memberships)


def _ids_of_people(rows: list[Row]) -> dict[str, int]:
    """NIP or username -> id of the people of `rows`."""
    ids = {}
    for column, name in ((User.nip, "nip"), (User.username, "username")):
        keys = [row.values[name] for row in rows if row.values[name]]
        for chunk in _chunks(keys):
            ids.update(db.session.execute(select(column, User.id).where(column.in_(chunk))).all())
    return ids


def _record(actor: User | None, report: Report) -> None:
    """The one log row of an import that changed something: counts, and per row changed what
    it became (the before and after of each update). An import that changes nothing (the same
    file again) leaves no row."""
    totals = report.totals
    if not totals["create"] and not totals["update"]:
        return
    created, updated = [], []
    for row in report.rows:
        if row.action == "create":
            created.append({"line": row.line, "key": row.key, **dict_new(row.changes)})
        elif row.action == "update":
            before = {name: old for name, (old, _new) in row.changes.items()}
            after = {name: new for name, (_old, new) in row.changes.items()}
            updated.append({"line": row.line, "key": row.key, "before": before, "after": after})
    refused = [
        {"line": row.line, "key": row.key, "reasons": row.reasons}
        for row in report.rows
        if row.action == "refused"
    ]
    admin_log.record(
        "import.applied",
        actor,
        "import",
        label=report.filename or report.kind,
        after={
            "file": report.filename,
            "kind": report.kind,
            "totals": totals,
            "created": created,
            "updated": updated,
            "refused": refused,
        },
    )


def dict_new(changes: dict) -> dict:
    return {name: new for name, (_old, new) in changes.items()}


# -- units ------------------------------------------------------------------------------------


def plan_units(actor: User | None, table: Table, filename: str = "") -> Report:
    """What importing the units of `table` would do, row by row (nothing is written). A parent
    may come after its children in the file; cycles are refused."""
    require_importer(actor, "units")
    labels = column_labels()
    rows = [_clean_unit_row(line, cells, labels) for line, cells in table.rows]
    _mark_duplicates(rows, "code", labels["code"])
    units, _loose = _units_by_code()
    codes_by_id = {unit.id: unit.code for unit in units.values()}
    stored_parent = {code: codes_by_id.get(unit.parent_id) for code, unit in units.items()}
    line_of = {row.values["code"]: row.line for row in rows if row.values.get("code")}
    # Refusing a row may orphan another (its parent was only in that row) or undo a cycle:
    # settle until no new refusal appears.
    while True:
        accepted = {row.values["code"]: row for row in rows if not row.reasons}
        parents = dict(stored_parent)
        for code, row in accepted.items():
            parents[code] = row.values.get("parent") or stored_parent.get(code)
        before = sum(len(row.reasons) for row in rows)
        for code, row in accepted.items():
            _check_unit_parent(row, code, units, accepted, parents, line_of)
        if sum(len(row.reasons) for row in rows) == before:
            break
    for row in rows:
        if row.reasons:
            row.action = "refused"
            continue
        _plan_unit_changes(row, units, codes_by_id, parents)
    return Report("units", filename, rows, list(table.ignored))


def _clean_unit_row(line: int, cells: dict, labels: dict) -> Row:
    text = {name: cell_text(value, name) for name, value in cells.items()}
    row = Row(line, text.get("code", ""), text.get("name", ""))
    fields = v.Fields()
    code = fields.clean("code", v.text, text.get("code", ""), field_max=40, required=True)
    if code and not UNIT_CODE.fullmatch(code):
        fields.errors["code"] = _("Use letters, digits, hyphens and underscores.")
    name = fields.clean("name", v.text, text.get("name", ""), field_max=200, required=True)
    parent = fields.clean("parent", v.text, text.get("parent", ""), field_max=40)
    for field_name, message in fields.errors.items():
        row.refuse(_invalid(labels[field_name], message))
    row.values = {"code": code or "", "name": " ".join((name or "").split()), "parent": parent}
    if code and parent == code:
        row.refuse(_("A unit cannot be its own parent."))
    return row


def _check_unit_parent(row, code, units, accepted, parents, line_of) -> None:
    parent = row.values.get("parent")
    if not parent:
        return
    if parent not in units and parent not in accepted:
        if parent in line_of:
            row.refuse(
                _(
                    "Parent %(code)s is refused on line %(line)d.",
                    code=parent,
                    line=line_of[parent],
                )
            )
        else:
            row.refuse(_("Parent unit code %(code)s is not known.", code=parent))
        return
    if parent in units and not units[parent].active and parent not in accepted:
        row.refuse(_("Parent unit %(code)s is no longer active.", code=parent))
        return
    chain, current = [code], parents.get(code)
    while current is not None and current not in chain:
        chain.append(current)
        current = parents.get(current)
    if current == code:
        row.refuse(_("The parents make a circle: %(chain)s.", chain=" → ".join([*chain, code])))


def _plan_unit_changes(row: Row, units: dict, codes_by_id: dict, parents: dict) -> None:
    code, name, parent = row.values["code"], row.values["name"], row.values.get("parent")
    unit = units.get(code)
    if unit is None:
        row.action = "create"
        row.changes = {"name": (None, name)}
        if parent:
            row.changes["parent"] = (None, parent)
        row.values["timezone"] = _zone_of(parent, units, parents)
        return
    row.target_id = unit.id
    old_parent = codes_by_id.get(unit.parent_id)
    if name != unit.name:
        row.changes["name"] = (unit.name, name)
    if parent and parent != old_parent:
        row.changes["parent"] = (old_parent, parent)
    row.action = "update" if row.changes else "unchanged"


def _zone_of(parent: str | None, units: dict, parents: dict) -> str:
    """A new unit takes the time zone of its nearest stored ancestor (WIB when none)."""
    seen = set()
    while parent and parent not in seen:
        if parent in units:
            return units[parent].timezone
        seen.add(parent)
        parent = parents.get(parent)
    return "Asia/Jakarta"


def apply_units(
    actor: User | None,
    table: Table,
    filename: str = "",
    *,
    signature: str | None = None,
    all_or_nothing: bool = False,
) -> Report:
    """Apply the plan of a units file in one transaction, like `apply_people`."""
    return _apply(plan_units, _write_units, actor, table, filename, signature, all_or_nothing)


def _write_units(report: Report) -> None:
    ids = dict(db.session.execute(select(Unit.code, Unit.id)).all())
    created = [row for row in report.rows if row.action == "create"]
    if created:
        new = [
            {
                "code": row.values["code"],
                "name": row.values["name"],
                "parent_id": None,
                "timezone": row.values["timezone"],
                "active": True,
            }
            for row in created
        ]
        db.session.execute(insert(Unit), new)
        ids = dict(db.session.execute(select(Unit.code, Unit.id)).all())
        for row in created:
            row.target_id = ids[row.values["code"]]
    # Parents once every unit exists, so a child may come before its parent in the file.
    changed: dict[tuple, list[dict]] = {}
    for row in report.rows:
        if row.action not in ("create", "update"):
            continue
        values = {}
        if "name" in row.changes and row.action == "update":
            values["name"] = row.values["name"]
        if "parent" in row.changes:
            values["parent_id"] = ids[row.values["parent"]]
        if values:
            changed.setdefault(tuple(sorted(values)), []).append({"id": row.target_id, **values})
    for batch in changed.values():
        db.session.execute(update(Unit), batch)
