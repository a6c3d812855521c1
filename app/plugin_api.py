"""The public API for Cergas plugins: everything a plugin may import.

    from app.plugin_api import hookimpl, Veto, Badge

Nothing else in `app` is public; see docs/plugins.md for the tutorial and the hook reference.
"""

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pluggy

from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.notifications import notify
from app.services.plugin_cards import (
    api_blueprint,
    api_caller,
    api_json_body,
    can_manage_board,
    can_view_card,
    card_transaction,
    cards_by_ids,
    find_unit,
    find_user,
    is_head_of,
    move_card_in_transaction,
    plugin_transaction,
    record_card_event,
    unit_heads,
    users_by_ids,
)
from app.services.plugin_reads import (
    CardRow,
    EventRow,
    assign_card,
    card_events_since,
    card_rows,
    column_kinds,
    memberships_of,
    unit_boards,
    users_by_logins,
    visible_board,
    visible_unit,
    visible_units,
)
from app.services.plugin_scan import (
    CardClock,
    CardMove,
    board_columns,
    card_moves,
    heads_of_units,
    scan_cards,
)
from app.services.plugin_store import (
    PluginStore,
    boards_with_settings,
    plugin_settings,
    plugin_store,
)
from app.services.skills import (
    LEARNING_ACTIVITIES,
    certificate_state,
    certificates_expiring,
    certificates_of_users,
    delete_learning,
    editable_person,
    learning_of_users,
    record_learning,
    required_skills,
    skill_catalog,
    skills_of_users,
    visible_person,
)
from app.services.staffing import (
    ActiveLoad,
    active_load,
    can_manage_unit,
    can_view_unit,
    unit_cards,
    unit_people,
    unit_tree_ids,
    units_managed_by,
)
from app.workcal import (
    DURATION_UNITS,
    WorkCalendar,
    default_calendar,
    national_holidays,
    work_calendar,
    work_calendars,
)

hookimpl = pluggy.HookimplMarker("cergas")

TONES = ("info", "success", "warning", "danger")
SETTING_TYPES = ("bool", "int", "float", "str", "text", "date", "list", "json")

__all__ = [
    "TONES",
    "SETTING_TYPES",
    "Badge",
    "BoardWarning",
    "Panel",
    "PluginStore",
    "Setting",
    "SettingError",
    "Veto",
    "MoveScope",
    "hookimpl",
    "notify",
    "NavItem",
    "ApiModel",
    "ApiResponse",
    "api_blueprint",
    "api_operation",
    "api_query",
    "api_caller",
    "api_json_body",
    "can_manage_board",
    "can_view_card",
    "card_transaction",
    "cards_by_ids",
    "find_unit",
    "find_user",
    "is_head_of",
    "move_card_in_transaction",
    "plugin_transaction",
    "Conflict",
    "Forbidden",
    "Invalid",
    "NotFound",
    "record_card_event",
    "unit_heads",
    "users_by_ids",
    "plugin_settings",
    "plugin_store",
    "required_skills",
    "skill_catalog",
    "skills_of_users",
    # skills, certificates and the learning log (app/services/skills.py)
    "LEARNING_ACTIVITIES",
    "certificate_state",
    "certificates_expiring",
    "certificates_of_users",
    "delete_learning",
    "editable_person",
    "learning_of_users",
    "record_learning",
    "visible_person",
    # people and work across a unit (app/services/staffing.py)
    "ActiveLoad",
    "active_load",
    "can_manage_unit",
    "can_view_unit",
    "unit_cards",
    "unit_people",
    "unit_tree_ids",
    "units_managed_by",
    # boards, cards and their history across a unit (app/services/plugin_reads.py)
    "CardRow",
    "EventRow",
    "assign_card",
    "card_events_since",
    "card_rows",
    "column_kinds",
    "memberships_of",
    "unit_boards",
    "users_by_logins",
    "visible_board",
    "visible_unit",
    "visible_units",
    # periodic work over many cards (app/services/plugin_scan.py)
    "CardClock",
    "CardMove",
    "board_columns",
    "boards_with_settings",
    "card_moves",
    "heads_of_units",
    "scan_cards",
    # the working-day calendar of a unit (app/workcal.py)
    "DURATION_UNITS",
    "WorkCalendar",
    "default_calendar",
    "national_holidays",
    "work_calendar",
    "work_calendars",
]


def _tone(tone: str) -> str:
    if tone not in TONES:
        raise ValueError(f"tone must be one of {', '.join(TONES)}, not {tone!r}")
    return tone


@dataclass(frozen=True)
class Veto:
    """Returned by `cergas_card_before_move` to refuse a move; the message is shown to the user."""

    message: str


