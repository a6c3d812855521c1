"""The competency plugin's use cases on top of the platform's skills API: a person's competency
(skills, certificates, learning log, JP progress), a unit's JP progress, the gap analysis, and
the per-board views (free holders of the skills cards need). Only `cergas.plugin` is used.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from cergas.plugin import (
    Forbidden,
    NotFound,
    active_load,
    can_manage_unit,
    certificate_state,
    certificates_of_users,
    find_unit,
    learning_of_users,
    plugin_settings,
    required_skills,
    skill_catalog,
    skills_of_users,
    unit_cards,
    unit_people,
    unit_tree_ids,
    visible_person,
    work_calendar,
)
from cergas.plugin import now as api_now
from plugins.competency import analysis

NAME = "competency"
DEFAULT_BUSY_AT = 5
DEFAULT_CERT_WARN_DAYS = 90


# --- configuration ----------------------------------------------------------------------------


def _positive_int(key: str, default: int) -> int:
    value = current_app.config.get(key)
    if value is None:
        import os

        value = os.environ.get(key)
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default


def minutes_per_jp() -> int:
    """COMPETENCY_MINUTES_PER_JP (config or environment), default 45."""
    return _positive_int("COMPETENCY_MINUTES_PER_JP", analysis.DEFAULT_MINUTES_PER_JP)


def jp_target() -> int:
    """COMPETENCY_JP_TARGET, default 20 JP a year."""
    return _positive_int("COMPETENCY_JP_TARGET", analysis.DEFAULT_JP_TARGET)


def cert_warn_days() -> int:
    """COMPETENCY_CERT_WARN_DAYS: how long before expiry a certificate warns, default 90."""
    return _positive_int("COMPETENCY_CERT_WARN_DAYS", DEFAULT_CERT_WARN_DAYS)


def local_today(timezone: str = "Asia/Jakarta") -> date:
    return api_now().astimezone(ZoneInfo(timezone)).date()


# --- working days -----------------------------------------------------------------------------


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# --- a person ---------------------------------------------------------------------------------


def year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def progress_of(user_ids, year: int, today: date) -> dict[int, analysis.JpProgress]:
    start, end = year_bounds(year)
    learning = learning_of_users(user_ids, start, end)
    per_jp, target = minutes_per_jp(), jp_target()
    return {
        uid: analysis.jp_progress(
            sum(a.minutes for a in rows),
            year=year,
            today=today,
            minutes_per_jp=per_jp,
            target_jp=target,
        )
        for uid, rows in learning.items()
    }


def jp_text(minutes: int) -> str:
    """e.g. "13 JP 5 minutes" (to the minute)."""
    whole, rest = divmod(minutes, minutes_per_jp())
    if rest:
        return ngettext("%(jp)s JP %(num)d minute", "%(jp)s JP %(num)d minutes", rest, jp=whole)
    return _("%(jp)s JP", jp=whole)


@dataclass
class PersonCompetency:
    user: object
    year: int
    skills: dict
    certificates: list  # (certificate, state)
    learning: list
    progress: analysis.JpProgress


def person_competency(actor, login, year: int | None = None) -> PersonCompetency:
    user = visible_person(actor, login)
    today = local_today()
    year = year or today.year
    start, end = year_bounds(year)
    learning = learning_of_users([user.id], start, end)[user.id]
    warn = cert_warn_days()
    certificates = [
        (c, certificate_state(c, today, warn)) for c in certificates_of_users([user.id])[user.id]
    ]
    return PersonCompetency(
        user=user,
        year=year,
        skills=skills_of_users([user.id])[user.id],
        certificates=certificates,
        learning=learning,
        progress=progress_of([user.id], year, today)[user.id],
    )


def person_json(data: PersonCompetency) -> dict:
    names = {skill.slug: skill.name for skill in skill_catalog()}
    p = data.progress
    return {
        "user": data.user.login,
        "name": data.user.name,
        "year": data.year,
        "skills": [
            {"skill": slug, "name": names.get(slug, slug), "level": level}
            for slug, level in sorted(data.skills.items())
        ],
        "certificates": [
            {
                "test": c.test,
                "score": c.score,
                "taken_on": c.taken_on.isoformat(),
                "expires_on": c.expires_on.isoformat(),
                "state": state,
                "evidence_url": c.evidence_url,
            }
            for c, state in data.certificates
        ],
        "learning": [learning_json(a) for a in data.learning],
        "jp": {
            "minutes_per_jp": p.minutes_per_jp,
            "target_jp": p.target_jp,
            "minutes": p.minutes,
            "jp": round(p.jp, 4),
            "whole_jp": p.whole_jp,
            "rest_minutes": p.rest_minutes,
            "remaining_minutes": p.remaining_minutes,
            "done": p.done,
            "behind": p.behind,
            "months_left": p.months_left,
        },
    }


def learning_json(activity) -> dict:
    return {
        "id": activity.id,
        "activity": activity.activity,
        "title": activity.title,
        "date": activity.held_on.isoformat(),
        "minutes": activity.minutes,
        "hours": round(activity.minutes / 60, 4),
        "jp": round(activity.minutes / minutes_per_jp(), 4),
        "evidence_url": activity.evidence_url,
        "skills": list(activity.skills or []),
    }


# --- a unit -----------------------------------------------------------------------------------


def managed_unit(actor, code):
    """The unit with this code if the actor heads it (or a unit above) or is an admin: 404 for
    a unit the actor cannot see, 403 for one they see but do not lead."""
    from cergas.plugin import can_view_unit

    unit = find_unit(code)
    if unit is None or not can_view_unit(actor, unit) and not can_manage_unit(actor, unit):
        raise NotFound("not_found", _("Unit not found."))
    if not can_manage_unit(actor, unit):
        raise Forbidden("forbidden", _("Only a head of this unit or an admin may see this."))
    return unit


@dataclass
class UnitProgress:
    unit: object
    year: int
    rows: list  # (user, JpProgress), behind first
    months_left: int

    @property
    def behind(self) -> list:
        return [(u, p) for u, p in self.rows if p.behind]


def unit_progress(actor, code, year: int | None = None) -> UnitProgress:
    unit = managed_unit(actor, code)
    today = local_today(unit.timezone)
    year = year or today.year
    people = unit_people(unit_tree_ids(unit))
    progress = progress_of([p.id for p in people], year, today)
    rows = [(p, progress[p.id]) for p in people]
    rows.sort(key=lambda row: (row[1].done, not row[1].behind, row[1].minutes, row[0].name))
    return UnitProgress(unit, year, rows, analysis.months_left(year, today))


@dataclass
class GapReport:
    unit: object
    start: date
    end: date
    gaps: list  # SkillGap, ranked

    @property
    def recommendations(self) -> list:
        return [g for g in self.gaps if g.recommended]

    @property
    def bus_factor_one(self) -> list:
        return [g for g in self.gaps if g.bus_factor_one]


def default_period(today: date) -> tuple[date, date]:
    """The last 90 days up to today."""
    return today - timedelta(days=89), today


def unit_gaps(actor, code, start: date | None = None, end: date | None = None) -> GapReport:
    unit = managed_unit(actor, code)
    today = local_today(unit.timezone)
    if start is None or end is None:
        default_start, default_end = default_period(today)
        start, end = start or default_start, end or default_end
    calendar = work_calendar(unit)
    first, after = analysis.period_bounds(start, end, ZoneInfo(unit.timezone))
    now = api_now().replace(tzinfo=None)
    horizon = min(now, after)

    def wait_of(card):
        began = card.first_active_at
        if began is not None and began <= after:
            return calendar.working_days_between(_aware(card.created_at), _aware(began)), True
        stop = max(horizon, card.created_at)
        return calendar.working_days_between(_aware(card.created_at), _aware(stop)), False

    tree = unit_tree_ids(unit)
    people = unit_people(tree)
    ids = [p.id for p in people]
    cards = [c for c in unit_cards(tree, first, after) if required_skills(c)]
    year_start, year_end = year_bounds(today.year)
    minutes = {
        uid: sum(a.minutes for a in rows)
        for uid, rows in learning_of_users(ids, year_start, year_end).items()
    }
    gaps = analysis.gap_analysis(
        catalog=skill_catalog(),
        cards=cards,
        people=people,
        levels=skills_of_users(ids),
        loads=active_load(ids, today),
        wait_of=wait_of,
        minutes_this_year=minutes,
    )
    return GapReport(unit, start, end, gaps)


def short_name(user) -> str:
    """The name without academic degrees: "Wulan Sari, S.Kom." -> "Wulan Sari"."""
    return user.name.split(",")[0].strip()


def number_text(value: float) -> str:
    from flask_babel import format_decimal

    return format_decimal(round(value, 1), format="#,##0.#")


def recommendation_text(gap) -> str:
    """e.g. "Desain grafis: 14 kartu menunggu rata-rata 3,5 hari kerja; hanya Sari menguasai;
    latih 2 orang"."""
    parts = []
    if gap.cards:
        parts.append(
            ngettext(
                "%(num)d card waited on average %(days)s working days",
                "%(num)d cards waited on average %(days)s working days",
                gap.cards,
                days=number_text(gap.average_wait),
            )
        )
    holders = len(gap.holders)
    if holders == 0:
        parts.append(_("nobody in the unit holds it"))
    elif holders == 1:
        parts.append(_("only %(name)s holds it", name=short_name(gap.holders[0].user)))
    else:
        parts.append(
            ngettext(
                "held by %(num)d person carrying %(cards)d active cards",
                "held by %(num)d people carrying %(cards)d active cards",
                holders,
                cards=gap.holder_load,
            )
        )
    if gap.train:
        parts.append(ngettext("train %(num)d person", "train %(num)d people", gap.train))
    return f"{gap.skill.name}: " + "; ".join(parts)


