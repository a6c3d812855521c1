"""JSON API for administrators: someone's login sessions and recent sign-ins, and ending them
(all at once, or one by its id), with the reason the administrative log keeps. The rules are
app/services/sessions_admin.py's."""

from typing import Annotated

from flask import jsonify
from flask_babel import lazy_gettext as _l
from pydantic import Field

from app.api import bp
from app.api.auth import caller
from app.api.contract import ApiModel, ApiResponse, Msg, Text, operation, request_body
from app.api.models import Timestamp
from app.api.serializers import timestamp
from app.services import sessions_admin

TAGS = ("people",)


class LoginSessionItem(ApiResponse):
    id: int
    method: str = Field(description="`password`, `ldap`, `oidc` or a plugin's sign-in method.")
    two_factor: bool
    browser: str
    address: str
    created_at: Timestamp
    last_seen_at: Timestamp


class SignInItem(ApiResponse):
    at: Timestamp
    method: str
    outcome: str = Field(
        description="`ok`, `wrong_credentials`, `wrong_code`, `too_many_attempts`, "
        "`unknown_person` or `refused`."
    )
    browser: str
    address: str


class PersonSessions(ApiResponse):
    login: str
    sessions: list[LoginSessionItem]
    recent_sign_ins: list[SignInItem]


class EndSessions(ApiModel):
    reason: Text = Field(description="Why, for the administrative log (at most 300 characters).")
    session_id: Annotated[int | None, Msg(_l("Must be a whole number."))] = Field(
        None, description="End only this session; without it every session ends."
    )
    tokens: Annotated[bool | None, Msg(_l("Must be true or false."))] = Field(
        None, description="With every session, also revoke the person's API tokens."
    )


class SessionsEnded(ApiResponse):
    sessions_ended: int
    tokens_revoked: int


def _sessions_json(seen) -> dict:
    return {
        "login": seen.person.login,
        "sessions": [
            {
                "id": row.id,
                "method": row.method,
                "two_factor": bool(row.two_factor),
                "browser": row.user_agent or "",
                "address": row.address or "",
                "created_at": timestamp(row.created_at),
                "last_seen_at": timestamp(row.last_seen_at),
            }
            for row in seen.sessions
        ],
        "recent_sign_ins": [
            {
                "at": timestamp(event.at),
                "method": event.method,
                "outcome": event.outcome,
                "browser": event.user_agent or "",
                "address": event.address or "",
            }
            for event in seen.recent
        ],
    }


@bp.get("/users/<login>/sessions")
@operation(
    _l("A person's sessions"),
    description=_l("Administrators: where the person is signed in and their recent sign-ins."),
    responses={200: PersonSessions},
    errors=(403,),
    tags=TAGS,
)
def user_sessions(login):
    return jsonify(_sessions_json(sessions_admin.sessions_of(caller(), login)))


@bp.post("/users/<login>/sessions/end")
@operation(
    _l("End a person's sessions"),
    description=_l(
        "Administrators: end one session (`session_id`) or all of them, and with `tokens` "
        "also revoke the person's API tokens. Recorded in the administrative log with the reason."
    ),
    body=EndSessions,
    responses={200: SessionsEnded},
    errors=(403,),
    tags=TAGS,
)
def end_user_sessions(login):
    body = request_body()
    if body.get("session_id") is not None:
        sessions_admin.end_session(caller(), login, body["session_id"], body.get("reason"))
        return jsonify({"sessions_ended": 1, "tokens_revoked": 0})
    ended = sessions_admin.end_all(
        caller(), login, body.get("reason"), tokens=bool(body.get("tokens"))
    )
    return jsonify({"sessions_ended": ended.sessions, "tokens_revoked": ended.tokens})
