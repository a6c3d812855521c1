"""The API contract: each /api/v1 view declares its request and response models here, and the
same declaration both validates the request body and describes the endpoint in the OpenAPI
document (`app.api.openapi`), so the two cannot drift.

A view declares itself with `@operation(...)`; it reads its body with `request_body()`, which
parses the JSON strictly (`payload.json_body`) and validates it against the declared model. The
models check JSON types and field names only (strict: `true` is never a number nor `5` a title);
values (lengths, ranges, dates, known columns and people) stay domain rules in the services.
Validation errors become the usual 422 `validation_error` with one message per field, named as
before: `title`, `labels`, `columns[0].wip_limit`.
"""

from dataclasses import dataclass, field
from types import UnionType
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from flask import current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.api import payload
from app.services.errors import Invalid

NONE = type(None)


@dataclass(frozen=True)
class Msg:
    """The message a field gets when its value has the wrong JSON type (Annotated metadata)."""

    message: Any


class ApiModel(BaseModel):
    """A request body: strict JSON types, unknown fields refused."""

    model_config = ConfigDict(strict=True, extra="forbid")
    # What an item of a list of these models gets when it is not a JSON object.
    object_message: ClassVar[Any] = _l("Must be an object.")


class ApiResponse(BaseModel):
    """A response body, for the document only; undocumented fields are not allowed."""

    model_config = ConfigDict(extra="forbid")


# The JSON types of request fields, each with its message.
Text = Annotated[str, Msg(_l("Must be text."))]
OptionalText = Annotated[str | None, Msg(_l("Must be text."))]
Integer = Annotated[int, Msg(_l("Must be a whole number."))]
OptionalInteger = Annotated[int | None, Msg(_l("Must be a whole number."))]
OptionalNumber = Annotated[float | None, Msg(_l("Must be a number."))]
TextList = Annotated[list[str], Msg(_l("Must be a list of text values."))]
Flag = Annotated[bool, Msg(_l("Must be true or false."))]
Date = Annotated[str, Msg(_l("Must be text.")), Field(json_schema_extra={"format": "date"})]
OptionalDate = Annotated[
    str | None, Msg(_l("Must be text.")), Field(json_schema_extra={"format": "date"})
]


@dataclass(frozen=True)
class QueryParam:
    """A query-string parameter, for the document (the view reads and checks it)."""

    name: str
    schema: dict
    description: Any = ""


def or_empty(schema: dict) -> dict:
    """The schema of a query parameter that may also be sent empty (`?to=`), which means "not
    given": HTML filter forms send their empty fields, and the views read them so."""
    return {"anyOf": [schema, {"type": "string", "maxLength": 0}]}


# A day in a query string, or empty for none.
OPTIONAL_DATE = {"type": "string", "anyOf": [{"format": "date"}, {"maxLength": 0}]}


@dataclass(frozen=True)
class Upload:
    """A request body that is a file rather than JSON: sent as multipart/form-data (the file in
    `field`) or as the raw body with one of `media_types`; for the document (the view reads it)."""

    field: str
    media_types: tuple[str, ...]
    description: Any = ""


@dataclass(frozen=True)
class Download:
    """A response that is a file rather than JSON, for the document: its bytes with
    `media_type` (the view streams them) and the response headers it sets ((name, description))."""

    media_type: str = "application/octet-stream"
    description: Any = ""
    headers: tuple[tuple[str, Any], ...] = ()


@dataclass
class Operation:
    summary: Any
    description: Any = ""
    body: type[ApiModel] | None = None
    responses: dict[int, type[BaseModel] | Download | None] = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    query: tuple[QueryParam, ...] = ()
    public: bool = False
    upload: Upload | None = None
    # The JSON body may be left out altogether (the view then reads it as `{}`).
    body_optional: bool = False


def operation(
    summary,
    *,
    responses: dict[int, type[BaseModel] | Download | None],
    body: type[ApiModel] | None = None,
    errors: tuple[int, ...] = (),
    tags: tuple[str, ...] = (),
    query: tuple[QueryParam, ...] = (),
    description="",
    upload: Upload | None = None,
    body_optional: bool = False,
):
    """Declare an /api/v1 view: its summary, body model, response models by status and the
    error statuses it answers with besides the usual ones (401 without a token, 404 for ids in
    the path, 400/413/422 for a body). Works above or below the route decorator.

    `body` is an `ApiModel` (strict JSON types, unknown fields refused: what `request_body()`
    validates), each response a pydantic model (`ApiResponse`: what the view answers, for the
    document and the fuzz tests), a `Download` for a file answer, or None for a JSON answer the
    document leaves undescribed. `upload` declares a file body instead (`Upload`); an operation
    has a `body` or an `upload`; `body_optional`: a request without any body is accepted too."""
    if body is not None and upload is not None:
        raise TypeError("an operation takes a JSON body or an upload, not both")
    if body is not None and not (isinstance(body, type) and issubclass(body, ApiModel)):
        raise TypeError(f"body must be an ApiModel subclass, not {body!r}")
    for status, model in responses.items():
        if model is None or isinstance(model, Download):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise TypeError(f"response {status} must be a pydantic model or None, not {model!r}")

    def declare(view):
        view.api_operation = Operation(
            summary=summary,
            description=description or (view.__doc__ or ""),
            body=body,
            responses=dict(responses),
            errors=tuple(errors),
            tags=tuple(tags),
            query=tuple(query),
            public=getattr(view, "api_public", False),
            upload=upload,
            body_optional=body_optional,
        )
        return view

    return declare


