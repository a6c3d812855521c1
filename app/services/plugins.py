"""Plugins on one board: which loaded plugins are enabled there and with which settings.

A board has no BoardPlugin row for a plugin until a head changes something: then the plugin is
enabled with its declared defaults. Heads of the board's unit (or an ancestor) and admins change
the switch and the settings; everyone who may see the board may read them.
"""

import json
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Board, BoardPlugin, User, utcnow
from app.services import audit
from app.services import validation as v
from app.services.access import managed_board, visible_board
from app.services.errors import Invalid, NotFound
from app.services.plugin_store import board_plugin_rows, forget_board_plugins, plugin_settings
from app.services.setting_types import Setting, SettingError, configuring
from app.services.tx import lock_board, write_transaction


@dataclass
class BoardPluginState:
    """One loaded plugin as a board sees it."""

    name: str
    version: str | None
    enabled: bool
    settings: list[Setting] = field(default_factory=list)
    values: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"plugin": self.name, "enabled": self.enabled, "settings": self.values}


def _host():
    return current_app.extensions["cergas_plugins"]


def _state(board: Board, name: str) -> BoardPluginState:
    host = _host()
    row = board_plugin_rows(board.id).get(name)
    return BoardPluginState(
        name=name,
        version=host.records[name].version,
        enabled=row is None or row.enabled,
        settings=list(host.settings_of(name)),
        values=plugin_settings(board, name),
    )


def _loaded(name) -> str:
    if not isinstance(name, str) or name not in _host().loaded():
        raise NotFound("not_found", _("No plugin of this name is loaded."))
    return name


def board_plugins(actor: User, board_id) -> list[BoardPluginState]:
    """Every loaded plugin with its switch and settings on this board (board viewers)."""
    board = visible_board(actor, board_id)
    return [_state(board, name) for name in sorted(_host().loaded())]


def board_plugin(actor: User, board_id, plugin) -> BoardPluginState:
    """One loaded plugin on this board (board viewers); an unknown plugin is 404."""
    board = visible_board(actor, board_id)
    return _state(board, _loaded(plugin))


