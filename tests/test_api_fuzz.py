"""Schemathesis against a real server (tests/api_server.py: a seeded SQLite file, every installed
plugin, a free loopback port): for every operation in /api/v1/openapi.json, generated requests
(valid and invalid) never get a 5xx, and every answer has a documented status, content type and
a body that fits the documented schema: the core's and the built-in plugins' operations alike,
each with its models (a test below checks every one of them has models to check against).

The budget is fixed (EXAMPLES per operation, derandomized) so `make test` stays bounded; run
`CERGAS_FUZZ_EXAMPLES=500 pytest tests/test_api_fuzz.py` for a longer local run. Each failure it
found became a regular test in tests/test_api_contract.py.
"""

import json
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path
from urllib.parse import quote_plus
from urllib.request import urlopen

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, reject, settings
from requests.models import RequestEncodingMixin
from schemathesis.specs.openapi.checks import positive_data_acceptance

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("CERGAS_FUZZ_EXAMPLES", "20"))
# The seeded objects' ids replace every other generated id (the odd ones stay, to hit 404s).
ROLES = ("kadis", "kabid", "kasi", "staff", "outsider", "revoked")
SEEDED = {
    "board_id": "board",
    "card_id": "cards",
    "notification_id": "notification",
    "token_id": "spare_tokens",
    "attachment_id": "attachments",
}
# Operations that revoke the caller's own tokens: called as a spare person (tests/api_server.py),
# so every other caller keeps a working token for the rest of the run.
REVOKING = {"POST /api/v1/me/sign-out-everywhere", "DELETE /api/v1/tokens/{token_id}"}
# Text path parameters of the plugins' operations: half the generated values become a seeded
# person, unit or delegation (so their answers are checked against their models), half stay.
SEEDED_TEXT = {"login": "logins", "code": "units", "delegation_id": "delegations"}


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    with open(folder / "server.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "api_server.py"), str(folder)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        try:
            yield _wait_until_ready(process, folder)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_until_ready(process, folder) -> dict:
    ready = folder / "server.json"
    deadline = time.monotonic() + 120
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail((folder / "server.log").read_text(errors="replace")[-3000:])
        time.sleep(0.2)
    return json.loads(ready.read_text(encoding="utf-8"))


def served_app_document() -> dict:
    """The document of an app configured like the server (every installed plugin); a test
    below checks the server serves exactly this."""
    from app import create_app
    from app.api.openapi import build

    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", "REDIS_URL": None})
    with app.test_request_context():
        return build()


DOCUMENT = served_app_document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_server_serves_the_document_the_fuzzer_reads(fuzz_server):
    with urlopen(fuzz_server["url"] + "/api/v1/openapi.json") as response:
        assert json.load(response) == DOCUMENT


def aim_at_seeded_objects(case, ids: dict) -> None:
    for name, value in list((case.path_parameters or {}).items()):
        # Only ids within the documented range (1 to 2^31-1, the `id` converter): an out-of-range
        # one is a negative case to keep.
        if name in SEEDED and isinstance(value, int) and 1 <= value < 2**31 and value % 2 == 0:
            seeded = ids[SEEDED[name]]
            case.path_parameters[name] = (
                seeded[value % len(seeded)] if isinstance(seeded, list) else seeded
            )
        pick = zlib.crc32(str(value).encode())
        if name in SEEDED_TEXT and isinstance(value, str) and pick % 2 == 0:
            seeded = ids[SEEDED_TEXT[name]]
            case.path_parameters[name] = seeded[(pick // 2) % len(seeded)]


def caller_for(case) -> str:
    """Half the cases call as the admin (who reaches every code path), the rest as one of the
    other seeded roles (a revoked token included), picked from the generated case itself."""
    pick = zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode())
    return "admin" if pick % 2 == 0 else ROLES[(pick // 2) % len(ROLES)]


def undeclared_query_lost(case) -> bool:
    """True for a case whose undeclared query parameters all vanish on the way: their values are
    empty lists or objects, which a query string cannot carry (`{"x": []}` sends nothing). The
    request that arrives is then the declared part alone, so a negative case built on the extra
    parameter (schemathesis still expects a refusal) is no longer one. Its Authorization header,
    the other part such cases make wrong, is always set by this test."""
    query = case.query or {}
    declared = {param.name for param in case.operation.query}
    undeclared = [name for name in query if name not in declared]
    if not undeclared:
        return False
    sent = RequestEncodingMixin._encode_params(query)
    sent_names = {pair.split("=", 1)[0] for pair in sent.split("&") if pair} if sent else set()
    return not sent_names - {quote_plus(name) for name in declared}


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_contract(case, fuzz_server):
    aim_at_seeded_objects(case, fuzz_server["ids"])
    if undeclared_query_lost(case):
        reject()
    revoking = f"{case.method.upper()} {case.path}" in REVOKING
    token = fuzz_server["tokens"]["spare" if revoking else caller_for(case)]
    case.call_and_validate(
        base_url=fuzz_server["url"],
        headers={"Authorization": f"Bearer {token}"},
        # Models check JSON types; value rules (lengths, ranges, known ids) are the services'
        # and answer 422, so a schema-valid request may rightly be refused.
        excluded_checks=[positive_data_acceptance],
        timeout=30,
    )


def test_every_fuzzed_operation_has_models_to_check_answers_against():
    """The plugins' operations are fuzzed too, and their answers are checked against real
    schemas: no success answer documented as `{}` (which any body would fit)."""
    fuzzed = {
        f"{op.method.upper()} {op.path}" for op in (r.ok() for r in schema.get_all_operations())
    }
    assert {"GET /api/v1/users/{login}/competency", "POST /api/v1/delegations"} <= fuzzed
    for path, item in DOCUMENT["paths"].items():
        for method, op in item.items():
            for status, answer in op["responses"].items():
                json_schema = answer.get("content", {}).get("application/json", {}).get("schema")
                if status.startswith("2") and json_schema is not None:
                    assert json_schema.get("$ref"), f"{method.upper()} {path} {status}"
