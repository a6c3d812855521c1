"""What a plugin's per-board setting is (`Setting`, re-exported by `cergas.plugin`) and how a
value sent by a form or the API is cleaned to its type. It lives with the services because the
service that saves a board's plugin settings (`app/services/plugins.py`) cleans with it.

Besides the scalar types there are types checked against the board being configured (see
`configuring`): a column of the board, several columns, a unit, a person, a card type, and a
list of records whose fields are themselves `Setting`s (a sub-form). Their values stay plain
JSON (a column name, a unit code, a person's NIP or username, a card type, a list of objects);
the settings page shows pickers for them and reads them back with `read_form`."""

import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _

SETTING_TYPES = (
    "bool",
    "int",
    "float",
    "str",
    "text",
    "date",
    "list",
    "json",
    # a value out of `choices`, then the types checked against the board being configured
    "choice",
    "column",
    "columns",
    "unit",
    "person",
    "card_type",
    "records",
)
NUMERIC_TYPES = ("int", "float")
# The option of a card type picker that takes the typed name instead of a listed type.
OTHER_TYPE = "__other__"
# What a name or NIP typed into a person field may be followed by to tell namesakes apart.
UNIT_SEPARATOR = " · "
# The range of a number setting that declares none: a plugin narrows it to what makes sense.
DEFAULT_RANGE = (0, 1_000_000)
# The types whose cleaning looks beyond the value (the board, the actor, sub-fields).
BOARD_TYPES = ("choice", "column", "columns", "unit", "person", "card_type", "records")
_FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")
# Decimal numbers as people type them, ASCII digits only (float() also reads "٣" and "1_0").
_DECIMAL = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


class SettingError(ValueError):
    """A setting value of the wrong type; the message is shown next to the field.

    `path` names the part of the value it is about, e.g. `(0, "steps", 1, "head_of")` for the
    unit of the second step of the first chain; `errors` holds several (path, message) pairs
    (a record list reports every bad field at once)."""

    def __init__(self, message, path=(), errors=None, summary=None):
        super().__init__(message)
        self.path = tuple(path)
        self.errors = list(errors) if errors else [(self.path, str(message))]
        # The first problem with where it is in words ("Step 2, Head of the unit: ..."), for
        # the setting as a whole (the API's `settings.<name>`, the alert of the page).
        self.summary = str(summary or message)

    def within(self, *prefix) -> "SettingError":
        """The same error as seen from a value holding this one at `prefix`."""
        return SettingError(
            str(self),
            (*prefix, *self.path),
            [((*prefix, *path), message) for path, message in self.errors],
            self.summary,
        )


# The board whose settings are being cleaned, for a `validate` that depends on the board (e.g.
# a paraf step "ketua tim" needs a team's board).
_CONFIGURED_BOARD: ContextVar = ContextVar("cergas_configured_board", default=None)
# Who configures it: units and people they may pick (None: a system path, e.g. the demo).
_CONFIGURING_ACTOR: ContextVar = ContextVar("cergas_configuring_actor", default=None)


@contextmanager
def configuring(board, actor=None) -> Iterator[None]:
    token = _CONFIGURED_BOARD.set(board)
    actor_token = _CONFIGURING_ACTOR.set(actor)
    try:
        yield
    finally:
        _CONFIGURED_BOARD.reset(token)
        _CONFIGURING_ACTOR.reset(actor_token)


def configured_board():
    """The board (a `BoardView`) whose plugin settings are being validated now, or None outside
    that."""
    from app.plugin_views import view_of

    return view_of(_CONFIGURED_BOARD.get())


def configuring_actor():
    """Who saves the settings being validated now, or None (outside that, or a system path)."""
    return _CONFIGURING_ACTOR.get()


