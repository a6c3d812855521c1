"""JSON API for passwords: change one's own, and issue a reset link for someone (admins and
heads). The link is in the answer once; only its hash is stored."""

from flask import jsonify, request
from flask_babel import lazy_gettext as _l
from pydantic import Field

from app.api import bp
from app.api.auth import bearer_token, caller
from app.api.contract import ApiModel, ApiResponse, Flag, Text, operation, request_body
from app.api.serializers import timestamp
from app.services import mail, passwords

TAGS = ("passwords",)


class PasswordChange(ApiModel):
    current_password: Text = Field(description="Your password now.")
    new_password: Text = Field(
        description="At least 8 characters (the server's setting), at most 200; not your NIP, "
        "username or name, and not a common password."
    )


class PasswordChanged(ApiResponse):
    sessions_ended: int = Field(description="Your login sessions that were ended.")
    tokens_revoked: int = Field(description="Your other API tokens that were revoked.")


class ResetLinkRequest(ApiModel):
    send_email: Flag = Field(
        False, description="Also email the link to the person (when they have an address)."
    )


class ResetLink(ApiResponse):
    link: str = Field(description="Shown once: hand it to the person alone.")
    expires_at: str
    emailed: bool
    activation: bool = Field(description="True when the account has never had a password.")


@bp.post("/me/password")
@operation(
    _l("Change your password"),
    description=_l(
        "With your current password. Every login session and every other API token of yours "
        "ends; the token of this request stays. A wrong current password is a 422 on "
        "`current_password` and counts as a failed login: 429 with Retry-After after too many."
    ),
    body=PasswordChange,
    responses={200: PasswordChanged},
    errors=(429,),
    tags=TAGS,
)
def change_password():
    body = request_body()
    new = body.get("new_password")
    changed = passwords.change_password(
        caller(),
        body.get("current_password"),
        new,
        new,
        client=request.remote_addr,
        keep_token=bearer_token(),
    )
    return jsonify(
        {"sessions_ended": changed.sessions_ended, "tokens_revoked": changed.tokens_revoked}
    )


@bp.post("/users/<login>/reset-link")
@operation(
    _l("Issue a password reset link for someone"),
    description=_l(
        "Administrators for anyone, heads for the people of their units; never for yourself, "
        "and for an administrator only by an administrator. The link works once until "
        "`expires_at`; a new account's first link activates it."
    ),
    body=ResetLinkRequest,
    responses={201: ResetLink},
    errors=(403, 409),
    tags=TAGS,
)
def issue_reset_link(login: str):
    # The body is optional: no body is `{"send_email": false}`.
    body = request_body() if request.is_json or request.content_length else {}
    issued = passwords.issue_link(caller(), login, send_email=body.get("send_email", False))
    base = mail.base_url() or request.host_url.rstrip("/")
    data = {
        "link": base + issued.path,
        "expires_at": timestamp(issued.expires_at),
        "emailed": issued.emailed,
        "activation": issued.activation,
    }
    return jsonify(data), 201
