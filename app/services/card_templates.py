"""Card templates of a board: patterns for routine cards (the monthly report, the weekly
briefing) and the making of a card from one.

Who: everyone who sees the board lists the active templates and makes cards from them; the
board's managers (the same people as for its columns and limits) add, change, archive, restore
and reorder them. Every change is a `template_*` event of the board, as the board's other
settings are.

A template's title pattern may hold placeholders, filled in when the card is made, on the day
of the board's unit (its time zone) and in Indonesian, as the title is the office's own text:

- `{tanggal}`  the date, e.g. "7 Desember 2026";
- `{bulan}`    the month, e.g. "Desember 2026";
- `{minggu}`   the ISO week number, e.g. "50";
- `{tahun}`    the year, e.g. "2026";
- `{triwulan}` the quarter, "I" to "IV".

A card made from a template goes through `cards.create_card` (WIP limits, plugins' vetoes,
audit, live updates all hold); its due date is `due_in_working_days` working days of the unit's
calendar after today (0: today), its "created" event names the template.
"""

import re
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import PRIORITIES, Board, Card, CardTemplate, ChecklistItem, User, utcnow
from app.services import card_types
from app.services import validation as v
from app.services.access import local_today, managed_board, visible_board
from app.services.audit import record
from app.services.cards import CARD_FIELDS, MoveResult, create_card
from app.services.errors import Conflict, NotFound
from app.services.tx import lock_board, write_transaction
from app.workcal import work_calendar

TEMPLATE_FIELDS = (
    "name",
    "type",
    "title_pattern",
    "description",
    "checklist",
    "labels",
    "estimate",
    "priority",
    "due_in_working_days",
)
PLACEHOLDERS = ("tanggal", "bulan", "minggu", "tahun", "triwulan")
MAX_CHECKLIST_ITEMS = 50
MAX_TEMPLATES = 100
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_QUARTERS = ("I", "II", "III", "IV")


# --- values ------------------------------------------------------------------------------------


def clean_title_pattern(value) -> str:
    pattern = v.text(value, field_max=200, required=True)
    for name in _PLACEHOLDER.findall(pattern):
        if name not in PLACEHOLDERS:
            raise v.FieldError(
                _(
                    "Unknown placeholder {%(name)s}. Use %(known)s.",
                    name=name,
                    known=", ".join(f"{{{known}}}" for known in PLACEHOLDERS),
                )
            )
    if "{" in _PLACEHOLDER.sub("", pattern) or "}" in _PLACEHOLDER.sub("", pattern):
        raise v.FieldError(_("A brace { or } without its pair."))
    return pattern


