"""The fields of a person as every path writes them (the people pages, the API, the CLI and the
staff-register import): one cleaner per field, so a NIP, an email or a phone number is judged
the same way wherever it comes from. Uniqueness and permissions are the services' business
(app/services/people.py, app/services/imports.py)."""

import re

from flask_babel import gettext as _

from app.models import ROLES
from app.services import validation as v

USERNAME_PATTERN = re.compile(r"[a-z][a-z0-9._-]{2,59}")
# One address, as people type it: a local part, an @ and a domain with a dot; no spaces.
EMAIL_PATTERN = re.compile(
    r"[^@\s<>(),;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
# What a password hash column holds for an account nobody can sign in to with a password yet
# (imported people, new people without one): werkzeug's check fails on it.
UNUSABLE_PASSWORD = "!"

# Every field a person has, in the order forms and files show them.
PERSON_FIELDS = (
    "nip",
    "username",
    "name",
    "position",
    "email",
    "phone",
    "unit",
    "role",
    "admin",
    "locale",
)


def nip(value) -> str | None:
    """A plausible NIP (validation.nip), or None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return v.nip(value)


def username(value) -> str | None:
    """A login for people without a NIP (non-ASN staff): 3 to 60 lowercase letters, digits,
    dots, hyphens or underscores, starting with a letter; None when empty."""
    value = v.text(value, field_max=60)
    if not value:
        return None
    if not USERNAME_PATTERN.fullmatch(value):
        raise v.FieldError(
            _("3 to 60 lowercase letters, digits, dots, hyphens or underscores, from a letter.")
        )
    return value


def name(value) -> str:
    """The full name with degrees, as written (e.g. "Dr. Siti Rahma, S.Kom., M.T.")."""
    return " ".join(v.text(value, field_max=200, required=True).split())


def position(value) -> str:
    """The jabatan, e.g. "Pranata Komputer Ahli Pertama"; may be empty."""
    return " ".join(v.text(value, field_max=200).split())


def email(value) -> str | None:
    value = v.text(value, field_max=200)
    if not value:
        return None
    if not EMAIL_PATTERN.fullmatch(value):
        raise v.FieldError(_("Not an email address (name@example.go.id)."))
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def phone(value) -> str | None:
    """A phone number for calls and WhatsApp, kept in international form (+62...): accepts
    0812-3456-7890, 62812..., +62 812 ..., with spaces, dots, dashes or brackets."""
    value = v.text(value, field_max=30)
    if not value:
        return None
    digits = re.sub(r"[\s.\-()/]", "", value)
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("0"):
        digits = "62" + digits[1:]
    if not re.fullmatch(r"[0-9]{8,15}", digits):
        raise v.FieldError(_("Not a phone number (e.g. 0812-3456-7890 or +62 812 3456 7890)."))
    return "+" + digits


def role(value) -> str:
    return v.choice(value, ROLES, default="member")


def locale(value) -> str | None:
    if value is None or value == "":
        return None
    return v.choice(value, ("id", "en"))


# The words a yes/no may be written with (case and surrounding spaces aside).
NO_WORDS = frozenset({"", "0", "false", "no", "tidak", "off", "n", "t"})
YES_WORDS = frozenset({"1", "true", "yes", "ya", "on", "y"})
FLAG_WORDS = NO_WORDS | YES_WORDS


def flag(value) -> bool:
    """A yes/no from a form (checkbox "1"/"on"), JSON (true/false) or a file ("ya"/"tidak")."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str):
        word = value.strip().lower()
        if word in NO_WORDS:
            return False
        if word in YES_WORDS:
            return True
    raise v.FieldError(_("Must be yes or no."))


CLEANERS = {
    "nip": nip,
    "username": username,
    "name": name,
    "position": position,
    "email": email,
    "phone": phone,
    "role": role,
    "admin": flag,
    "locale": locale,
}


def clean_person(data: dict, *, partial: bool = False) -> dict:
    """The cleaned values of the person fields present in `data` (all of them unless
    `partial`), or Invalid naming every bad field. `unit` is passed through as given (a unit
    code; the caller resolves it). A new person needs a NIP or a username."""
    fields = v.Fields()
    names = [name for name in PERSON_FIELDS if not partial or name in data]
    cleaned = {}
    for field in names:
        if field == "unit":
            cleaned["unit"] = data.get("unit")
            continue
        cleaned[field] = fields.clean(field, CLEANERS[field], data.get(field))
    missing = not partial and not cleaned.get("nip") and not cleaned.get("username")
    if missing and "nip" not in fields.errors and "username" not in fields.errors:
        fields.errors["nip"] = _("Give a NIP or, for non-ASN staff, a username.")
    fields.raise_if_any()
    return cleaned
