"""Request and response models of the approvals API (declared with `api_operation`): the same
models validate the bodies and describe the endpoints in /api/v1/openapi.json."""

from pydantic import ConfigDict, Field

from cergas.plugin import ApiModel, ApiResponse

DATE = {"format": "date"}
DATE_TIME = {"format": "date-time"}

# Requests


class ApprovalDecision(ApiModel):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={"examples": [{"decision": "approve", "note": "Sesuai", "step": 1}]},
    )

    decision: str = Field(description="`approve`, `return`, `reject` or `reassign`.")
    note: str | None = Field(None, description="Required to return or reject.")
    step: int | None = Field(None, description="The step decided; 409 once it is not current.")
    to: str = Field(None, description="Only to reassign: the NIP of the new approver.")


class NewDelegation(ApiModel):
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "to": "199202022016012005",
                    "kind": "plh",
                    "start": "2027-01-04",
                    "end": "2027-01-05",
                }
            ]
        },
    )

    from_: str | None = Field(
        None, alias="from", description="The approver's NIP; default: the caller."
    )
    to: str = Field(description="The stand-in's NIP.")
    kind: str = Field(description="`plh` (absence) or `plt` (vacant post).")
    start: str = Field(description="YYYY-MM-DD.", json_schema_extra=DATE)
    end: str = Field(description="YYYY-MM-DD, not before `start`.", json_schema_extra=DATE)


# Responses


class ApprovalDocument(ApiResponse):
    id: int = Field(description="The document's id on the card.")
    name: str
    version: int = Field(description="The version the paraf saw (its latest then).")
    sha256: str = Field(description="The checksum of that version's content (hex).")


class ApprovalStep(ApiResponse):
    number: int
    label: str
    approver: str | None = Field(description="NIP or username; None until the step is reached.")
    status: str = Field(description="`waiting`, `current`, `approved`, `returned`, `rejected`.")
    decided_by: str | None
    acting_as: str | None = Field(description="`plh` or `plt` when a stand-in decided.")
    acting_for: str | None
    at: str | None = Field(json_schema_extra=DATE_TIME)
    note: str | None
    documents: list[ApprovalDocument] | None = Field(
        None,
        description="Once decided: the card's documents the step saw (and, approving, "
        "approved); None before.",
    )


class ApprovalState(ApiResponse):
    state: str = Field(description="`none`, `pending`, `approved`, `returned` or `rejected`.")
    current_step: int | None
    round: int
    since: str | None = Field(
        None, description="While pending: since when.", json_schema_extra=DATE_TIME
    )
    documents: list[ApprovalDocument] = Field(
        default_factory=list,
        description="The card's documents the round is about (once approved: those approved); "
        "a new document, version, removal or restore voids the round.",
    )
    steps: list[ApprovalStep]


class ApprovalDecisionResult(ApiResponse):
    card_id: int
    approvals: ApprovalState


class ApprovalInboxCard(ApiResponse):
    id: int
    title: str
    type: str
    board_id: int
    board: str = Field(description="The board's name.")
    documents: int = Field(0, description="How many documents the card holds.")


class ApprovalInboxItem(ApiResponse):
    card: ApprovalInboxCard
    step: int
    label: str
    since: str = Field(json_schema_extra=DATE_TIME)
    waited_working_days: int
    acting_as: str | None = Field(description="`plh` or `plt` when waiting for a stand-in.")
    acting_for: str | None


class ApprovalInbox(ApiResponse):
    items: list[ApprovalInboxItem]


class Delegation(ApiResponse):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str
    from_: str | None = Field(alias="from")
    to: str | None
    kind: str
    start: str = Field(json_schema_extra=DATE)
    end: str = Field(json_schema_extra=DATE)
    active: bool
    revoked: bool
    created_by: str | None
    created_at: str = Field(json_schema_extra=DATE_TIME)


class DelegationList(ApiResponse):
    delegations: list[Delegation]
