"""The public API for Cergas plugins: everything a plugin may import.

    from cergas.plugin import hookimpl, Veto, Badge

`API_VERSION` is the version of this contract (semantic versioning: a minor release adds, a
major release may remove what was deprecated). Nothing in `app` is public; see docs/plugins.md
for the tutorial and the hook reference, and CHANGELOG.md for what changed.
"""

from dataclasses import dataclass, field

import pluggy

from app.api.contract import ApiModel, ApiResponse
from app.api.plugin_support import (
    api_blueprint,
    api_caller,
    api_json_body,
    api_operation,
    api_query,
)
from app.auth.backends import AuthBackend, AuthField, sign_in_as
from app.clock import now
from app.plugin_schema import plugin_model_base
from app.plugin_views import (
    BoardView,
    CardView,
    ColumnView,
    ReadOnlyError,
    SprintView,
    TeamView,
    UnitView,
    UserView,
    for_plugins,
)
from app.services.access import (
    can_manage_board,
    can_manage_unit,
    can_view_card,
    can_view_unit,
    is_head_of,
)
from app.services.attachment_data import AttachmentChange, AttachmentFile, AttachmentInfo
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.services.mail import absolute_link, check_mail_settings, parse_smtp_url, send_email
from app.services.notifications import notify
from app.services.plugin_cards import (
    acting_heads,
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
    card_attachments,
    card_events_since,
    card_rows,
    cards_attachments,
    column_kinds,
    memberships_of,
    unit_boards,
    users_by_logins,
    visible_board,
    visible_unit,
    visible_units,
)
from app.services.plugin_records import (
    ActingPerson,
    CardComment,
    Person,
    PluginBoard,
    UnitInfo,
    UnitSummary,
    boards_with_plugin,
    card_comments,
    comments_of_cards,
    unit_by_code,
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
from app.services.setting_types import (
    SETTING_TYPES,
    Setting,
    SettingError,
    board_column,
    configured_board,
    resolve_person,
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
from app.services.spreadsheets import csv_text, safe_cell, xlsx_append
from app.services.staffing import (
    ActiveLoad,
    active_load,
    unit_cards,
    unit_people,
    unit_tree_ids,
    units_managed_by,
)
from app.services.validation import ascii_int
from app.workcal import (
    DURATION_UNITS,
    WorkCalendar,
    default_calendar,
    national_holidays,
    work_calendar,
    work_calendars,
)

API_VERSION = "1.3.0"

# The profile helpers the core's own pages share with plugins: plugins get a `UserView`.
visible_person = for_plugins(visible_person)
editable_person = for_plugins(editable_person)

hookimpl = pluggy.HookimplMarker("cergas")

TONES = ("info", "success", "warning", "danger")

__all__ = [
    "API_VERSION",
    "now",
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
    "AttachmentChange",
    "AttachmentFile",
    "AttachmentInfo",
    "card_attachments",
    "cards_attachments",
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
    "acting_heads",
    "configured_board",
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
    # whole numbers from forms and query strings, ASCII digits only (app/services/validation.py)
    "ascii_int",
    # CSV and XLSX exports safe to open in a spreadsheet (app/services/spreadsheets.py)
    "csv_text",
    "safe_cell",
    "xlsx_append",
    # email over SMTP_URL, as the core sends it (app/services/mail.py)
    "absolute_link",
    "check_mail_settings",
    "parse_smtp_url",
    "send_email",
    # the working-day calendar of a unit (app/workcal.py)
    "DURATION_UNITS",
    "WorkCalendar",
    "default_calendar",
    "national_holidays",
    "work_calendar",
    "work_calendars",
    # a plugin's own tables, migrated by its own Alembic branch (app/plugin_schema.py)
    "plugin_model_base",
    "plugin_session",
    "plugin_write",
    # read-only views of the records hooks receive and helpers answer (app/plugin_views.py)
    "BoardView",
    "CardView",
    "ColumnView",
    "ReadOnlyError",
    "SprintView",
    "TeamView",
    "UnitView",
    "UserView",
    # boards where a plugin is on, comments, a unit with its parents and heads, as frozen
    # records (app/services/plugin_records.py)
    "ActingPerson",
    "CardComment",
    "Person",
    "PluginBoard",
    "UnitInfo",
    "UnitSummary",
    "boards_with_plugin",
    "card_comments",
    "comments_of_cards",
    "unit_by_code",
    # settings checked against the board being configured (app/services/setting_types.py)
    "board_column",
    "resolve_person",
    # the versioned contract: who a plugin is and which API versions it supports (app/plugins.py)
    "PluginInfo",
    # sign-in methods of plugins, `cergas_auth_backends` (app/auth/backends.py; API 1.1.0)
    "AuthBackend",
    "AuthField",
    "sign_in_as",
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
    """A line above a board (and in the board API), e.g. an SLA about to be breached.

    `key` names the fact the warning is about (e.g. ``"skill-single-holder:public-speaking"``):
    when several plugins warn about the same fact, the board shows one warning, the most severe
    (then the first). Leave it empty for a warning of your own. (API 1.3.0)
    """

    text: str
    tone: str = "warning"
    key: str = ""

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


def plugin_session():
    """The database session of the request (or command): read a plugin's own models with it
    (`plugin_session().get(Model, key)`, `plugin_session().scalars(select(...))`). Write only
    inside `card_transaction`, `plugin_transaction`, a veto hook, or `plugin_write`."""
    from app.extensions import db

    return db.session


def plugin_write(work) -> None:
    """Run `work()` (which adds, changes or deletes rows of the plugin's own models through
    `plugin_session()`) in the current write transaction, or in one of its own that commits
    when none is open (an after-commit hook, periodic work)."""
    from app.services import tx

    tx.within_write(work)


@dataclass(frozen=True)
class PluginInfo:
    """Who a plugin is, declared as the module attribute `PLUGIN_INFO` (or an attribute of the
    plugin object). `title` and `description` are what people see instead of the entry point's
    name (mark them with Flask-Babel's `lazy_gettext`, English msgid, or write them in your
    users' language); `api_range` is the plugin API versions the plugin supports, a PEP 440
    specifier set such as `">=1.0,<2"` (None: any); `stylesheets` are files in the plugin
    package's `static/` folder that every page links while the plugin is loaded."""

    title: str
    description: str = ""
    api_range: str | None = None
    stylesheets: tuple[str, ...] = ()

    def __post_init__(self):
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        if self.api_range is not None:
            try:
                SpecifierSet(self.api_range)
            except InvalidSpecifier as exc:
                raise ValueError(f"api_range {self.api_range!r} is not a version range") from exc
        if isinstance(self.stylesheets, str):
            raise ValueError("stylesheets must be a list of file names, not one string")
        sheets = tuple(self.stylesheets)
        for sheet in sheets:
            parts = sheet.replace("\\", "/").split("/")
            if not sheet.endswith(".css") or sheet.startswith("/") or ".." in parts:
                raise ValueError(f"stylesheet {sheet!r} must be a .css file inside static/")
        object.__setattr__(self, "stylesheets", sheets)
