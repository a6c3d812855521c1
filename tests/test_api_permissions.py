"""Who may call which API endpoint: every operation of /api/v1/openapi.json x seven callers, with
the status each one gets written down in TABLE. The table is the documentation:
docs/permissions.md is generated from it (`make permissions-doc`) and a test checks the
committed file matches.

The requests (URL with ids, body) are those of the route's row in tests/test_permissions.py,
and a test checks this table agrees with that matrix's levels for the callers both have.
"""

import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python tests/test_api_permissions.py` (make permissions-doc)
    sys.path.insert(0, str(ROOT))

from app.extensions import db  # noqa: E402
from app.models import Card  # noqa: E402
from app.services import accounts, cards, skills  # noqa: E402
from app.services.notifications import notify  # noqa: E402
from tests.conftest import NIPS, SeededApp, build_org, build_tokens, get_user  # noqa: E402
from tests.test_permissions import (  # noqa: E402
    MATRIX,
    attachment_fixture,
    checklist_fixture,
    expected,
    fill,
    matrix_app,
    performance_fixture,
    recurrence_fixture,
    rhk_fixture,
    saved_filter_fixture,
    send,
    sprint_fixtures,
    team_and_acting_fixtures,
    template_fixture,
    webhook_fixture,
)

CALLERS = ["no token", "revoked token", "other unit", "member", "head", "ancestor head", "admin"]
# The people of tests/conftest.py `org` each caller is; "revoked token" is the member's revoked
# token, "no token" sends none. For POST /api/v1/tokens (no token needed) both log in as the
# member.
PERSON = {
    "no token": "staff",
    "revoked token": "staff",
    "other unit": "outsider",
    "member": "staff",
    "head": "kasi",
    "ancestor head": "kabid",
    "admin": "admin",
}
SAME_ROLE = {
    "no token": "anonymous",
    "other unit": "outsider",
    "member": "staff",
    "head": "kasi",
    "ancestor head": "kabid",
    "admin": "admin",
}

# fmt: off
TABLE = {
    # "METHOD path": (no token, revoked token, other unit, member, head, ancestor head, admin)
    "GET /api/v1/approvals/inbox":                            (401, 401, 200, 200, 200, 200, 200),
    "GET /api/v1/boards":                                     (401, 401, 200, 200, 200, 200, 200),
    "GET /api/v1/users":                                      (401, 401, 403, 403, 200, 200, 200),
    "POST /api/v1/users":                                     (401, 401, 403, 403, 201, 201, 201),
    "GET /api/v1/users/{login}":                              (401, 401, 404, 200, 200, 200, 200),
    "PATCH /api/v1/users/{login}":                            (401, 401, 404, 200, 200, 200, 200),
    "POST /api/v1/users/{login}/deactivate":                  (401, 401, 404, 403, 200, 200, 200),
    "POST /api/v1/users/{login}/reactivate":                  (401, 401, 404, 403, 409, 409, 409),
    "POST /api/v1/boards":                                    (401, 401, 403, 403, 201, 201, 201),
    "GET /api/v1/teams":                                      (401, 401, 200, 200, 200, 200, 200),
    "POST /api/v1/teams":                                     (401, 401, 403, 403, 201, 201, 201),
    "GET /api/v1/teams/{code}":                               (401, 401, 404, 200, 200, 200, 200),
    "PATCH /api/v1/teams/{code}":                             (401, 401, 404, 403, 200, 200, 200),
    "POST /api/v1/teams/{code}/members":                      (401, 401, 404, 403, 200, 200, 200),
    "DELETE /api/v1/teams/{code}/members/{login}":            (401, 401, 404, 403, 200, 200, 200),
    "GET /api/v1/acting-heads":                               (401, 401, 200, 200, 200, 200, 200),
    "POST /api/v1/acting-heads":                              (401, 401, 403, 403, 403, 201, 201),
    "POST /api/v1/acting-heads/{item_id}/end":                (401, 401, 404, 404, 403, 200, 200),
    "GET /api/v1/search":                                     (401, 401, 200, 200, 200, 200, 200),
    "GET /api/v1/boards/{board_id}":                          (401, 401, 404, 200, 200, 200, 200),
    "POST /api/v1/boards/{board_id}/cards":                   (401, 401, 404, 201, 201, 201, 201),
    "GET /api/v1/boards/{board_id}/metrics":                  (401, 401, 404, 200, 200, 200, 200),
    "GET /api/v1/boards/{board_id}/plugins/{plugin}/settings":(401, 401, 404, 200, 200, 200, 200),
    "PUT /api/v1/boards/{board_id}/plugins/{plugin}/settings":(401, 401, 404, 403, 200, 200, 200),
    "GET /api/v1/boards/{board_id}/workload":                 (401, 401, 404, 200, 200, 200, 200),
    "GET /api/v1/boards/{board_id}/sprints":                  (401, 401, 404, 200, 200, 200, 200),
    "POST /api/v1/boards/{board_id}/sprints":                 (401, 401, 404, 403, 201, 201, 201),
    "GET /api/v1/cards/{card_id}":                            (401, 401, 404, 200, 200, 200, 200),
    "PATCH /api/v1/cards/{card_id}":                          (401, 401, 404, 200, 200, 200, 200),
    "POST /api/v1/cards/{card_id}/approval":                  (401, 401, 404, 409, 409, 409, 409),
    "PATCH /api/v1/boards/{board_id}":                        (401, 401, 404, 403, 200, 200, 200),
    "POST /api/v1/cards/{card_id}/archive":                   (401, 401, 404, 403, 200, 200, 200),
    "POST /api/v1/cards/{card_id}/restore":                   (401, 401, 404, 409, 409, 409, 409),
    "POST /api/v1/cards/{card_id}/comments":                  (401, 401, 404, 201, 201, 201, 201),
    "POST /api/v1/cards/{card_id}/follow":                    (401, 401, 404, 200, 200, 200, 200),
    "DELETE /api/v1/cards/{card_id}/follow":                  (401, 401, 404, 200, 200, 200, 200),
    "GET /api/v1/cards/{card_id}/events":                     (401, 401, 404, 200, 200, 200, 200),
    "POST /api/v1/cards/{card_id}/move":                      (401, 401, 404, 200, 200, 200, 200),
    "GET /api/v1/delegations":                                (401, 401, 200, 200, 200, 200, 200),
    "POST /api/v1/delegations":                               (401, 401, 201, 201, 201, 201, 201),
    "DELETE /api/v1/delegations/{delegation_id}":             (401, 401, 404, 404, 404, 404, 404),
    "GET /api/v1/notifications":                              (401, 401, 200, 200, 200, 200, 200),
    "POST /api/v1/notifications/read-all":                    (401, 401, 200, 200, 200, 200, 200),
    "POST /api/v1/notifications/{notification_id}/read":      (401, 401, 404, 200, 404, 404, 404),
    "GET /api/v1/me/notification-preferences":                (401, 401, 200, 200, 200, 200, 200),
    "PUT /api/v1/me/notification-preferences":                (401, 401, 200, 200, 200, 200, 200),
    "GET /api/v1/openapi.json":                               (200, 200, 200, 200, 200, 200, 200),
    "GET /api/v1/plugins":                                    (401, 401, 403, 403, 403, 403, 200),
    "GET /api/v1/sprints/{sprint_id}":                        (401, 401, 404, 200, 200, 200, 200),
    "POST /api/v1/sprints/{sprint_id}/cards":                 (401, 401, 404, 403, 200, 200, 200),
    "DELETE /api/v1/sprints/{sprint_id}/cards/{card_id}":     (401, 401, 404, 403, 200, 200, 200),
    "POST /api/v1/sprints/{sprint_id}/close":                 (401, 401, 404, 403, 200, 200, 200),
    "POST /api/v1/sprints/{sprint_id}/start":                 (401, 401, 404, 403, 200, 200, 200),
    "GET /api/v1/units/{code}/competency-gaps":               (401, 401, 404, 403, 200, 200, 200),
    "GET /api/v1/units/{code}/workload":                      (401, 401, 404, 200, 200, 200, 200),
    "GET /api/v1/users/{login}/rhk":                          (401, 401, 404, 200, 200, 200, 404),
    "POST /api/v1/users/{login}/rhk":                         (401, 401, 404, 201, 201, 201, 404),
    "GET /api/v1/rhk/{rhk_id}":                               (401, 401, 404, 200, 200, 200, 404),
    "PATCH /api/v1/rhk/{rhk_id}":                             (401, 401, 404, 200, 200, 200, 404),
    "DELETE /api/v1/rhk/{rhk_id}":                            (401, 401, 404, 200, 200, 200, 404),
    "GET /api/v1/users/{login}/competency":                   (401, 401, 404, 200, 200, 200, 200),
    "GET /api/v1/users/{login}/evidence":                     (401, 401, 404, 200, 200, 200, 404),
    "GET /api/v1/users/{login}/feedback":                     (401, 401, 404, 200, 200, 200, 404),
    "POST /api/v1/users/{login}/feedback":                    (401, 401, 404, 403, 201, 201, 404),
    "PATCH /api/v1/feedback/{feedback_id}":                   (401, 401, 404, 403, 200, 403, 404),
    "GET /api/v1/sprints/{sprint_id}/dialogue":               (401, 401, 404, 200, 200, 200, 200),
    "POST /api/v1/sprints/{sprint_id}/dialogue":              (401, 401, 404, 403, 422, 422, 422),
    "POST /api/v1/users/{login}/learning":                    (401, 401, 404, 201, 201, 201, 201),
    "POST /api/v1/tokens":                                    (201, 201, 201, 201, 201, 201, 201),
    "GET /api/v1/tokens":                                     (401, 401, 200, 200, 200, 200, 200),
    "DELETE /api/v1/tokens/{token_id}":                       (401, 401, 404, 200, 404, 404, 404),
    "POST /api/v1/me/sign-out-everywhere":                    (401, 401, 200, 200, 200, 200, 200),
    "POST /api/v1/me/password":                               (401, 401, 200, 200, 200, 200, 200),
    "GET /api/v1/me/calendar-feed":                           (401, 401, 200, 200, 200, 200, 200),
    "POST /api/v1/me/calendar-feed":                          (401, 401, 201, 201, 201, 201, 201),
    "DELETE /api/v1/me/calendar-feed":                        (401, 401, 200, 200, 200, 200, 200),
    "POST /api/v1/users/{login}/reset-link":                  (401, 401, 404, 403, 201, 201, 201),
    "GET /api/v1/users/{login}/sessions":                     (401, 401, 403, 403, 403, 403, 200),
    "POST /api/v1/users/{login}/sessions/end":                (401, 401, 403, 403, 403, 403, 200),
    "POST /api/v1/import/people":                             (401, 401, 403, 403, 200, 200, 200),
    "POST /api/v1/import/units":                              (401, 401, 403, 403, 403, 403, 200),
    "GET /api/v1/units":                                      (401, 401, 200, 200, 200, 200, 200),
    "POST /api/v1/units":                                     (401, 401, 403, 403, 403, 403, 201),
    "PATCH /api/v1/units/{code}":                             (401, 401, 403, 403, 403, 403, 200),
    "GET /api/v1/admin/log":                                  (401, 401, 403, 403, 403, 403, 200),
    "GET /api/v1/boards/{board_id}/card-templates":           (401, 401, 404, 200, 200, 200, 200),
    "POST /api/v1/boards/{board_id}/card-templates":          (401, 401, 404, 403, 201, 201, 201),
    "PATCH /api/v1/card-templates/{template_id}":             (401, 401, 404, 403, 200, 200, 200),
    "DELETE /api/v1/card-templates/{template_id}":            (401, 401, 404, 403, 200, 200, 200),
    "POST /api/v1/card-templates/{template_id}/cards":        (401, 401, 404, 201, 201, 201, 201),
    "GET /api/v1/boards/{board_id}/recurrences":             (401, 401, 404, 200, 200, 200, 200),
    "POST /api/v1/boards/{board_id}/recurrences":            (401, 401, 404, 403, 201, 201, 201),
    "PATCH /api/v1/recurrences/{recurrence_id}":              (401, 401, 404, 403, 200, 200, 200),
    "DELETE /api/v1/recurrences/{recurrence_id}":             (401, 401, 404, 403, 200, 200, 200),
    "GET /api/v1/cards/{card_id}/checklist":                  (401, 401, 404, 200, 200, 200, 200),
    "POST /api/v1/cards/{card_id}/checklist":                 (401, 401, 404, 201, 201, 201, 201),
    "PATCH /api/v1/checklist-items/{item_id}":                (401, 401, 404, 200, 200, 200, 200),
    "DELETE /api/v1/checklist-items/{item_id}":               (401, 401, 404, 200, 200, 200, 200),
    "GET /api/v1/cards/{card_id}/attachments":                (401, 401, 404, 200, 200, 200, 200),
    "POST /api/v1/cards/{card_id}/attachments":               (401, 401, 404, 201, 201, 201, 201),
    "GET /api/v1/attachments/{attachment_id}":                (401, 401, 404, 200, 200, 200, 200),
    "DELETE /api/v1/attachments/{attachment_id}":             (401, 401, 404, 403, 200, 200, 200),
    "GET /api/v1/attachments/{attachment_id}/content":        (401, 401, 404, 200, 200, 200, 200),
    "POST /api/v1/attachments/{attachment_id}/versions":      (401, 401, 404, 201, 201, 201, 201),
    "POST /api/v1/attachments/{attachment_id}/restore":       (401, 401, 404, 404, 200, 200, 200),
    "GET /api/v1/webhooks":                                   (401, 401, 200, 200, 200, 200, 200),
    "POST /api/v1/webhooks":                                  (401, 401, 404, 403, 201, 201, 201),
    "GET /api/v1/webhooks/{webhook_id}":                      (401, 401, 404, 403, 200, 200, 200),
    "PATCH /api/v1/webhooks/{webhook_id}":                    (401, 401, 404, 403, 200, 200, 200),
    "DELETE /api/v1/webhooks/{webhook_id}":                   (401, 401, 404, 403, 200, 200, 200),
    "POST /api/v1/webhooks/{webhook_id}/secret":              (401, 401, 404, 403, 200, 200, 200),
    "POST /api/v1/boards/{board_id}/cards/bulk":              (401, 401, 404, 200, 200, 200, 200),
    "GET /api/v1/boards/{board_id}/filters":                  (401, 401, 404, 200, 200, 200, 200),
    "POST /api/v1/boards/{board_id}/filters":                 (401, 401, 404, 201, 201, 201, 201),
    "PATCH /api/v1/filters/{filter_id}":                      (401, 401, 404, 200, 404, 404, 404),
    "DELETE /api/v1/filters/{filter_id}":                     (401, 401, 404, 200, 404, 404, 404),
}
# fmt: on


def operations(document: dict) -> dict[str, tuple[str, str]]:
    """ "METHOD path" -> (operationId, summary) for every operation of the document."""
    found = {}
    for path, item in document["paths"].items():
        for method, op in item.items():
            found[f"{method.upper()} {path}"] = (op["operationId"], op["summary"])
    return found


def english_document(flask_app) -> dict:
    from flask_babel import force_locale

    from app.api.openapi import build

    with flask_app.test_request_context(), force_locale("en"):
        return build(flask_app)


def matrix_row(endpoint: str, method: str):
    rows = [row for row in MATRIX if row[0] == endpoint and row[1] == method]
    assert rows, f"{method} {endpoint} has no row in tests/test_permissions.py"
    return rows[0]


def seed_callers(app) -> SimpleNamespace:
    """The org and a token each; the objects a row names are built by its own case."""
    org = build_org(app)
    return SimpleNamespace(org=org, tokens=build_tokens(app, org))


@pytest.fixture(scope="module")
def matrix(database_url):
    """The matrix app (same plugins as tests/test_permissions.py), kept for the module; every
    test starts from the seeded org."""
    yield from SeededApp.kept(matrix_app(database_url), seed_callers)


@pytest.fixture
def seeded(matrix):
    return matrix.restore()


@pytest.fixture
def app(matrix, seeded):
    return matrix.app


@pytest.fixture
def document(app):
    return english_document(app)


def test_the_table_has_a_row_for_every_operation_of_the_document(document):
    documented = set(operations(document))
    assert documented - set(TABLE) == set(), "operations without a row"
    assert set(TABLE) - documented == set(), "rows for operations that are not documented"


def test_the_table_agrees_with_the_route_matrix():
    """For the callers both matrices have, each status here is one the route's level allows."""
    for key, statuses in TABLE.items():
        method = key.split(" ", 1)[0]
        _e, _m, _url, _body, level = matrix_row(ENDPOINTS[key], method)
        for caller, status in zip(CALLERS, statuses, strict=True):
            role = SAME_ROLE.get(caller)
            if role is None or (level == "api-token" and caller == "no token"):
                continue  # the route matrix sends a wrong password without a token
            assert status in expected(level, role), (key, caller, status, level)


def world(flask_app, org, caller: str, tokens: dict, row) -> tuple[dict, dict]:
    """The objects `row` names (only those: each case builds its own), and the headers `caller`
    sends."""
    needs = set(re.findall(r"\{(\w+)\}", repr(row[2]) + repr(row[3])))
    person = PERSON[caller]
    ids = {
        "board": org.board_id,
        "backlog": org.backlog,
        "review": org.review,
        "login": "admin" if person == "admin" else NIPS[person],
        "staff": NIPS["staff"],
    }
    with flask_app.app_context():
        admin, staff = get_user("admin", org), get_user("staff", org)
        ids["card"] = cards.create_card(
            admin, org.board_id, {"title": "Permohonan data", "due_date": "2026-12-01"}
        ).card.id
        if "rhk" in needs:
            ids["rhk"] = rhk_fixture(org)
        if "notification" in needs:
            ids["notification"] = notify(staff, "Kartu baru untuk Anda").id
        if "certificate" in needs:
            skills.seed_catalog()
            ids["certificate"] = skills.add_certificate(
                staff,
                staff,
                {"test": "TOEIC", "score": "700", "taken_on": "2025-01-01"},
            ).id
        if "template" in needs or "recurrence" in needs:
            ids["template"] = template_fixture(org)
        if "recurrence" in needs:
            ids["recurrence"] = recurrence_fixture(org, ids["template"])
        if "webhook" in needs:
            ids["webhook"] = webhook_fixture(org)
        if "saved_filter" in needs:
            ids["saved_filter"] = saved_filter_fixture(org)
        if "api_token" in needs:
            ids["api_token"] = accounts.issue_token(staff, "matriks")[0].id
        if needs & {"team", "acting"}:
            ids.update(team_and_acting_fixtures(org))
        if "checklist_item" in needs:
            ids["checklist_item"] = checklist_fixture(org, ids["card"])
        if "attachment" in needs:
            ids["attachment"] = attachment_fixture(org, ids["card"])
        if "removed_attachment" in needs:
            ids["removed_attachment"] = attachment_fixture(org, ids["card"], removed=True)
        if "feedback" in needs:
            ids.update(performance_fixture(org))
        if needs & {"sprint", "active"}:
            ids["sprint"], ids["active"] = sprint_fixtures(org, ids["card"])
        if "card" in ids:
            # The version an edit must name, after the fixtures that changed the card.
            ids["card_version"] = db.session.get(Card, ids["card"]).version
        token = tokens.get(person)
        if caller == "revoked token":
            token = accounts.create_token(staff, "revoked")
            accounts.revoke_tokens(staff)
    headers = {} if caller == "no token" else {"Authorization": f"Bearer {token}"}
    return ids, headers


def call(client, row, ids: dict, headers: dict):
    _endpoint, method, url, body, _level = row
    url, body = fill(url, ids), fill(body, ids)
    return send(client, url, method, body, headers)


# "METHOD path" -> operationId (the endpoint), read from the document once at import.
def _endpoints() -> dict[str, str]:
    flask_app = matrix_app("sqlite://")
    return {
        key: endpoint for key, (endpoint, _s) in operations(english_document(flask_app)).items()
    }


ENDPOINTS = _endpoints()


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("key", sorted(TABLE))
def test_each_caller_gets_the_status_in_the_table(app, client, seeded, key, caller):
    row = matrix_row(ENDPOINTS[key], key.split(" ", 1)[0])
    ids, headers = world(app, seeded.org, caller, seeded.tokens, row)
    response = call(client, row, ids, headers)
    want = TABLE[key][CALLERS.index(caller)]
    assert response.status_code == want, response.get_data(as_text=True)[:300]


def render(document: dict | None = None) -> str:
    """docs/permissions.md from TABLE (summaries from the English document)."""
    if document is None:
        document = english_document(matrix_app("sqlite://"))
    summaries = {key: summary for key, (_e, summary) in operations(document).items()}
    lines = [
        "# Who may call which API endpoint",
        "",
        "<!-- Generated by `make permissions-doc` from TABLE in tests/test_api_permissions.py;"
        " do not edit. -->",
        "",
        "Every operation of `/api/v1` (see `/api/v1/openapi.json` or `/api/docs`) and the status",
        "each caller gets, as tested by `tests/test_api_permissions.py` on a unit tree",
        "Dinas > Bidang > Seksi with a board of the Seksi:",
        "",
        "- **no token**: no `Authorization` header; **revoked token**: a token that was revoked;",
        "- **other unit**: a member of a sibling Bidang;",
        "  **member**: a member of the board's Seksi;",
        "- **head**: head of the Seksi; **ancestor head**: head of the Bidang above it;",
        "- **admin**: a site administrator.",
        "",
        "200/201: allowed. 401: no valid token. 403: may see but not do. 404: may not see (or",
        "there is nothing there to act on). 409: allowed, but refused by the current state",
        "(e.g. no approval step is waiting). Rows that act on a person's own things (their",
        "notifications, delegations, API tokens) use the member's objects, so others get 404.",
        "Rows about a person (`{login}`: competency, learning log) are about the member, whom",
        "the heads above and admins may see and change too. Rows about a unit (`{code}`) are",
        "about the board's Seksi. Rows about a document (`{attachment_id}`) use a PDF the admin",
        "uploaded to a card of the board (a member may read it, not remove it); the restore row",
        "uses one the admin removed, which members no longer see.",
        "",
        "| Operation | What | " + " | ".join(CALLERS) + " |",
        "|---|---|" + "---|" * len(CALLERS),
    ]
    for key in sorted(TABLE, key=lambda k: (k.split(" ", 1)[1], k)):
        statuses = " | ".join(str(status) for status in TABLE[key])
        lines.append(f"| `{key}` | {summaries.get(key, '')} | {statuses} |")
    return "\n".join(lines) + "\n"


def test_docs_permissions_is_generated_from_the_table():
    committed = (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")
    assert committed == render(), "run `make permissions-doc` and commit docs/permissions.md"


if __name__ == "__main__":
    sys.stdout.write(render())