@dataclass(frozen=True)
class Setting:
    """One per-board setting of a plugin: `type` is one of SETTING_TYPES.

    A number setting (`int`, `float`) has a range, `minimum` to `maximum` (both included;
    DEFAULT_RANGE when not given): a value outside it is refused when saved, and a stored value
    outside it (saved before the range existed, or under a wider one) reads as the default."""

    name: str
    type: str
    default: Any
    label: str
    help: str = ""
    # Optional check of a cleaned value: raise SettingError (shown next to the field / in the
    # API's `fields`) or return the value to store.
    validate: Any = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    # `choice`: the allowed values with their labels, ((value, label), ...).
    choices: tuple = ()
    # `records`: the sub-form, one Setting per field of a record (any type, records too).
    fields: tuple = ()
    # An empty value is refused ("Fill this in."); mostly for the fields of a record.
    required: bool = False
    # `records`: at most this many; the button texts of the editor ("Add a step", "Step %(n)d").
    max_items: int = 50
    add_label: str = ""
    row_label: str = ""

    def __post_init__(self):
        if self.type not in SETTING_TYPES:
            raise ValueError(f"Setting type must be one of {', '.join(SETTING_TYPES)}")
        if (self.type == "choice") != bool(self.choices):
            raise ValueError("A choice setting, and only one, has choices")
        if self.type == "choice":
            object.__setattr__(self, "choices", tuple((str(v), lab) for v, lab in self.choices))
        if (self.type == "records") != bool(self.fields):
            raise ValueError("A records setting, and only one, has fields")
        if self.type == "records":
            names = [getattr(each, "name", None) for each in self.fields]
            if not all(isinstance(each, Setting) for each in self.fields):
                raise ValueError("The fields of a records setting are Settings")
            if len(set(names)) != len(names) or not all(_FIELD_NAME.match(n) for n in names):
                raise ValueError("Record fields need distinct names of a-z, 0-9 and _")
            object.__setattr__(self, "fields", tuple(self.fields))
        if self.type not in NUMERIC_TYPES:
            if self.minimum is not None or self.maximum is not None:
                raise ValueError("Only int and float settings have a minimum and maximum")
            return
        low = DEFAULT_RANGE[0] if self.minimum is None else self.minimum
        high = DEFAULT_RANGE[1] if self.maximum is None else self.maximum
        for bound in (low, high):
            if isinstance(bound, bool) or not isinstance(bound, int | float):
                raise ValueError("A setting's minimum and maximum are numbers")
            if not math.isfinite(bound) or (self.type == "int" and bound != int(bound)):
                raise ValueError("An int setting's minimum and maximum are whole numbers")
        if low > high:
            raise ValueError("A setting's minimum is above its maximum")
        if self.default is not None and not self._in_range(self.default, low, high):
            raise ValueError(f"The default of setting {self.name} is outside its range")
        # frozen: set the resolved bounds once
        object.__setattr__(self, "minimum", low)
        object.__setattr__(self, "maximum", high)

    def _in_range(self, value, low, high) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.type == "int" and not isinstance(value, int):
            return False
        return math.isfinite(value) and low <= value <= high

    def row_title(self, index: int) -> str:
        """The heading of row `index` (from 0) of a record list: "Step 1"."""
        return _row_name(self, index)

    def range_text(self) -> str:
        """The range as the settings form shows it, or "" for a setting without one."""
        if self.type not in NUMERIC_TYPES:
            return ""
        return _(
            "From %(minimum)s to %(maximum)s.",
            minimum=format_decimal(self.minimum),
            maximum=format_decimal(self.maximum),
        )

    def clean(self, value, *, from_form: bool = False):
        """The value as this setting's type, or SettingError. Forms send text; JSON sends types."""
        if self.type in BOARD_TYPES:
            value = _clean_board_type(self, value, from_form=from_form)
        else:
            value = self._clean_type(value, from_form=from_form)
        if self.required and self.type != "bool" and value in (None, "", []):
            raise SettingError(_("Fill this in."))
        numeric = self.type in NUMERIC_TYPES and value is not None
        if numeric and not self._in_range(value, self.minimum, self.maximum):
            raise SettingError(self._range_error())
        if self.validate is not None:
            return self.validate(value)
        return value

    def _range_error(self) -> str:
        return _(
            "Must be between %(lo)s and %(hi)s.",
            lo=format_decimal(self.minimum),
            hi=format_decimal(self.maximum),
        )

    def stored(self, value):
        """A value read from the database as the plugin may use it: a number outside the type
        or the range (stored before the range existed) gives the default instead, so an old bad
        value cannot keep a page slow or failing."""
        if self.type in NUMERIC_TYPES and value is not None:
            if not self._in_range(value, self.minimum, self.maximum):
                return self.default
            return float(value) if self.type == "float" else value
        return value

    def _clean_type(self, value, *, from_form: bool):
        kind = self.type
        if kind == "bool":
            if from_form:
                return value in ("1", "on", "true", "yes", True)
            if isinstance(value, bool):
                return value
            raise SettingError(_("Must be true or false."))
        if value is None or (from_form and value == ""):
            if kind in ("str", "text"):
                return ""
            if kind == "list":
                return []
            return None
        if kind == "int":
            whole = isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,15}", value.strip())
            if from_form and whole:
                return int(value)
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**15:
                return value
            raise SettingError(_("Must be a whole number."))
        if kind == "float":
            number = value
            if from_form and isinstance(value, str):
                number = value.strip().replace(",", ".")
                if not _DECIMAL.fullmatch(number):
                    raise SettingError(_("Must be a number."))
                number = float(number)
            numeric = isinstance(number, int | float) and not isinstance(number, bool)
            if numeric and math.isfinite(number):
                return float(number)
            raise SettingError(_("Must be a number."))
        if kind in ("str", "text"):
            if isinstance(value, str) and "\x00" not in value and len(value) <= 10_000:
                return value.strip() if kind == "str" else value
            raise SettingError(_("Must be text."))
        if kind == "date":
            try:
                return date.fromisoformat(value).isoformat()
            except (TypeError, ValueError):
                raise SettingError(_("Use the format YYYY-MM-DD.")) from None
        if kind == "list":
            if from_form and isinstance(value, str):
                value = [item.strip() for item in value.replace("\n", ",").split(",")]
                return [item for item in value if item]
            if isinstance(value, list) and all(isinstance(item, str) for item in value):
                return value
            raise SettingError(_("Must be a list of text values."))
        # json
        if from_form and isinstance(value, str):
            try:
                return json.loads(value)
            except (ValueError, RecursionError):
                raise SettingError(_("Not valid JSON.")) from None
        return value


