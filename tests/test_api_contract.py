"""The API contract: /api/v1/openapi.json documents every /api/v1 route with the models that
validate it, /api/docs shows it to people, and what the fuzzer (tests/test_api_fuzz.py) found
stays fixed."""

import inspect
import re

import pytest
from pydantic import BaseModel

from app.api import models as m
from app.api.contract import ApiModel, ErrorEnvelope, operation_of
from app.api.openapi import api_rules, build, openapi_path
from app.extensions import db
from cergas.plugin import api_operation
from tests.conftest import NIPS, PASSWORD, make_app
from tests.i18n_helpers import t

ALL_PLUGINS = "email,workload,competency,approvals,sla"


@pytest.fixture
def full_app(database_url):
    """Every built-in plugin loaded, so their API routes must be documented too."""
    return make_app(database_url, CERGAS_PLUGINS=ALL_PLUGINS)


def test_every_api_route_and_method_is_in_the_document(full_app):
    document = full_app.test_client().get("/api/v1/openapi.json").get_json()
    missing = []
    for rule, method, _view in api_rules(full_app):
        path, _params = openapi_path(rule)
        if method not in document["paths"].get(path, {}):
            missing.append(f"{method.upper()} {rule.rule}")
    assert missing == [], "routes missing from /api/v1/openapi.json"
    assert len(document["paths"]) >= 20


def _schema(document: dict, schema: dict) -> dict:
    """The schema itself, following a `$ref` into the components."""
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_no_operation_has_an_empty_body_or_success_schema(full_app):
    """Every JSON body and 2xx JSON answer is described by a model with its fields, plugins'
    operations included (a `{}` schema documents nothing and lets any answer pass the fuzzer)."""
    with full_app.test_request_context():
        document = build(full_app)
    empty = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None and not _schema(document, body["schema"]).get("properties"):
                empty.append(f"{where} request body")
            for status, answer in op["responses"].items():
                content = answer.get("content", {}).get("application/json")
                if status.startswith("2") and content is not None:
                    schema = _schema(document, content["schema"])
                    empty += [] if schema.get("properties") else [f"{where} {status}"]
    assert empty == [], "operations with an empty schema"
    plugin_paths = [path for path in document["paths"] if "competency" in path or "deleg" in path]
    assert len(plugin_paths) >= 4, "the built-in plugins' operations are in the document"
    # Two models of the same name (core and a plugin, or two plugins) get module-qualified
    # names in the document: each model has a name of its own.
    assert [name for name in document["components"]["schemas"] if "__" in name] == []


def test_every_view_that_reads_a_body_declares_its_model(full_app):
    """A view that reads a JSON body (core or plugin) declares the model that validates it, so
    the document shows the body and the validation is the document's."""
    undeclared = []
    for rule, method, view in api_rules(full_app):
        reads = re.search(r"\b(api_json_body|request_body|json_body)\(", inspect.getsource(view))
        if reads and operation_of(view).body is None:
            undeclared.append(f"{method.upper()} {rule.rule}")
    assert undeclared == []


def test_api_operation_keeps_its_old_signature_and_checks_its_models():
    """Third-party plugins that declare only a summary keep working; a body that is not an
    ApiModel is refused when the plugin is imported, not at the first request."""

    @api_operation("Old style", query=(), errors=(409,), tags=("x",), description="Words.")
    def old_style():
        pass

    declared = operation_of(old_style)
    assert declared.responses == {200: None} and declared.body is None
    assert declared.errors == (409,) and declared.description == "Words."

    class Plain(BaseModel):
        name: str

    with pytest.raises(TypeError):
        api_operation("Bad body", body=Plain)
    with pytest.raises(TypeError):
        api_operation("Bad answer", responses={200: dict})


