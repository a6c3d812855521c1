"""Board pages: the list of boards, one board with its columns and filters, and its settings."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from app.boards import bp, lane_views
from app.boards.cache import columns_cache
from app.extensions import htmx
from app.models import User
from app.services import access, audit, boards, cards, lanes, live, work
from app.services.errors import Conflict, Forbidden, Invalid
from app.views_common import actor, board_context, columns_update, form_int, message
from app.web import local_today

COLUMN_FORM_FIELDS = ("name", "wip_limit", "wip_policy", "kind")


def board_page(user: User, board_id, filters: work.BoardFilters, *, status=200, **extra):
    partial = bool(htmx and htmx.target == "board-columns")
    # Swimlanes (issue 25, app/boards/lane_views.py): `?lanes=` shows rows instead of columns.
    lane_kind = lanes.lane_kind(request.args.get("lanes"))
    if lane_kind:
        return lanes_page(user, board_id, filters, lane_kind, partial, status)
    if partial:
        return render_template(
            "boards/_columns.html", **board_context(user, board_id, filters, **extra)
        ), status
    # Read before the board: live updates newer than this number are not in the page yet.
    seq = live.current_seq(board_id) if isinstance(board_id, int) else 0
    cache = None if filters.active or extra else columns_cache()
    if cache is None:
        context = board_context(user, board_id, filters, **extra)
        board = context["board"]
        columns_html = render_template("boards/_columns.html", **context)
        labels = work.labels_in_use(context["view"])
        archived = context["view"].archived  # the header's archive link (issue 25)
    else:
        board, columns_html, labels, archived = shared_columns(cache, user, board_id, seq)
    return (
        render_template(
            "boards/board.html",
            board=board,
            filters=filters,
            columns_html=Markup(columns_html),
            live_seq=seq,
            people=access.board_viewers(board),
            labels=labels,
            can_manage=access.can_manage_board(user, board),
            archived=archived,
        ),
        status,
    )


def lanes_page(user: User, board_id, filters, lane_kind: str, partial: bool, status: int):
    """The board page (or, for htmx, its area) in swimlanes; never from the shared cache."""
    seq = live.current_seq(board_id) if isinstance(board_id, int) else 0
    context = lane_views.lane_context(user, board_id, filters, lane_kind)
    html = render_template("boards/_lanes.html", **context)
    if partial:
        return html, status
    board = context["board"]
    page = render_template(
        "boards/board.html",
        board=board,
        filters=filters,
        columns_html=Markup(html),
        live_seq=seq,
        people=access.board_viewers(board),
        labels=work.labels_in_use(context["view"]),
        can_manage=access.can_manage_board(user, board),
        lane_kind=lane_kind,
        archived=context["view"].archived,  # the header's archive link (issue 25)
    )
    return page, status


def shared_columns(cache, user: User, board_id: int, seq: int):
    """(board, columns HTML, labels in use, archived cards) of the unfiltered board, from the
    cache when an entry with the same key is there (app/boards/cache.py)."""
    board = access.visible_board(user, board_id)
    key = (
        board.id,
        audit.newest_event_id(board.id),
        seq,
        str(get_locale()),
        local_today(board.unit.timezone),
    )
    token = generate_csrf() if current_app.config.get("WTF_CSRF_ENABLED", True) else None

    def render():
        context = board_context(user, board_id, work.BoardFilters())
        html = render_template("boards/_columns.html", **context)
        view = context["view"]
        return cache.unbind(html, token), (work.labels_in_use(view), view.archived)

    html, (labels, archived) = cache.get_or_render(key, render)
    return board, cache.bind(html, token), labels, archived


# --- boards ----------------------------------------------------------------------------------


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    user = actor()
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        values = {
            name: request.form.get(name, "")
            for name in ("name", "unit", "owner", "personal_wip_limit", "copy_from")
        }
        # "Belongs to": `unit:<code>` or `team:<code>` from the picker (`unit` alone still works).
        kind, _sep, code = values["owner"].partition(":")
        unit_code, team_code = values["unit"], None
        if kind == "team":
            unit_code, team_code = None, code
        elif kind == "unit":
            unit_code = code
        try:
            board = _create_board(user, values, unit_code, team_code)
        except Invalid as exc:
            errors, status = exc.fields, exc.status
            if "team" in errors or "unit" in errors:
                errors["owner"] = errors.get("team") or errors.get("unit")
            flash(exc.message, "error")
        else:
            flash(_("Board %(name)s created.", name=board.name), "success")
            return redirect(url_for("boards.board", board_id=board.id))
    page = render_template(
        "boards/index.html",
        boards=boards.visible_boards(user),
        owners=boards.manageable_owners(user),
        errors=errors,
        values=values,
    )
    return page, status


def _create_board(user: User, values: dict, unit_code, team_code):
    """A new board, set up like the board chosen under "Copy the setup of" when one is."""
    if values["copy_from"]:
        from app.services.board_copy import create_board_from

        source = form_int(values["copy_from"])
        if source is None:
            raise Invalid(
                "validation_error",
                _("Some fields are not valid."),
                {"copy_from": _("Choose a board from the list.")},
            )
        return create_board_from(
            user,
            source,
            values["name"],
            unit_code,
            team=team_code,
            personal_wip_limit=values["personal_wip_limit"],
        )
    return boards.create_board(
        user,
        values["name"],
        unit_code,
        personal_wip_limit=values["personal_wip_limit"],
        team=team_code,
    )


@bp.get("/<id:board_id>")
@login_required
def board(board_id):
    # Saved filters (issue 25): a shared link with filters this board cannot use says so.
    from app.boards.filter_views import filter_link_notice

    filter_link_notice(board_id)
    return board_page(actor(), board_id, work.BoardFilters.from_args(request.args))


@bp.post("/<id:board_id>/cards")
@login_required
def add_card(board_id):
    user = actor()
    column_id = form_int(request.form.get("column_id"))
    values = {"title": request.form.get("title", "")}
    if request.form.get("type"):  # the quick-add type picker (issue 26)
        values["type"] = request.form["type"]
    if request.form.get("due_date", "").strip():
        values["due_date"] = request.form["due_date"]
    try:
        result = cards.create_card(
            user, board_id, dict(values), column_id=request.form.get("column_id") or None
        )
    except (Invalid, Conflict, Forbidden) as exc:
        extra = {"add_errors": {column_id: exc.fields}, "add_values": {column_id: values}}
        if htmx:
            alert = [message("error", exc.message)]
            return columns_update(user, board_id, [column_id], alert, status=exc.status, **extra)
        flash(exc.message, "error")
        return board_page(user, board_id, work.BoardFilters(), status=exc.status, **extra)
    card = result.card
    messages = [message("success", _("Card “%(title)s” added.", title=card.title))]
    messages += [message("warning", text) for text in result.warnings]
    if htmx:
        return columns_update(user, board_id, [card.column_id], messages)
    for each in messages:
        flash(each["text"], each["category"])
    return redirect(url_for("boards.board", board_id=board_id))


# --- settings --------------------------------------------------------------------------------


def settings_page(board, *, errors=None, values=None, alert=None, status=200, new_secret=None):
    page = render_template(
        "boards/settings.html",
        board=board,
        columns=sorted(board.columns, key=lambda c: c.position),
        counts=work.column_card_counts(board.id),
        errors=errors or {},
        values=values or {},
        alert=alert,
        new_secret=new_secret,
    )
    return page, status


def settings_refused(board_id, key: str, values: dict, exc):
    """Show the settings again with the refusal next to the fields of the form that caused it."""
    board = access.managed_board(actor(), board_id)
    return settings_page(
        board,
        errors={key: exc.fields},
        values={key: values},
        alert=exc.message,
        status=exc.status,
    )


def back_to_settings(board_id, text: str):
    flash(text, "success")
    return redirect(url_for("boards.settings", board_id=board_id))


@bp.route("/<id:board_id>/settings", methods=["GET", "POST"])
@login_required
def settings(board_id):
    user = actor()
    board = access.managed_board(user, board_id)
    if request.method == "GET":
        return settings_page(board)
    values = {name: request.form.get(name, "") for name in ("name", "personal_wip_limit")}
    if "archive_after_days" in request.form:  # the archive delay (app/services/archive.py)
        values["archive_after_days"] = request.form["archive_after_days"]
    # A checkbox: sent when ticked, absent when not.
    values["checklist_required_for_done"] = "checklist_required_for_done" in request.form
    try:
        boards.update_board(user, board_id, values)
    except (Invalid, Conflict) as exc:
        return settings_refused(board_id, "board", values, exc)
    return back_to_settings(board_id, _("Board saved."))


def column_values() -> dict:
    return {name: request.form.get(name, "") for name in COLUMN_FORM_FIELDS}


@bp.post("/<id:board_id>/columns")
@login_required
def add_column(board_id):
    values = column_values()
    try:
        column = boards.add_column(actor(), board_id, values)
    except (Invalid, Conflict) as exc:
        return settings_refused(board_id, "new", values, exc)
    return back_to_settings(board_id, _("Column %(name)s added.", name=column.name))


@bp.post("/<id:board_id>/columns/<id:column_id>")
@login_required
def update_column(board_id, column_id):
    values = column_values()
    try:
        column = boards.update_column(actor(), board_id, column_id, values)
    except (Invalid, Conflict) as exc:
        return settings_refused(board_id, f"column-{column_id}", values, exc)
    return back_to_settings(board_id, _("Column %(name)s saved.", name=column.name))


@bp.post("/<id:board_id>/columns/<id:column_id>/move")
@login_required
def move_column(board_id, column_id):
    user = actor()
    board = access.managed_board(user, board_id)
    current = next((c for c in board.columns if c.id == column_id), None)
    direction = request.form.get("direction")
    if current is None or direction not in ("left", "right"):
        error = Invalid("validation_error", _("Choose a column of this board and a direction."))
        return settings_refused(board_id, f"column-{column_id}", {}, error)
    position = current.position - 1 if direction == "left" else current.position + 1
    try:
        column = boards.move_column(user, board_id, column_id, max(0, position))
    except (Invalid, Conflict) as exc:
        return settings_refused(board_id, f"column-{column_id}", {}, exc)
    return back_to_settings(board_id, _("Column %(name)s moved.", name=column.name))


@bp.post("/<id:board_id>/columns/<id:column_id>/delete")
@login_required
def delete_column(board_id, column_id):
    try:
        boards.delete_column(actor(), board_id, column_id)
    except (Invalid, Conflict) as exc:
        return settings_refused(board_id, f"column-{column_id}", {}, exc)
    return back_to_settings(board_id, _("Column deleted."))


# --- plugins on a board (issue 3) --------------------------------------------------------------


def setting_form_value(setting, value) -> str:
    """A scalar setting's value as the text its form field shows."""
    import json

    if value is None:
        return ""
    if setting.type == "list":
        return ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)
    if setting.type == "json":
        return json.dumps(value, ensure_ascii=False, indent=2)
    return str(value)


