"""The workload arithmetic on plain rows: load per person, flags, the imbalance index, the
effectiveness ratio (Analisis Beban Kerja), suggestions by skill and competency gaps."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from cergas.plugin import CardRow
from plugins.workload.load import Settings, compute, gini, median

TODAY = date(2026, 11, 25)
HORIZON = date(2026, 12, 8)  # the 10th working day from TODAY
_ids = iter(range(1, 10_000))


def person(user_id: int, name: str):
    return SimpleNamespace(id=user_id, name=name, login=f"user{user_id}")


SARI, BUDI, DEWI, EKO = (
    person(1, "Sari"),
    person(2, "Budi"),
    person(3, "Dewi"),
    person(4, "Eko"),
)


def card(
    assignee, kind="active", *, estimate=None, due=TODAY + timedelta(days=3), labels=(), board=1
):
    return CardRow(
        id=next(_ids),
        board_id=board,
        title="Kartu",
        column_id=10 if kind == "active" else 11,
        column_kind=kind,
        assignee_id=assignee.id if assignee else None,
        estimate=estimate,
        due_date=due,
        labels=tuple(labels),
        version=1,
    )


def run(team, cards, *, settings=None, limit=None, skills=None, can_take=None):
    return compute(
        team,
        cards,
        today=TODAY,
        horizon_end=HORIZON,
        # The tests of the median rule switch the absolute floor off (its own test below).
        settings=settings or Settings(overload_floor=0),
        wip_limits={1: limit},
        skills=skills or {},
        can_take=can_take,
    )


def codes(workload):
    return [w.code for w in workload.warnings]


def test_median_and_gini():
    assert median([9, 3, 3, 1]) == 3.0
    assert median([4, 3, 2, 1]) == 2.5
    assert median([]) == 0.0
    assert gini([5, 5, 5, 5]) == 0.0
    assert gini([0, 0, 0, 12]) == pytest.approx(0.75)  # (n-1)/n: everything on one person
    assert gini([1, 3]) == pytest.approx(0.25)


def test_cards_without_estimate_count_the_default_hours_and_done_cards_count_nothing():
    cards = [
        card(SARI, estimate=3),
        card(SARI),
        card(SARI, "done", estimate=40),
        card(SARI, "backlog", estimate=7, due=TODAY + timedelta(days=60)),
    ]
    sari = run([SARI], cards, settings=Settings(default_estimate=2.5)).person(SARI.id)
    assert sari.active_cards == 2
    assert sari.estimated_hours == 5.5


def test_overdue_counts_active_cards_due_before_today():
    cards = [
        card(SARI, due=TODAY - timedelta(days=1)),
        card(SARI, due=TODAY),
        card(SARI, "backlog", due=TODAY - timedelta(days=5)),
    ]
    assert run([SARI], cards).person(SARI.id).overdue == 1


def test_person_above_multiple_of_team_median_is_flagged_with_the_numbers():
    cards = [card(SARI) for _ in range(9)] + [card(BUDI) for _ in range(3)]
    cards += [card(DEWI) for _ in range(3)] + [card(EKO)]
    workload = run([SARI, BUDI, DEWI, EKO], cards)
    assert workload.median_active == 3.0
    assert [p.user.name for p in workload.people if p.overloaded] == ["Sari"]
    (warning,) = [w for w in workload.warnings if w.code == "above_median"]
    assert warning.message == "Unbalanced load: Sari holds 9 active cards (team median 3)"
    assert warning.people == ["user1"]


def test_the_multiple_of_the_median_is_a_setting():
    cards = [card(SARI) for _ in range(4)] + [card(BUDI) for _ in range(2)]
    cards += [card(DEWI) for _ in range(2)]
    assert "above_median" in codes(run([SARI, BUDI, DEWI], cards))  # 4 > 1.5 x median 2
    strict = run(
        [SARI, BUDI, DEWI], cards, settings=Settings(overload_factor=2.5, overload_floor=0)
    )
    assert "above_median" not in codes(strict)


def test_a_few_cards_above_a_small_median_are_no_overload():
    """Two active cards against a team median of one: twice the median, but under the floor."""
    cards = [card(SARI), card(SARI), card(BUDI), card(DEWI)]
    assert "above_median" not in codes(run([SARI, BUDI, DEWI], cards, settings=Settings()))
    assert "above_median" in codes(
        run([SARI, BUDI, DEWI], cards, settings=Settings(overload_floor=1))
    )
    many = [card(SARI) for _ in range(6)] + [card(BUDI), card(DEWI)]
    assert "above_median" in codes(run([SARI, BUDI, DEWI], many, settings=Settings()))


def test_person_above_the_personal_wip_limit_is_flagged():
    cards = [card(SARI) for _ in range(4)] + [card(BUDI) for _ in range(4)]
    workload = run([SARI, BUDI], cards, limit=3)
    flagged = [w for w in workload.warnings if w.code == "personal_wip"]
    assert [w.people for w in flagged] == [["user2"], ["user1"]]  # by name: Budi, Sari
    assert flagged[1].message == ("Sari holds 4 active cards, above the personal WIP limit of 3")
    assert "personal_wip" not in codes(run([SARI, BUDI], cards, limit=4))


def test_idle_members_are_named_only_while_someone_is_overloaded():
    busy = [card(SARI) for _ in range(5)] + [card(BUDI)]
    workload = run([SARI, BUDI, DEWI, EKO], busy)
    (idle,) = [w for w in workload.warnings if w.code == "idle"]
    assert idle.people == ["user3", "user4"]
    assert "Dewi, Eko" in idle.message
    even = [card(SARI), card(BUDI)]
    assert "idle" not in codes(run([SARI, BUDI, DEWI], even))


def test_members_without_cards_are_listed_with_zero_load():
    workload = run([SARI, DEWI], [card(SARI)])
    dewi = workload.person(DEWI.id)
    assert (dewi.active_cards, dewi.estimated_hours, dewi.overdue) == (0, 0.0, 0)


def test_imbalance_index_is_the_gini_of_active_hours_and_warns_above_the_threshold():
    cards = [card(SARI, estimate=30), card(BUDI, estimate=2), card(DEWI, estimate=1)]
    workload = run([SARI, BUDI, DEWI, EKO], cards)
    assert workload.imbalance == pytest.approx(gini([30, 2, 1, 0]), abs=0.001)
    assert "imbalance" in codes(workload)
    even = run([SARI, BUDI], [card(SARI, estimate=5), card(BUDI, estimate=5)])
    assert even.imbalance == 0.0
    assert "imbalance" not in codes(even)


def test_effectiveness_is_hours_due_in_the_horizon_over_effective_time():
    cards = [
        card(SARI, estimate=20, due=TODAY + timedelta(days=2)),
        card(SARI, estimate=11, due=TODAY - timedelta(days=3)),  # overdue: still to do
        card(SARI, "backlog", estimate=24, due=HORIZON),  # open, due on the last day
        card(SARI, estimate=50, due=HORIZON + timedelta(days=1)),  # beyond the horizon
        card(SARI, "done", estimate=30, due=TODAY),
    ]
    settings = Settings(horizon_days=10, effective_hours=5.5)
    sari = run([SARI], cards, settings=settings).person(SARI.id)
    assert sari.due_hours == 55
    assert sari.effectiveness == pytest.approx(1.0)
    assert not sari.overloaded  # exactly full is not over
    more = cards + [card(SARI, estimate=1, due=TODAY)]
    fuller = run([SARI], more, settings=settings)
    assert fuller.person(SARI.id).reasons == ["over_capacity"]


def test_suggestions_name_the_least_loaded_members_who_hold_the_skill():
    design = card(SARI, labels=("skill:graphic-design",))
    cards = [design] + [card(SARI) for _ in range(5)]
    cards += [card(BUDI, estimate=2), card(EKO, estimate=9), card(EKO)]
    skills = {
        BUDI.id: {"graphic-design": 2},
        DEWI.id: {"office-software": 3},
        EKO.id: {"graphic-design": 4},
    }
    workload = run([SARI, BUDI, DEWI, EKO], cards, skills=skills)
    by_card = {s.card.id: s for s in workload.suggestions}
    assert len(by_card) == 5  # the five most urgent active cards of the overloaded person
    suggestion = by_card[design.id]
    assert suggestion.skills == ["graphic-design"]
    assert [c.user.name for c in suggestion.candidates] == ["Budi", "Eko"]
    plain = next(s for s in workload.suggestions if not s.skills)
    assert [c.user.name for c in plain.candidates] == ["Dewi", "Budi", "Eko"]


def test_suggestions_skip_people_at_the_personal_limit_or_not_allowed_on_the_board():
    cards = [card(SARI, labels=("skill:graphic-design",)) for _ in range(4)]
    cards += [card(BUDI), card(BUDI)]
    skills = {BUDI.id: {"graphic-design": 1}, DEWI.id: {"graphic-design": 1}}
    at_limit = run([SARI, BUDI, DEWI], cards, limit=2, skills=skills)
    assert {c.user.name for s in at_limit.suggestions for c in s.candidates} == {"Dewi"}
    barred = run(
        [SARI, BUDI, DEWI], cards, skills=skills, can_take=lambda user, row: user is not DEWI
    )
    assert {c.user.name for s in barred.suggestions for c in s.candidates} == {"Budi"}


def test_a_skill_needed_by_open_cards_and_held_by_one_member_is_a_gap():
    cards = [
        card(SARI, labels=("skill:graphic-design",)),
        card(None, "backlog", labels=("skill:graphic-design", "Humas")),
        card(BUDI, "done", labels=("skill:foreign-language",)),  # done: needed no more
        card(BUDI, labels=("skill:spreadsheet-data-analysis",)),
    ]
    skills = {SARI.id: {"graphic-design": 3}}
    workload = compute(
        [SARI, BUDI],
        cards,
        today=TODAY,
        horizon_end=HORIZON,
        settings=Settings(),
        wip_limits={},
        skills=skills,
        skill_names={"graphic-design": "Graphic design (e.g. Canva)"},
    )
    gaps = {w.skill: w for w in workload.warnings if w.code in ("single_holder", "no_holder")}
    assert set(gaps) == {"graphic-design", "spreadsheet-data-analysis"}
    assert gaps["graphic-design"].code == "single_holder"
    assert gaps["graphic-design"].message == (
        "Only Sari holds the skill Graphic design (e.g. Canva), needed by 2 open cards: "
        "a competency gap to train for"
    )
    assert gaps["spreadsheet-data-analysis"].code == "no_holder"


def test_settings_out_of_range_take_their_defaults():
    settings = Settings.of(
        {"effective_hours": 0, "horizon_days": -2, "overload_factor": "x", "suggestions": 5}
    )
    assert settings.effective_hours == 5.5
    assert settings.horizon_days == 10
    assert settings.overload_factor == 1.5
    assert settings.suggestions == 5