def gap_json(gap) -> dict:
    return {
        "skill": gap.slug,
        "name": gap.skill.name,
        "kind": gap.skill.kind,
        "cards": gap.cards,
        "estimated_hours": round(gap.hours, 2),
        "unestimated_cards": gap.unestimated,
        "average_wait_working_days": round(gap.average_wait, 2),
        "still_waiting": gap.still_waiting,
        "holders": [
            {
                "user": h.user.login,
                "name": h.user.name,
                "level": h.level,
                "active_cards": h.active_cards,
                "estimated_hours": round(h.estimated_hours, 2),
            }
            for h in gap.holders
        ],
        "bus_factor_one": gap.bus_factor_one,
        "train": gap.train,
        "candidates": [{"user": p.login, "name": p.name} for p in gap.candidates],
        "recommendation": recommendation_text(gap) if gap.recommended else None,
    }


def report_json(report: GapReport) -> dict:
    return {
        "unit": report.unit.code,
        "from": report.start.isoformat(),
        "to": report.end.isoformat(),
        "skills": [gap_json(g) for g in report.gaps],
        "bus_factor_one": [g.slug for g in report.bus_factor_one],
        "recommendations": [recommendation_text(g) for g in report.recommendations],
    }


# --- a board ----------------------------------------------------------------------------------