def clean_checklist(value) -> list[str]:
    """Item texts from a JSON list or from text with one item a line; blank lines are dropped."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise v.FieldError(_("Must be a list of texts."))
    items = [v.text(item, field_max=500) for item in value]
    items = [item for item in items if item]
    if len(items) > MAX_CHECKLIST_ITEMS:
        raise v.FieldError(_("At most %(n)d items.", n=MAX_CHECKLIST_ITEMS))
    return items


def _optional_days(value) -> int | None:
    return v.optional_int(value, minimum=0, maximum=365)


_CLEANERS = {
    "name": lambda x: v.text(x, field_max=120, required=True),
    # Checked against the board's list in create_template / update_template (_board_lists).
    "type": lambda x: v.text(x, field_max=80),
    "title_pattern": clean_title_pattern,
    "description": lambda x: v.text(x, field_max=20_000),
    "checklist": clean_checklist,
    "labels": v.labels,
    "estimate": lambda x: v.optional_number(x, minimum=0, maximum=1000),
    "priority": lambda x: v.choice(x, PRIORITIES, default="normal"),
    "due_in_working_days": _optional_days,
}


def clean_template(data: dict, *, partial: bool = False) -> dict:
    """The template fields of `data` (all of them unless `partial`), or Invalid naming each bad
    or unknown one."""
    if not isinstance(data, dict):
        raise v.invalid({"": _("Must be an object.")})
    unknown = sorted(set(data) - set(TEMPLATE_FIELDS))
    if unknown:
        raise v.invalid({name: _("Unknown field.") for name in unknown})
    fields = v.Fields()
    names = [name for name in TEMPLATE_FIELDS if name in data] if partial else TEMPLATE_FIELDS
    cleaned = {name: fields.clean(name, _CLEANERS[name], data.get(name)) for name in names}
    fields.raise_if_any()
    return cleaned


def fill_title(pattern: str, day: date) -> str:
    """The title pattern with its placeholders filled in for `day` (Indonesian month names), cut
    to the 200 characters a card title may have."""
    values = {
        "tanggal": format_date(day, "d MMMM y", locale="id"),
        "bulan": format_date(day, "MMMM y", locale="id"),
        "minggu": str(day.isocalendar()[1]),
        "tahun": str(day.year),
        "triwulan": _QUARTERS[(day.month - 1) // 3],
    }
    title = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), pattern)
    return title[:200]


def due_date_for(board: Board, days: int | None, today: date | None = None) -> date | None:
    """`days` working days of the board's unit calendar after `today` (the unit's today by
    default); 0 is today itself, None no date."""
    if days is None:
        return None
    calendar = work_calendar(board.unit_id)
    today = today or local_today(board.unit.timezone)
    if days == 0:
        return today
    return calendar.add_working_days(calendar.close_of(today), days).date()


# --- reading -------------------------------------------------------------------------------------


def _templates_of(board_id: int, *, archived: bool) -> list[CardTemplate]:
    query = select(CardTemplate).where(CardTemplate.board_id == board_id)
    if not archived:
        query = query.where(CardTemplate.archived_at.is_(None))
    return list(db.session.scalars(query.order_by(CardTemplate.position, CardTemplate.id)))


def active_templates(actor: User, board_id) -> list[CardTemplate]:
    """The board's templates that make cards, in order (everyone who sees the board)."""
    board = visible_board(actor, board_id)
    return _templates_of(board.id, archived=False)


def all_templates(actor: User, board_id) -> list[CardTemplate]:
    """Every template of the board, archived ones too (everyone who sees the board: the API
    lists them with their state)."""
    board = visible_board(actor, board_id)
    return _templates_of(board.id, archived=True)


def _visible_template(actor: User, template_id) -> CardTemplate:
    row = db.session.get(CardTemplate, template_id) if isinstance(template_id, int) else None
    if row is None:
        raise NotFound("not_found", _("Card template not found."))
    try:
        visible_board(actor, row.board_id)
    except NotFound:
        raise NotFound("not_found", _("Card template not found.")) from None
    return row


def get_template(actor: User, template_id) -> CardTemplate:
    return _visible_template(actor, template_id)


def _managed_template(actor: User, template_id) -> CardTemplate:
    row = _visible_template(actor, template_id)
    managed_board(actor, row.board_id)
    lock_board(row.board_id)
    return row


# --- changing ------------------------------------------------------------------------------------


def _described(row: CardTemplate) -> dict:
    return {"template_id": row.id, "name": row.name}


def _board_lists(board: Board, cleaned: dict, row: CardTemplate | None = None) -> None:
    """The template's type and labels must be on the board's lists (names resolve to keys);
    the template's own current ones are kept even when archived since."""
    fields = v.Fields()
    if "type" in cleaned:
        keep = row.type if row is not None else None
        cleaned["type"] = fields.clean(
            "type", lambda x: card_types.clean_type(board, x, keep=keep), cleaned["type"]
        )
    if "labels" in cleaned:
        keep = tuple(row.labels or ()) if row is not None else ()
        cleaned["labels"] = fields.clean(
            "labels", lambda x: card_types.clean_labels(board, x, keep=keep), cleaned["labels"]
        )
    fields.raise_if_any()


def create_template(actor: User, board_id, data: dict) -> CardTemplate:
    cleaned = clean_template(data)
    with write_transaction():
        board = managed_board(actor, board_id)
        lock_board(board.id)
        _board_lists(board, cleaned)
        existing = _templates_of(board.id, archived=True)
        if len(existing) >= MAX_TEMPLATES:
            raise Conflict(
                "too_many_templates",
                _("A board has at most %(n)d card templates.", n=MAX_TEMPLATES),
            )
        row = CardTemplate(
            board_id=board.id,
            position=max((t.position for t in existing), default=-1) + 1,
            created_by_id=actor.id,
            **cleaned,
        )
        db.session.add(row)
        db.session.flush()
        record("template_created", actor, board_id=board.id, **_described(row))
    return row


