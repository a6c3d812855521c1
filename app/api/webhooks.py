"""JSON API for webhooks (docs/webhooks.md): register, list, read with recent deliveries,
change, rotate the secret, remove."""

from flask import jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from pydantic import Field

from app.api import bp
from app.api import models as m
from app.api.auth import caller
from app.api.contract import (
    ApiModel,
    ApiResponse,
    Flag,
    OptionalInteger,
    OptionalText,
    Text,
    TextList,
    operation,
    request_body,
)
from app.api.serializers import timestamp
from app.models import Delivery, Webhook
from app.services import webhooks

TAGS = ("webhooks",)
EVENTS_DOC = ", ".join(f"`{name}`" for name in webhooks.EVENTS)

# Requests


class NewWebhook(ApiModel):
    model_config = m.examples(
        {
            "board_id": 1,
            "url": "https://n8n.example.go.id/webhook/cergas",
            "events": ["card.created", "card.moved"],
        }
    )

    board_id: OptionalInteger = Field(description="The board; null: every board (admins only).")
    url: Text = Field(description="http:// or https://, at most 500 characters.")
    events: TextList = Field(description=f"One or more of {EVENTS_DOC}.")
    secret: OptionalText = Field(
        None, description="16 to 128 characters; default: a new random one, answered once."
    )
    name: OptionalText = Field(None, description="At most 120 characters; default: the host.")


class WebhookPatch(ApiModel):
    model_config = m.examples({"events": ["card.moved"]}, {"active": False})

    events: TextList = Field(None, description=f"One or more of {EVENTS_DOC}.")
    active: Flag = Field(None, description="false: nothing is sent until it is true again.")
    url: Text = Field(None, description="http:// or https://, at most 500 characters.")
    name: Text = Field(None, description="1 to 120 characters.")


class NewSecret(ApiModel):
    model_config = m.examples({}, {"secret": "a-long-shared-secret-of-ours"})

    secret: OptionalText = Field(None, description="16 to 128 characters; default: a new one.")


# Responses


class WebhookOut(ApiResponse):
    id: int
    board_id: int | None
    name: str
    url: str
    events: list[str]
    active: bool
    created_at: str | None
    updated_at: str | None


class WebhookWithSecret(WebhookOut):
    secret: str


class DeliveryOut(ApiResponse):
    id: int
    event: str | None
    event_id: str | None
    state: str
    attempts: int
    status: int | None
    answer: str | None
    error: str | None
    created_at: str | None
    next_attempt_at: str | None
    sent_at: str | None


class WebhookDetail(WebhookOut):
    deliveries: list[DeliveryOut]


class WebhookDeleted(ApiResponse):
    id: int
    deleted: bool


class WebhookList(ApiResponse):
    webhooks: list[WebhookOut]


def webhook_json(row: Webhook) -> dict:
    return {
        "id": row.id,
        "board_id": row.board_id,
        "name": row.name,
        "url": row.url,
        "events": list(row.events or []),
        "active": row.active,
        "created_at": timestamp(row.created_at),
        "updated_at": timestamp(row.updated_at),
    }


def delivery_json(row: Delivery) -> dict:
    return {
        "id": row.id,
        "event": (row.payload or {}).get("event"),
        "event_id": row.event_id,
        "state": row.state,
        "attempts": row.attempts,
        "status": row.last_status,
        "answer": row.last_answer,
        "error": row.last_error,
        "created_at": timestamp(row.created_at),
        "next_attempt_at": timestamp(row.next_attempt_at),
        "sent_at": timestamp(row.sent_at),
    }


@bp.post("/webhooks")
@operation(
    _l("Register a webhook"),
    description=_l(
        "Those who manage the board (heads of its unit, the team's leader, admins); with "
        "`board_id` null, admins only (every board). The answer holds the secret, this once."
    ),
    body=NewWebhook,
    responses={201: WebhookWithSecret},
    errors=(403,),
    tags=TAGS,
)
def create_webhook():
    body = dict(request_body())
    board_id = body.pop("board_id", None)
    row, secret = webhooks.register(caller(), board_id, body)
    response = jsonify({**webhook_json(row), "secret": secret})
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_webhook", webhook_id=row.id)
    return response


@bp.get("/webhooks")
@operation(
    _l("List the webhooks you manage"),
    description=_l("Those of the boards you manage; admins see every webhook. No secrets."),
    responses={200: WebhookList},
    tags=TAGS,
)
def list_webhooks():
    rows = webhooks.list_webhooks(caller())
    return jsonify({"webhooks": [webhook_json(row) for row in rows]})


@bp.get("/webhooks/<id:webhook_id>")
@operation(
    _l("A webhook and its recent deliveries"),
    description=_l(
        "The 20 newest deliveries: state, attempts, the receiver's status and the start of "
        "its answer."
    ),
    responses={200: WebhookDetail},
    errors=(403,),
    tags=TAGS,
)
def get_webhook(webhook_id: int):
    row = webhooks.get_webhook(caller(), webhook_id)
    deliveries = webhooks.recent_deliveries(row)
    return jsonify({**webhook_json(row), "deliveries": [delivery_json(d) for d in deliveries]})


@bp.patch("/webhooks/<id:webhook_id>")
@operation(
    _l("Change a webhook"),
    description=_l("Its events, URL, name, or switch it off and on."),
    body=WebhookPatch,
    responses={200: WebhookOut},
    errors=(403,),
    tags=TAGS,
)
def update_webhook(webhook_id: int):
    row = webhooks.update_webhook(caller(), webhook_id, dict(request_body()))
    return jsonify(webhook_json(row))


@bp.post("/webhooks/<id:webhook_id>/secret")
@operation(
    _l("Give a webhook a new secret"),
    description=_l("The answer holds the new secret, this once; the old one stops at once."),
    body=NewSecret,
    responses={200: WebhookWithSecret},
    errors=(403,),
    tags=TAGS,
)
def rotate_webhook_secret(webhook_id: int):
    # No body at all: a new random secret.
    body = dict(request_body()) if request.content_length or request.is_json else {}
    row, secret = webhooks.rotate_secret(caller(), webhook_id, body.get("secret"))
    return jsonify({**webhook_json(row), "secret": secret})


@bp.delete("/webhooks/<id:webhook_id>")
@operation(
    _l("Remove a webhook"),
    description=_l("With its deliveries, sent or waiting."),
    responses={200: WebhookDeleted},
    errors=(403,),
    tags=TAGS,
)
def delete_webhook(webhook_id: int):
    webhooks.delete(caller(), webhook_id)
    return jsonify({"id": webhook_id, "deleted": True})