def operation_of(view) -> Operation | None:
    found = getattr(view, "api_operation", None)
    if found is not None and getattr(view, "api_public", False):
        found.public = True
    return found


def request_body() -> dict:
    """The JSON body of the current request, validated against the model its view declared:
    a dict of the fields the caller sent (values as sent). 400 for a body that is not a JSON
    object, 422 `validation_error` naming each field of the wrong type or unknown."""
    body = payload.json_body()
    view = current_app.view_functions.get(request.endpoint)
    declared = operation_of(view) if view is not None else None
    if declared is None or declared.body is None:
        return body
    return validate(declared.body, body)


def check_query():
    """before_request of the API blueprints: a query parameter the operation does not declare
    is a 422 `validation_error` (like an unknown field in a body), so a typo never passes
    unnoticed."""
    view = current_app.view_functions.get(request.endpoint)
    declared = operation_of(view) if view is not None else None
    known = {param.name for param in declared.query} if declared is not None else set()
    unknown = sorted(set(request.args) - known)
    if unknown:
        raise Invalid(
            "validation_error",
            _("Some fields are not valid."),
            fields={name[:100]: _("Unknown field.") for name in unknown[:20]},
        )


def validate(model: type[ApiModel], data: dict) -> dict:
    """`data` itself (the fields sent) when it fits `model`; else a 422 `validation_error`."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(
            "validation_error", _("Some fields are not valid."), fields=field_errors(model, exc)
        ) from None
    return data


def field_errors(model: type[ApiModel], exc: ValidationError) -> dict[str, str]:
    """Pydantic's errors as {field name: translated message}, one message per field."""
    found: dict[str, str] = {}
    for error in exc.errors():
        name, message = _describe(model, tuple(error["loc"]), error["type"], "")
        found.setdefault(name, str(message))
    return found


def _describe(model, loc: tuple, kind: str, prefix: str) -> tuple[str, Any]:
    name = str(loc[0])
    if len(loc) == 1 and kind == "extra_forbidden":
        return prefix + name, _("Unknown field.")
    if len(loc) == 1 and kind == "missing":
        return prefix + name, _("This field is required.")
    info = _field(model, name)
    if info is None:
        return prefix + name, _("Unknown field.")
    item = _item_model(info.annotation)
    if item is not None and len(loc) >= 2 and isinstance(loc[1], int):
        inner = f"{prefix}{name}[{loc[1]}]"
        if len(loc) == 2:
            return inner, getattr(item, "object_message", ApiModel.object_message)
        return _describe(item, loc[2:], kind, inner + ".")
    message = next((m.message for m in info.metadata if isinstance(m, Msg)), None)
    return prefix + name, message or _type_message(info.annotation) or _("Not valid.")


def _field(model, name: str):
    """The field `name` (as sent: its alias if it has one, e.g. `from`) of `model`."""
    for field_name, info in model.model_fields.items():
        if (info.alias or field_name) == name:
            return info
    return None


def _item_model(annotation) -> type[BaseModel] | None:
    """The model of a `list[Model]` field, else None."""
    if get_origin(annotation) is list:
        (item,) = get_args(annotation) or (None,)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None


def _type_message(annotation) -> Any:
    """The message for a value of the wrong JSON type, read from a plain annotation (`str`,
    `int | None`, `float`, `list[str]`, `dict`...): models need no `Msg` for the usual types."""
    union = get_origin(annotation) in (Union, UnionType)
    kinds = [kind for kind in (get_args(annotation) if union else (annotation,)) if kind != NONE]
    if kinds and set(kinds) <= {int, float} and float in kinds:
        return _("Must be a number.")
    if len(kinds) != 1:
        return None
    (kind,) = kinds
    if get_origin(kind) is list:
        return _("Must be a list of text values.") if get_args(kind) == (str,) else None
    if kind is dict or get_origin(kind) is dict:
        return _("Must be an object.")
    return {
        str: _("Must be text."),
        int: _("Must be a whole number."),
        float: _("Must be a number."),
        bool: _("Must be true or false."),
    }.get(kind)


# The error envelope every refusal answers with.


class Veto(ApiResponse):
    plugin: str
    message: str


class ErrorDetail(ApiResponse):
    code: str = Field(description="A stable machine-readable code, e.g. `validation_error`.")
    message: str = Field(description="What went wrong, in the caller's language.")
    fields: dict[str, str] | None = Field(
        default=None, description="For 422: the message for each field that is not valid."
    )
    vetoes: list[Veto] | None = Field(
        default=None, description="For a 409 `vetoed` move: each plugin's refusal."
    )


class ErrorEnvelope(ApiResponse):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "validation_error",
                        "message": "Some fields are not valid.",
                        "fields": {"title": "This field is required."},
                    }
                }
            ]
        },
    )

    error: ErrorDetail
