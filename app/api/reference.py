"""The API document: `GET /api/v1/openapi.json` (the OpenAPI 3.1 document) and `/api/docs` (the
same document as a page for people, rendered on the server: no script, no CDN)."""

import json

from flask import Blueprint, jsonify, render_template
from flask_babel import lazy_gettext as _l
from pydantic import ConfigDict

from app.api import bp
from app.api.auth import public
from app.api.contract import ApiResponse, operation
from app.api.openapi import METHODS, build

docs_bp = Blueprint("api_docs", __name__)


class OpenApiDocument(ApiResponse):
    """An OpenAPI 3.1 document."""

    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict
    paths: dict
    components: dict


@bp.get("/openapi.json")
@operation(
    _l("This API as an OpenAPI 3.1 document"),
    description=_l("No token needed. The same document is shown as a page at /api/docs."),
    responses={200: OpenApiDocument},
    tags=("reference",),
)
@public
def openapi_document():
    return jsonify(build())


@docs_bp.get("/api/docs")
def reference():
    """The API reference for people, from the same document."""
    document = build()
    return render_template("api/docs.html", document=document, **reference_view(document))


def type_name(schema: dict) -> str:
    """A short type for people: `string`, `integer | null`, `array of Card`, `Card`."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(type_name(option) for option in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(json.dumps(value) for value in schema["enum"])
    if "const" in schema:
        return json.dumps(schema["const"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {type_name(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {type_name(schema['additionalProperties'])}"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return kind


def reference_view(document: dict) -> dict:
    """The document regrouped for the template: operations by tag, schemas with their fields."""
    groups: dict[str, list] = {}
    for path, item in document["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            groups.setdefault(op["tags"][0], []).append(
                {
                    "id": op["operationId"].replace(".", "-"),
                    "method": method.upper(),
                    "path": path,
                    "summary": op["summary"],
                    "description": op.get("description", ""),
                    "public": op["security"] == [],
                    "parameters": [
                        {
                            "name": param["name"],
                            "in": param["in"],
                            "type": type_name(param["schema"]),
                            "required": param.get("required", False),
                            "description": param.get("description", ""),
                        }
                        for param in op.get("parameters", [])
                    ],
                    "body": type_name(body["schema"]) if body else None,
                    "example": json.dumps(body["example"], indent=2, ensure_ascii=False)
                    if "example" in body
                    else None,
                    "responses": [
                        {
                            "status": status,
                            "description": response["description"],
                            "type": type_name(
                                response.get("content", {})
                                .get("application/json", {})
                                .get("schema", {})
                            )
                            if "content" in response
                            else None,
                        }
                        for status, response in op["responses"].items()
                    ],
                }
            )
    schemas = []
    for name, schema in document["components"]["schemas"].items():
        required = set(schema.get("required", []))
        schemas.append(
            {
                "name": name,
                "description": schema.get("description", ""),
                "fields": [
                    {
                        "name": field,
                        "type": type_name(spec),
                        "required": field in required,
                        "description": spec.get("description", ""),
                    }
                    for field, spec in schema.get("properties", {}).items()
                ],
                "example": json.dumps(schema["examples"][0], indent=2, ensure_ascii=False)
                if schema.get("examples")
                else None,
            }
        )
    return {"groups": sorted(groups.items()), "schemas": schemas}
