"""The hooks Cergas calls. Plugins implement them with `cergas.plugin.hookimpl`.

Every hook is called with keyword arguments; an implementation may accept fewer arguments than
its spec. Hooks that decorate cards receive every card of a render at once. Hooks return data
(`Veto`, `MoveScope`, `Badge`, `BoardWarning`, `Panel`, `Setting`), never HTML.

Each spec is typed and documented: the first line of its docstring says what it is for, the
rest (**When**, **Transaction**, **Returns**, an example) is the hook reference of
docs/plugins.md, generated from these docstrings by `make hook-reference`
(tools/hook_reference.py); a test fails when the two differ.

Deprecating a hook: mark its spec `@hookspec(warn_on_impl=deprecated("1.1", "use cergas_x"))`
(or one argument: `warn_on_impl_args={"arg": deprecated(...)}`). Pluggy warns when a plugin
implementing it registers; the host records the warning against that plugin (`cergas plugins`,
/admin/plugins, `GET /api/v1/plugins`) and logs it. Record it in CHANGELOG.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:
    from datetime import date, datetime

    import click
    from flask import Blueprint, Flask

    from app.demo import DemoOffice
    from app.models import Notification
    from app.plugin_views import BoardView, CardView, ColumnView, SprintView, UserView
    from app.services.attachment_data import AttachmentChange, AttachmentFile
    from cergas.plugin import (
        AuthBackend,
        Badge,
        BoardWarning,
        MoveScope,
        NavItem,
        Panel,
        Setting,
        Veto,
    )

hookspec = pluggy.HookspecMarker("cergas")


def deprecated(since: str, instead: str, removed_in: str = "2.0") -> DeprecationWarning:
    """The warning for `@hookspec(warn_on_impl=deprecated("1.1", "use cergas_x instead"))`:
    the plugin API version that deprecated the hook, what to do instead, and the version that
    removes it."""
    return DeprecationWarning(
        f"deprecated since plugin API {since}, removed in {removed_in}: {instead}"
    )


class NotificationChannel(Protocol):
    """What `cergas_notification_channels` returns: an object that delivers a notification."""

    def deliver(self, notification: Notification) -> None: ...


@hookspec
def cergas_startup(app: Flask) -> None:
    """Check the configuration once at start; raise to refuse it.

    **When**: once, at the end of Cergas' app factory (every process: web workers, `cergas`
    commands), after all plugins are loaded. **Transaction**: none; an app context is active.
    **Returns**: nothing. Raise an exception to refuse to start, e.g. on missing configuration. Not
    isolated: the exception stops the app (that is the point).

    ```python
    @hookimpl
    def cergas_startup(app):
        if not app.config.get("SMTP_URL"):
            raise RuntimeError("surel-dinas: set SMTP_URL")
    ```
    """


@hookspec
def cergas_register_blueprints() -> list[Blueprint]:
    """Return the Flask blueprints of the plugin's pages and API.

    **When**: once, in the app factory. **Transaction**: none. **Returns**: a list of Flask
    `Blueprint`s. Each is mounted under `/plugins/<plugin-name>` unless it sets its own
    `url_prefix`. A blueprint's `template_folder` is also where the templates of your `Panel`s
    are found. Protect your views yourself (e.g. `flask_login.login_required`); write through
    the public API only. Take row ids in URLs with the `id` converter (`/cards/<id:card_id>`):
    it matches 1 to 2^31-1 only, so any other number is a 404 before your view runs.

    ```python
    from flask import Blueprint, jsonify

    bp = Blueprint("nomor_surat", __name__, template_folder="templates")


    @bp.get("/status")
    def status():
        return jsonify({"ok": True})  # GET /plugins/nomor-surat/status


    @hookimpl
    def cergas_register_blueprints():
        return [bp]
    ```
    """


@hookspec
def cergas_register_commands(cli: click.Group) -> None:
    """Add click commands to the `cergas` command group.

    **When**: once, in the app factory. **Transaction**: none. **Returns**: nothing; add `click`
    commands to `cli`, the `cergas` command group. Commands run with an app context.

    ```python
    import click


    @hookimpl
    def cergas_register_commands(cli):
        @cli.command("nomor-surat-check", help="List letters in Done without a number.")
        def check():
            click.echo("...")
    ```

    Then: `cergas nomor-surat-check`.
    """


@hookspec
def cergas_settings() -> list[Setting]:
    """Return the per-board settings of the plugin, with their defaults.

    **When**: when the settings page, the settings API or `plugin_settings()` first need it (the
    answer is collected once per process). **Transaction**: none. **Returns**: a list of
    `Setting(name, type, default, label, help="", validate=None, minimum=None, maximum=None,
    choices=(), fields=(), required=False, max_items=50, add_label="", row_label="")`; `type` is one
    of `SETTING_TYPES`: the scalars `bool`, `int`, `float`, `str`, `text`, `date`, `list`, `json`,
    `choice`, and the types checked against the board (see "Setting types checked against the
    board") `column`, `columns`, `unit`,
    `person`, `card_type`, `records`. Read the values with `plugin_settings(board, name)`.

    ```python
    @hookimpl
    def cergas_settings():
        return [
            Setting(
                "max_days",
                "int",
                10,
                "Working days to answer",
                help="UU 25/2009",
                minimum=1,
                maximum=60,
            )
        ]
    ```

    **Ranges.** Every `int` and `float` setting has a range, `minimum` to `maximum` (both included).
    Without them it is 0 to 1,000,000: always give the range that makes sense, as a number is often
    a loop count or a span of days (a workload horizon of 999999999999999 days once made every
    board page take seconds). The type enforces it wherever a value comes in: the settings form
    (which shows the range under the field and as the input's `min`/`max`) and
    `PUT /api/v1/boards/<id>/plugins/<name>/settings` refuse a value outside it with a field error,
    before `validate` runs; `plugin_settings()` and `boards_with_settings()` read a stored value
    outside it (stored before the range existed, or of the wrong type) as the default. An empty
    value (`None`) stays allowed when the default is `None`. A `Setting` whose default lies outside
    its range, whose minimum is above its maximum, whose `int` bounds are not whole, or a setting of
    another type with a range raises `ValueError` when it is created.

    The built-in plugins' number settings: workload `default_estimate` 0 to 200, `effective_hours`
    0.5 to 24, `horizon_days` 1 to 260, `overload_factor` 0.5 to 10, `overload_effectiveness` 0.1
    to 10, `imbalance_threshold` 0 to 1, `suggestions` 0 to 20 (docs/workload.md); competency
    `busy_at` 1 to 100 or empty; approvals `remind_after_days` 0 to 365. The SLA plugin's numbers
    are fields of its `policies` record list (a duration above 0 and at most 10,000, `at_risk`
    between 0 and 1). The approvals `chains` and the SLA `policies` are record lists: see
    [approvals.md](approvals.md#configuring-a-chain) and [sla.md](sla.md#policies-board-settings).
    """


@hookspec
def cergas_card_before_move(
    card: CardView, source: ColumnView | None, target: ColumnView, actor: UserView, board: BoardView
) -> Veto | None:
    """Refuse a move between columns (or a creation into a column) with a `Veto`.

    **When**: before a card moves from column `source` to column `target` (never for a reorder
    within one column), after the core's own checks passed; and when a card is **created** straight
    into `target` (any column, through the board, the API or a plugin helper), with `source` `None`
    and the card already flushed (it has its `id`): creating a card in a column passes the same
    vetoes as moving it there. **Transaction**: inside the move's (or creation's) transaction;
    writes commit or roll back with it. **Returns**: `Veto(message)` to refuse,
    or `None`. Every veto is collected; any veto refuses the move (`409 vetoed`). An exception
    refuses the move too (fail closed), naming the plugin. Not asked on boards where the plugin is
    switched off.

    ```python
    @hookimpl
    def cergas_card_before_move(card, target, actor):
        if target.kind == "done" and card.assignee is None:
            return Veto("Tentukan penanggung jawab sebelum Selesai.")
        return None
    ```
    """


@hookspec
def cergas_move_scope(board: BoardView) -> MoveScope:
    """Say which moves on a board `cergas_card_before_move` may refuse.

    **When**: before a move between columns is checked, on the request's read (before the board
    lock), for each plugin enabled on `board` that implements `cergas_card_before_move`.
    **Transaction**: the request's read; only read (`plugin_settings`). **Returns**: a `MoveScope`:
    the moves its `cergas_card_before_move` may refuse on this board. A move is in scope when the
    card's type is in `card_types` (`None`: any type) and it leaves or enters a column named in
    `columns` (compared without case and outer spaces) or enters a column whose kind is in
    `target_kinds`. A move in no enabled plugin's scope takes the fast path and no veto is asked,
    so the scope must cover every move the veto could refuse or act on. A plugin without this hook,
    or whose hook raises (counted as an error) or answers something else than a `MoveScope`, is
    asked about every move between columns. What a scope was computed from (the card's type and
    version, the columns, the board's plugin switches and settings) is confirmed under the lock;
    when it changed, the move is checked again there and the vetoes are asked.

    ```python
    @hookimpl
    def cergas_move_scope(board):
        types = plugin_settings(board, "nomor-surat")["card_types"]
        return MoveScope(card_types=frozenset(types), target_kinds={"done"})
    ```
    """


@hookspec
def cergas_card_before_update(
    card: CardView, changes: dict[str, list], reason: str, actor: UserView, board: BoardView
) -> Veto | None:
    """Refuse an edit of a card's fields with a `Veto`.

    **When**: before an edit of a card's fields (title, description, type, assignee, due date,
    priority, estimate, labels) is written, after the core's own checks passed (version, field
    validation); `card` still holds its old values. `changes` maps each changed field to
    `[old, new]` as in `cergas_card_updated` (the assignee as a login). `reason` is the reason the
    editor gave for the edit (the API's `reason`, the card form's "Alasan perubahan"; `""` when
    none); it is kept in the card's history. **Transaction**: inside the edit's transaction; what
    the hook writes (e.g. voiding an approval of the old content) commits or rolls back with the
    edit. **Returns**: `Veto(message)` to refuse the edit (`409 vetoed`, nothing changes), or
    `None`. Every veto is collected; an exception refuses the edit (fail closed), naming the
    plugin. Not asked on boards where the plugin is switched off.

    ```python
    @hookimpl
    def cergas_card_before_update(card, changes, reason):
        if "type" in changes and card.type == "surat-keluar" and not reason:
            return Veto("Sebutkan alasan mengubah jenis surat keluar.")
        return None
    ```
    """


@hookspec
def cergas_board_plugin_before_change(
    board: BoardView, plugin: str, enabled: bool, settings: dict, actor: UserView
) -> Veto | None:
    """Refuse a change of a plugin's switch or settings on a board with a `Veto`.

    **When**: before a plugin's switch or settings on a board are written, on every path that
    changes them (the board settings page and `PUT /api/v1/boards/<id>/plugins/<name>/settings`
    share one service, `app/services/plugins.py`), only when something changes; asked of every
    plugin enabled on `board`, about any plugin's change (`plugin` names the one changing: check
    it). `enabled` and `settings` are what the plugin's switch and settings (every declared one,
    defaults merged) would be after the change; `plugin_settings(board, plugin)` still answers
    what they are now. **Transaction**: inside the change's write transaction, under the board
    lock; only read. **Returns**: a `Veto` to refuse the change, or None. Every veto is
    collected; one that raises refuses too (fail closed). A refusal writes nothing and is a 422
    `plugin_change_refused` whose message stands next to the switch when the switch changes
    (`fields.enabled` in the API), else next to each changed setting (`fields.settings.<name>`).
    The approvals plugin refuses being switched off, or the change of a chain, while letters of
    that board (type) wait for paraf.

    ```python
    @hookimpl
    def cergas_board_plugin_before_change(board, plugin, enabled, settings, actor):
        if plugin == "nomor-surat" and not enabled and not actor.is_admin:
            return Veto("Hanya admin yang boleh mematikan penomoran surat.")
        return None
    ```
    """


@hookspec
def cergas_attachment_check(
    file: AttachmentFile, card: CardView, actor: UserView, board: BoardView
) -> Veto | None:
    """Check a file uploaded to a card before it is stored (a virus scanner, a regional rule).

    *Added in plugin API 1.2.0.* **When**: for every new document and every new version, from
    the card page, the API or a plugin helper, after the core's own checks passed: the size
    limit and the type allow-list decided from the content (`file.kind`). **Transaction**:
    none yet: nothing is stored and no lock is held, so a slow check (a scanner) delays only
    this upload. **Returns**:
    `Veto(message)` to refuse the file (`409 vetoed`, the message shown next to the file field;
    nothing is stored), or `None`. An exception refuses the file too (fail closed), naming the
    plugin. `file.open()` reads the bytes from the start; read them in chunks. Not asked on
    boards where the plugin is switched off.

    ```python
    @hookimpl
    def cergas_attachment_check(file):
        if file.kind == "zip" and file.size > 10 * 1024 * 1024:
            return Veto("Arsip zip paling besar 10 MB.")
        return None
    ```
    """


@hookspec
def cergas_attachment_before_change(
    card: CardView, change: AttachmentChange, actor: UserView, board: BoardView
) -> Veto | None:
    """Refuse, or act on, a change of a card's documents inside its transaction.

    *Added in plugin API 1.2.0.* **When**: when a document is added to a card, gets a new
    version, is removed or restored (`change.change`: `"added"`, `"version"`, `"removed"`,
    `"restored"`), after the rows are written and flushed: `card_attachments(card)` already
    answers the documents as they will be.
    **Transaction**: inside the change's transaction, under the board lock; what the hook
    writes (the approvals plugin voids a paraf given to an earlier version) commits or rolls
    back with it. **Returns**: `Veto(message)` to refuse (`409 vetoed`; nothing changes, the
    stored bytes are deleted), or `None`. An exception refuses too, naming the plugin. Not asked
    on boards where the plugin is switched off.

    ```python
    @hookimpl
    def cergas_attachment_before_change(card, change):
        if change.change == "removed" and card.column_kind == "done":
            return Veto("Dokumen kartu yang selesai tidak dihapus.")
        return None
    ```
    """


@hookspec
def cergas_card_moved(
    card: CardView, source: ColumnView, target: ColumnView, actor: UserView, board: BoardView
) -> None:
    """React to a committed move.

    **When**: after a move between columns or within a column is committed. **Transaction**:
    after the commit; each write commits on its own. **Returns**: nothing. Isolated: an exception
    is logged and counted, the move stays done.

    ```python
    @hookimpl
    def cergas_card_moved(card, target, actor, board):
        if target.kind == "done" and card.assignee and card.assignee.id != actor.id:
            notify(card.assignee, f"{card.title} selesai", card=card, plugin="nomor-surat")
    ```
    """


@hookspec
def cergas_card_created(card: CardView, actor: UserView, board: BoardView) -> None:
    """React to a committed new card.

    **When**: after a new card is committed (board page, API). **Transaction**: after the commit.
    **Returns**: nothing. Isolated.

    ```python
    @hookimpl
    def cergas_card_created(card, board):
        if card.type == "surat-keluar":
            plugin_store("nomor-surat").set(f"created/{card.id}", card.title)
    ```
    """


@hookspec
def cergas_card_updated(
    card: CardView, changes: dict[str, list], actor: UserView, board: BoardView
) -> None:
    """React to a committed edit of a card's fields.

    **When**: after an edit of a card's fields is committed (not for moves). **Transaction**: after
    the commit. **Returns**: nothing. Isolated. `changes` maps each changed field to `[old, new]`
    as the API shows it: dates as `"YYYY-MM-DD"`, the assignee as NIP or username, labels as lists.

    ```python
    @hookimpl
    def cergas_card_updated(card, changes):
        if "labels" in changes:
            old, new = changes["labels"]
            ...
    ```
    """


@hookspec
def cergas_deadline_changed(
    card: CardView,
    old: date | None,
    new: date | None,
    reason: str,
    actor: UserView,
    board: BoardView,
) -> None:
    """React to a committed change of a due date, with its reason.

    **When**: after a due date that was set is changed to another (with the reason every such
    change needs) and committed; setting a first due date is only a `cergas_card_updated`.
    **Transaction**: after the commit. **Returns**: nothing. Isolated. `old` and `new` are
    `datetime.date` (or `None`).

    ```python
    @hookimpl
    def cergas_deadline_changed(card, old, new, reason, actor):
        if new and old and (new - old).days > 14 and card.assignee:
            notify(card.assignee, "Tenggat mundur lebih dari dua minggu", reason, card=card)
    ```
    """


@hookspec
def cergas_sprint_started(sprint: SprintView, actor: UserView, board: BoardView) -> None:
    """React to a committed sprint start.

    **When**: after a head starts a planned sprint and the start is committed: the cards in it and
    their estimates are snapshotted as the commitment (docs/sprints.md). **Transaction**: after the
    commit. **Returns**: nothing. Isolated: a failing implementation is logged and counted, the
    sprint stays started. `sprint` has `name`, `goal`, `start_date`, `end_date`, `state` ("active").

    ```python
    @hookimpl
    def cergas_sprint_started(sprint, actor):
        notify(actor, f"Sprint {sprint.name} dimulai", f"Sasaran: {sprint.goal}")
    ```
    """


@hookspec
def cergas_sprint_closed(
    sprint: SprintView, review: dict[str, Any], actor: UserView, board: BoardView
) -> None:
    """React to a committed sprint close and its review.

    **When**: after a head closes the active sprint (goal met yes/partly/no, unfinished cards sent
    to the next sprint or the backlog) and the close is committed. **Transaction**: after the
    commit. **Returns**: nothing. Isolated. `sprint.goal_met` is "yes", "partly" or "no";
    `review` is the dict `GET /api/v1/sprints/<id>` shows under "review": `committed` and
    `completed` (`{"cards", "estimate"}`), `added`, `removed`, `carried_over`, `deadline_changes`
    and `people`.

    ```python
    @hookimpl
    def cergas_sprint_closed(sprint, review, actor):
        if sprint.goal_met != "yes":
            done, committed = review["completed"]["cards"], review["committed"]["cards"]
            notify(actor, f"Sasaran {sprint.name} belum tercapai", f"{done} dari {committed} kartu")
    ```
    """


@hookspec
def cergas_card_badges(cards: list[CardView], board: BoardView) -> dict[int, list[Badge]]:
    """Return badges for every card of a render, all cards at once.

    **When**: every render of cards (the board page, a column after a move, the card page), **all
    cards of the render at once**. **Transaction**: none; read only. **Returns**:
    `{card_id: [Badge, ...]}`; cards without badges may be left out. Isolated. Fetch what you need
    for all cards in one query: this hook runs on every board view.

    ```python
    @hookimpl
    def cergas_card_badges(cards):
        return {c.id: [Badge("Mendesak", "danger")] for c in cards if "mendesak" in c.labels}
    ```
    """


@hookspec
def cergas_board_warnings(board: BoardView, cards: list[CardView]) -> list[BoardWarning]:
    """Return warnings shown above a board.

    **When**: on the board page and in the board API (`GET /api/v1/boards/<id>`), with all the
    board's cards. **Transaction**: none; read only. **Returns**: a list of
    `BoardWarning(text, tone="warning", key="")`, shown above the board. Isolated. Warnings of
    several plugins with the same `key` (the fact they are about, e.g.
    `"skill-single-holder:<skill>"`) are shown once, the most severe (*`key` added in plugin
    API 1.3.0*). Heads see the list open, members a one-line summary they can open.

    ```python
    @hookimpl
    def cergas_board_warnings(board, cards):
        late = [c for c in cards if c.type == "surat-keluar" and letter_number(c) is None]
        if len(late) > 10:
            return [BoardWarning(f"{len(late)} surat keluar belum bernomor", "danger")]
        return []
    ```
    """


@hookspec
def cergas_card_panels(card: CardView, board: BoardView) -> list[Panel]:
    """Return boxes shown on the card page.

    **When**: on the card page. **Transaction**: none; read only. **Returns**: a list of
    `Panel(title, template, context)`. `template` is a Jinja template name ending in `.html`
    (so it is escaped), found through your blueprint's `template_folder`; it is rendered with
    `context`. Isolated: a panel that fails to render is left out and counted.

    ```python
    @hookimpl
    def cergas_card_panels(card):
        number = letter_number(card)
        return [Panel("Nomor surat", "nomor_surat/panel.html", {"number": number})]
    ```
    """


@hookspec
def cergas_card_api(cards: list[CardView], board: BoardView) -> dict[int, dict[str, Any]]:
    """Return extra JSON for the API's cards, all cards at once.

    **When**: whenever the API serialises cards (a card, a board's cards), all at once.
    **Transaction**: none; read only. **Returns**: `{card_id: {...}}` with JSON-serialisable
    values; each card's JSON then has `"plugins": {"<plugin-name>": {...}}`. Isolated.

    ```python
    @hookimpl
    def cergas_card_api(cards):
        return {card.id: {"number": letter_number(card)} for card in cards}
    ```
    """


@hookspec
def cergas_periodic(now: datetime) -> None:
    """Do periodic work at `now` (run by `cergas tick` from cron).

    **When**: each run of `cergas tick [--now ISO-8601]`, meant for cron (e.g. every 5 minutes);
    `now` is an aware UTC `datetime` (from `--now` in tests). **Transaction**: none open; each
    write (`plugin_store`, `notify`) commits on its own. **Returns**: nothing. Isolated: a failure
    is counted and `cergas tick` exits with status 1 after the other plugins ran. Make it
    idempotent (remember in `plugin_store` what you already did), because cron may run it late or
    twice.

    ```python
    @hookimpl
    def cergas_periodic(now):
        store = plugin_store("nomor-surat")
        if store.get("last-day") != now.date().isoformat():
            store.set("last-day", now.date().isoformat())
            ...  # once a day
    ```
    """


@hookspec
def cergas_notification_channels() -> list[NotificationChannel]:
    r"""Return channels that deliver notifications beyond the in-app bell.

    **When**: by the outbox worker (`cergas worker` or `cergas tick`), outside any request, for
    each notification whose person chose this plugin's channel (`plugin:<name>` in their
    preferences). **Transaction**: none. **Returns**: a list of channel objects with a method
    `deliver(notification)`; one that raises is counted on the plugin and retried later with
    growing delays. The in-app notification (the bell) is always stored; channels add other
    ways (email is the core's own channel, switched on by the email plugin).

    ```python
    class Telegram:
        def deliver(self, notification):
            send_message(chat_of(notification.user), f"{notification.title}\n{notification.link}")


    @hookimpl
    def cergas_notification_channels():
        return [Telegram()]
    ```
    """


@hookspec
def cergas_nav_items(user: UserView) -> list[NavItem]:
    """Return links for the signed-in user's main navigation.

    **When**: on every page for a signed-in `user`, once per page. **Transaction**: none; read
    only. **Returns**: a list of `NavItem(text, url, count=None, endpoint=None)`, shown as links in
    the main navigation; a `count` above 0 shows as a badge, `endpoint` (a Flask endpoint prefix
    such as `"approvals."`) marks the link as the current page. Isolated. Runs on every page: keep
    it to a constant, small number of queries.

    ```python
    @hookimpl
    def cergas_nav_items(user):
        waiting = len(plugin_store("nomor-surat").keys(f"waiting/{user.id}/"))
        link = url_for("nomor_surat.list")
        return [NavItem("Surat menunggu", link, count=waiting, endpoint="nomor_surat.")]
    ```
    """


@hookspec
def cergas_demo_content(office: DemoOffice) -> None:
    """Add the plugin's part to the demo office of `cergas demo`.

    **When**: once in `cergas demo` (and `make run` on an empty database), when the office is
    set up (units, people, the three work boards, still without cards) and before its twelve
    weeks of work are played through the services with the clock moved (*changed after plugin API
    1.2.0*: it used to come at the end). The clock stands at the history's first morning, so what
    the plugin writes is dated then; `cergas.plugin.now()` tells the moment.
    **Transaction**: none open; each service call commits on its own. **Returns**: nothing.
    Isolated: a failure is counted and logged, and the rest of the demo stays. `office` names the
    demo as its data does, so a plugin sets itself up without the core knowing its settings:

    - `today`: today's date in the office's time zone;
    - `admin`: the site admin (a `User`);
    - `people`: demo key (`"kadis"`, `"sekretaris"`, `"kasi_pip"`, ... see
      `app/demo/office.py`) -> `User`;
    - `units`: the unit codes, parents first (`"DISKOMINFO"`, `"SEKRETARIAT"`, ...);
    - `boards`: board name -> board id (`"Layanan Informasi Publik"`, `"Pengembangan
      Aplikasi"`, `"Persuratan"`);
    - `heads`: board name -> the head who runs it;
    - `configure(plugin, board, settings)`: save some of the plugin's settings on a board, as
      its head (checked like any settings change);
    - `cards(board, column)`: the cards of a column of a board, in board order;
    - `move(card, column)`: move a card within its board, as its assignee (or the board's
      head), vetoes and hooks included;
    - `each_working_day(action)`: `action(day)` is called at 14:00 of every working day of the
      history (today excluded), with the clock at that moment;
    - `after_history(action)`: `action()` is called once the history is played, at the real
      time, with today's cards in place.

    The approvals plugin gives *Persuratan* and *Layanan Informasi Publik* their paraf chains and,
    on each working day, lets the approvers decide what has waited for them; the SLA plugin
    gives *Layanan Informasi Publik* its service standards, so the desk's cards carry clocks
    from the day they arrive.

    ```python
    @hookimpl
    def cergas_demo_content(office):
        types = {"card_types": ["surat-keluar", "nota-dinas"]}
        office.configure("nomor-surat", "Persuratan", types)
    ```
    """


@hookspec
def cergas_auth_backends() -> list[AuthBackend]:
    """Return sign-in methods to offer beside the password: a form or a button.

    *Added in plugin API 1.1.0.* **When**: once, when plugins are loaded (every process).
    **Transaction**: none. **Returns**: a list of `AuthBackend`. A form backend
    (`fields` and `verify(values) -> login | None`) shows as a button on the login page leading
    to its form at `/login/with/<name>`; `verify` runs under the core's rate limits (None or an
    exception counts as a failed attempt; an exception is logged without the values typed and
    shown as a clear error). A button backend (`start(next_path) -> response`) sends the browser
    to the regional service; the plugin's blueprint handles the way back and ends with
    `return sign_in_as(login, method=name, next_path=...)`. Both end in the core: second factor,
    login session, sign-in log, audit. A name already taken (by the core's `password`, `ldap`,
    `oidc`, ... or another plugin) is refused with a warning on the plugin.

    ```python
    @hookimpl
    def cergas_auth_backends():
        return [
            AuthBackend(
                name="simpeg",
                label="Kode pegawai dan PIN",
                fields=(
                    AuthField("kode", "Kode pegawai", autocomplete="username"),
                    AuthField("pin", "PIN", kind="password", autocomplete="current-password"),
                ),
                verify=lambda values: simpeg.nip_for(values["kode"], values["pin"]),
            )
        ]
    ```
    """
