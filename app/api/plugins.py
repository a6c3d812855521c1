"""JSON API for plugins: a plugin's switch and settings on a board, and (for admins) the list
of every plugin the server knows with its health."""

from flask import current_app, jsonify
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import ValidationError

from app.api import bp
from app.api import models as m
from app.api import payload as p
from app.api.auth import caller
from app.api.contract import field_errors, operation
from app.services import plugins as board_plugins
from app.services.access import managed_board
from app.services.errors import Forbidden, Invalid

SETTINGS_URL = "/boards/<id:board_id>/plugins/<string(maxlength=80):plugin>/settings"


@bp.get(SETTINGS_URL)
@operation(
    _l("A plugin's switch and settings on a board"),
    responses={200: m.PluginState},
    tags=("plugins",),
)
def get_plugin_settings(board_id: int, plugin: str):
    """{"plugin": name, "enabled": bool, "settings": {name: value}}: defaults overridden by what
    a head saved. Anyone who may see the board may read it."""
    state = board_plugins.board_plugin(caller(), board_id, plugin)
    return jsonify(state.to_dict())


@bp.put(SETTINGS_URL)
@operation(
    _l("Change a plugin's switch and settings on a board"),
    body=m.PluginSettingsPut,
    responses={200: m.PluginState},
    errors=(403,),
    tags=("plugins",),
)
def put_plugin_settings(board_id: int, plugin: str):
    """Change a plugin's switch and/or settings on a board (heads of the unit and admins).

    The body has the shape GET answers with: {"enabled": bool, "settings": {name: value}}, both
    optional; "plugin" may be sent back too but must name this plugin. Settings not given keep
    their values. Values have their JSON types (true/false, numbers, text, "YYYY-MM-DD" dates,
    lists of text). An unknown key or a wrong type is 422 `validation_error` with `fields` named
    "enabled", "plugin" or "settings.<name>", and nothing changes. Answers like GET."""
    body = p.json_body()
    errors = {}
    try:
        m.PluginSettingsPut.model_validate(body)
    except ValidationError as exc:
        errors = field_errors(m.PluginSettingsPut, exc)
    if "plugin" in body and "plugin" not in errors and body["plugin"] != plugin:
        errors["plugin"] = _("Names another plugin than the address.")
    # Permissions and the plugin's existence first: outsiders 404, members 403, then the body.
    managed_board(caller(), board_id)
    board_plugins.board_plugin(caller(), board_id, plugin)
    p.raise_if_any(errors)
    try:
        state = board_plugins.set_board_plugin(
            caller(), board_id, plugin, enabled=body.get("enabled"), settings=body.get("settings")
        )
    except Invalid as exc:
        if exc.fields:
            exc.fields = {
                name if name == "enabled" else f"settings.{name}": message
                for name, message in exc.fields.items()
            }
        raise
    return jsonify(state.to_dict())


@bp.get("/plugins")
@operation(
    _l("Every plugin the server knows"),
    responses={200: m.PluginList},
    errors=(403,),
    tags=("plugins",),
)
def list_plugins():
    """Every plugin the server knows (loaded, failed or disabled) with its hooks and errors.
    Admins only."""
    if not caller().is_admin:
        raise Forbidden("forbidden", _("Only an administrator may see the plugins."))
    host = current_app.extensions["cergas_plugins"]
    records = sorted(host.records.values(), key=lambda record: record.name)
    return jsonify({"plugins": [record.to_dict() for record in records]})
