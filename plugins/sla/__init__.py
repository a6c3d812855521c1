"""SLA: service-time clocks in Indonesian working days (standar pelayanan, UU 25/2009).

Per board, policies by card type (`{"policies": [{"type": "pengaduan", "duration": 5, "unit":
"working_days", ...}]}`) give every card of that type a due moment on its unit's working
calendar (cergas.plugin.work_calendar). Cards show a badge with the time left; the card API
shows `plugins.sla`; `cergas tick` alerts the assignee and the unit's heads when a card becomes
at risk and when it is breached, once each; heads get a compliance report per board. A
clock's policy is fixed when it starts (fixed.py): a later type change or settings change does
not move or hide it, and only a head, with a reason, changes the type of a card whose clock
runs (rules.py). See docs/sla.md.
"""

from flask import url_for
from flask_babel import lazy_gettext as _l

from cergas.plugin import (
    Badge,
    BoardWarning,
    NavItem,
    PluginInfo,
    hookimpl,
    units_managed_by,
    work_calendars,
)

from .policies import policy_setting

# Who this plugin is (admin page, board settings, `cergas plugins`, the API) and the plugin API
# versions it is written for.
PLUGIN_INFO = PluginInfo(
    title=_l("Service time standards (SLA)"),
    description=_l(
        "Service-time clocks in working days, with alerts before and after a deadline is missed."
    ),
    api_range=">=1.0,<2",
)


@hookimpl
def cergas_settings():
    return [policy_setting()]


@hookimpl
def cergas_card_before_move(card, source, target, board):
    from .rules import on_arrival

    on_arrival(card, source, target, board)
    return None


@hookimpl
def cergas_move_scope(board):
    from .rules import move_scope

    return move_scope(board)


@hookimpl
def cergas_card_before_update(card, changes, reason, actor, board):
    from .rules import on_type_change

    return on_type_change(card, changes, reason, actor, board)


@hookimpl
def cergas_card_badges(cards, board):
    from .service import board_clocks
    from .text import badge_text

    clocks = board_clocks(board, cards)
    if not clocks:
        return {}
    cal = work_calendars([board.unit_id])[board.unit_id]
    badges = {}
    for card_id, clock in clocks.items():
        text, tone, title = badge_text(clock, cal)
        badges[card_id] = [Badge(text, tone, title)]
    return badges


@hookimpl
def cergas_board_warnings(board, cards):
    from flask_babel import ngettext

    from .service import board_clocks

    states = [clock.state for clock in board_clocks(board, cards).values()]
    warnings = []
    late = states.count("breached")
    if late:
        text = ngettext(
            "%(num)d card is past its service time (SLA).",
            "%(num)d cards are past their service time (SLA).",
            late,
        )
        warnings.append(BoardWarning(text, "danger"))
    risky = states.count("at_risk")
    if risky:
        text = ngettext(
            "%(num)d card is close to its service time (SLA).",
            "%(num)d cards are close to their service time (SLA).",
            risky,
        )
        warnings.append(BoardWarning(text, "warning"))
    return warnings


@hookimpl
def cergas_nav_items(user):
    if not units_managed_by(user):
        return []
    return [NavItem(str(_l("SLA")), url_for("sla.index"), endpoint="sla.")]


@hookimpl
def cergas_card_api(cards, board):
    from .service import board_clocks

    return {card_id: clock.as_json() for card_id, clock in board_clocks(board, cards).items()}


@hookimpl
def cergas_periodic(now):
    from .alerts import run_tick

    run_tick(now)


@hookimpl
def cergas_register_blueprints():
    from .views import bp

    return [bp]


@hookimpl
def cergas_register_commands(cli):
    from .commands import sla

    cli.add_command(sla)


@hookimpl
def cergas_demo_content(office):
    """The information desk's service standards (UU 14/2008 KIP, Perki 1/2021) on the demo's
    Layanan Informasi Publik board, so its requests, objections and complaints carry a badge."""
    from .fixed import fix_started_clocks

    office.configure("sla", "Layanan Informasi Publik", {"policies": DEMO_POLICIES})
    # The demo's cards came in before the policies were set: their clocks are fixed now.
    fix_started_clocks([office.boards["Layanan Informasi Publik"]])


DEMO_POLICIES = [
    {"type": "permohonan-informasi", "duration": 10, "unit": "working_days", "at_risk": 0.7},
    {"type": "keberatan", "duration": 30, "unit": "working_days"},
    {"type": "pengaduan", "duration": 3, "unit": "working_days", "at_risk": 0.6},
]
