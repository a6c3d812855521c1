"""What a plugin's per-board setting is (`Setting`, re-exported by `cergas.plugin`) and how a
value sent by a form or the API is cleaned to its type. It lives with the services because the
service that saves a board's plugin settings (`app/services/plugins.py`) cleans with it."""

import json
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _

SETTING_TYPES = ("bool", "int", "float", "str", "text", "date", "list", "json")
NUMERIC_TYPES = ("int", "float")
# The range of a number setting that declares none: a plugin narrows it to what makes sense.
DEFAULT_RANGE = (0, 1_000_000)
# Decimal numbers as people type them, ASCII digits only (float() also reads "٣" and "1_0").
_DECIMAL = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


class SettingError(ValueError):
    """A setting value of the wrong type; the message is shown next to the field."""


# The board whose settings are being cleaned, for a `validate` that depends on the board (e.g.
# a paraf step "ketua tim" needs a team's board).
_CONFIGURED_BOARD: ContextVar = ContextVar("cergas_configured_board", default=None)


@contextmanager
def configuring(board) -> Iterator[None]:
    token = _CONFIGURED_BOARD.set(board)
    try:
        yield
    finally:
        _CONFIGURED_BOARD.reset(token)


def configured_board():
    """The board (a `BoardView`) whose plugin settings are being validated now, or None outside
    that."""
    from app.plugin_views import view_of

    return view_of(_CONFIGURED_BOARD.get())


@dataclass(frozen=True)
class Setting:
    """One per-board setting of a plugin: `type` is one of SETTING_TYPES.

    A number setting (`int`, `float`) has a range, `minimum` to `maximum` (both included;
    DEFAULT_RANGE when not given): a value outside it is refused when saved, and a stored value
    outside it (saved before the range existed, or under a wider one) reads as the default."""

    name: str
    type: str
    default: Any
    label: str
    help: str = ""
    # Optional check of a cleaned value: raise SettingError (shown next to the field / in the
    # API's `fields`) or return the value to store.
    validate: Any = None
    minimum: int | float | None = None
    maximum: int | float | None = None

    def __post_init__(self):
        if self.type not in SETTING_TYPES:
            raise ValueError(f"Setting type must be one of {', '.join(SETTING_TYPES)}")
        if self.type not in NUMERIC_TYPES:
            if self.minimum is not None or self.maximum is not None:
                raise ValueError("Only int and float settings have a minimum and maximum")
            return
        low = DEFAULT_RANGE[0] if self.minimum is None else self.minimum
        high = DEFAULT_RANGE[1] if self.maximum is None else self.maximum
        for bound in (low, high):
            if isinstance(bound, bool) or not isinstance(bound, int | float):
                raise ValueError("A setting's minimum and maximum are numbers")
            if not math.isfinite(bound) or (self.type == "int" and bound != int(bound)):
                raise ValueError("An int setting's minimum and maximum are whole numbers")
        if low > high:
            raise ValueError("A setting's minimum is above its maximum")
        if self.default is not None and not self._in_range(self.default, low, high):
            raise ValueError(f"The default of setting {self.name} is outside its range")
        # frozen: set the resolved bounds once
        object.__setattr__(self, "minimum", low)
        object.__setattr__(self, "maximum", high)

    def _in_range(self, value, low, high) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.type == "int" and not isinstance(value, int):
            return False
        return math.isfinite(value) and low <= value <= high

    def range_text(self) -> str:
        """The range as the settings form shows it, or "" for a setting without one."""
        if self.type not in NUMERIC_TYPES:
            return ""
        return _(
            "From %(minimum)s to %(maximum)s.",
            minimum=format_decimal(self.minimum),
            maximum=format_decimal(self.maximum),
        )

    def clean(self, value, *, from_form: bool = False):
        """The value as this setting's type, or SettingError. Forms send text; JSON sends types."""
        value = self._clean_type(value, from_form=from_form)
        numeric = self.type in NUMERIC_TYPES and value is not None
        if numeric and not self._in_range(value, self.minimum, self.maximum):
            raise SettingError(self._range_error())
        if self.validate is not None:
            return self.validate(value)
        return value

    def _range_error(self) -> str:
        return _(
            "Must be between %(lo)s and %(hi)s.",
            lo=format_decimal(self.minimum),
            hi=format_decimal(self.maximum),
        )

    def stored(self, value):
        """A value read from the database as the plugin may use it: a number outside the type
        or the range (stored before the range existed) gives the default instead, so an old bad
        value cannot keep a page slow or failing."""
        if self.type in NUMERIC_TYPES and value is not None:
            if not self._in_range(value, self.minimum, self.maximum):
                return self.default
            return float(value) if self.type == "float" else value
        return value

    def _clean_type(self, value, *, from_form: bool):
        kind = self.type
        if kind == "bool":
            if from_form:
                return value in ("1", "on", "true", "yes", True)
            if isinstance(value, bool):
                return value
            raise SettingError(_("Must be true or false."))
        if value is None or (from_form and value == ""):
            if kind in ("str", "text"):
                return ""
            if kind == "list":
                return []
            return None
        if kind == "int":
            whole = isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,15}", value.strip())
            if from_form and whole:
                return int(value)
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**15:
                return value
            raise SettingError(_("Must be a whole number."))
        if kind == "float":
            number = value
            if from_form and isinstance(value, str):
                number = value.strip().replace(",", ".")
                if not _DECIMAL.fullmatch(number):
                    raise SettingError(_("Must be a number."))
                number = float(number)
            numeric = isinstance(number, int | float) and not isinstance(number, bool)
            if numeric and math.isfinite(number):
                return float(number)
            raise SettingError(_("Must be a number."))
        if kind in ("str", "text"):
            if isinstance(value, str) and "\x00" not in value and len(value) <= 10_000:
                return value.strip() if kind == "str" else value
            raise SettingError(_("Must be text."))
        if kind == "date":
            try:
                return date.fromisoformat(value).isoformat()
            except (TypeError, ValueError):
                raise SettingError(_("Use the format YYYY-MM-DD.")) from None
        if kind == "list":
            if from_form and isinstance(value, str):
                value = [item.strip() for item in value.replace("\n", ",").split(",")]
                return [item for item in value if item]
            if isinstance(value, list) and all(isinstance(item, str) for item in value):
                return value
            raise SettingError(_("Must be a list of text values."))
        # json
        if from_form and isinstance(value, str):
            try:
                return json.loads(value)
            except (ValueError, RecursionError):
                raise SettingError(_("Not valid JSON.")) from None
        return value