def _storable(value) -> bool:
    """True when every database stores the value as JSON: finite numbers, and text without NUL
    characters or lone surrogates (e.g. "nan" typed into a number field would not be)."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return False
    return not v.has_unstorable_text(value)


def setting_error_fields(key: str, exc: SettingError) -> dict:
    """The `fields` of a refused setting: its name with the first message, and for an error
    inside a record list also `<name>.<row>.<field>...` (e.g. `chains.0.review_column`)."""
    fields = {key: exc.summary}
    for path, message in exc.errors:
        if path:
            fields.setdefault(".".join([key, *map(str, path)]), message)
    return fields


def clean_settings(plugin: str, settings, *, from_form: bool = False) -> dict:
    """The given settings as their declared types, or a 422 naming each bad or unknown key."""
    if not isinstance(settings, dict):
        raise Invalid(
            "validation_error",
            _("Some fields are not valid."),
            fields={"settings": _("Must be an object of setting names and values.")},
        )
    declared = {setting.name: setting for setting in _host().settings_of(plugin)}
    cleaned, errors = {}, {}
    for key, value in settings.items():
        setting = declared.get(key)
        if setting is None:
            errors[str(key)] = _("Unknown field.")
            continue
        try:
            cleaned[key] = setting.clean(value, from_form=from_form)
        except SettingError as exc:
            errors.update(setting_error_fields(key, exc))
        except (ValueError, OverflowError, RecursionError):
            # e.g. "²" passes str.isdigit() but not int(); a plugin's own clean() may slip too.
            errors[key] = _("This value cannot be used here.")
        else:
            if not _storable(cleaned[key]):
                errors[key] = _("This value cannot be used here.")
    if errors:
        raise Invalid("validation_error", _("Some fields are not valid."), fields=errors)
    return cleaned


def _refuse_vetoed(board, plugin, before, enabled, cleaned, changes, actor) -> None:
    """Ask `cergas_board_plugin_before_change` of the plugins enabled on the board (fail closed:
    one that raises refuses); a refusal is a 422 whose message stands next to the switch when
    the switch changes, else next to each changed setting. Nothing is written."""
    refusals = _host().vetoes(
        "cergas_board_plugin_before_change",
        board=board,
        plugin=plugin,
        enabled=before.enabled if enabled is None else enabled,
        settings={**before.values, **cleaned},
        actor=actor,
    )
    if not refusals:
        return
    message = " ".join(refusal["message"] for refusal in refusals)
    keys = ["enabled"] if "enabled" in changes else sorted(changes)
    raise Invalid("plugin_change_refused", message, fields={key: message for key in keys})


def set_board_plugin(
    actor: User,
    board_id,
    plugin,
    *,
    enabled: bool | None = None,
    settings: dict | None = None,
    from_form: bool = False,
) -> BoardPluginState:
    """Switch a plugin on or off on a board and/or change some of its settings (heads, admins).

    Only the settings given change; the others keep their stored or default values. Members get
    403, those who may not see the board 404, an unknown plugin 404, bad values 422 (and nothing
    is written)."""
    board = managed_board(actor, board_id)
    plugin = _loaded(plugin)
    if enabled is not None and not isinstance(enabled, bool):
        raise Invalid(
            "validation_error",
            _("Some fields are not valid."),
            fields={"enabled": _("Must be true or false.")},
        )
    cleaned = {}
    if settings is not None:
        with configuring(board, actor):
            cleaned = clean_settings(plugin, settings, from_form=from_form)
    with write_transaction():
        board = managed_board(actor, board.id)
        lock_board(board.id)
        forget_board_plugins()
        before = _state(board, plugin)
        row = db.session.scalar(
            select(BoardPlugin).where(
                BoardPlugin.board_id == board.id, BoardPlugin.plugin == plugin
            )
        )
        changes = {
            key: [before.values.get(key), value]
            for key, value in cleaned.items()
            if before.values.get(key) != value
        }
        if enabled is not None and enabled != before.enabled:
            changes["enabled"] = [before.enabled, enabled]
        if changes:
            _refuse_vetoed(board, plugin, before, enabled, cleaned, changes, actor)
            if row is None:
                row = BoardPlugin(board_id=board.id, plugin=plugin, enabled=True, settings={})
                db.session.add(row)
            else:
                row.version += 1
            if enabled is not None:
                row.enabled = enabled
            # A new dict, so the JSON column sees the change.
            row.settings = {**(row.settings or {}), **cleaned}
            row.updated_at = utcnow()
            audit.record(
                "plugin_settings_changed", actor, board_id=board.id, plugin=plugin, changes=changes
            )
    forget_board_plugins()
    return _state(board, plugin)


def _column_renamed(setting: Setting, value, old_key: str, new: str):
    """`value` of `setting` with every mention of the column `old_key` (compared without case
    and outer spaces) replaced by `new`; record lists are followed into their fields."""

    def same(name) -> bool:
        return isinstance(name, str) and name.strip().casefold() == old_key

    if setting.type == "column":
        return new if same(value) else value
    if setting.type == "columns" and isinstance(value, list):
        return [new if same(item) else item for item in value]
    if setting.type == "records" and isinstance(value, list):
        fields = {field.name: field for field in setting.fields}
        return [
            {
                key: _column_renamed(fields[key], item, old_key, new) if key in fields else item
                for key, item in row.items()
            }
            if isinstance(row, dict)
            else row
            for row in value
        ]
    return value


def follow_column_rename(board: Board, old: str, new: str, actor: User | None) -> None:
    """A column of `board` was renamed from `old` to `new` (inside that write transaction,
    under the board lock): every plugin setting on the board that names the column by a
    column type (`column`, `columns`, inside `records`) is changed to the new name, so that a
    paraf chain or an SLA pause keeps meaning the same column. Audited as a settings change;
    not a change a plugin may refuse, as nothing changes in meaning."""
    old_key = (old or "").strip().casefold()
    if not old_key or old_key == (new or "").strip().casefold():
        return
    rows = db.session.scalars(select(BoardPlugin).where(BoardPlugin.board_id == board.id))
    for row in rows:
        if row.plugin not in _host().loaded() or not row.settings:
            continue
        declared = {setting.name: setting for setting in _host().settings_of(row.plugin)}
        changes = {}
        for name, value in row.settings.items():
            if name in declared:
                renamed = _column_renamed(declared[name], value, old_key, new)
                if renamed != value:
                    changes[name] = [value, renamed]
        if changes:
            row.settings = {**row.settings, **{name: new for name, (_old, new) in changes.items()}}
            row.version += 1
            row.updated_at = utcnow()
            audit.record(
                "plugin_settings_changed",
                actor,
                board_id=board.id,
                plugin=row.plugin,
                changes=changes,
                reason=_("Column %(old)s renamed to %(new)s.", old=old, new=new),
            )
    # Written before the cached rows are expired (expiring would drop the unflushed change).
    db.session.flush()
    forget_board_plugins()
