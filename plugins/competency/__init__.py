"""Competency development: skills on the board, the 20 JP a year, and a gap analysis drawn from
the cards that waited for a skill.

- A person's page: skills, certificates (warned before they lapse), the learning log in JP.
- A unit page for heads: who is behind on the 20 JP with how many months left, and the gap
  analysis over a period with ranked recommendations, exported as the unit's competency
  development plan (CSV, XLSX).
- On the board: a badge on cards that need a skill no free member holds, a warning for skills
  only one member holds, and a card panel "who can do this" with each holder's load.
- API: GET /api/v1/users/<nip>/competency, POST /api/v1/users/<nip>/learning,
  GET /api/v1/units/<code>/competency-gaps?from=&to=

Configuration (app config or environment): COMPETENCY_MINUTES_PER_JP (45),
COMPETENCY_JP_TARGET (20), COMPETENCY_CERT_WARN_DAYS (90). Per board: `busy_at`.
"""

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from cergas.plugin import (
    Badge,
    BoardWarning,
    NavItem,
    Panel,
    PluginInfo,
    Setting,
    hookimpl,
)
from plugins.competency import core
from plugins.competency.core import NAME

# Who this plugin is (admin page, board settings, `cergas plugins`, the API) and the plugin API
# versions it is written for.
PLUGIN_INFO = PluginInfo(
    title=_l("Competency development"),
    description=_l(
        "Skills on the board, the 20 JP a year, and a gap analysis for the unit's development plan."
    ),
    api_range=">=1.0,<2",
    stylesheets=("competency.css",),
)


@hookimpl
def cergas_settings():
    return [
        Setting(
            "busy_at",
            "int",
            None,
            _l("A member is busy from this many active cards"),
            help=_l(
                "Empty: the board's personal WIP limit, or 5 without one. A card needing a "
                "skill that only busy members hold gets a badge."
            ),
            minimum=1,
            maximum=100,
        ),
        Setting(
            "bus_factor_warning",
            "bool",
            True,
            _l("Warn when only one member holds a skill open cards need"),
        ),
    ]


@hookimpl
def cergas_periodic(now):
    """Once per certificate and state: tell its holder it lapses soon, or has lapsed."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from cergas.plugin import certificates_expiring, notify, plugin_store

    today = now.astimezone(ZoneInfo("Asia/Jakarta")).date()
    warn = core.cert_warn_days()
    store = plugin_store(NAME)
    for certificate in certificates_expiring(
        today + timedelta(days=warn), since=today - timedelta(days=warn)
    ):
        state = "expired" if certificate.expires_on < today else "expiring"
        key = f"certificate-warned/{certificate.id}/{state}"
        if store.get(key):
            continue
        user = certificate.user
        values = {"test": certificate.test, "date": certificate.expires_on.isoformat()}
        with force_locale(user.locale or "id"):
            if state == "expired":
                title = _("Your %(test)s certificate expired on %(date)s", **values)
            else:
                title = _("Your %(test)s certificate expires on %(date)s", **values)
            body = _("Plan the next test and record the new score on your profile.")
        notify(user, title, body, link=f"/people/{user.login}", kind="warning", plugin=NAME)
        store.set(key, today.isoformat())


@hookimpl
def cergas_register_blueprints():
    from plugins.competency.api import api
    from plugins.competency.views import bp

    return [bp, api]


@hookimpl
def cergas_nav_items(user):
    from flask import url_for

    return [
        NavItem(
            _("Competency"),
            url_for("competency.index"),
            endpoint="competency.",
        )
    ]


def _names(slugs, names) -> str:
    return ", ".join(names.get(slug, slug) for slug in slugs)


@hookimpl
def cergas_card_badges(cards, board):
    open_cards = core.open_cards_needing_skills(cards, board)
    if not open_cards:
        return {}
    team = core.board_skills(board)
    names = core.skill_names()
    badges = {}
    for card in open_cards:
        nobody, busy = core.lacking_skills(card, team)
        found = []
        if nobody:
            found.append(
                Badge(
                    _("No one holds: %(skills)s", skills=_names(nobody, names)),
                    "danger",
                    title=_("Nobody in this unit has recorded this skill."),
                )
            )
        if busy:
            found.append(
                Badge(
                    _("Skill busy: %(skills)s", skills=_names(busy, names)),
                    "warning",
                    title=_(
                        "Everyone who holds this skill already carries %(num)d or more "
                        "active cards.",
                        num=team.busy_at,
                    ),
                )
            )
        if found:
            badges[card.id] = found
    return badges


@hookimpl
def cergas_board_warnings(board, cards):
    from cergas.plugin import plugin_settings

    if not plugin_settings(board, NAME).get("bus_factor_warning", True):
        return []
    if not core.open_cards_needing_skills(cards, board):
        return []
    team = core.board_skills(board)
    names = core.skill_names()
    warnings = []
    for slug, needing in sorted(core.bus_factor_one_on_board(cards, board, team).items()):
        holder = team.people[team.holders(slug)[0]]
        warnings.append(
            BoardWarning(
                ngettext(
                    "Only %(name)s holds %(skill)s, needed by %(num)d open card: train a "
                    "second person.",
                    "Only %(name)s holds %(skill)s, needed by %(num)d open cards: train a "
                    "second person.",
                    len(needing),
                    name=core.short_name(holder),
                    skill=names.get(slug, slug),
                ),
                key=f"skill-single-holder:{slug}",
            )
        )
    return warnings


@hookimpl
def cergas_card_panels(card, board):
    slugs = core.required_skills(card)
    if not slugs:
        return []
    team = core.board_skills(board)
    names = core.skill_names()
    rows = []
    for slug in slugs:
        holders = [
            {
                "user": team.people[uid],
                "level": team.levels[uid][slug],
                "load": team.loads[uid],
                "free": team.free(uid),
                "assignee": uid == card.assignee_id,
            }
            for uid in team.holders(slug)
        ]
        rows.append({"slug": slug, "name": names.get(slug, slug), "holders": holders})
    return [
        Panel(
            _("Who can do this"),
            "competency/_panel.html",
            {"skills": rows, "busy_at": team.busy_at},
        )
    ]


@hookimpl
def cergas_card_api(cards, board):
    needing = [card for card in cards if core.required_skills(card)]
    if not needing:
        return {}
    team = core.board_skills(board)
    done = core.done_columns(board)
    data = {}
    for card in needing:
        open_card = card.column_id not in done
        nobody, busy = core.lacking_skills(card, team) if open_card else ([], [])
        data[card.id] = {
            "required_skills": core.required_skills(card),
            "holders": {
                slug: [team.people[uid].login for uid in team.holders(slug)]
                for slug in core.required_skills(card)
            },
            "no_holder": nobody,
            "no_free_holder": busy,
        }
    return data