def test_the_document_is_openapi_3_1_with_bearer_auth_and_the_error_envelope(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    envelope = document["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["required"] == ["error"]
    detail = document["components"]["schemas"]["ErrorDetail"]
    assert {"code", "message", "fields"} <= set(detail["properties"])
    create = document["paths"]["/api/v1/boards/{board_id}/cards"]["post"]
    assert create["security"] == [{"bearerAuth": []}]
    assert create["requestBody"]["content"]["application/json"]["example"]["title"]
    assert set(create["responses"]) >= {"201", "400", "401", "404", "409", "413", "422"}
    assert create["responses"]["422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorEnvelope"
    }
    token = document["paths"]["/api/v1/tokens"]["post"]
    assert token["security"] == []


def test_request_schemas_come_from_the_validating_models(client):
    """The document shows exactly the fields and required ones the validation uses."""
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for model in (m.NewCard, m.CardPatch, m.Move, m.NewComment, m.NewToken, m.NewBoard):
        schema = schemas[model.__name__]
        assert set(schema["properties"]) == set(model.model_fields)
        required = {name for name, info in model.model_fields.items() if info.is_required()}
        assert set(schema.get("required", [])) == required
        assert schema["additionalProperties"] is False
        assert issubclass(model, ApiModel)


def test_the_document_needs_no_token_and_the_reference_page_renders_it(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert t("API reference") in html
    assert "<code>/api/v1/boards/{board_id}/cards</code>" in html
    assert 'id="schema-ErrorEnvelope"' in html
    assert "cdn" not in html.lower() and "<script>" not in html


def test_the_reference_page_chrome_is_translated(client):
    client.post("/language", data={"locale": "en"})
    english = client.get("/api/docs").get_data(as_text=True)
    client.post("/language", data={"locale": "id"})
    indonesian = client.get("/api/docs").get_data(as_text=True)
    assert "Request body" in english
    assert t("Request body") in indonesian


def validation_fields(response) -> dict:
    assert response.status_code == 422, response.get_data(as_text=True)
    return response.get_json()["error"]["fields"]


def test_wrong_json_types_get_one_message_per_field_named_as_before(api, org):
    response = api("kasi").post(
        "/api/v1/boards",
        json={
            "name": "Papan",
            "unit": "SEKSI-APL",
            "columns": [{"name": "A"}, 5, {"name": "B", "wip_limit": True, "colour": "x"}],
            "extra": 1,
        },
    )
    fields = validation_fields(response)
    assert set(fields) == {"columns[1]", "columns[2].wip_limit", "columns[2].colour", "extra"}
    assert fields["extra"] == t("Unknown field.")
    assert fields["columns[1]"] == t("Each column must be an object.")
    labels = validation_fields(
        api("staff").post(
            f"/api/v1/boards/{org.board_id}/cards", json={"title": "K", "labels": [1, 2]}
        )
    )
    assert labels == {"labels": t("Must be a list of text values.")}


# Regressions found by schemathesis (tests/test_api_fuzz.py).


def test_405_names_the_allowed_methods(api, org):
    """Found: TRACE answered 405 without the Allow header RFC 9110 requires."""
    response = api("staff").open("/api/v1/boards", method="TRACE")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_an_unknown_query_parameter_is_refused_like_an_unknown_field(api, org):
    """Found: undeclared query parameters were silently ignored, so a typo went unnoticed."""
    response = api("staff").get("/api/v1/notifications?unread=1&limt=5")
    assert validation_fields(response) == {"limt": t("Unknown field.")}
    assert api("staff").get("/api/v1/notifications?unread=1&limit=5").status_code == 200
    assert validation_fields(api("staff").get("/api/v1/boards?page=2")) == {
        "page": t("Unknown field.")
    }


def test_a_token_request_with_a_null_name_gets_a_token(client, org):
    """Found: POST /api/v1/tokens answered 500 (a NameError) for a valid request."""
    response = client.post(
        "/api/v1/tokens", json={"username": NIPS["staff"], "password": PASSWORD, "name": None}
    )
    assert response.status_code == 201
    m.Token.model_validate(response.get_json())


def test_a_token_request_with_a_wrong_password_is_a_documented_401(client, org):
    """Found: 401 was not among the documented statuses of POST /api/v1/tokens."""
    response = client.post("/api/v1/tokens", json={"username": "", "password": "x"})
    assert response.status_code == 401
    ErrorEnvelope.model_validate(response.get_json())
    document = client.get("/api/v1/openapi.json").get_json()
    assert "401" in document["paths"]["/api/v1/tokens"]["post"]["responses"]


def test_card_answers_fit_the_documented_card_schema(api, org):
    """Found: cards carry `sprint_id`, which the Card schema did not list."""
    created = api("staff").post(f"/api/v1/boards/{org.board_id}/cards", json={"title": "K"})
    card = m.Card.model_validate(created.get_json())
    board = m.Board.model_validate(api("staff").get(f"/api/v1/boards/{org.board_id}").get_json())
    assert card.sprint_id is None
    assert [c.id for column in board.columns for c in column.cards] == [card.id]


def test_an_empty_date_bound_of_the_metrics_takes_its_default_as_documented(api, org):
    """Found: `?to=` was answered (with the default range) though the document asked for a
    date; an empty bound means the default, as in the report page's form, and says so."""
    url = f"/api/v1/boards/{org.board_id}/metrics"
    assert api("staff").get(url + "?to=&from=").get_json() == api("staff").get(url).get_json()
    document = api("staff").get("/api/v1/openapi.json").get_json()
    for param in document["paths"]["/api/v1/boards/{board_id}/metrics"]["get"]["parameters"]:
        if param["in"] == "query":
            assert {"maxLength": 0} in param["schema"]["anyOf"], param["name"]


# The built-in plugins' operations, with their own models (cergas.plugin.api_operation).


def answer_model(flask_app, method: str, url: str, status: int) -> type[BaseModel]:
    """The model the operation at `method url` documents for `status`."""
    endpoint, _args = flask_app.url_map.bind("localhost").match(url.split("?")[0], method=method)
    return operation_of(flask_app.view_functions[endpoint]).responses[status]


class TestPluginOperations:
    """The conftest `org` on an app with every built-in plugin."""

    @pytest.fixture
    def app(self, full_app):
        yield full_app
        with full_app.app_context():
            db.session.remove()
            db.engine.dispose()

    def test_plugin_bodies_are_validated_by_their_declared_models(self, api, org):
        delegation = {"to": 5, "kind": "plh", "start": "2027-01-04", "end": "2027-01-05"}
        fields = validation_fields(
            api("kasi").post("/api/v1/delegations", json={**delegation, "colour": "x"})
        )
        assert fields == {"to": t("Must be text."), "colour": t("Unknown field.")}
        learning = {"activity": "seminar", "date": "2026-01-05", "hours": True, "skills": [1]}
        fields = validation_fields(
            api("staff").post(f"/api/v1/users/{NIPS['staff']}/learning", json=learning)
        )
        assert fields == {
            "hours": t("Must be a number."),
            "skills": t("Must be a list of text values."),
        }
        card = api("staff").post(f"/api/v1/boards/{org.board_id}/cards", json={"title": "K"})
        decision = {"decision": "approve", "step": "1"}
        fields = validation_fields(
            api("staff").post(f"/api/v1/cards/{card.get_json()['id']}/approval", json=decision)
        )
        assert fields == {"step": t("Must be a whole number.")}
        assert validation_fields(api("staff").post("/api/v1/delegations", json={})) == {
            name: t("This field is required.") for name in ("to", "kind", "start", "end")
        }

    def test_plugin_answers_fit_their_declared_models(self, app, api, org):
        calls = [
            ("staff", "POST", f"/api/v1/users/{NIPS['staff']}/learning", 201),
            ("kasi", "GET", f"/api/v1/users/{NIPS['staff']}/competency", 200),
            ("kabid", "GET", "/api/v1/units/SEKSI-APL/competency-gaps", 200),
            ("staff", "GET", f"/api/v1/boards/{org.board_id}/workload", 200),
            ("kasi", "GET", "/api/v1/units/SEKSI-APL/workload", 200),
            ("kasi", "POST", "/api/v1/delegations", 201),
            ("staff2", "GET", "/api/v1/delegations", 200),
            ("staff", "GET", "/api/v1/approvals/inbox", 200),
        ]
        api("staff").post(
            f"/api/v1/boards/{org.board_id}/cards",
            json={"title": "Poster", "labels": ["skill:graphic-design"], "estimate": 4},
        )
        bodies = {
            "/learning": {"activity": "seminar", "date": "2026-01-05", "hours": 1.5},
            "/delegations": {
                "to": NIPS["staff2"],
                "kind": "plh",
                "start": "2027-01-04",
                "end": "2027-01-05",
            },
        }
        answers = {}
        for role, method, url, status in calls:
            body = next((b for end, b in bodies.items() if url.endswith(end)), None)
            response = api(role).open(url, method=method, json=body)
            assert response.status_code == status, (url, response.get_data(as_text=True)[:300])
            model = answer_model(app, method, url, status)
            assert model is not None, f"{method} {url} documents no model"
            answers[(method, url)] = model.model_validate(response.get_json())
        logged = answers[("POST", f"/api/v1/users/{NIPS['staff']}/learning")]
        assert logged.learning.minutes == 90
        person = answers[("GET", f"/api/v1/users/{NIPS['staff']}/competency")]
        assert [item.id for item in person.learning] == [logged.learning.id]
        delegations = answers[("GET", "/api/v1/delegations")].delegations
        assert [(d.from_, d.to) for d in delegations] == [(NIPS["kasi"], NIPS["staff2"])]
        revoked = api("kasi").delete(f"/api/v1/delegations/{delegations[0].id}")
        model = answer_model(app, "DELETE", f"/api/v1/delegations/{delegations[0].id}", 200)
        assert model.model_validate(revoked.get_json()).revoked is True
