"""The load computation: pure functions over card rows, people and settings (no queries), so the
board warning hook, the pages and the API agree, and tests can check the arithmetic directly.

Definitions (docs/workload.md):

- *active cards*: cards in `active` columns assigned to the person;
- *estimated hours*: the sum of their estimates, a card without one counting `default_estimate`;
- *overdue*: active cards whose due date is before today (in the unit's time zone);
- *effectiveness* (Analisis Beban Kerja): hours of the person's open (not done) cards due by the
  end of the next `horizon_days` working days, overdue ones included, divided by
  `horizon_days x effective_hours`; 1.0 means the effective working time is exactly filled;
- *imbalance*: the Gini coefficient of the team's active estimated hours (0 = even, close to 1 =
  everything on one person).
"""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import ngettext

from cergas.plugin import required_skills

# Suggestions cover the most urgent active cards (earliest due first) of each overloaded person.
CARDS_PER_PERSON = 5

DEFAULTS = {
    "default_estimate": 4.0,
    "effective_hours": 5.5,
    "horizon_days": 10,
    "overload_factor": 1.5,
    # Nobody is overloaded by the median alone while holding this many active cards or fewer
    # (two cards against a team median of one is no overload).
    "overload_floor": 3,
    "overload_effectiveness": 1.0,
    "imbalance_threshold": 0.4,
    "suggestions": 3,
}


@dataclass
class Settings:
    default_estimate: float = DEFAULTS["default_estimate"]
    effective_hours: float = DEFAULTS["effective_hours"]
    horizon_days: int = DEFAULTS["horizon_days"]
    overload_factor: float = DEFAULTS["overload_factor"]
    overload_floor: int = DEFAULTS["overload_floor"]
    overload_effectiveness: float = DEFAULTS["overload_effectiveness"]
    imbalance_threshold: float = DEFAULTS["imbalance_threshold"]
    suggestions: int = DEFAULTS["suggestions"]

    @classmethod
    def of(cls, values: dict | None) -> "Settings":
        """Settings from stored values; a missing or out-of-range value takes its default."""
        values = values or {}
        picked = {}
        for name, default in DEFAULTS.items():
            value = values.get(name)
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok or value < 0 or (name in ("effective_hours", "horizon_days") and value <= 0):
                value = default
            picked[name] = type(default)(value)
        return cls(**picked)


@dataclass
class PersonLoad:
    user: object  # a User: .id, .name, .login
    active_cards: int = 0
    estimated_hours: float = 0.0
    overdue: int = 0
    due_hours: float = 0.0
    effectiveness: float = 0.0
    skills: dict = field(default_factory=dict)
    cards: list = field(default_factory=list)  # active CardRows, earliest due first
    per_board: dict = field(default_factory=dict)  # board id -> active cards there
    reasons: list = field(default_factory=list)  # why overloaded (codes)

    @property
    def overloaded(self) -> bool:
        return bool(self.reasons)


@dataclass
class Candidate:
    person: PersonLoad
    missing: list = field(default_factory=list)


@dataclass
class Suggestion:
    card: object  # CardRow
    holder: PersonLoad
    skills: list  # required skill slugs
    candidates: list  # PersonLoad, least loaded first


@dataclass
class WorkloadWarning:
    # personal_wip | above_median | over_capacity | idle | imbalance | single_holder | no_holder
    code: str
    message: str
    tone: str = "warning"
    people: list = field(default_factory=list)  # logins
    skill: str | None = None

    def to_dict(self) -> dict:
        data = {"code": self.code, "message": self.message, "tone": self.tone}
        data["people"] = list(self.people)
        if self.skill is not None:
            data["skill"] = self.skill
        return data


@dataclass
class Workload:
    people: list
    median_active: float
    imbalance: float
    warnings: list
    suggestions: list
    horizon_end: date
    settings: Settings

    def person(self, user_id: int) -> PersonLoad | None:
        return next((p for p in self.people if p.user.id == user_id), None)