@dataclass
class BoardSkills:
    """Who on a board's unit holds which skill, and who of them is free."""

    people: dict  # user id -> user
    levels: dict  # user id -> {slug: level}
    loads: dict  # user id -> ActiveLoad
    busy_at: int

    def holders(self, slug: str) -> list:
        found = [uid for uid, held in self.levels.items() if slug in held]
        return sorted(found, key=lambda uid: (self.loads[uid].active_cards, self.people[uid].name))

    def free(self, uid: int) -> bool:
        return self.loads[uid].active_cards < self.busy_at


def busy_at(board) -> int:
    setting = plugin_settings(board, NAME).get("busy_at")
    if isinstance(setting, int) and setting > 0:
        return setting
    return board.personal_wip_limit or DEFAULT_BUSY_AT


def board_skills(board) -> BoardSkills:
    """Three queries whatever the number of cards and people."""
    people = {p.id: p for p in unit_people([board.unit_id])}
    ids = list(people)
    return BoardSkills(
        people=people,
        levels=skills_of_users(ids),
        loads=active_load(ids, local_today(board.unit.timezone)),
        busy_at=busy_at(board),
    )


def done_columns(board) -> set[int]:
    return {column.id for column in board.columns if column.kind == "done"}


def open_cards_needing_skills(cards, board) -> list:
    """Cards not in a done column that carry `skill:` labels (the board's columns are loaded
    once, not per card)."""
    done = done_columns(board)
    return [card for card in cards if card.column_id not in done and required_skills(card)]


def skill_names() -> dict[str, str]:
    return {skill.slug: skill.name for skill in skill_catalog()}


def lacking_skills(card, team: BoardSkills) -> tuple[list[str], list[str]]:
    """(skills nobody on the team holds, skills whose holders are all busy) for an open card
    whose assignee does not hold them."""
    nobody, busy = [], []
    assignee = card.assignee_id
    for slug in required_skills(card):
        holders = team.holders(slug)
        if assignee in holders:
            continue
        if not holders:
            nobody.append(slug)
        elif not any(team.free(uid) for uid in holders):
            busy.append(slug)
    return nobody, busy


def bus_factor_one_on_board(cards, board, team: BoardSkills) -> dict[str, list]:
    """slug -> open cards needing it, for skills that exactly one team member holds."""
    needing = defaultdict(list)
    for card in open_cards_needing_skills(cards, board):
        for slug in required_skills(card):
            needing[slug].append(card)
    return {slug: found for slug, found in needing.items() if len(team.holders(slug)) == 1}
