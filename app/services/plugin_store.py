"""Storage that plugins use through cergas.plugin: per-board settings and a key-value store."""

from flask import current_app, g, has_app_context
from sqlalchemy import bindparam, select

from app.extensions import db
from app.models import Board, BoardPlugin, PluginData, utcnow
from app.services import tx


def board_plugin_rows(board_id: int) -> dict[str, BoardPlugin]:
    """plugin name -> stored row for one board (one query, cached for the request)."""
    cache = g.setdefault("_board_plugins", {}) if has_app_context() else {}
    if board_id not in cache:
        rows = db.session.scalars(select(BoardPlugin).where(BoardPlugin.board_id == board_id))
        cache[board_id] = {row.plugin: row for row in rows}
    return cache[board_id]


def prime_board_plugins(board: Board) -> None:
    """Let `board_plugin_rows` answer from the rows loaded with `board` (`Board.plugin_rows`)."""
    if has_app_context() and "plugin_rows" in board.__dict__:
        cache = g.setdefault("_board_plugins", {})
        cache[board.id] = {row.plugin: row for row in board.plugin_rows}


def board_plugins_version(board_id: int) -> int:
    """A number that grows with every change to the board's plugin switches and settings (each
    row's version starts at 1 and is bumped by every save), as read by `board_plugin_rows`."""
    return sum(row.version for row in board_plugin_rows(board_id).values())


def forget_board_plugins() -> None:
    """The next `board_plugin_rows` reads the rows again. The rows read so far are expired too:
    the session would otherwise hand out the same objects with the values it read before."""
    if has_app_context():
        for rows in g.pop("_board_plugins", {}).values():
            for row in rows.values():
                if row in db.session:
                    db.session.expire(row)


def plugin_settings(board: Board, plugin_name: str) -> dict:
    """The plugin's settings on this board: declared defaults, overridden by what a head saved."""
    host = current_app.extensions["cergas_plugins"]
    declared = {setting.name: setting for setting in host.settings_of(plugin_name)}
    values = {name: setting.default for name, setting in declared.items()}
    row = board_plugin_rows(board.id).get(plugin_name)
    if row is not None:
        values.update(_usable(declared, row.settings))
    return values


def _usable(declared: dict, saved: dict | None) -> dict:
    """The saved values of declared settings, each as `Setting.stored` reads it (a number
    outside its range, saved before the range existed, reads as the default)."""
    return {
        name: declared[name].stored(value)
        for name, value in (saved or {}).items()
        if name in declared
    }


_DATA = PluginData.__table__.c
_GET_MANY = select(_DATA.key, _DATA.value).where(
    _DATA.plugin == bindparam("plugin"), _DATA.key.in_(bindparam("keys", expanding=True))
)


class PluginStore:
    """A small key-value store for one plugin. Values are anything JSON can hold.

    Inside a use case (e.g. a veto hook) writes join its transaction; elsewhere (after-commit
    hooks, periodic work) each write commits on its own.
    """

    def __init__(self, plugin_name: str):
        self.plugin = plugin_name

    def _row(self, key: str) -> PluginData | None:
        return db.session.scalar(
            select(PluginData).where(PluginData.plugin == self.plugin, PluginData.key == key)
        )

    def get(self, key: str, default=None):
        row = self._row(key)
        return default if row is None else row.value

    def keys(self, prefix: str = "") -> list[str]:
        query = select(PluginData.key).where(PluginData.plugin == self.plugin)
        if prefix:
            query = query.where(PluginData.key.startswith(prefix, autoescape=True))
        return list(db.session.scalars(query.order_by(PluginData.key)))

    def items(self, prefix: str = "") -> dict:
        """key -> value of every key starting with `prefix`, in one query (ordered by key)."""
        query = select(PluginData.key, PluginData.value).where(PluginData.plugin == self.plugin)
        if prefix:
            query = query.where(PluginData.key.startswith(prefix, autoescape=True))
        return {key: value for key, value in db.session.execute(query.order_by(PluginData.key))}

    def get_many(self, keys) -> dict:
        """key -> value of those `keys` that exist, in one query."""
        keys = list(keys)
        if not keys:
            return {}
        # A statement built once, on the session's connection: a card's answer asks this of
        # every plugin, and the ORM's execution cost more than the query. Every write of the
        # store is flushed at once (`tx.within_write`), so no pending row is missed.
        found = db.session.connection().execute(_GET_MANY, {"plugin": self.plugin, "keys": keys})
        return {key: value for key, value in found}

    def set(self, key: str, value) -> None:
        def write():
            row = self._row(key)
            if row is None:
                db.session.add(PluginData(plugin=self.plugin, key=key, value=value))
            else:
                row.value = value
                row.updated_at = utcnow()

        tx.within_write(write)

    def add(self, key: str, value) -> bool:
        """Store `value` under `key` only if the key is absent; True when this call stored it.

        Atomic across processes and hosts (INSERT .. ON CONFLICT DO NOTHING on the unique
        plugin+key): of two concurrent calls exactly one gets True. Use it for "do this once"
        (an alert already sent) inside the transaction that does the thing, so both commit or
        neither does."""
        dialect = db.session.get_bind().dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = (
            insert(PluginData)
            .values(plugin=self.plugin, key=key, value=value, updated_at=utcnow())
            .on_conflict_do_nothing(index_elements=["plugin", "key"])
            .returning(PluginData.id)
        )
        stored = []
        tx.within_write(lambda: stored.append(db.session.scalar(statement)))
        return stored[0] is not None

    def delete(self, key: str) -> None:
        def write():
            row = self._row(key)
            if row is not None:
                db.session.delete(row)

        tx.within_write(write)


def boards_with_settings(plugin_name: str) -> dict[int, dict]:
    """board id -> saved settings of every board where a head saved this plugin's settings and
    the plugin is enabled, in one query (boards without a row use the defaults)."""
    rows = db.session.execute(
        select(BoardPlugin.board_id, BoardPlugin.settings).where(
            BoardPlugin.plugin == plugin_name, BoardPlugin.enabled.is_(True)
        )
    )
    host = current_app.extensions["cergas_plugins"]
    declared = {setting.name: setting for setting in host.settings_of(plugin_name)}
    return {board_id: _usable(declared, settings) for board_id, settings in rows}


def plugin_store(plugin_name: str) -> PluginStore:
    return PluginStore(plugin_name)