@bp.app_template_global("board_plugin_forms")
def board_plugin_forms(board) -> list[dict]:
    """The plugins section of the settings page: each loaded plugin with its form values (for a
    column, unit, person, card type or record list setting: its editor's state)."""
    from app.services import plugins as board_plugin_service
    from app.services.setting_types import BOARD_TYPES, form_state

    host = current_app.extensions["cergas_plugins"]
    forms = []
    user = actor()
    for state in board_plugin_service.board_plugins(user, board.id):
        fields = []
        for setting in state.settings:
            value = state.values.get(setting.name)
            editor = setting.type in BOARD_TYPES
            fields.append(
                {
                    "setting": setting,
                    "value": value,
                    "text": "" if editor else setting_form_value(setting, value),
                    "editor": editor,
                    "state": form_state(setting, value) if editor else None,
                }
            )
        forms.append(
            {
                "name": state.name,
                "title": host.title_of(state.name),
                "description": str(host.records[state.name].description or ""),
                "version": state.version,
                "enabled": state.enabled,
                "fields": fields,
            }
        )
    return forms


@bp.app_template_global("setting_choices")
def setting_choices(board) -> dict:
    """What the settings editors offer on this board: its columns, the units and card types a
    head may pick, and where a person field finds suggestions."""
    from app.services.card_types import lists_of
    from app.services.setting_types import configuring, pickable_units

    user = actor()
    with configuring(board, user):
        units = [(unit.code, unit.name, depth) for unit, depth in pickable_units()]
    lists = lists_of(board.id)
    return {
        "columns": [c.name for c in sorted(board.columns, key=lambda c: c.position)],
        "units": units,
        # The board's card types (issue 26): key -> display name, archived ones last.
        "card_types": {t.key: t.name for t in lists.offered_types()},
        "all_card_types": {t.key: t.name for t in lists.types.values()},
        "suggest_url": url_for("boards.people_suggestions", board_id=board.id),
    }


