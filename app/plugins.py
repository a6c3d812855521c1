"""The plugin host: loads plugins from the `cergas` entry points and calls their hooks, one
plugin at a time, so that one broken plugin never breaks a request or hides another's answer.

Built in the app factory and kept in app.extensions["cergas_plugins"]; each app has its own.
Loading checks each plugin against the versioned contract (`cergas.plugin.API_VERSION`): a
plugin that supports other versions is not registered and shows as `incompatible`.
"""

import hashlib
import logging
import sys
import threading
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import PackageNotFoundError, entry_points
from importlib.metadata import version as distribution_version
from pathlib import Path
from types import ModuleType

import pluggy
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from app import hookspecs
from app.models import utcnow

log = logging.getLogger("cergas.plugins")
GROUP = "cergas"
STATUSES = ("loaded", "failed", "incompatible", "disabled")


@dataclass
class PluginRecord:
    """What the admin page, `cergas plugins` and `GET /api/v1/plugins` show about one plugin."""

    name: str
    version: str | None = None
    status: str = "loaded"  # one of STATUSES
    hooks: list[str] = field(default_factory=list)
    errors: int = 0
    last_error: str | None = None
    last_error_at: datetime | None = None
    source: str = ""
    # Its identity (cergas.plugin.PluginInfo); without one, the title is the name.
    title: str | None = None
    description: str = ""
    api_range: str | None = None
    # Why it is not loaded when incompatible (a lazy string: read in the reader's language).
    reason: str | None = None
    # Deprecated hooks it implements (pluggy's warn_on_impl), one line each.
    warnings: list[str] = field(default_factory=list)
    static_folder: Path | None = None
    # (file in static/, short hash of its content for cache-busting)
    stylesheets: list[tuple[str, str]] = field(default_factory=list)

    @property
    def display_title(self) -> str:
        return str(self.title) if self.title else self.name

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "title": self.display_title,
            "description": str(self.description or ""),
            "version": self.version,
            "api_range": self.api_range,
            "hooks": self.hooks,
            "status": self.status,
            "reason": str(self.reason) if self.reason else None,
            "warnings": list(self.warnings),
            "errors": self.errors,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at.isoformat() + "Z" if self.last_error_at else None,
        }


def _names(value: str | None) -> set[str] | None:
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


# --- the versioned contract ----------------------------------------------------------------------


def plugin_info(plugin):
    """The plugin's `PLUGIN_INFO` (a module attribute or an attribute of the plugin object), or
    None. Anything else than a `PluginInfo` there raises TypeError."""
    from cergas.plugin import PluginInfo

    info = getattr(plugin, "PLUGIN_INFO", None)
    if info is not None and not isinstance(info, PluginInfo):
        raise TypeError(f"PLUGIN_INFO is a {type(info).__name__}, not cergas.plugin.PluginInfo")
    return info


def cergas_version() -> str:
    """The installed Cergas distribution's version; from a source tree that was never
    installed, the API version (Cergas X.Y.Z offers plugin API X.*: docs/plugins.md)."""
    from cergas.plugin import API_VERSION

    try:
        return distribution_version("cergas")
    except PackageNotFoundError:
        return API_VERSION


def required_cergas(dist) -> SpecifierSet | None:
    """The versions of Cergas a plugin's distribution requires (its `Requires-Dist: cergas...`),
    or None when it names none (or is Cergas itself, whose built-in plugins ship with it)."""
    if dist is None or canonicalize_name(dist.metadata["Name"] or "") == "cergas":
        return None
    for line in dist.requires or []:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        if canonicalize_name(requirement.name) != "cergas":
            continue
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue  # e.g. only for the plugin's test extra
        return requirement.specifier
    return None


