"""Importing RHK (SKP planned work results, issue 27) from a CSV or XLSX file: one row per
indicator, the rows of one RHK (same person, year and RHK text) grouped in file order.
Columns (docs/skp.md): NIP, Tahun, Jenis, RHK, RHK Atasan, Aspek, Indikator, Target.

`plan` reads the file and says, for each RHK, what applying would do (create, update, unchanged)
or why it is refused, naming the lines; `apply` writes the plan in one transaction, only when no
RHK is refused and the plan is the one that was shown (its signature), through the same rules as
the pages and the API (app/services/rhk.py). A head imports for the people of their units, a
person for themself; the command line (no actor) for anyone.

"RHK Atasan" names the leader's RHK it supports: its text, or its number in the leader's list
(1, 2, ...; only when the person has one leader with RHK that year). The leader's RHK may be
in the same file, above.
"""

import hashlib
import json
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app import clock
from app.extensions import db
from app.models import INDICATOR_ASPECTS, RHK_KINDS, Rhk, User
from app.services import admin_log, import_files, performance_access
from app.services import rhk as rhk_rules
from app.services import validation as v
from app.services.errors import Conflict, Invalid
from app.services.tx import write_transaction

# field -> the header spellings accepted (as `import_files.header_key` writes them).
RHK_COLUMNS = {
    "nip": ("nip", "nip pegawai", "username", "login"),
    "year": ("tahun", "year"),
    "kind": ("jenis", "jenis rhk", "kind"),
    "text": ("rhk", "rencana hasil kerja", "rhk pegawai", "text"),
    "parent": ("rhk atasan", "rhk pimpinan", "intervensi", "rhk atasan yang diintervensi"),
    "aspect": ("aspek", "aspect"),
    "indicator": ("indikator", "indikator kinerja individu", "iki", "indicator"),
    "target": ("target",),
}
HEADINGS = ("NIP", "Tahun", "Jenis", "RHK", "RHK Atasan", "Aspek", "Indikator", "Target")
REQUIRED = ("nip", "text", "indicator", "target")
KIND_WORDS = {"utama": "utama", "tambahan": "tambahan", "": "utama"}
MAX_BYTES = 1024 * 1024


@dataclass
class PlannedRhk:
    """One RHK of the file (its rows grouped) and what applying does with it."""

    lines: list[int]
    login: str
    name: str = ""
    year: int | None = None
    kind: str = "utama"
    text: str = ""
    parent_ref: str = ""
    parent_text: str = ""
    indicators: list[dict] = field(default_factory=list)
    action: str = ""
    reasons: list[str] = field(default_factory=list)
    owner_id: int | None = None
    target_id: int | None = None
    parent_id: int | None = None
    parent_index: int | None = None

    def to_json(self) -> dict:
        return {
            "lines": list(self.lines),
            "person": self.login,
            "name": self.name,
            "year": self.year,
            "kind": self.kind,
            "text": self.text,
            "parent": self.parent_text or None,
            "indicators": list(self.indicators),
            "action": self.action,
            "reasons": list(self.reasons),
        }


