"""Response models of the staff-register import (`app.api.imports`); the request is a file."""

from typing import Literal

from pydantic import Field

from app.api.contract import ApiResponse
from app.api.models import response_examples


class FieldChange(ApiResponse):
    old: str | bool | None = Field(description="The stored value (null for a new record).")
    new: str | bool | None = Field(description="The value from the file.")


class ImportRow(ApiResponse):
    line: int = Field(description="The row's line in the file (the header is line 1).")
    key: str = Field(description="The row's NIP or username (people), or unit code (units).")
    name: str
    action: Literal["create", "update", "unchanged", "refused"]
    changes: dict[str, FieldChange] = Field(
        description="By field (nip, username, name, position, email, phone, admin, unit, role; "
        "for units: name, parent): the stored value and the file's. Empty when unchanged."
    )
    reasons: list[str] = Field(description="Why the row is refused: every reason, translated.")


class ImportTotals(ApiResponse):
    rows: int
    create: int
    update: int
    unchanged: int
    refused: int


class ImportReport(ApiResponse):
    model_config = response_examples(
        {
            "kind": "people",
            "file": "pegawai.csv",
            "applied": False,
            "signature": "3f1c0a9e2b7d4c6a8e5f1b2c3d4e5f60",
            "totals": {"rows": 2, "create": 1, "update": 0, "unchanged": 0, "refused": 1},
            "ignored_columns": ["Golongan"],
            "rows": [
                {
                    "line": 2,
                    "key": "199503142020121003",
                    "name": "Rudi Hartono, S.Kom.",
                    "action": "create",
                    "changes": {"name": {"old": None, "new": "Rudi Hartono, S.Kom."}},
                    "reasons": [],
                },
                {
                    "line": 3,
                    "key": "199013052015031001",
                    "name": "Siti Aminah",
                    "action": "refused",
                    "changes": {},
                    "reasons": ["Kode unit XYZ tidak dikenal."],
                },
            ],
        }
    )

    kind: Literal["people", "units"]
    file: str = Field(description="The uploaded file's name, when it had one.")
    applied: bool = Field(description="False for a dry run; true once applied.")
    signature: str = Field(
        description="What the plan means, as a hash: pass it as `signature` when applying to "
        "apply only if nothing changed since this dry run."
    )
    totals: ImportTotals
    ignored_columns: list[str] = Field(description="Columns of the file that were not read.")
    rows: list[ImportRow]