def incompatibility(info, dist=None) -> str | None:
    """Why a plugin cannot run against this Cergas (a lazy, translatable reason), or None."""
    from cergas.plugin import API_VERSION

    required = required_cergas(dist)
    if required is not None and str(required):
        installed = cergas_version()
        if not required.contains(installed, prereleases=True):
            return _l(
                "requires Cergas %(range)s, this server runs Cergas %(version)s",
                range=str(required),
                version=installed,
            )
    supported = SpecifierSet(info.api_range) if info and info.api_range is not None else None
    if supported is not None and not supported.contains(API_VERSION, prereleases=True):
        return _l(
            "supports plugin API %(range)s, this Cergas offers plugin API %(version)s",
            range=info.api_range,
            version=API_VERSION,
        )
    return None


def package_folder(plugin) -> Path | None:
    """The folder of the package a plugin lives in (its module, or the module of its class),
    where its `static/` and `templates/` are; None for a plugin that is a single module."""
    module = plugin if isinstance(plugin, ModuleType) else sys.modules.get(type(plugin).__module__)
    if module is None or not hasattr(module, "__path__") or not getattr(module, "__file__", None):
        return None
    return Path(module.__file__).resolve().parent


def deprecation_warnings(pm: pluggy.PluginManager, plugin) -> list[str]:
    """One line per deprecated hook (or deprecated hook argument) the plugin implements:
    pluggy warns about them at registration (`warn_on_impl`, `warn_on_impl_args`)."""
    lines = []
    for caller in pm.get_hookcallers(plugin) or []:
        spec = caller.spec
        if spec is None:
            continue
        for impl in caller.get_hookimpls():
            if impl.plugin is not plugin:
                continue
            if spec.warn_on_impl is not None:
                lines.append(f"{caller.name}: {spec.warn_on_impl}")
            for argument, warning in (getattr(spec, "warn_on_impl_args", None) or {}).items():
                if argument in impl.argnames:
                    lines.append(f"{caller.name}({argument}): {warning}")
    return sorted(lines)


# The installed plugins' entry points with their distributions' versions, found once per process
# (scanning every installed distribution's metadata costs milliseconds, and a test run builds
# thousands of apps), keyed by the lookup function so that a test replacing it finds its own.
_discovered: dict = {}


def installed_entry_points() -> list:
    """[(entry point, version or None)] of the group, in reverse order of name."""
    finder = entry_points
    found = _discovered.get(finder)
    if found is None:
        points = sorted(finder(group=GROUP), key=lambda ep: ep.name, reverse=True)
        found = [(ep, ep.dist.version if ep.dist else None) for ep in points]
        _discovered.clear()  # only the current function's answer is worth keeping
        _discovered[finder] = found
    return found


