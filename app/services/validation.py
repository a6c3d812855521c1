"""Cleaning of user input shared by the HTML forms, the JSON API and the CLI.

Each cleaner takes what a form or JSON body may carry (strings, numbers, lists) and returns the
Python value, or raises FieldError with a translated message for that field.
"""

import re
from datetime import date

from flask_babel import gettext as _

from app import clock
from app.services.errors import Invalid


class FieldError(ValueError):
    pass


def _has_bad_codepoints(value: str) -> bool:
    """NUL or lone surrogates: PostgreSQL refuses them, so refuse them first."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return "\x00" in value


def has_unstorable_text(value) -> bool:
    """True when a JSON value (keys included) holds text no database stores: NUL characters or
    lone surrogates."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and _has_bad_codepoints(item):
            return True
    return False


def text(value, *, field_max: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FieldError(_("Must be text."))
    if _has_bad_codepoints(value):
        raise FieldError(_("Text may not contain NUL characters or invalid Unicode."))
    value = value.strip()
    if required and not value:
        raise FieldError(_("This field is required."))
    if len(value) > field_max:
        raise FieldError(_("At most %(n)d characters.", n=field_max))
    return value


# A whole number as people type it: ASCII digits only. `str.isdigit()` and `\d` also accept
# "²" (which int() refuses) and Arabic-Indic or fullwidth digits (which int() reads): a number
# is never recognised with them, so the answer cannot differ from what would be stored.
_WHOLE = re.compile(r"(-?)0*([0-9]+)")
# More digits than any bound here: read as "too large" without converting them all.
_MAX_DIGITS = 18


def _whole(value) -> int | None:
    """The int written in `value` (a str of ASCII digits, spaces around allowed, or an int), or
    None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    match = _WHOLE.fullmatch(value.strip(" \t\r\n")) if isinstance(value, str) else None
    if match is None:
        return None
    sign, digits = match.groups()
    number = int(digits) if len(digits) <= _MAX_DIGITS else 10**_MAX_DIGITS
    return -number if sign else number


def ascii_int(value, *, minimum: int = 0, maximum: int) -> int | None:
    """The whole number in `value` when it is written with ASCII digits (0-9) and lies within
    [minimum, maximum]; None for anything else. For values that are ignored when unusable
    (filters, hints); use `optional_int` or `record_id` where a bad value is an error."""
    number = _whole(value)
    return number if number is not None and minimum <= number <= maximum else None


def optional_int(value, *, minimum: int = 0, maximum: int = 10_000) -> int | None:
    """An optional whole number: None or "" means none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = _whole(value)
    if number is None:
        raise FieldError(_("Must be a whole number."))
    if not minimum <= number <= maximum:
        raise FieldError(_("Must be between %(lo)d and %(hi)d.", lo=minimum, hi=maximum))
    return number


# The largest row id: ids are 32-bit integers on PostgreSQL, so a larger number names no row
# and must not reach a query (PostgreSQL would refuse it with an error, not an empty answer).
MAX_ID = 2**31 - 1


def record_id(value) -> int:
    """An id from a URL, form or JSON body."""
    number = optional_int(value, minimum=1, maximum=MAX_ID)
    if number is None:
        raise FieldError(_("This field is required."))
    return number


_DECIMAL = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def optional_number(value, *, minimum: float = 0, maximum: float = 10_000) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise FieldError(_("Must be a number."))
    if isinstance(value, str):
        # ASCII digits only: float() would also read "٣" or "１", and "1_000".
        if not _DECIMAL.fullmatch(value.strip().replace(",", ".")):
            raise FieldError(_("Must be a number."))
        value = float(value.strip().replace(",", "."))
    if not isinstance(value, int | float) or value != value:
        raise FieldError(_("Must be a number."))
    if not minimum <= value <= maximum:
        raise FieldError(_("Must be between %(lo)s and %(hi)s.", lo=minimum, hi=maximum))
    return float(value)


def optional_date(value) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
        try:
            parsed = date.fromisoformat(value.strip())
        except ValueError:
            raise FieldError(_("Not a valid date.")) from None
        if 2000 <= parsed.year <= 2100:
            return parsed
        raise FieldError(_("The year must be between 2000 and 2100."))
    raise FieldError(_("Use the format YYYY-MM-DD."))


def choice(value, options, *, default=None) -> str:
    if (value is None or value == "") and default is not None:
        return default
    if not isinstance(value, str) or value not in options:
        raise FieldError(_("Choose one of: %(options)s.", options=", ".join(options)))
    return value


def slug(value, *, default: str, field_max: int = 40) -> str:
    """A short lowercase word such as a card type: `surat-keluar`."""
    value = text(value, field_max=field_max)
    if not value:
        return default
    value = re.sub(r"\s+", "-", value.lower())
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", value):
        raise FieldError(_("Use lowercase letters, digits and hyphens."))
    return value


def labels(value) -> list[str]:
    """A list of short labels, from a JSON list or a comma-separated string."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise FieldError(_("Must be a list of labels."))
    cleaned: list[str] = []
    for item in value:
        item = " ".join(item.split())
        if not item:
            continue
        if len(item) > 40:
            raise FieldError(_("A label has at most 40 characters."))
        if item not in cleaned:
            cleaned.append(item)
    if len(cleaned) > 20:
        raise FieldError(_("At most 20 labels."))
    return cleaned


class Fields:
    """Collects field errors so one response names every bad field at once."""

    def __init__(self):
        self.errors: dict[str, str] = {}

    def clean(self, name: str, cleaner, *args, **kwargs):
        try:
            return cleaner(*args, **kwargs)
        except FieldError as exc:
            self.errors[name] = str(exc)
            return None

    def raise_if_any(self) -> None:
        if self.errors:
            raise invalid(self.errors)


def invalid(fields: dict) -> Invalid:
    """The error for input that names its bad fields."""
    return Invalid("validation_error", _("Some fields are not valid."), fields=fields)


# A NIP (Nomor Induk Pegawai, PP 11/2017 and BKN rules) is 18 digits: birth date (YYYYMMDD),
# the month the person became a candidate civil servant (TMT CPNS, YYYYMM), sex (1 man,
# 2 woman) and a serial number (001-999).
_NIP = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{4})([0-9]{2})([12])([0-9]{3})")


def nip(value, *, today: date | None = None) -> str:
    """A plausible NIP: 18 ASCII digits (spaces removed, as registers often print them) whose
    birth date is a real date, whose TMT month is real and falls between the 17th birthday
    and next year, with a sex digit of 1 or 2 and a serial number from 001."""
    value = text(value, field_max=40)
    value = "".join(value.split())
    if not re.fullmatch(r"[0-9]{18}", value):
        raise FieldError(_("A NIP has exactly 18 digits."))
    match = _NIP.fullmatch(value)
    if match is None:
        raise FieldError(_("The 15th digit of a NIP (sex) is 1 or 2."))
    year, month, day, tmt_year, tmt_month, _sex, serial = (int(part) for part in match.groups())
    today = today or clock.today()
    try:
        born = date(year, month, day)
    except ValueError:
        raise FieldError(_("The first 8 digits of a NIP are a birth date (YYYYMMDD).")) from None
    if not 1930 <= year <= today.year - 17:
        raise FieldError(_("The birth year in this NIP (%(year)d) is not plausible.", year=year))
    if not 1 <= tmt_month <= 12:
        raise FieldError(_("Digits 9 to 14 of a NIP are the TMT month (YYYYMM)."))
    if (tmt_year, tmt_month) < (born.year + 17, born.month) or tmt_year > today.year + 1:
        raise FieldError(
            _(
                "The TMT in this NIP (%(year)d-%(month)02d) is not plausible.",
                year=tmt_year,
                month=tmt_month,
            )
        )
    if serial == 0:
        raise FieldError(_("The last 3 digits of a NIP are a serial number from 001."))
    return value