@dataclass
class RhkReport:
    filename: str
    items: list[PlannedRhk]
    ignored_columns: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def refused(self) -> int:
        return sum(1 for item in self.items if item.action == "refused")

    @property
    def totals(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "unchanged": 0, "refused": 0}
        for item in self.items:
            counts[item.action] = counts.get(item.action, 0) + 1
        return {"rhk": len(self.items), **counts}

    @property
    def signature(self) -> str:
        meaning = [item.to_json() for item in self.items]
        text = json.dumps(meaning, default=str, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


# --- reading the file -------------------------------------------------------------------------


def read(data: bytes) -> tuple[list[tuple[int, dict]], list[str]]:
    """The data rows ({field: text}) with their line numbers, and the ignored headers."""
    if not data or not data.strip():
        raise import_files.file_error(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise import_files.file_error(
            _("The file is larger than %(mb)d MB; split it into several files.", mb=1)
        )
    # The staff-register import's readers: CSV (comma, semicolon or tab, UTF-8) or XLSX.
    raw = (
        import_files._xlsx_rows(data)
        if data.startswith(b"PK\x03\x04")
        else import_files._csv_rows(data)
    )
    spellings = {s: name for name, variants in RHK_COLUMNS.items() for s in variants}
    columns: dict[int, str] = {}
    ignored: list[str] = []
    rows: list[tuple[int, dict]] = []
    header = False
    for line, cells in raw:
        if all(cell is None or not str(cell).strip() for cell in cells):
            continue
        if not header:
            header = True
            for index, cell in enumerate(cells[: import_files.MAX_COLUMNS]):
                written = str(cell or "").strip()
                name = spellings.get(import_files.header_key(written))
                if name is None:
                    if written:
                        ignored.append(written[:60])
                elif name not in columns.values():
                    columns[index] = name
            missing = [name for name in REQUIRED if name not in columns.values()]
            if missing:
                names = ", ".join(f"“{HEADINGS[list(RHK_COLUMNS).index(n)]}”" for n in missing)
                raise import_files.file_error(
                    _(
                        "The first row of the file must name the columns; not found: %(names)s.",
                        names=names,
                    )
                )
            continue
        if len(rows) >= 2000:
            raise import_files.file_error(
                _("The file has more than %(n)d rows; split it into several files.", n=2000)
            )
        rows.append(
            (
                line,
                {
                    name: import_files.cell_text(cells[i], name) if i < len(cells) else ""
                    for i, name in columns.items()
                },
            )
        )
    if not header:
        raise import_files.file_error(_("The file is empty."))
    if not rows:
        raise import_files.file_error(_("The file has a header but no rows below it."))
    return rows, ignored


# --- planning ---------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _find_person(login: str) -> User | None:
    if not login:
        return None
    return db.session.scalar(select(User).where(or_(User.nip == login, User.username == login)))


def _may_write(actor: User | None, person: User) -> bool:
    return actor is None or performance_access.can_see_performance(actor, person)


def plan(actor: User | None, data: bytes, filename: str = "") -> RhkReport:
    rows, ignored = read(data)
    items: list[PlannedRhk] = []
    by_key: dict[tuple, PlannedRhk] = {}
    people: dict[str, User | None] = {}
    this_year = clock.today().year
    for line, cells in rows:
        login = "".join(cells.get("nip", "").split())
        errors: list[str] = []
        try:
            year = v.optional_int(cells.get("year", ""), minimum=2000, maximum=2100) or this_year
        except v.FieldError as exc:
            errors.append(_("Tahun: %(message)s", message=str(exc)))
            year = None
        kind = KIND_WORDS.get(cells.get("kind", "").strip().lower())
        if kind is None:
            errors.append(_("Jenis must be one of: %(words)s.", words=", ".join(RHK_KINDS)))
        text = " ".join(cells.get("text", "").split())
        key = (login, year, _norm(text))
        item = by_key.get(key)
        if item is None:
            item = by_key[key] = PlannedRhk(lines=[], login=login, year=year, kind=kind or "utama")
            item.text = text
            item.parent_ref = " ".join(cells.get("parent", "").split())
            items.append(item)
            if login not in people:
                people[login] = _find_person(login)
            person = people[login]
            if person is None or not _may_write(actor, person):
                errors.append(_("No person you may enter RHK for has this NIP or username."))
            else:
                item.owner_id, item.name = person.id, person.name
            if not text:
                errors.append(_("RHK: this field is required."))
            elif len(text) > 2000:
                errors.append(_("RHK: at most %(n)d characters.", n=2000))
        item.lines.append(line)
        aspect = cells.get("aspect", "").strip().lower() or "kuantitas"
        if aspect not in INDICATOR_ASPECTS:
            errors.append(_("Aspek must be one of: %(words)s.", words=", ".join(INDICATOR_ASPECTS)))
        indicator = " ".join(cells.get("indicator", "").split())
        target = " ".join(cells.get("target", "").split())
        if not indicator:
            errors.append(_("Indikator: this field is required."))
        if not target:
            errors.append(_("Target: this field is required."))
        if len(indicator) > 1000 or len(target) > 200:
            errors.append(_("Indikator or Target is too long."))
        if len(item.indicators) >= rhk_rules.MAX_INDICATORS:
            errors.append(_("At most %(n)d indicators.", n=rhk_rules.MAX_INDICATORS))
        item.indicators.append({"aspect": aspect, "text": indicator, "target": target})
        item.reasons.extend(_("Line %(line)d: %(message)s", line=line, message=e) for e in errors)
    for index, item in enumerate(items):
        _plan_parent(item, index, items, people)
        _plan_action(item)
    return RhkReport(filename, items, ignored)


def _plan_parent(item: PlannedRhk, index: int, items: list[PlannedRhk], people) -> None:
    if not item.parent_ref or item.owner_id is None or item.year is None:
        return
    owner = db.session.get(User, item.owner_id)
    leaders = rhk_rules.leader_ids(owner)
    stored = rhk_rules.leader_rhks(owner, item.year)
    wanted = _norm(item.parent_ref)
    line = item.lines[0]
    for row in stored:
        if _norm(row.text) == wanted:
            item.parent_id, item.parent_text = row.id, row.text
            return
    # A leader's RHK above in the same file.
    for earlier_index, earlier in enumerate(items[:index]):
        if (
            earlier.owner_id in leaders
            and earlier.year == item.year
            and _norm(earlier.text) == wanted
            and earlier.action != "refused"
        ):
            if earlier.target_id is not None:
                item.parent_id = earlier.target_id
            else:
                item.parent_index = earlier_index
            item.parent_text = earlier.text
            return
    if wanted.isdigit():
        owners = {row.user_id for row in stored}
        number = int(wanted)
        if len(owners) == 1:
            if 1 <= number <= len(stored):
                found = stored[number - 1]
                item.parent_id, item.parent_text = found.id, found.text
                return
        elif len(owners) > 1:
            item.reasons.append(
                _(
                    "Line %(line)d: the person has more than one leader with RHK; write the "
                    "text of the leader's RHK instead of its number.",
                    line=line,
                )
            )
            return
    item.reasons.append(
        _(
            "Line %(line)d: RHK Atasan is not an RHK of the person's leader for %(year)d.",
            line=line,
            year=item.year,
        )
    )


def _plan_action(item: PlannedRhk) -> None:
    if item.reasons:
        item.action = "refused"
        return
    existing = [
        row
        for row in db.session.scalars(
            select(Rhk).where(
                Rhk.user_id == item.owner_id, Rhk.year == item.year, Rhk.archived_at.is_(None)
            )
        )
        if _norm(row.text) == _norm(item.text)
    ]
    if not existing:
        item.action = "create"
        return
    row = existing[0]
    item.target_id = row.id
    same = (
        row.kind == item.kind
        and row.parent_id == item.parent_id
        and item.parent_index is None
        and [{"aspect": i.aspect, "text": i.text, "target": i.target} for i in row.indicators]
        == item.indicators
    )
    item.action = "unchanged" if same else "update"


# --- applying ---------------------------------------------------------------------------------


def apply(
    actor: User | None, data: bytes, filename: str = "", signature: str | None = None
) -> RhkReport:
    """Write the plan: all of it or nothing (one transaction). Refused when any RHK is refused,
    or when `signature` (the preview's) no longer matches the plan."""
    with write_transaction():
        report = plan(actor, data, filename)
        if report.refused:
            raise Invalid(
                "import_refused",
                _("Some RHK in the file are refused; correct the file and upload it again."),
            )
        if signature is not None and signature != report.signature:
            raise Conflict(
                "import_changed",
                _("The RHK changed since the preview; look at the new preview and confirm again."),
            )
        written: list[Rhk | None] = []
        for item in report.items:
            owner = db.session.get(User, item.owner_id)
            parent_id = item.parent_id
            if item.parent_index is not None:
                parent_id = written[item.parent_index].id
            values = {"kind": item.kind, "text": item.text, "indicators": item.indicators}
            values["parent_id"] = parent_id
            # The writes go through the same use cases as the pages; they join this
            # transaction. The command line acts as the person themself.
            writer = actor or owner
            if item.action == "create":
                row = rhk_rules.create_rhk(writer, owner, {**values, "year": item.year})
            elif item.action == "update":
                row = rhk_rules.update_rhk(writer, item.target_id, values)
            else:
                row = db.session.get(Rhk, item.target_id)
            written.append(row)
        admin_log.record(
            "rhk.imported",
            actor,
            "import",
            label=filename or "RHK",
            after={"file": filename, **report.totals},
        )
        report.applied = True
    return report