def median(values) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def gini(values) -> float:
    """Gini coefficient of non-negative values: 0 when equal, (n-1)/n when one holds all."""
    values = sorted(float(v) for v in values)
    n, total = len(values), sum(values)
    if n < 2 or total <= 0:
        return 0.0
    weighted = sum((2 * (i + 1) - n - 1) * v for i, v in enumerate(values))
    return weighted / (n * total)


def number(value: float) -> str:
    """3 -> "3", 2.5 -> "2.5" ("2,5" for an Indonesian reader); one decimal at most."""
    from flask import has_request_context

    if has_request_context():
        from flask_babel import format_decimal

        return format_decimal(value, format="#,##0.#")
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def hours_of(card, settings: Settings) -> float:
    return float(card.estimate) if card.estimate is not None else settings.default_estimate


def compute(
    team,
    cards,
    *,
    today: date,
    horizon_end: date,
    settings: Settings,
    wip_limits: dict,
    skills: dict,
    can_take=None,
    skill_names: dict | None = None,
) -> Workload:
    """The load of every person of `team` (Users) from `cards` (CardRows of the boards shown).

    `wip_limits`: board id -> personal WIP limit or None. `skills`: user id -> {slug: level}.
    `can_take(user, card)`: whether a person may be given the card (sees its board); default yes.
    People who hold cards but are not in `team` are added (they carry load too).
    """
    skill_names = skill_names or {}
    people: dict[int, PersonLoad] = {}
    for user in team:
        people.setdefault(user.id, PersonLoad(user, skills=skills.get(user.id, {})))
    for card in cards:
        if card.column_kind == "done" or card.assignee_id not in people:
            continue
        person = people[card.assignee_id]
        hours = hours_of(card, settings)
        if card.column_kind == "active":
            person.active_cards += 1
            person.estimated_hours += hours
            person.cards.append(card)
            person.per_board[card.board_id] = person.per_board.get(card.board_id, 0) + 1
            if card.due_date is not None and card.due_date < today:
                person.overdue += 1
        if card.due_date is not None and card.due_date <= horizon_end:
            person.due_hours += hours
    capacity = settings.horizon_days * settings.effective_hours
    for person in people.values():
        person.effectiveness = person.due_hours / capacity
        person.cards.sort(key=lambda c: (c.due_date or date.max, c.id))

    loads = list(people.values())
    loads.sort(key=lambda p: (p.user.name.casefold(), p.user.id))
    middle = median(p.active_cards for p in loads)
    threshold = max(settings.overload_floor, settings.overload_factor * max(middle, 1.0))
    warnings: list[WorkloadWarning] = []
    for person in loads:
        over = [
            (board_id, count, wip_limits.get(board_id))
            for board_id, count in person.per_board.items()
            if wip_limits.get(board_id) is not None and count > wip_limits[board_id]
        ]
        if over:
            person.reasons.append("personal_wip")
            _board_id, count, limit = max(over, key=lambda item: item[1] - item[2])
            warnings.append(
                WorkloadWarning(
                    "personal_wip",
                    _(
                        "%(name)s holds %(count)d active cards, above the personal WIP limit "
                        "of %(limit)d",
                        name=person.user.name,
                        count=count,
                        limit=limit,
                    ),
                    "danger",
                    [person.user.login],
                )
            )
        if len(loads) > 1 and person.active_cards > threshold:
            person.reasons.append("above_median")
            warnings.append(
                WorkloadWarning(
                    "above_median",
                    _(
                        "Unbalanced load: %(name)s holds %(count)d active cards (team median "
                        "%(median)s)",
                        name=person.user.name,
                        count=person.active_cards,
                        median=number(middle),
                    ),
                    "warning",
                    [person.user.login],
                )
            )
        if person.effectiveness > settings.overload_effectiveness:
            person.reasons.append("over_capacity")
            warnings.append(
                WorkloadWarning(
                    "over_capacity",
                    _(
                        "%(name)s has %(hours)s hours of work due in the next %(days)d working "
                        "days: %(percent)d%% of the effective working time",
                        name=person.user.name,
                        hours=number(round(person.due_hours, 1)),
                        days=settings.horizon_days,
                        percent=round(person.effectiveness * 100),
                    ),
                    "warning",
                    [person.user.login],
                )
            )
    overloaded = [p for p in loads if p.overloaded]
    idle = [p for p in loads if p.active_cards == 0]
    if overloaded and idle:
        warnings.append(
            WorkloadWarning(
                "idle",
                ngettext(
                    "%(num)d member has no active card while others are overloaded: %(names)s",
                    "%(num)d members have no active card while others are overloaded: %(names)s",
                    len(idle),
                    names=", ".join(p.user.name for p in idle),
                ),
                "info",
                [p.user.login for p in idle],
            )
        )
    imbalance = gini(p.estimated_hours for p in loads)
    if len(loads) > 1 and imbalance >= settings.imbalance_threshold > 0:
        warnings.append(
            WorkloadWarning(
                "imbalance",
                _(
                    "The team's load is uneven: imbalance index %(index)s (Gini of active "
                    "hours; 0 is even, 1 is all on one person)",
                    index=f"{imbalance:.2f}",
                ),
                "warning",
            )
        )
    warnings += skill_gaps(loads, cards, skill_names)
    suggestions = suggest(loads, overloaded, settings, wip_limits, can_take)
    return Workload(
        loads, middle, round(imbalance, 3), warnings, suggestions, horizon_end, settings
    )


