"""Who a single sign-on names: the person the provider's claims point at, found by one claim
(OIDC_MATCH_CLAIM) and never by the provider's own `sub`, since Cergas already knows its people
by NIP (or username, or email) and the provider's ids mean nothing here.

- `nip` (the default): the claim `nip` against the NIP. A Keycloak realm sends it through a
  protocol mapper from the user attribute (docs/deploy.md).
- `email`: the claim `email` against the email address, ignoring case. Two people with one
  address name nobody: the sign-in is refused as unknown rather than guessed. An address the
  provider itself marks unverified (`email_verified: false`) names nobody either: anyone could
  have typed it into their account there.
- `preferred_username`: that claim against the NIP or the username, like the login form.

A person nobody knows is refused, unless OIDC_CREATE_UNIT names a unit: then they are added
there as a member at their first sign-on, audited as `user.created_at_sign_in`. The claims are
the provider's, already checked (signature, issuer, audience, expiry, nonce) by app/auth/oidc.py.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import User
from app.services import access, accounts, admin_log, person_fields, units
from app.services.errors import ServiceError
from app.services.people import state
from app.services.tx import write_transaction


@dataclass(frozen=True)
class Match:
    """The outcome of looking a sign-on up: the claim used, its value (shown on the "unknown"
    page so the person can tell an administrator), and the person, when found."""

    claim: str
    value: str
    user: User | None


def claim_value(claims: Mapping, claim: str) -> str:
    """The claim as text, trimmed; empty when missing or not a plain value."""
    value = claims.get(claim)
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value).strip()[:200]


def find_person(claims: Mapping, claim: str) -> Match:
    """The person the claims name by `claim` (nip, email or preferred_username), active or not
    (the caller refuses an inactive one), or a Match without a user."""
    value = claim_value(claims, claim)
    user = None
    if value:
        if claim == "nip":
            user = db.session.scalar(select(User).where(User.nip == value))
        elif claim == "email" and claims.get("email_verified") is not False:
            found = db.session.scalars(
                select(User).where(func.lower(User.email) == value.lower()).limit(2)
            ).all()
            user = found[0] if len(found) == 1 else None
        elif claim == "preferred_username":
            user = accounts.find_login(value)
    return Match(claim, value, user)


def person_fields_from(claims: Mapping, claim: str, name_claim: str) -> dict | None:
    """The fields of a new person from the claims (name, NIP or username, email), or None when
    they do not make a valid person (no name, no NIP or username)."""
    value = claim_value(claims, claim)
    data = {
        "name": claim_value(claims, name_claim),
        "email": claim_value(claims, "email") or None,
        "nip": claim_value(claims, "nip") or None,
        "username": None,
    }
    if claim == "preferred_username" and value:
        if value.isdigit():
            data["nip"] = value
        else:
            data["username"] = value.lower()
    elif claim == "email" and not data["nip"]:
        login = claim_value(claims, "preferred_username").lower()
        data["username"] = login or None
    try:
        cleaned = person_fields.clean_person(
            {**data, "role": "member", "admin": False, "locale": None}, partial=False
        )
    except ServiceError:
        return None
    return cleaned


def create_at_sign_in(claims: Mapping, claim: str) -> User | None:
    """A person the provider vouches for but Cergas does not know yet, added as a member of
    OIDC_CREATE_UNIT (audited); None when that is off, the unit is gone, or the claims do not
    make a person (the caller then shows the "unknown" page)."""
    config = current_app.config
    code = config.get("OIDC_CREATE_UNIT")
    if not code:
        return None
    cleaned = person_fields_from(claims, claim, config.get("OIDC_NAME_CLAIM") or "name")
    if cleaned is None:
        current_app.logger.warning(
            "Single sign-on: the provider's claims do not make a person (name, NIP or "
            "username missing or invalid); not added to %s",
            code,
        )
        return None
    try:
        with write_transaction():
            unit = units.active_unit_by_code(code)
            accounts.check_logins_free(cleaned["nip"], cleaned["username"])
            person = accounts.create_user(
                cleaned["name"],
                None,  # no password: they sign in through the provider
                nip=cleaned["nip"],
                username=cleaned["username"],
                unit_code=unit.code,
                role="member",
                email=cleaned["email"],
            )
            admin_log.record(
                "user.created_at_sign_in",
                None,
                "user",
                person,
                after=state(person),
                note="OpenID Connect",
            )
    except ServiceError as exc:
        current_app.logger.warning(
            "Single sign-on: could not add a person to %s: %s", code, exc.message
        )
        return None
    access.forget_unit_tree()
    return person