def _column_name(name: str | None) -> str:
    return (name or "").strip().casefold()


@dataclass(frozen=True)
class MoveScope:
    """Returned by `cergas_move_scope`: the moves between columns that the plugin's
    `cergas_card_before_move` may refuse on a board. A move is in scope when the card's type is
    one of `card_types` (None: any type) and it leaves or enters a column named in `columns`
    (compared without case and outer spaces) or enters a column whose kind is in
    `target_kinds`. `MoveScope()` refuses nothing."""

    card_types: frozenset[str] | None = frozenset()
    columns: frozenset[str] = frozenset()
    target_kinds: frozenset[str] = frozenset()

    def __post_init__(self):
        if self.card_types is not None:
            object.__setattr__(self, "card_types", frozenset(self.card_types))
        object.__setattr__(self, "columns", frozenset(_column_name(c) for c in self.columns))
        object.__setattr__(self, "target_kinds", frozenset(self.target_kinds))

    def covers(self, card_type: str, source_name: str, target_name: str, target_kind: str) -> bool:
        if self.card_types is not None and card_type not in self.card_types:
            return False
        return (
            _column_name(source_name) in self.columns
            or _column_name(target_name) in self.columns
            or target_kind in self.target_kinds
        )


@dataclass(frozen=True)
class Badge:
    """A small label on a card. `title` is the longer text shown on hover and to screen readers."""

    text: str
    tone: str = "info"
    title: str | None = None

    def __post_init__(self):
        _tone(self.tone)


@dataclass(frozen=True)
class BoardWarning:
    """A line above a board (and in the board API), e.g. an SLA about to be breached."""

    text: str
    tone: str = "warning"

    def __post_init__(self):
        _tone(self.tone)


@dataclass(frozen=True)
class Panel:
    """A box on the card view, rendered (and escaped) by the core from the plugin's template."""

    title: str
    template: str
    context: dict = field(default_factory=dict)


@dataclass(frozen=True)
class NavItem:
    """A link in the main navigation, e.g. an inbox with the number of waiting items. `endpoint`
    (a Flask endpoint prefix) marks the link as the current page; `count` None shows no badge."""

    text: str
    url: str
    count: int | None = None
    endpoint: str | None = None


class SettingError(ValueError):
    """A setting value of the wrong type; the message is shown next to the field."""


@dataclass(frozen=True)
class Setting:
    """One per-board setting of a plugin: `type` is one of SETTING_TYPES."""

    name: str
    type: str
    default: Any
    label: str
    help: str = ""
    # Optional check of a cleaned value: raise SettingError (shown next to the field / in the
    # API's `fields`) or return the value to store.
    validate: Any = None

    def __post_init__(self):
        if self.type not in SETTING_TYPES:
            raise ValueError(f"Setting type must be one of {', '.join(SETTING_TYPES)}")

    def clean(self, value, *, from_form: bool = False):
        """The value as this setting's type, or SettingError. Forms send text; JSON sends types."""
        value = self._clean_type(value, from_form=from_form)
        if self.validate is not None:
            return self.validate(value)
        return value

    def _clean_type(self, value, *, from_form: bool):
        from flask_babel import gettext as _

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
                try:
                    number = float(value.replace(",", "."))
                except ValueError:
                    raise SettingError(_("Must be a number.")) from None
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


def api_operation(
    summary, *, responses=None, query=(), errors=(), tags=(), description="", body=None
):
    """Declare a view of an `api_blueprint` for the API contract and the OpenAPI document: its
    summary, the query parameters it reads (`api_query(...)`; any other is a 422 like an
    unknown body field), response statuses with their models (`{200: None}` by default: an
    undescribed JSON answer) and extra error statuses. `body`, an `ApiModel`, is the JSON body
    the view reads: `api_json_body()` then validates it (422 `validation_error` naming each
    field of the wrong type or unknown) and the document shows the same model. Response models
    are `ApiResponse`s describing exactly what the view answers. Put it above or below the
    route decorator."""
    from app.api.contract import operation

    return operation(
        summary,
        responses=responses or {200: None},
        body=body,
        query=tuple(query),
        errors=tuple(errors),
        tags=tuple(tags),
        description=description,
    )


def api_query(name: str, schema: dict | None = None, description="") -> Any:
    """A query parameter an `api_operation` reads, e.g. `api_query("from", {"type": "string",
    "format": "date"})`."""
    from app.api.contract import QueryParam

    return QueryParam(name, schema or {"type": "string"}, description)


# The models of `api_operation` (last: app.api imports this module's settings).
from app.api.contract import ApiModel, ApiResponse  # noqa: E402
