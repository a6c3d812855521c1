"""Office-wide settings kept in the database and changed by an administrator on a page (unlike
the deployment's settings, which come from the environment: app/config.py). Each setting is
declared here with its default and the values it may take; every change is recorded in the
administrative log in the transaction that makes it."""

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import SiteSetting, User, utcnow
from app.services import admin_log
from app.services import validation as v
from app.services.errors import Forbidden
from app.services.tx import write_transaction


@dataclass(frozen=True)
class Declared:
    key: str
    default: Any
    # value -> label shown to the administrator, in the order offered.
    choices: dict[str, Any]


# Who must sign in with a second factor (app/services/two_factor.py).
TWO_FACTOR_REQUIRED = "two_factor_required"

DECLARED = {
    TWO_FACTOR_REQUIRED: Declared(
        TWO_FACTOR_REQUIRED,
        "nobody",
        {
            "nobody": _l("Nobody (everyone may turn it on)"),
            "admins": _l("Administrators"),
            "admins_heads": _l("Administrators and heads of units (also Plt/Plh)"),
            "everyone": _l("Everyone"),
        },
    ),
}


def get(key: str) -> Any:
    """The setting's stored value, or its default."""
    declared = DECLARED[key]
    value = db.session.scalar(select(SiteSetting.value).where(SiteSetting.key == key))
    return declared.default if value is None or value not in declared.choices else value


def change(actor: User, key: str, value) -> bool:
    """Set a setting (administrators only); False when it already had that value."""
    if not actor.is_admin:
        raise Forbidden("forbidden", _("Only an administrator can change this setting."))
    declared = DECLARED[key]
    if not isinstance(value, str) or value not in declared.choices:
        raise v.invalid({key: _("Choose one of the options offered.")})
    with write_transaction():
        row = db.session.get(SiteSetting, key)
        before = row.value if row is not None else declared.default
        if before == value:
            return False
        store(actor, key, value, before={key: before}, after={key: value})
    return True


def store(actor: User, key: str, value, *, before: dict, after: dict) -> None:
    """Write one office-wide setting and its line in the admin log (`before`/`after`: what the
    log shows, secrets masked by the caller), in the current write transaction."""
    row = db.session.get(SiteSetting, key)
    if row is None:
        row = SiteSetting(key=key)
        db.session.add(row)
    row.value = value
    row.updated_at = utcnow()
    row.updated_by_id = actor.id
    admin_log.record("setting.changed", actor, "setting", label=key, before=before, after=after)
