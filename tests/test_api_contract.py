"""The API contract: /api/v1/openapi.json documents every /api/v1 route with the models that
validate it, /api/docs shows it to people, and what the fuzzer (tests/test_api_fuzz.py) found
stays fixed."""

import pytest

from app.api import models as m
from app.api.contract import ApiModel, ErrorEnvelope
from app.api.openapi import api_rules, openapi_path
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
