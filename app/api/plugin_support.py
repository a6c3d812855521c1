"""The web side of the plugin API (re-exported by `cergas.plugin`): blueprints for a plugin's
JSON API under /api/v1, the caller and the body of such a request, and the declarations that
put a plugin's operations into the API contract. It lives with the API, not in
`app/services/`, because it knows HTTP: token authentication, query checks, the body parser."""

from typing import Any

from flask import Blueprint

from app.api.auth import add_challenge, caller, require_token
from app.api.contract import QueryParam, check_query, operation, request_body
from app.models import User


def api_blueprint(name: str, import_name: str, **options) -> Blueprint:
    """A blueprint for a plugin's JSON API, mounted under /api/v1: bearer-token authentication
    like the core API (401 without a valid token), no CSRF (tokens are not cookies), and errors
    as {"error": {...}}. Read the caller with `api_caller()`, the body with `api_json_body()`."""
    options.setdefault("url_prefix", "/api/v1")
    blueprint = Blueprint(name, import_name, **options)
    blueprint.before_request(require_token)
    blueprint.before_request(check_query)
    blueprint.after_request(add_challenge)
    blueprint.cergas_api = True
    return blueprint


def api_caller() -> User:
    """The user an API request (of an `api_blueprint`) acts for."""
    return caller()


def api_json_body() -> dict:
    """The request body as a JSON object, or a 400 `bad_request` error (not JSON, not an
    object, too large, NUL characters); when the view declared a `body` model with
    `api_operation`, validated against it (422 `validation_error` naming each bad field)."""
    return request_body()


def api_operation(
    summary, *, responses=None, query=(), errors=(), tags=(), description="", body=None
):
    """Declare a view of an `api_blueprint` for the API contract and the OpenAPI document: its
    summary, the query parameters it reads (`api_query(...)`; any other is a 422 like an
    unknown body field), response statuses with their models (`{200: None}` by default: an
    undescribed JSON answer) and extra error statuses. `body`, an `ApiModel`, is the JSON body
    the view reads: `api_json_body()` then validates it (422 `validation_error` naming each
    field of the wrong type or unknown) and the document shows the same model. Response models
    are `ApiResponse`s describing exactly what the view answers. Put it above or below the
    route decorator."""
    return operation(
        summary,
        responses=responses or {200: None},
        body=body,
        query=tuple(query),
        errors=tuple(errors),
        tags=tuple(tags),
        description=description,
    )


def api_query(name: str, schema: dict | None = None, description="") -> Any:
    """A query parameter an `api_operation` reads, e.g. `api_query("from", {"type": "string",
    "format": "date"})`."""
    return QueryParam(name, schema or {"type": "string"}, description)
