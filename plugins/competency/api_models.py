"""Request and response models of the competency API (declared with `api_operation`): the same
models validate the bodies and describe the endpoints in /api/v1/openapi.json."""

from pydantic import ConfigDict, Field

from cergas.plugin import ApiModel, ApiResponse

DATE = {"format": "date"}

# Requests


class NewLearning(ApiModel):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "activity": "bimtek",
                    "date": "2026-03-10",
                    "hours": 7.5,
                    "title": "Bimtek SPBE",
                    "skills": ["graphic-design"],
                }
            ]
        },
    )

    activity: str = Field(
        description="`training`, `bimtek`, `e_learning`, `seminar`, `coaching` or `mentoring`."
    )
    date: str = Field(description="YYYY-MM-DD, at the latest tomorrow.", json_schema_extra=DATE)
    hours: float = Field(description="More than 0; kept as whole minutes.")
    title: str | None = Field(None, description="At most 200 characters.")
    evidence_url: str | None = Field(None, description="An http(s) link to the evidence.")
    skills: list[str] = Field(None, description="Slugs of catalog skills it developed.")


# Responses


class CompetencySkill(ApiResponse):
    skill: str = Field(description="The skill's slug.")
    name: str
    level: int | None = Field(description="1 basic to 4 expert; None: not assessed yet.")


class CompetencyCertificate(ApiResponse):
    test: str
    score: float
    taken_on: str = Field(json_schema_extra=DATE)
    expires_on: str = Field(json_schema_extra=DATE)
    state: str = Field(description="`valid`, `expiring` or `expired`.")
    evidence_url: str | None


class LearningActivity(ApiResponse):
    id: int
    activity: str
    title: str
    date: str = Field(json_schema_extra=DATE)
    minutes: int
    hours: float
    jp: float
    evidence_url: str | None
    skills: list[str]


class JpProgress(ApiResponse):
    minutes_per_jp: int
    target_jp: int
    minutes: int
    jp: float
    whole_jp: int
    rest_minutes: int
    remaining_minutes: int
    done: bool
    behind: bool = Field(description="Not yet at the target and below an even pace.")
    months_left: int


class PersonCompetency(ApiResponse):
    user: str
    name: str
    year: int
    skills: list[CompetencySkill]
    certificates: list[CompetencyCertificate]
    learning: list[LearningActivity]
    jp: JpProgress


class LearningLogged(ApiResponse):
    learning: LearningActivity
    jp: JpProgress


class SkillHolder(ApiResponse):
    user: str
    name: str
    level: int | None
    active_cards: int
    estimated_hours: float


class TrainingCandidate(ApiResponse):
    user: str
    name: str


class SkillGap(ApiResponse):
    skill: str
    name: str
    kind: str
    cards: int
    estimated_hours: float
    unestimated_cards: int
    average_wait_working_days: float
    still_waiting: int
    holders: list[SkillHolder]
    bus_factor_one: bool
    train: int = Field(description="How many people to train.")
    candidates: list[TrainingCandidate]
    recommendation: str | None


class CompetencyGaps(ApiResponse):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    unit: str
    from_: str = Field(alias="from", json_schema_extra=DATE)
    to: str = Field(json_schema_extra=DATE)
    skills: list[SkillGap]
    bus_factor_one: list[str]
    recommendations: list[str]