@bp.app_template_global("errors_under")
def errors_under(errors, path: str) -> bool:
    """True when a refusal names a field inside `path` (e.g. `chains.0.type` for `chains`)."""
    return any(str(key).startswith(path + ".") for key in (errors or {}))


@bp.get("/<id:board_id>/settings/people")
@login_required
def people_suggestions(board_id):
    """Suggestions for a person field of the settings editors: the people this head may pick
    whose name contains `q`, as "name · unit" (what the field resolves)."""
    from app.services.setting_types import configuring, find_people, person_label

    user = actor()
    board = access.managed_board(user, board_id)
    with configuring(board, user):
        people = find_people(request.args.get("q", ""))
        return {"people": [person_label(person) for person in people]}


@bp.post("/<id:board_id>/plugins/<string(maxlength=80):plugin>")
@login_required
def plugin_settings(board_id, plugin):
    """Save one plugin's switch and settings from the settings page form. A button of a record
    list editor (`_editor`: add or remove a row) shows the form again with one row more or less,
    saving nothing."""
    from app.services import plugins as board_plugin_service
    from app.services.setting_types import edit_rows, read_form

    user = actor()
    board = access.managed_board(user, board_id)
    state = board_plugin_service.board_plugin(user, board_id, plugin)
    enabled = request.form.get("enabled") in ("1", "on", "true")
    # Every declared setting is in the form; an unticked checkbox is simply absent.
    settings = {
        setting.name: read_form(setting, request.form, f"setting-{setting.name}")
        for setting in state.settings
    }
    key = f"plugin-{plugin}"
    values = {"enabled": enabled, "settings": settings}
    action = request.form.get("_editor")
    if action:
        if not edit_rows(state.settings, settings, action):
            error = Invalid("validation_error", _("This form changed; please try again."))
            return settings_refused(board_id, key, values, error)
        return settings_page(board, values={key: values})
    try:
        board_plugin_service.set_board_plugin(
            user, board_id, plugin, enabled=enabled, settings=settings, from_form=True
        )
    except Invalid as exc:
        return settings_refused(board_id, key, values, exc)
    title = current_app.extensions["cergas_plugins"].title_of(plugin)
    return back_to_settings(board_id, _("Plugin %(name)s saved.", name=title))