def skill_gaps(loads, cards, skill_names: dict) -> list[WorkloadWarning]:
    """A skill needed by open cards and held by one member only (or by nobody): a competency
    gap for the head to train for."""
    needed: dict[str, int] = {}
    for card in cards:
        if card.column_kind != "done":
            for slug in required_skills(card):
                needed[slug] = needed.get(slug, 0) + 1
    warnings = []
    for slug in sorted(needed):
        holders = [p for p in loads if slug in p.skills]
        name = skill_names.get(slug, slug)
        count = needed[slug]
        if len(holders) == 1:
            warnings.append(
                WorkloadWarning(
                    "single_holder",
                    ngettext(
                        "Only %(name)s holds the skill %(skill)s, needed by %(num)d open card: "
                        "a competency gap to train for",
                        "Only %(name)s holds the skill %(skill)s, needed by %(num)d open cards: "
                        "a competency gap to train for",
                        count,
                        name=holders[0].user.name,
                        skill=name,
                    ),
                    "info",
                    [holders[0].user.login],
                    skill=slug,
                )
            )
        elif not holders:
            warnings.append(
                WorkloadWarning(
                    "no_holder",
                    ngettext(
                        "Nobody in the team holds the skill %(skill)s, needed by %(num)d open card",
                        "Nobody in the team holds the skill %(skill)s, needed by %(num)d open "
                        "cards",
                        count,
                        skill=name,
                    ),
                    "warning",
                    skill=slug,
                )
            )
    return warnings


def suggest(loads, overloaded, settings: Settings, wip_limits: dict, can_take) -> list:
    """For the most urgent active cards of each overloaded person: the least-loaded members
    (not overloaded, below the board's personal WIP limit, allowed on the board) who hold every
    skill the card asks for. Least loaded: fewest active hours, then fewest active cards, then
    name."""
    ranked = sorted(
        loads, key=lambda p: (p.estimated_hours, p.active_cards, p.user.name.casefold())
    )
    suggestions = []
    for holder in overloaded:
        for card in holder.cards[:CARDS_PER_PERSON]:
            wanted = required_skills(card)
            limit = wip_limits.get(card.board_id)
            candidates = [
                p
                for p in ranked
                if p is not holder
                and not p.overloaded
                and all(slug in p.skills for slug in wanted)
                and (limit is None or p.per_board.get(card.board_id, 0) < limit)
                and (can_take is None or can_take(p.user, card))
            ]
            suggestions.append(
                Suggestion(card, holder, wanted, candidates[: max(settings.suggestions, 0)])
            )
    return suggestions