class PluginHost:
    def __init__(self):
        self.pm = pluggy.PluginManager(GROUP)
        self.pm.add_hookspecs(hookspecs)
        self.records: dict[str, PluginRecord] = {}
        self._lock = threading.Lock()
        self._loaded = False
        self._settings: dict[str, list] | None = None
        # Sign-in methods of plugins: name -> (plugin, AuthBackend) (app/auth/backends.py).
        self.auth_backends: dict = {}

    # --- loading ------------------------------------------------------------------------------

    def load(self, allow: str | None, deny: str | None, extra: dict | None = None) -> None:
        """Load installed plugins once. `allow`: comma list (None = all, "" = none); `deny`: comma
        list; `extra`: {name: plugin object} registered directly (tests, the test kit)."""
        if self._loaded:
            return
        self._loaded = True
        allowed, denied = _names(allow), _names(deny) or set()
        # pluggy calls the last registered implementation first: registering in reverse order
        # of name makes plugins without tryfirst/trylast answer in order of name.
        for ep, version in installed_entry_points():
            if (allowed is not None and ep.name not in allowed) or ep.name in denied:
                self.records[ep.name] = PluginRecord(ep.name, version, status="disabled")
                continue
            # A distribution requiring another Cergas is not even imported: its code may
            # import names this Cergas does not have.
            reason = incompatibility(None, ep.dist)
            if reason is not None:
                record = PluginRecord(ep.name, version, source=ep.value)
                self.records[ep.name] = record
                self._refuse(record, reason)
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # noqa: BLE001 - a plugin that cannot import is reported
                record = PluginRecord(ep.name, version, status="failed", source=ep.value)
                self.records[ep.name] = record
                self._note_error(record, f"import failed: {exc!r}", exc)
                continue
            self.register(plugin, ep.name, version=version, source=ep.value)
        # Given plugins are called in the order given (pluggy: last registered first).
        for name, plugin in reversed(list((extra or {}).items())):
            if name not in denied:
                self.register(plugin, name)

    def register(
        self, plugin, name: str, *, version: str | None = None, source: str = "", dist=None
    ) -> None:
        """Register one plugin after checking it against the contract: its `PLUGIN_INFO` (and
        `dist`'s requirement on Cergas), hook names, no hook wrappers."""
        record = PluginRecord(name, version, source=source)
        self.records[name] = record
        try:
            info = plugin_info(plugin)
        except TypeError as exc:
            record.status = "failed"
            self._note_error(record, str(exc))
            return
        if info is not None:
            record.title, record.description = info.title, info.description
            record.api_range = info.api_range
        reason = incompatibility(info, dist)
        if reason is not None:
            self._refuse(record, reason)
            return
        unknown = [
            attr
            for attr in dir(plugin)
            if attr.startswith("cergas_")
            and getattr(getattr(self.pm.hook, attr, None), "spec", None) is None
            and hasattr(getattr(plugin, attr, None), f"{GROUP}_impl")
        ]
        if unknown:
            record.status = "failed"
            self._note_error(record, f"unknown hooks: {', '.join(sorted(unknown))}")
            return
        try:
            self.pm.register(plugin, name=name)
        except Exception as exc:  # noqa: BLE001 - e.g. a hook with arguments its spec lacks
            record.status = "failed"
            self._note_error(record, f"registration failed: {exc}", exc)
            return
        wrappers = sorted(
            caller.name
            for caller in self.pm.get_hookcallers(plugin) or []
            for impl in caller.get_hookimpls()
            if impl.plugin is plugin and (impl.wrapper or impl.hookwrapper)
        )
        if wrappers:
            # Each plugin is called on its own so that one failure never hides another's
            # answer; a wrapper would run around nothing, so it is refused rather than ignored.
            self.pm.unregister(plugin)
            record.status = "failed"
            self._note_error(
                record,
                "hook wrappers are not supported (each plugin is called on its own, isolated "
                f"from the others): {', '.join(wrappers)}; use tryfirst or trylast instead",
            )
            return
        record.hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or [])
        record.warnings = deprecation_warnings(self.pm, plugin)
        for line in record.warnings:
            log.warning("plugin %s implements a deprecated hook: %s", name, line)
        self._static_files(record, plugin, info)
        self._settings = None

    def _refuse(self, record: PluginRecord, reason) -> None:
        """Not registered: it was written for another version of the contract."""
        record.status = "incompatible"
        record.reason = reason
        with force_locale("en"):  # the log is read by whoever runs the server
            log.warning("plugin %s is incompatible: %s", record.name, reason)

    def _static_files(self, record: PluginRecord, plugin, info) -> None:
        """Its `static/` folder and the stylesheets it declares (each with a hash of its content
        for the link, so a changed file is fetched again)."""
        folder = package_folder(plugin)
        if folder is not None and (folder / "static").is_dir():
            record.static_folder = folder / "static"
        for sheet in info.stylesheets if info is not None else ():
            path = record.static_folder / sheet if record.static_folder else None
            if path is None or not path.is_file():
                record.warnings.append(f"stylesheet {sheet} is not in the plugin's static folder")
                log.warning("plugin %s: stylesheet %s not found", record.name, sheet)
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            record.stylesheets.append((sheet, digest))

    def title_of(self, plugin_name: str) -> str:
        """The name people see: the plugin's title, or its name without one."""
        record = self.records.get(plugin_name)
        return record.display_title if record else plugin_name

    def stylesheet_urls(self) -> list[str]:
        """For base.html: every loaded plugin's stylesheets, by plugin name."""
        from flask import url_for

        return [
            url_for("plugin_files.static", plugin=record.name, filename=sheet, v=digest)
            for record in sorted(self.records.values(), key=lambda record: record.name)
            if record.status == "loaded"
            for sheet, digest in record.stylesheets
        ]

    def loaded(self) -> list[str]:
        return [name for name, record in self.records.items() if record.status == "loaded"]

    # --- calling ------------------------------------------------------------------------------

    def _note_error(self, record: PluginRecord, message: str, exc: BaseException | None = None):
        with self._lock:
            record.errors += 1
            record.last_error = message
            record.last_error_at = utcnow()
        if exc is not None:
            log.error(
                "plugin %s: %s\n%s", record.name, message, "".join(traceback.format_exception(exc))
            )
        else:
            log.error("plugin %s: %s", record.name, message)

    def failed(self, plugin_name: str, where: str, exc: BaseException) -> None:
        record = self.records.setdefault(plugin_name, PluginRecord(plugin_name))
        self._note_error(record, f"{where}: {exc!r}", exc)

    def guard(self, plugin_name: str, where: str, function, *args, **kwargs):
        """Call one plugin function; an exception is logged and counted, and gives None."""
        try:
            return function(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - isolation is the point
            self.failed(plugin_name, where, exc)
            return None

    def _impls(self, hook_name: str, board=None):
        """The implementations of a hook in pluggy's call order (tryfirst ones first, trylast
        ones last, otherwise the last registered first); on a board, only the plugins enabled
        there."""
        impls = list(reversed(getattr(self.pm.hook, hook_name).get_hookimpls()))
        if board is None or not impls:
            return impls
        from app.services.plugin_store import board_plugin_rows

        rows = board_plugin_rows(board.id)
        return [i for i in impls if rows.get(i.plugin_name) is None or rows[i.plugin_name].enabled]

    def call(self, hook_name: str, **kwargs) -> list[tuple[str, object]]:
        """(plugin name, result) for each implementation that answered; failures are isolated.
        When the hook gets a `board`, plugins disabled on that board are skipped. Records are
        passed as read-only views (app/plugin_views.py), built once for all implementations."""
        from app.plugin_views import views_of

        kwargs = views_of(kwargs)
        results = []
        for impl in self._impls(hook_name, kwargs.get("board")):
            arguments = {name: kwargs[name] for name in impl.argnames}
            try:
                result = impl.function(**arguments)
            except Exception as exc:  # noqa: BLE001 - isolation is the point
                self.failed(impl.plugin_name, hook_name, exc)
                continue
            results.append((impl.plugin_name, result))
        return results

    def has_move_vetoes(self) -> bool:
        """Whether any loaded plugin checks moves between columns (on some board)."""
        return bool(self.pm.hook.cergas_card_before_move.get_hookimpls())

    def may_refuse_move(self, board, card, source, target) -> bool:
        """Whether a plugin enabled on `board` may refuse this move between columns: its
        `cergas_move_scope` covers it, or it declares no scope (then any move may be refused;
        so may a scope hook that fails or answers something else than a `MoveScope`)."""
        from app.plugin_views import view_of
        from cergas.plugin import MoveScope

        vetoing = self._impls("cergas_card_before_move", board)
        if not vetoing:
            return False
        scopes = {i.plugin_name: i for i in self._impls("cergas_move_scope")}
        board_view = view_of(board)
        for impl in vetoing:
            scoping = scopes.get(impl.plugin_name)
            if scoping is None:
                return True
            try:
                # The spec's one argument; an implementation may leave it out (pluggy's rule).
                arguments = {"board": board_view} if scoping.argnames else {}
                scope = scoping.function(**arguments)
            except Exception as exc:  # noqa: BLE001 - fail closed: the locked path asks the veto
                self.failed(impl.plugin_name, "cergas_move_scope", exc)
                return True
            if not isinstance(scope, MoveScope):
                wrong = TypeError(f"returned {type(scope).__name__}, not MoveScope")
                self.failed(impl.plugin_name, "cergas_move_scope", wrong)
                return True
            if scope.covers(card.type, source.name, target.name, target.kind):
                return True
        return False

    def vetoes(self, hook_name: str = "cergas_card_before_move", **kwargs) -> list[dict]:
        """Every refusal of a move (or, with `cergas_card_before_update`, of an edit). A veto
        hook that raises refuses too (fail closed), and so does one that sets an attribute of the
        read-only views it receives."""
        from app.plugin_views import views_of
        from cergas.plugin import Veto

        kwargs = views_of(kwargs)
        refusals = []
        for impl in self._impls(hook_name, kwargs.get("board")):
            arguments = {name: kwargs[name] for name in impl.argnames}
            try:
                result = impl.function(**arguments)
            except Exception as exc:  # noqa: BLE001 - fail closed, but say who failed
                self.failed(impl.plugin_name, hook_name, exc)
                message = _(
                    "The plugin %(plugin)s failed while checking this change, so the change is "
                    "refused. Tell your administrator.",
                    plugin=self.title_of(impl.plugin_name),
                )
                refusals.append({"plugin": impl.plugin_name, "message": message})
                continue
            if isinstance(result, Veto):
                refusals.append({"plugin": impl.plugin_name, "message": str(result.message)})
            elif result is not None:
                wrong = TypeError(f"returned {type(result).__name__}, not Veto or None")
                self.failed(impl.plugin_name, hook_name, wrong)
        return refusals

    def _typed(self, hook_name: str, expected: type, **kwargs) -> list[tuple[str, object]]:
        """(plugin, item) for each item of each plugin's list answer that has the expected type."""
        items = []
        for plugin, result in self.call(hook_name, **kwargs):
            for item in result or []:
                if isinstance(item, expected):
                    items.append((plugin, item))
                else:
                    wrong = TypeError(f"returned {item!r}, not {expected.__name__}")
                    self.failed(plugin, hook_name, wrong)
        return items

    def _per_card(self, hook_name: str, cards, board):
        """(plugin, card id, value) from each plugin's {card_id: value} answer, one call per
        plugin for all the cards."""
        if not cards:
            return
        for plugin, result in self.call(hook_name, cards=cards, board=board):
            if isinstance(result, dict):
                for card_id, value in result.items():
                    yield plugin, card_id, value
            elif result is not None:
                self.failed(plugin, hook_name, TypeError("did not return a dict"))

    def card_badges(self, cards, board) -> dict[int, list[tuple[str, object]]]:
        """card id -> [(plugin, Badge)]."""
        from cergas.plugin import Badge

        badges: dict[int, list] = {}
        for plugin, card_id, items in self._per_card("cergas_card_badges", cards, board):
            for badge in items or []:
                if isinstance(badge, Badge):
                    badges.setdefault(card_id, []).append((plugin, badge))
                else:
                    wrong = TypeError(f"returned {badge!r}, not Badge")
                    self.failed(plugin, "cergas_card_badges", wrong)
        return badges

    def board_warnings(self, board, cards) -> list[tuple[str, object]]:
        from cergas.plugin import BoardWarning

        found = self._typed("cergas_board_warnings", BoardWarning, board=board, cards=cards)
        return one_warning_per_fact(found)

    def card_panels(self, card, board) -> list[tuple[str, object]]:
        from cergas.plugin import Panel

        return self._typed("cergas_card_panels", Panel, card=card, board=board)

    def card_api(self, cards, board) -> dict[int, dict[str, dict]]:
        """card id -> {plugin: data} for the API's "plugins" member."""
        extra: dict[int, dict] = {}
        for plugin, card_id, data in self._per_card("cergas_card_api", cards, board):
            extra.setdefault(card_id, {})[plugin] = data
        return extra

    def nav_items(self, user) -> list[tuple[str, object]]:
        """(plugin, NavItem) for the signed-in user's main navigation."""
        from cergas.plugin import NavItem

        return self._typed("cergas_nav_items", NavItem, user=user)

    def nav_items_for_current_user(self) -> list[tuple[str, object]]:
        """For base.html: asked once per page, only for a signed-in user."""
        from flask import g
        from flask_login import current_user

        if "_plugin_nav_items" not in g:
            user = current_user
            signed_in = user is not None and user.is_authenticated
            g._plugin_nav_items = self.nav_items(user._get_current_object()) if signed_in else []
        return g._plugin_nav_items

    def settings_of(self, plugin_name: str) -> list:
        """The `Setting`s a plugin declares (collected once)."""
        from cergas.plugin import Setting

        if self._settings is None:
            collected: dict[str, list] = {}
            for plugin, item in self._typed("cergas_settings", Setting):
                collected.setdefault(plugin, []).append(item)
            self._settings = collected
        return self._settings.get(plugin_name, [])

    def after(self, hook_name: str, **kwargs) -> None:
        """Call an after-commit hook once the current use case has committed."""
        from app.services import tx

        tx.after_commit(lambda: self.call(hook_name, **kwargs))


def init_app(app) -> PluginHost:
    """Build this app's plugin host, load plugins, mount their blueprints and commands, and let
    them check the configuration (`cergas_startup` may raise to refuse it)."""
    host = PluginHost()
    app.extensions["cergas_plugins"] = host
    host.load(
        app.config.get("CERGAS_PLUGINS"),
        app.config.get("CERGAS_DISABLED_PLUGINS"),
        app.config.get("CERGAS_PLUGIN_OBJECTS"),
    )
    for plugin, blueprints in host.call("cergas_register_blueprints"):
        for blueprint in blueprints or []:
            prefix = blueprint.url_prefix or f"/plugins/{plugin}"
            if getattr(blueprint, "cergas_api", False):  # cergas.plugin.api_blueprint: token auth
                from app.extensions import csrf

                csrf.exempt(blueprint)
            host.guard(
                plugin, "register blueprint", app.register_blueprint, blueprint, url_prefix=prefix
            )
    host.call("cergas_register_commands", cli=app.cli)
    from app.auth import backends

    host.auth_backends = backends.collect(host)
    app.register_blueprint(static_files_blueprint())

    @app.context_processor
    def plugin_nav():
        return {
            "plugin_nav_items": host.nav_items_for_current_user,
            "plugin_stylesheets": host.stylesheet_urls,
        }

    return host


def static_files_blueprint():
    """/plugins/<name>/static/<file>: the files of a loaded plugin's `static/` folder, served
    like the core's (conditional requests, no-store only for pages)."""
    from flask import Blueprint, abort, current_app, send_from_directory

    files = Blueprint("plugin_files", __name__)

    @files.get("/plugins/<string(maxlength=80):plugin>/static/<path:filename>", endpoint="static")
    def static(plugin: str, filename: str):
        record = current_app.extensions["cergas_plugins"].records.get(plugin)
        if record is None or record.status != "loaded" or record.static_folder is None:
            abort(404)
        return send_from_directory(record.static_folder, filename)

    return files


def startup(app) -> None:
    """The last step of the factory. Not isolated: a plugin refusing the configuration stops it."""
    host = app.extensions["cergas_plugins"]
    with app.app_context():
        for impl in reversed(host.pm.hook.cergas_startup.get_hookimpls()):
            impl.function(**{name: app for name in impl.argnames})


# Severity of a warning's tone: the one shown when several plugins warn about the same fact.
TONE_WEIGHT = {"danger": 3, "warning": 2, "info": 1, "success": 0}


def one_warning_per_fact(found: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """Keep one warning per `key` (the most severe, then the first), in the order the facts
    first appear; warnings without a key are all kept."""
    kept: list[tuple[str, object]] = []
    where: dict[str, int] = {}
    for plugin, warning in found:
        key = getattr(warning, "key", "")
        if not key:
            kept.append((plugin, warning))
        elif key not in where:
            where[key] = len(kept)
            kept.append((plugin, warning))
        elif TONE_WEIGHT.get(warning.tone, 0) > TONE_WEIGHT.get(kept[where[key]][1].tone, 0):
            kept[where[key]] = (plugin, warning)
    return kept
