"""The OpenAPI 3.1 document of API v1, built from the app's routes and the models each view
declares with `app.api.contract.operation` (core and plugin views alike).

`GET /api/v1/openapi.json` serves it (no token needed); `/api/docs` renders it as a page.
"""

import re

from flask import current_app
from flask_babel import gettext as _
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from app.api.contract import Download, ErrorEnvelope, Operation, operation_of
from app.services.validation import MAX_ID

PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
METHODS = ("get", "post", "put", "patch", "delete")
_CONVERTER = re.compile(r"<(?:(?P<conv>[a-zA-Z_]+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")


class _NoDefaults(GenerateJsonSchema):
    """Leave `default: null` out: a field one may omit is not one that takes null."""

    def default_schema(self, schema):
        return self.generate_inner(schema["schema"])


def _error_messages() -> dict[int, str]:
    return {
        400: _("The body is not a JSON object (or not JSON)."),
        401: _("No token, or a token that is not valid or has been revoked."),
        403: _("You may see this but not do this."),
        404: _("Not found, or not visible to you."),
        409: _("Refused by the current state (WIP limit, version, a plugin's rule)."),
        413: _("The body is larger than 1 MiB."),
        422: _("Some fields (or query parameters) are not valid; `fields` names each."),
        429: _("Too many attempts; wait and try again."),
        503: _("A service Cergas needs (the document store) cannot be reached; try again later."),
    }


def api_rules(app=None):
    """(rule, method, view) for every /api/v1 route."""
    app = app or current_app
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method.lower(), app.view_functions[rule.endpoint]


def openapi_path(rule) -> tuple[str, list[dict]]:
    """`/boards/<id:board_id>` -> (`/boards/{board_id}`, its path parameters)."""
    parameters = []

    def replace(match):
        name, converter = match["name"], match["conv"] or "default"
        if converter == "id":
            schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        elif converter == "int":
            schema = {"type": "integer", "minimum": 0}
            maximum = re.search(r"max=(\d+)", match["args"] or "")
            if maximum:
                schema["maximum"] = int(maximum[1])
        else:
            schema = {"type": "string", "minLength": 1}
            maxlength = re.search(r"maxlength=(\d+)", match["args"] or "")
            if maxlength:
                schema["maxLength"] = int(maxlength[1])
            if converter != "path":
                schema["pattern"] = "^[^/]+$"
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return _CONVERTER.sub(replace, rule.rule), parameters


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error_statuses(op: Operation, has_path_ids: bool) -> set[int]:
    statuses = set(op.errors) | {422}  # 422 also for an unknown query parameter
    if not op.public:
        statuses.add(401)
    if has_path_ids:
        statuses.add(404)
    if op.body is not None or op.upload is not None:
        statuses |= {400, 413, 422}
    return statuses


def _upload_body(upload) -> dict:
    """A file body: multipart/form-data with the file in its field, or the file as the body."""
    binary = {"type": "string", "contentMediaType": "application/octet-stream"}
    multipart = {
        "type": "object",
        "required": [upload.field],
        "properties": {upload.field: {**binary, "description": str(upload.description)}},
    }
    content = {"multipart/form-data": {"schema": multipart}}
    for media_type in upload.media_types:
        content[media_type] = {"schema": {"type": "string", "contentMediaType": media_type}}
    return {"required": True, "description": str(upload.description), "content": content}


def _download(download: Download) -> dict:
    """A file answer: its bytes (binary, of the one media type it is sent as) and its headers."""
    answer: dict = {
        "description": str(download.description) or _("Success."),
        "content": {
            download.media_type: {
                "schema": {"type": "string", "contentMediaType": download.media_type}
            }
        },
    }
    if download.headers:
        answer["headers"] = {
            name: {"description": str(description), "schema": {"type": "string"}}
            for name, description in download.headers
        }
    return answer


def _operation(op: Operation, endpoint: str, parameters: list[dict], _ref) -> dict:
    errors = _error_messages()
    item: dict = {
        "operationId": endpoint,
        "summary": str(op.summary),
        "tags": list(op.tags) or [endpoint.split(".")[0]],
    }
    if op.description:
        item["description"] = _clean(str(op.description))
    query = [
        {
            "name": param.name,
            "in": "query",
            "required": False,
            "schema": param.schema,
            "description": str(param.description),
        }
        for param in op.query
    ]
    if parameters or query:
        item["parameters"] = parameters + query
    if op.body is not None:
        content = {"schema": _ref(op.body, "validation")}
        example = (op.body.model_config.get("json_schema_extra") or {}).get("examples")
        if example:
            content["example"] = example[0]
        required = not op.body_optional
        item["requestBody"] = {"required": required, "content": {"application/json": content}}
    elif op.upload is not None:
        item["requestBody"] = _upload_body(op.upload)
    responses = {}
    for status, model in sorted(op.responses.items()):
        if isinstance(model, Download):
            responses[str(status)] = _download(model)
        elif model is None:  # a JSON answer whose shape the view describes in words
            responses[str(status)] = _json({}, _("Success."))
        else:
            responses[str(status)] = _json(_ref(model, "serialization"), _("Success."))
    if op.upload is not None:
        errors[413] = _("The file is larger than the limit.")
    for status in sorted(_error_statuses(op, bool(parameters))):
        responses[str(status)] = _json(_ref(ErrorEnvelope, "serialization"), errors.get(status, ""))
    item["responses"] = responses
    item["security"] = [] if op.public else [{"bearerAuth": []}]
    return item


def _clean(text: str) -> str:
    """A docstring as a paragraph: indentation and line breaks folded."""
    return re.sub(r"\s+", " ", text).strip()


def build(app=None) -> dict:
    """The document for `app` (default: the current app)."""
    app = app or current_app
    found = []
    # Bodies are described as they are validated, answers as they are written.
    modes: set[tuple[type[BaseModel], str]] = {(ErrorEnvelope, "serialization")}
    for rule, method, view in api_rules(app):
        op = operation_of(view)
        if op is None:
            continue
        found.append((rule, method, op))
        modes.update(
            (model, "serialization")
            for model in op.responses.values()
            if isinstance(model, type) and issubclass(model, BaseModel)
        )
        if op.body is not None:
            modes.add((op.body, "validation"))
    ordered = sorted(modes, key=lambda pair: (pair[0].__name__, pair[0].__module__, pair[1]))
    mapping, definitions = models_json_schema(
        ordered, ref_template=REF, schema_generator=_NoDefaults
    )
    paths: dict[str, dict] = {}
    for rule, method, op in found:
        path, parameters = openapi_path(rule)
        paths.setdefault(path, {})[method] = _operation(
            op, rule.endpoint, parameters, lambda model, mode: dict(mapping[(model, mode)])
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Cergas API",
            "version": "1",
            "description": _(
                "The JSON API of Cergas. Send a token from POST /api/v1/tokens as "
                "`Authorization: Bearer <token>`. Every refusal is an error envelope "
                '{"error": {"code", "message", "fields"}}.'
            ),
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": _("An API token from POST /api/v1/tokens."),
                }
            },
        },
        "security": [{"bearerAuth": []}],
    }


def undocumented(app=None) -> list[str]:
    """`METHOD /api/v1/...` of every route that declares no operation."""
    return sorted(
        f"{method.upper()} {rule.rule}"
        for rule, method, view in api_rules(app)
        if operation_of(view) is None
    )
