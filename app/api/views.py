"""JSON API v1: parse and type-check the body, call the service, serialise the answer.

Errors are ServiceErrors (or HTTP errors) turned into {"error": {...}} by app.web.
"""

from flask import jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.api import bp
from app.api import models as m
from app.api.auth import add_challenge, caller, public, require_token
from app.api.contract import check_query, operation, request_body
from app.api.serializers import (
    board_json,
    board_summary_json,
    comment_json,
    event_json,
    one_card_json,
    token_json,
)
from app.services import accounts, audit, boards, cards, follows, ratelimit, signin, two_factor
from app.services.access import visible_card
from app.services.errors import Invalid, TooManyAttempts, Unauthorized

bp.before_request(require_token)
bp.before_request(check_query)
bp.after_request(add_challenge)


def _column_errors(columns: list[dict]) -> dict:
    """Value errors of the columns of a new board, named `columns[i].field`."""
    errors = {}
    for index, column in enumerate(columns):
        try:
            boards.clean_column(column)
        except Invalid as exc:
            errors.update({f"columns[{index}].{name}": msg for name, msg in exc.fields.items()})
    return errors


@bp.get("/boards")
@operation(_l("List the boards you can see"), responses={200: m.BoardList}, tags=("boards",))
def list_boards():
    return jsonify({"boards": [board_summary_json(b) for b in boards.visible_boards(caller())]})


@bp.post("/boards")
@operation(
    _l("Create a board"),
    description=_l(
        "Heads of the unit (or an ancestor unit) and administrators; for a team's board also "
        "the team's leader. With `copy_from`: set up like that board (404 when you cannot "
        "see it)."
    ),
    body=m.NewBoard,
    responses={201: m.Board},
    errors=(403,),
    tags=("boards",),
)
def create_board():
    body = request_body()
    if body.get("copy_from") is not None:
        return _created_board(_board_copy(body))
    if "columns" in body:
        errors = _column_errors(body["columns"])
        if errors:
            raise Invalid("validation_error", _("Some fields are not valid."), fields=errors)
    board = boards.create_board(
        caller(),
        body["name"],
        body.get("unit"),
        columns=body.get("columns"),
        personal_wip_limit=body.get("personal_wip_limit"),
        team=body.get("team"),
    )
    return _created_board(board)


def _board_copy(body: dict):
    """A board set up like `copy_from` (app/services/board_copy.py)."""
    from app.services.board_copy import create_board_from

    if "columns" in body:
        raise Invalid(
            "validation_error",
            _("Some fields are not valid."),
            fields={"columns": _("A copied board takes the columns of the board it copies.")},
        )
    return create_board_from(
        caller(),
        body["copy_from"],
        body["name"],
        body.get("unit"),
        team=body.get("team"),
        personal_wip_limit=body.get("personal_wip_limit"),
    )


def _created_board(board):
    response = jsonify(board_json(board, list(board.columns), {}))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_board", board_id=board.id)
    return response


@bp.get("/boards/<id:board_id>")
@operation(_l("A board with its columns and cards"), responses={200: m.Board}, tags=("boards",))
def get_board(board_id: int):
    view = boards.load_board(caller(), board_id)
    return jsonify(board_json(view.board, view.columns, view.cards))


@bp.post("/boards/<id:board_id>/cards")
@operation(
    _l("Create a card"),
    body=m.NewCard,
    responses={201: m.Card},
    errors=(409,),
    tags=("cards",),
)
def create_card(board_id: int):
    body = dict(request_body())
    column_id = body.pop("column_id", None)
    result = cards.create_card(caller(), board_id, body, column_id=column_id)
    data = one_card_json(result.card)
    if result.warnings:
        data["warnings"] = result.warnings
    response = jsonify(data)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_card", card_id=result.card.id)
    return response


@bp.get("/cards/<id:card_id>")
@operation(_l("A card"), responses={200: m.Card}, tags=("cards",))
def get_card(card_id: int):
    return jsonify(one_card_json(visible_card(caller(), card_id)))


@bp.patch("/cards/<id:card_id>")
@operation(
    _l("Change a card"),
    description=_l("Send the fields to change and the version you read."),
    body=m.CardPatch,
    responses={200: m.Card},
    errors=(409,),
    tags=("cards",),
)
def update_card(card_id: int):
    body = dict(request_body())
    version = body.pop("version")
    deadline_reason = body.pop("deadline_reason", None)
    reason = body.pop("reason", None)
    card = cards.update_card(
        caller(), card_id, body, version=version, deadline_reason=deadline_reason, reason=reason
    )
    return jsonify(one_card_json(card))


@bp.post("/cards/<id:card_id>/move")
@operation(
    _l("Move a card"),
    description=_l(
        "To another column and/or position, under the WIP limits and the plugins' rules."
    ),
    body=m.Move,
    responses={200: m.Card},
    errors=(403, 409),
    tags=("cards",),
)
def move_card(card_id: int):
    body = request_body()
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


