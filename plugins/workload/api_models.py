"""Response models of the workload API (declared with `api_operation`): they describe the
answers in /api/v1/openapi.json, and the fuzz tests check every answer against them."""

from pydantic import Field

from cergas.plugin import ApiResponse


class WorkloadPerson(ApiResponse):
    user: str = Field(description="NIP or username.")
    name: str
    active_cards: int
    estimated_hours: float
    overdue: int
    effectiveness: float = Field(
        description="Hours due within the horizon over the hours available in it (1 = full)."
    )
    skills: dict[str, int | None] = Field(description="Skill slug -> level 1-4 (None: held).")
    overloaded: bool
    reasons: list[str] = Field(
        description="Why overloaded: `personal_wip`, `above_median`, `over_capacity`."
    )


class WorkloadWarning(ApiResponse):
    code: str = Field(
        description="`personal_wip`, `above_median`, `over_capacity`, `idle`, `imbalance`, "
        "`single_holder` or `no_holder`."
    )
    message: str
    tone: str
    people: list[str] = Field(description="Logins of the people concerned.")
    skill: str = Field(None, description="For skill warnings: the skill's slug.")


class WorkloadSuggestedCard(ApiResponse):
    id: int
    title: str
    board_id: int
    version: int


class WorkloadSuggestion(ApiResponse):
    card: WorkloadSuggestedCard
    holder: str
    skills: list[str] = Field(description="The skills the card needs.")
    candidates: list[str] = Field(description="Who could take it over, least loaded first.")


class WorkloadHorizon(ApiResponse):
    working_days: int
    until: str = Field(json_schema_extra={"format": "date"})
    effective_hours_per_day: float


class WorkloadBoard(ApiResponse):
    id: int
    name: str


class WorkloadUnit(ApiResponse):
    code: str
    name: str


class WorkloadReport(ApiResponse):
    people: list[WorkloadPerson]
    median_active: float
    imbalance: float = Field(description="Gini coefficient of active hours: 0 even, 1 one-sided.")
    imbalance_index: str
    warnings: list[WorkloadWarning]
    suggestions: list[WorkloadSuggestion]
    horizon: WorkloadHorizon
    boards: list[WorkloadBoard]


class BoardWorkload(WorkloadReport):
    board: WorkloadBoard


class UnitWorkload(WorkloadReport):
    unit: WorkloadUnit