def update_template(actor: User, template_id, data: dict) -> CardTemplate:
    cleaned = clean_template(data, partial=True)
    with write_transaction():
        row = _managed_template(actor, template_id)
        _board_lists(db.session.get(Board, row.board_id), cleaned, row)
        changes = {
            name: [getattr(row, name), new]
            for name, new in cleaned.items()
            if getattr(row, name) != new
        }
        for name, (_old, new) in changes.items():
            setattr(row, name, new)
        if changes:
            record(
                "template_updated",
                actor,
                board_id=row.board_id,
                **_described(row),
                changes={name: pair for name, pair in changes.items() if name != "description"}
                | ({"description": True} if "description" in changes else {}),
            )
    return row


def archive_template(actor: User, template_id) -> CardTemplate:
    """Archived: offers nothing new; cards made from it keep saying so."""
    with write_transaction():
        row = _managed_template(actor, template_id)
        if row.archived_at is None:
            row.archived_at = utcnow()
            record("template_archived", actor, board_id=row.board_id, **_described(row))
    return row


def restore_template(actor: User, template_id) -> CardTemplate:
    with write_transaction():
        row = _managed_template(actor, template_id)
        if row.archived_at is not None:
            row.archived_at = None
            record("template_restored", actor, board_id=row.board_id, **_described(row))
    return row


def move_template(actor: User, template_id, direction) -> CardTemplate:
    """One place up or down among the board's templates."""
    if direction not in ("up", "down"):
        raise v.invalid({"direction": _("Choose up or down.")})
    with write_transaction():
        row = _managed_template(actor, template_id)
        ordered = _templates_of(row.board_id, archived=True)
        index = ordered.index(row)
        target = index - 1 if direction == "up" else index + 1
        if 0 <= target < len(ordered):
            ordered[index], ordered[target] = ordered[target], ordered[index]
            for position, each in enumerate(ordered):
                each.position = position
            record(
                "template_moved",
                actor,
                board_id=row.board_id,
                **_described(row),
                old=index,
                new=target,
            )
    return row


# --- making a card -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """What `cards.create_card` needs to know of the template a card comes from."""

    template_id: int
    name: str
    checklist: tuple[str, ...]

    def event_data(self) -> dict:
        return {"template_id": self.template_id, "template": self.name}

    def complete(self, card: Card) -> None:
        _add_checklist(card, list(self.checklist))


def _add_checklist(card: Card, texts: list[str]) -> None:
    """The template's checklist on the new card, in the card's own creation transaction, with
    the card's counts. Written here rather than item by item through app/services/checklists.py:
    the items are born with the card (its one "created" event names the template), and the
    done-column rule is asked by `cards.create_card` right after."""
    for position, text in enumerate(texts):
        db.session.add(
            ChecklistItem(
                card_id=card.id, position=position, text=text, created_by_id=card.created_by_id
            )
        )
    card.checklist_total = len(texts)
    card.checklist_done = 0


def create_card_from_template(
    actor: User, template_id, *, column_id=None, override_reason=None, **overrides
) -> MoveResult:
    """A card made from an active template, into `column_id` (default: the first column).
    `overrides` are card fields (title, assignee, due_date, ...) given instead of the
    template's."""
    unknown = sorted(set(overrides) - set(CARD_FIELDS))
    if unknown:
        raise v.invalid({name: _("Unknown field.") for name in unknown})
    row = _visible_template(actor, template_id)
    if row.archived_at is not None:
        raise Conflict("template_archived", _("This card template is archived."))
    board = visible_board(actor, row.board_id)
    today = local_today(board.unit.timezone)
    data = {
        "title": fill_title(row.title_pattern, today),
        "description": row.description,
        "type": row.type,
        "priority": row.priority,
        "estimate": row.estimate,
        "labels": list(row.labels or []),
    }
    due = due_date_for(board, row.due_in_working_days, today)
    if due is not None:
        data["due_date"] = due.isoformat()
    data.update(overrides)
    origin = Origin(row.id, row.name, tuple(row.checklist or ()))
    return create_card(
        actor,
        board.id,
        data,
        column_id=column_id,
        override_reason=override_reason,
        origin=origin,
    )