@bp.get("/cards/<id:card_id>/events")
@operation(_l("The history of a card"), responses={200: m.EventList}, tags=("cards",))
def card_events(card_id: int):
    _card, events = audit.card_events(caller(), card_id)
    return jsonify({"events": [event_json(event) for event in events]})


@bp.post("/cards/<id:card_id>/comments")
@operation(
    _l("Comment on a card"),
    description=_l("An archived card takes no comment: 409 `archived`."),
    body=m.NewComment,
    responses={201: m.Comment},
    errors=(409,),
    tags=("cards",),
)
def add_comment(card_id: int):
    body = request_body()
    comment = cards.add_comment(caller(), card_id, body["body"])
    return jsonify(comment_json(comment)), 201


@bp.post("/cards/<id:card_id>/follow")
@operation(
    _l("Follow a card"),
    description=_l(
        "Comments on the card then reach you (the card's creator and assignee follow it "
        "without asking). Following it again changes nothing."
    ),
    responses={200: m.Following},
    tags=("cards",),
)
def follow_card(card_id: int):
    card = follows.follow(caller(), card_id)
    return jsonify({"card_id": card.id, "following": True})


@bp.delete("/cards/<id:card_id>/follow")
@operation(
    _l("Stop following a card"),
    description=_l("Also a card you created or are assigned to."),
    responses={200: m.Following},
    tags=("cards",),
)
def unfollow_card(card_id: int):
    card = follows.unfollow(caller(), card_id)
    return jsonify({"card_id": card.id, "following": False})


@bp.post("/tokens")
@operation(
    _l("Get an API token"),
    description=_l(
        "With a NIP or username and password, a name and optionally a lifetime in days. The "
        "token is shown once; send it as `Authorization: Bearer <token>`. Failed attempts are "
        "slowed down: 429 with Retry-After."
        " With two-factor sign-in on, send the current code of the authenticator app (or a "
        "recovery code) as `totp`: without it the answer is 401 `totp_required`, with a wrong "
        "one 401 `invalid_totp`. Someone the office requires to use two-factor sign-in who has "
        "not set it up gets 401 `two_factor_enrolment_required` and sets it up in the browser."
        " Where the password is the directory's (LDAP): 403 `unknown_person` for someone the "
        "directory knows but Cergas does not, 503 `directory_unavailable` when it cannot be "
        "reached. Every attempt is kept in the person's sign-in log."
    ),
    body=m.NewToken,
    responses={201: m.Token},
    errors=(401, 403, 429, 503),
    tags=("tokens",),
)
@public
def create_token():
    body = request_body()
    name, days = accounts.clean_token_request(body.get("name"), body.get("expires_in_days"))
    login = body["username"].strip()[:200] if isinstance(body["username"], str) else ""
    seen = {"login": login, "address": request.remote_addr, "user_agent": request.user_agent.string}
    try:
        user = ratelimit.authenticate_from(request.remote_addr, body["username"], body["password"])
    except (Unauthorized, TooManyAttempts) as exc:
        outcome = "too_many_attempts" if isinstance(exc, TooManyAttempts) else "wrong_credentials"
        outcome = getattr(exc, "sign_in_outcome", outcome)
        signin.record(signin.API_TOKEN, outcome, user=accounts.find_login(login), **seen)
        raise
    # Wrong codes are logged by the check itself (as `totp` or `recovery_code`).
    two_factor.check_for_token(user, body.get("totp"), request.remote_addr, body["username"])
    row, secret = accounts.issue_token(user, name, days)
    signin.record(signin.API_TOKEN, "ok", user=user, **seen)
    response = jsonify({"token": secret, **token_json(row)})
    response.status_code = 201
    return response


@bp.get("/tokens")
@operation(_l("Your API tokens"), responses={200: m.TokenList}, tags=("tokens",))
def list_tokens():
    """Never the secrets: only their names and dates."""
    return jsonify({"tokens": [token_json(row) for row in accounts.list_tokens(caller())]})


@bp.delete("/tokens/<id:token_id>")
@operation(
    _l("Revoke one of your API tokens"),
    description=_l("Someone else's token, or one already revoked, is 404."),
    responses={200: m.TokenInfo},
    tags=("tokens",),
)
def revoke_token(token_id: int):
    return jsonify(token_json(accounts.revoke_token(caller(), token_id)))


@bp.post("/me/sign-out-everywhere")
@operation(
    _l("Log out everywhere"),
    description=_l(
        "Ends every login session of yours and revokes every API token, the one of this "
        "request included."
    ),
    responses={200: m.SignedOut},
    tags=("tokens",),
)
def sign_out_everywhere():
    sessions, tokens = accounts.sign_out_everywhere(caller())
    return jsonify({"sessions": sessions, "tokens": tokens})