# --- types checked against the board being configured ----------------------------------------


def _card_type_slug(value) -> str:
    """A card type as cards store it: "Surat Keluar" -> "surat-keluar"."""
    text = re.sub(r"\s+", "-", value.strip().lower()) if isinstance(value, str) else None
    if not text or len(text) > 40 or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", text):
        raise SettingError(_("Use lowercase letters, digits and hyphens, e.g. surat-keluar."))
    return text


def _empty(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_board_type(setting: Setting, value, *, from_form: bool):
    kind = setting.type
    if kind == "records":
        return _clean_records(setting, value, from_form=from_form)
    if kind == "columns":
        if value is None or (from_form and value == ""):
            return []
        if not isinstance(value, list | tuple):
            raise SettingError(_("Must be a list of column names."))
        names = []
        for item in value:
            if _empty(item):
                continue
            name = board_column(item)
            if name not in names:
                names.append(name)
        return names
    if kind == "person" and isinstance(value, dict) and from_form:
        return resolve_person(value.get("q"), value.get("login"))
    if kind == "card_type" and isinstance(value, dict) and from_form:
        pick = value.get("pick")
        value = value.get("other") if pick == OTHER_TYPE else pick
        if pick == OTHER_TYPE and _empty(value):
            raise SettingError(_("Type the name of the new card type."))
    if _empty(value):
        return None
    if not isinstance(value, str) or "\x00" in value or len(value) > 200:
        raise SettingError(_("Must be text."))
    if kind == "choice":
        if value not in dict(setting.choices):
            raise SettingError(_("Choose one of the options."))
        return value
    if kind == "column":
        return board_column(value)
    if kind == "unit":
        return pickable_unit(value).code
    if kind == "person":
        return resolve_person(value)
    return _board_card_type(value)


def _board_card_type(value: str) -> str:
    """A card type of the board being configured (its key, or its display name), issue 26: a rule
    for a type the board does not have would silently never apply."""
    board = _CONFIGURED_BOARD.get()
    if board is None or getattr(board, "id", None) is None:
        return _card_type_slug(value)
    from app.services import card_types  # card_types reads models only; no cycle at import
    from app.services.validation import FieldError

    try:
        return card_types.clean_type(board, value)
    except FieldError as exc:
        raise SettingError(str(exc)) from None


def _clean_records(setting: Setting, value, *, from_form: bool) -> list[dict]:
    if value is None or (from_form and value == ""):
        return []
    if not isinstance(value, list):
        raise SettingError(_("Must be a list of objects."))
    if len(value) > setting.max_items:
        raise SettingError(_("At most %(n)d rows.", n=setting.max_items))
    declared = {field.name: field for field in setting.fields}
    rows, errors, summaries = [], [], []
    for index, row in enumerate(value):
        if not isinstance(row, dict):
            summaries.append(f"{_row_name(setting, index)}: " + _("Must be an object."))
            errors.append(((index,), _("Must be an object.")))
            continue
        for key in row:
            if key not in declared:
                summaries.append(f"{_row_name(setting, index)}, {key}: " + _("Unknown field."))
                errors.append(((index, str(key)), _("Unknown field.")))
        clean = {}
        row_name = _row_name(setting, index)
        for name, field in declared.items():
            raw = row.get(name, None if from_form else field.default)
            try:
                clean[name] = field.clean(raw, from_form=from_form)
            except SettingError as exc:
                where = row_name if field.type == "records" else f"{row_name}, {field.label}"
                summaries.append(f"{where}: {exc.summary}")
                errors.extend(exc.within(index, name).errors)
            except (ValueError, OverflowError, RecursionError):
                refusal = _("This value cannot be used here.")
                summaries.append(f"{row_name}, {field.label}: {refusal}")
                errors.append(((index, name), refusal))
        rows.append(clean)
    if errors:
        path, message = errors[0]
        raise SettingError(message, path, errors, summaries[0] if summaries else message)
    return rows


def _row_name(setting: Setting, index: int) -> str:
    if setting.row_label:
        return str(setting.row_label) % {"n": index + 1}
    return _("Row %(n)d", n=index + 1)


def _board_unit_line(board) -> set[int]:
    """The board's unit and every unit above it (whose heads a paraf chain may go up to)."""
    from app.extensions import db
    from app.models import Unit

    found, unit_id = set(), board.unit_id if board is not None else None
    while unit_id is not None and unit_id not in found:
        found.add(unit_id)
        unit = db.session.get(Unit, unit_id)
        unit_id = unit.parent_id if unit is not None else None
    return found


def pickable_unit_ids(board=None, actor=None) -> set[int] | None:
    """The units a unit or person setting may name: those the actor may see, and the board's
    unit with every unit above it. None: no limit (no actor: a system path such as the demo)."""
    from app.services.access import visible_unit_ids

    board = board if board is not None else configured_board()
    actor = actor if actor is not None else configuring_actor()
    if actor is None:
        return None
    return set(visible_unit_ids(actor)) | _board_unit_line(board)


def pickable_units(board=None, actor=None) -> list[tuple[Any, int]]:
    """(unit, depth) for the unit picker: the pickable active units as a tree, by name."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Unit

    ids = pickable_unit_ids(board, actor)
    query = select(Unit).where(Unit.active.is_(True)).order_by(Unit.name)
    if ids is not None:
        query = query.where(Unit.id.in_(ids))
    units = list(db.session.scalars(query))
    present = {unit.id for unit in units}
    children: dict = {}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in present else None
        children.setdefault(parent, []).append(unit)
    tree, stack = [], [(unit, 0) for unit in reversed(children.get(None, []))]
    while stack:
        unit, depth = stack.pop()
        tree.append((unit, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(unit.id, [])))
    return tree


def pickable_unit(code):
    """The unit with this code if the configuring actor may name it; else SettingError."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Unit

    unit = db.session.scalar(select(Unit).where(Unit.code == code.strip()))
    ids = pickable_unit_ids()
    if unit is None or not unit.active or (ids is not None and unit.id not in ids):
        raise SettingError(_("No unit you may choose has the code %(code)s.", code=code.strip()))
    return unit


def board_column(name) -> str:
    """The name of the configured board's column called `name` (case and outer spaces aside);
    SettingError when the board has none. Outside a board, the name as given."""
    if not isinstance(name, str) or not name.strip() or len(name) > 80:
        raise SettingError(_("Choose a column."))
    board = configured_board()
    if board is None:
        return name.strip()
    wanted = name.strip().casefold()
    for column in board.columns:
        if column.name.strip().casefold() == wanted:
            return column.name
    raise SettingError(_("This board has no column named %(name)s.", name=name.strip()))


def _people_query(ids):
    from sqlalchemy import select

    from app.models import Membership, User

    query = select(User).where(User.active.is_(True))
    if ids is not None:
        members = select(Membership.user_id).where(Membership.unit_id.in_(ids))
        query = query.where(User.id.in_(members))
    return query


def person_label(user) -> str:
    """A person as the picker shows them: the name and their first unit, which tells
    namesakes apart ("Budi Santoso · Bidang TIK")."""
    units = sorted(member.unit.name for member in user.memberships if member.unit.active)
    return f"{user.name}{UNIT_SEPARATOR}{units[0]}" if units else user.name


def find_people(text, *, limit: int = 8) -> list:
    """The pickable active people whose name contains `text` (or whose NIP or username is
    it), by name: the suggestions of a person field."""
    from sqlalchemy import func, or_

    from app.extensions import db
    from app.models import User

    if not isinstance(text, str) or not text.strip() or "\x00" in text:
        return []
    text = text.strip()[:100]
    name = text.split(UNIT_SEPARATOR)[0].strip()
    pattern = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    query = _people_query(pickable_unit_ids()).where(
        or_(
            func.lower(User.name).like(pattern.lower(), escape="\\"),
            User.nip == text,
            User.username == text,
        )
    )
    return list(db.session.scalars(query.order_by(User.name, User.id).limit(limit)))


def resolve_person(text, login=None) -> str | None:
    """The NIP or username of the one pickable person that `text` names: their NIP or
    username, their whole name (with " · unit" to tell namesakes apart) or a unique part of
    it. `login` is the person the field held before: kept while the text still shows them.
    SettingError when nobody or several people match."""
    from sqlalchemy import or_

    from app.extensions import db
    from app.models import User

    if _empty(text):
        return None
    if not isinstance(text, str) or "\x00" in text or len(text) > 200:
        raise SettingError(_("Must be text."))
    text = text.strip()
    ids = pickable_unit_ids()
    query = _people_query(ids)
    if isinstance(login, str) and login.strip():
        kept = db.session.scalar(
            query.where(or_(User.nip == login.strip(), User.username == login.strip()))
        )
        if kept is not None and text.casefold() in (
            kept.name.casefold(),
            person_label(kept).casefold(),
        ):
            return kept.login
    exact = db.session.scalar(query.where(or_(User.nip == text, User.username == text)))
    if exact is not None:
        return exact.login
    name, _sep, unit = text.partition(UNIT_SEPARATOR)
    matches = find_people(name, limit=50)
    whole = [user for user in matches if user.name.casefold() == name.strip().casefold()]
    matches = whole or matches
    if unit.strip():
        matches = [
            user
            for user in matches
            if any(m.unit.name.casefold() == unit.strip().casefold() for m in user.memberships)
        ]
    if len(matches) == 1:
        return matches[0].login
    if not matches:
        raise SettingError(
            _(
                "Nobody you may choose is called %(name)s. Type part of the name or the NIP.",
                name=text,
            )
        )
    shown = ", ".join(person_label(user) for user in matches[:5])
    raise SettingError(
        _(
            "%(count)d people match %(name)s: %(people)s. Choose one from the suggestions or "
            "type more of the name.",
            count=len(matches),
            name=text,
            people=shown,
        )
    )


# --- the settings page's editors: values as form state and back --------------------------------


def blank_state(setting: Setting):
    """The form state of a new, untouched field (its default)."""
    return form_state(setting, setting.default)


def form_state(setting: Setting, value):
    """A stored or cleaned value as the settings page's form holds it: text for a scalar, a list
    of names for columns, {"q", "login"} for a person, {"pick", "other"} for a card type, and
    for records a list of {field: state}."""
    kind = setting.type
    if kind == "records":
        rows = value if isinstance(value, list) else []
        return [
            {
                field.name: form_state(field, row.get(field.name, field.default))
                for field in setting.fields
            }
            for row in rows
            if isinstance(row, dict)
        ]
    if kind == "columns":
        return [str(item) for item in value] if isinstance(value, list) else []
    if kind == "person":
        user = None
        if isinstance(value, str) and value:
            from app.services.cards import find_user

            user = find_user(value)
        return {
            "q": person_label(user) if user else (value or ""),
            "login": user.login if user else "",
        }
    if kind == "card_type":
        return {"pick": value or "", "other": ""}
    if kind == "bool":
        return "1" if value else ""
    if value is None:
        return ""
    if kind == "list":
        return ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)
    if kind == "json":
        return json.dumps(value, ensure_ascii=False, indent=2)
    if kind == "float" and isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # "3", not "3.0"
    return str(value)


