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

from app.services.access import (
    can_manage_board,
    can_manage_unit,
    can_view_card,
    can_view_unit,
    is_head_of,
)
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.notifications import notify
from app.services.plugin_cards import (
    card_transaction,
    cards_by_ids,
    find_unit,
    find_user,
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


# The web side: API blueprints and their contract (last: app.api imports this module's
# settings).
from app.api.contract import ApiModel, ApiResponse  # noqa: E402
from app.api.plugin_support import (  # noqa: E402
    api_blueprint,
    api_caller,
    api_json_body,
    api_operation,
    api_query,
)
