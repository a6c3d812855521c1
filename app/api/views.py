"""JSON API v1: parse and type-check the body, call the service, serialise the answer.

Errors are ServiceErrors (or HTTP errors) turned into {"error": {...}} by app.web.
"""

from flask import jsonify, url_for
from flask_babel import gettext as _

from app.api import bp
from app.api import payload as p
from app.api.auth import add_challenge, caller, public, require_token
from app.api.serializers import (
    board_json,
    board_summary_json,
    comment_json,
    event_json,
    one_card_json,
)
from app.services import accounts, audit, boards, cards
from app.services import validation as v
from app.services.access import visible_card
from app.services.errors import Invalid, NotFound

bp.before_request(require_token)
bp.after_request(add_challenge)

MAX_ID = 2**31 - 1

CARD_SPEC = {
    "title": p.text,
    "description": p.text,
    "type": p.text,
    "assignee": p.optional_text,
    "due_date": p.optional_text,
    "priority": p.text,
    "estimate": p.optional_number,
    "labels": p.text_list,
}
NEW_CARD_SPEC = {**CARD_SPEC, "column_id": p.integer}
CARD_PATCH_SPEC = {**CARD_SPEC, "version": p.integer, "deadline_reason": p.optional_text}
MOVE_SPEC = {
    "column_id": p.integer,
    "position": p.optional_integer,
    "override_reason": p.optional_text,
}
COMMENT_SPEC = {"body": p.text}
TOKEN_SPEC = {"username": p.text, "password": p.text, "name": p.optional_text}
BOARD_SPEC = {
    "name": p.text,
    "unit": p.text,
    "columns": lambda value: None,  # checked item by item in _column_errors()
    "personal_wip_limit": p.optional_integer,
}
COLUMN_SPEC = {
    "name": p.text,
    "wip_limit": p.optional_integer,
    "wip_policy": p.text,
    "kind": p.text,
}


def _board_id(value: int) -> int:
    if not 1 <= value <= MAX_ID:
        raise NotFound("not_found", _("Board not found."))
    return value


def _card_id(value: int) -> int:
    if not 1 <= value <= MAX_ID:
        raise NotFound("not_found", _("Card not found."))
    return value


def _column_errors(columns) -> dict:
    """Type and value errors of the columns of a new board, named `columns[i].field`."""
    if not isinstance(columns, list) or not columns:
        return {"columns": _("Give a list of columns, or leave it out for the default columns.")}
    errors = {}
    for index, column in enumerate(columns):
        prefix = f"columns[{index}]"
        if not isinstance(column, dict):
            errors[prefix] = _("Each column must be an object.")
            continue
        found = p.check(column, COLUMN_SPEC, required=("name",), prefix=prefix + ".")
        if not found:
            try:
                boards.clean_column(column)
            except Invalid as exc:
                found = {f"{prefix}.{name}": message for name, message in exc.fields.items()}
        errors.update(found)
    return errors


@bp.get("/boards")
def list_boards():
    return jsonify({"boards": [board_summary_json(b) for b in boards.visible_boards(caller())]})


@bp.post("/boards")
def create_board():
    body = p.json_body()
    errors = p.check(body, BOARD_SPEC, required=("name", "unit"))
    if "columns" in body:
        errors.update(_column_errors(body["columns"]))
    p.raise_if_any(errors)
    board = boards.create_board(
        caller(),
        body["name"],
        body["unit"],
        columns=body.get("columns"),
        personal_wip_limit=body.get("personal_wip_limit"),
    )
    response = jsonify(board_json(board, list(board.columns), {}))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_board", board_id=board.id)
    return response


@bp.get("/boards/<int:board_id>")
def get_board(board_id: int):
    view = boards.load_board(caller(), _board_id(board_id))
    return jsonify(board_json(view.board, view.columns, view.cards))


@bp.post("/boards/<int:board_id>/cards")
def create_card(board_id: int):
    board_id = _board_id(board_id)
    body = p.checked(p.json_body(), NEW_CARD_SPEC, required=("title",))
    column_id = body.pop("column_id", None)
    result = cards.create_card(caller(), board_id, body, column_id=column_id)
    data = one_card_json(result.card)
    if result.warnings:
        data["warnings"] = result.warnings
    response = jsonify(data)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_card", card_id=result.card.id)
    return response


@bp.get("/cards/<int:card_id>")
def get_card(card_id: int):
    return jsonify(one_card_json(visible_card(caller(), _card_id(card_id))))


@bp.patch("/cards/<int:card_id>")
def update_card(card_id: int):
    card_id = _card_id(card_id)
    body = p.checked(p.json_body(), CARD_PATCH_SPEC, required=("version",))
    version = body.pop("version")
    reason = body.pop("deadline_reason", None)
    card = cards.update_card(caller(), card_id, body, version=version, deadline_reason=reason)
    return jsonify(one_card_json(card))


@bp.post("/cards/<int:card_id>/move")
def move_card(card_id: int):
    card_id = _card_id(card_id)
    body = p.checked(p.json_body(), MOVE_SPEC, required=("column_id",))
    result = cards.move_card(
        caller(),
        card_id,
        body["column_id"],
        position=body.get("position"),
        override_reason=body.get("override_reason"),
    )
    data = one_card_json(result.card)
    if result.warnings:
        data["warnings"] = result.warnings
    return jsonify(data)


@bp.get("/cards/<int:card_id>/events")
def card_events(card_id: int):
    _card, events = audit.card_events(caller(), _card_id(card_id))
    return jsonify({"events": [event_json(event) for event in events]})


@bp.post("/cards/<int:card_id>/comments")
def add_comment(card_id: int):
    card_id = _card_id(card_id)
    body = p.checked(p.json_body(), COMMENT_SPEC, required=("body",))
    comment = cards.add_comment(caller(), card_id, body["body"])
    return jsonify(comment_json(comment)), 201


@bp.post("/tokens")
@public
def create_token():
    body = p.checked(p.json_body(), TOKEN_SPEC, required=("username", "password"))
    fields = v.Fields()
    name = fields.clean("name", v.text, body.get("name"), field_max=100)
    fields.raise_if_any()
    user = accounts.authenticate(body["username"], body["password"])
    return jsonify({"token": accounts.create_token(user, name)}), 201