def read_form(setting: Setting, form, name: str):
    """The form state of `setting` from a submitted form whose field is called `name`; a record
    list's rows are the indices that have a `<name>-<i>-_row` marker."""
    kind = setting.type
    if kind == "records":
        marker = re.compile(re.escape(name) + r"-([0-9]{1,3})-_row$")
        indices = sorted({int(m.group(1)) for key in form if (m := marker.match(key))})
        return [
            {
                field.name: read_form(field, form, f"{name}-{i}-{field.name}")
                for field in setting.fields
            }
            for i in indices[: setting.max_items + 1]
        ]
    if kind == "columns":
        return [item for item in form.getlist(name) if item]
    if kind == "person":
        return {"q": form.get(name, ""), "login": form.get(f"{name}-login", "")}
    if kind == "card_type":
        return {"pick": form.get(name, ""), "other": form.get(f"{name}-other", "")}
    if kind == "bool":
        return "1" if form.get(name) in ("1", "on", "true", "yes") else ""
    return form.get(name)


def edit_rows(settings, states: dict, action: str) -> bool:
    """Apply an editor button to the form states of a plugin's settings: `add:<field name>`
    adds a blank row to that record list, `remove:<field name>-<i>` removes row i. Field names
    are `setting-<name>(-<i>-<field>)*`. False when the action names nothing here."""
    verb, _sep, target = (action or "").partition(":")
    parts = target.split("-")
    if verb not in ("add", "remove") or len(parts) < 2 or parts[0] != "setting":
        return False
    declared = {setting.name: setting for setting in settings}
    setting = declared.get(parts[1])
    if setting is None or setting.name not in states:
        return False
    holder, key, rest = states, setting.name, parts[2:]
    while True:
        if setting.type != "records":
            return False
        rows = holder.get(key)
        if not isinstance(rows, list):
            return False
        if verb == "add" and not rest:
            if len(rows) >= setting.max_items:
                return False
            rows.append({field.name: blank_state(field) for field in setting.fields})
            return True
        if not rest or not rest[0].isdigit() or int(rest[0]) >= len(rows):
            return False
        index = int(rest[0])
        if verb == "remove" and len(rest) == 1:
            rows.pop(index)
            return True
        if len(rest) < 2:
            return False
        fields = {field.name: field for field in setting.fields}
        setting = fields.get(rest[1])
        if setting is None:
            return False
        holder, key, rest = rows[index], rest[1], rest[2:]
