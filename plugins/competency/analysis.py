"""The arithmetic of the competency plugin, kept apart from Flask so it can be checked by hand:
JP (jam pelajaran) from minutes, progress toward the yearly target, and the gap analysis that
turns the board's waiting cards into training recommendations.
"""

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

# PP 11/2017 art. 203 (as amended by PP 17/2020): at least 20 JP of competency development a
# year; one JP is 45 minutes unless the office sets otherwise.
DEFAULT_MINUTES_PER_JP = 45
DEFAULT_JP_TARGET = 20
# A skill whose cards wait this many working days on average needs more people.
WAIT_THRESHOLD_DAYS = 2.0
# How many people should hold a skill the unit's work depends on (no single point of failure).
DESIRED_HOLDERS = 3


@dataclass(frozen=True)
class JpProgress:
    """One person's competency development in a year, exact to the minute."""

    minutes: int
    minutes_per_jp: int = DEFAULT_MINUTES_PER_JP
    target_jp: int = DEFAULT_JP_TARGET
    months_left: int = 0
    expected_minutes: int = 0  # what an even pace over the year would have reached by now

    @property
    def target_minutes(self) -> int:
        return self.target_jp * self.minutes_per_jp

    @property
    def jp(self) -> float:
        return self.minutes / self.minutes_per_jp

    @property
    def whole_jp(self) -> int:
        return self.minutes // self.minutes_per_jp

    @property
    def rest_minutes(self) -> int:
        """Minutes beyond the whole JP: 590 minutes at 45 per JP are 13 JP and 5 minutes."""
        return self.minutes % self.minutes_per_jp

    @property
    def remaining_minutes(self) -> int:
        return max(0, self.target_minutes - self.minutes)

    @property
    def done(self) -> bool:
        return self.minutes >= self.target_minutes

    @property
    def behind(self) -> bool:
        """Not yet at the target and below an even pace through the year."""
        return not self.done and self.minutes < self.expected_minutes

    @property
    def percent(self) -> int:
        return min(100, self.minutes * 100 // self.target_minutes) if self.target_minutes else 100

    @property
    def minutes_per_month_needed(self) -> int | None:
        """Minutes a month still needed to reach the target in the months left (rounded up)."""
        if self.done:
            return 0
        if self.months_left <= 0:
            return None
        return math.ceil(self.remaining_minutes / self.months_left)


def months_left(year: int, today: date) -> int:
    """Calendar months of `year` in which learning can still be logged, this month included:
    12 in January, 1 in December, 0 for a past year, 12 for a future one."""
    if year < today.year:
        return 0
    if year > today.year:
        return 12
    return 12 - today.month + 1


def expected_minutes(target_minutes: int, year: int, today: date) -> int:
    """Minutes an even pace reaches by the end of `today` (whole year for a past year)."""
    if year < today.year:
        return target_minutes
    if year > today.year:
        return 0
    days = (date(year, 12, 31) - date(year, 1, 1)).days + 1
    elapsed = (today - date(year, 1, 1)).days + 1
    return target_minutes * elapsed // days


def jp_progress(
    minutes: int, *, year: int, today: date, minutes_per_jp: int, target_jp: int
) -> JpProgress:
    return JpProgress(
        minutes=minutes,
        minutes_per_jp=minutes_per_jp,
        target_jp=target_jp,
        months_left=months_left(year, today),
        expected_minutes=expected_minutes(target_jp * minutes_per_jp, year, today),
    )


def period_bounds(start: date, end: date, tz) -> tuple[datetime, datetime]:
    """[start 00:00, end 24:00) in the unit's zone, as naive UTC datetimes like the database."""
    first = datetime.combine(start, time.min, tz).astimezone(UTC).replace(tzinfo=None)
    after = datetime.combine(end, time.max, tz).astimezone(UTC).replace(tzinfo=None)
    return first, after


@dataclass
class Holder:
    user: object
    level: int | None
    active_cards: int
    estimated_hours: float


@dataclass
class SkillGap:
    """Demand for one skill in a unit over a period, against the people who hold it."""

    skill: object  # a catalog Skill (slug, name, kind)
    cards: int = 0
    hours: float = 0.0  # estimated hours of those cards
    unestimated: int = 0
    waits: list[int] = field(default_factory=list)  # working days each card waited to start
    still_waiting: int = 0  # cards not started by the end of the period
    holders: list[Holder] = field(default_factory=list)
    candidates: list = field(default_factory=list)  # people to train, least loaded first
    train: int = 0

    @property
    def slug(self) -> str:
        return self.skill.slug

    @property
    def average_wait(self) -> float:
        return sum(self.waits) / len(self.waits) if self.waits else 0.0

    @property
    def total_wait(self) -> int:
        return sum(self.waits)

    @property
    def bus_factor_one(self) -> bool:
        return len(self.holders) == 1

    @property
    def holder_load(self) -> int:
        return sum(h.active_cards for h in self.holders)

    @property
    def pressure(self) -> float:
        """Working days of waiting per person who can do the work: what ranks the list."""
        return self.total_wait / max(len(self.holders), 0.5)

    @property
    def recommended(self) -> bool:
        return self.train > 0


def people_to_train(cards: int, average_wait: float, holders: int) -> int:
    """How many more people should learn the skill.

    Work that waited (on average at least WAIT_THRESHOLD_DAYS) or that only one person (or
    nobody) can do calls for DESIRED_HOLDERS holders; a skill held by one person with no demand
    in the period still calls for a second one as cover."""
    if cards and (average_wait >= WAIT_THRESHOLD_DAYS or holders <= 1):
        return max(0, DESIRED_HOLDERS - holders)
    if holders == 1:
        return 1
    return 0


def gap_analysis(
    *,
    catalog,
    cards,
    people,
    levels: dict[int, dict[str, int | None]],
    loads: dict,
    wait_of,
    minutes_this_year: dict[int, int] | None = None,
) -> list[SkillGap]:
    """Per skill of the catalog: demand from `cards` (those with `skill:` labels; `wait_of(card)`
    gives the working days it waited), holders among `people` with their load, and how many to
    train. Ranked: recommendations first, by pressure, then the rest by demand."""
    from cergas.plugin import required_skills

    minutes_this_year = minutes_this_year or {}
    gaps = {skill.slug: SkillGap(skill) for skill in catalog}
    for card in cards:
        needed = [slug for slug in required_skills(card) if slug in gaps]
        if not needed:
            continue
        waited, started = wait_of(card)
        for slug in needed:
            gap = gaps[slug]
            gap.cards += 1
            if card.estimate is None:
                gap.unestimated += 1
            else:
                gap.hours += card.estimate
            gap.waits.append(waited)
            if not started:
                gap.still_waiting += 1
    for gap in gaps.values():
        for person in people:
            held = levels.get(person.id, {})
            if gap.slug in held:
                load = loads[person.id]
                gap.holders.append(
                    Holder(person, held[gap.slug], load.active_cards, load.estimated_hours)
                )
        gap.holders.sort(key=lambda h: (-(h.level or 0), h.active_cards, h.user.name))
        gap.train = people_to_train(gap.cards, gap.average_wait, len(gap.holders))
        if gap.train:
            others = [
                p
                for p in people
                if gap.slug not in levels.get(p.id, {}) and getattr(p, "active", True)
            ]
            others.sort(
                key=lambda p: (loads[p.id].active_cards, minutes_this_year.get(p.id, 0), p.name)
            )
            gap.candidates = others[: gap.train]
    ranked = sorted(
        gaps.values(),
        key=lambda g: (not g.recommended, -g.pressure, -g.cards, -int(g.bus_factor_one), g.slug),
    )
    return [g for g in ranked if g.cards or g.holders]
