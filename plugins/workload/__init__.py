"""Workload balance: who carries the unit, warnings before work piles on a few people, and
who could take it (docs/workload.md).

- board warnings (`cergas_board_warnings`): above the personal WIP limit, above a multiple of
  the team median, over the effective working time, idle members while others are overloaded,
  the imbalance index (Gini of active hours), skills held by one member only;
- pages per board and per unit (`/plugins/workload/...`) with SVG bar charts, an 8-week trend
  rebuilt from the audit trail, suggestions by skill and one-click reassignment by a head;
- the API `GET /api/v1/boards/<id>/workload` and `GET /api/v1/units/<code>/workload`.
"""

from flask import url_for
from flask_babel import lazy_gettext as _l

from cergas.plugin import BoardWarning, NavItem, PluginInfo, Setting, hookimpl

from .load import DEFAULTS

# Who this plugin is (admin page, board settings, `cergas plugins`, the API) and the plugin API
# versions it is written for.
PLUGIN_INFO = PluginInfo(
    title=_l("Workload balance"),
    description=_l(
        "Who carries the unit, warnings before work piles on a few people, and who could take it."
    ),
    api_range=">=1.0,<2",
    stylesheets=("workload.css",),
)

NAME = "workload"


@hookimpl
def cergas_settings():
    return [
        Setting(
            "default_estimate",
            "float",
            DEFAULTS["default_estimate"],
            _l("Hours counted for a card without an estimate"),
            minimum=0,
            maximum=200,
        ),
        Setting(
            "effective_hours",
            "float",
            DEFAULTS["effective_hours"],
            _l("Effective working hours per day"),
            help=_l("Analisis Beban Kerja: about 1,250 hours a year, 5.5 hours a working day."),
            minimum=0.5,
            maximum=24,
        ),
        Setting(
            "horizon_days",
            "int",
            DEFAULTS["horizon_days"],
            _l("Working days ahead for the effectiveness ratio"),
            help=_l("At most a working year: 260 days."),
            minimum=1,
            maximum=260,
        ),
        Setting(
            "overload_factor",
            "float",
            DEFAULTS["overload_factor"],
            _l("Overloaded above this multiple of the team median of active cards"),
            minimum=0.5,
            maximum=10,
        ),
        Setting(
            "overload_floor",
            "int",
            DEFAULTS["overload_floor"],
            _l("Never overloaded by the median with this many active cards or fewer"),
            help=_l("An absolute floor: two cards against a team median of one is no overload."),
            minimum=0,
            maximum=100,
        ),
        Setting(
            "overload_effectiveness",
            "float",
            DEFAULTS["overload_effectiveness"],
            _l("Overloaded above this effectiveness ratio"),
            help=_l("1.0: the work due fills the effective working time exactly."),
            minimum=0.1,
            maximum=10,
        ),
        Setting(
            "imbalance_threshold",
            "float",
            DEFAULTS["imbalance_threshold"],
            _l("Warn when the imbalance index (Gini, 0 to 1) reaches"),
            help=_l("0 turns the warning off."),
            minimum=0,
            maximum=1,
        ),
        Setting(
            "suggestions",
            "int",
            DEFAULTS["suggestions"],
            _l("Members suggested per card of an overloaded person"),
            minimum=0,
            maximum=20,
        ),
    ]


@hookimpl
def cergas_board_warnings(board, cards):
    from .service import board_warnings

    workload = board_warnings(board, cards)
    return [BoardWarning(w.message, w.tone, fact_key(w)) for w in workload.warnings]


def fact_key(warning) -> str:
    """The fact a warning is about, shared with the competency plugin's warning about a skill
    one person holds, so that the board shows it once."""
    if warning.code == "single_holder" and warning.skill:
        return f"skill-single-holder:{warning.skill}"
    return f"workload-{warning.code}:{','.join(warning.people)}"


@hookimpl
def cergas_register_blueprints():
    from .views import api, bp

    return [bp, api]


@hookimpl
def cergas_nav_items(user):
    return [NavItem(str(_l("Workload")), url_for("workload.index"), endpoint="workload.")]
