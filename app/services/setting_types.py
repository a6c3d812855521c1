"""What a plugin's per-board setting is (`Setting`, re-exported by `app.plugin_api`) and how a
value sent by a form or the API is cleaned to its type. It lives with the services because the
service that saves a board's plugin settings (`app/services/plugins.py`) cleans with it."""

import json
import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _

SETTING_TYPES = ("bool", "int", "float", "str", "text", "date", "list", "json")


class SettingError(ValueError):
    """A setting value of the wrong type; the message is shown next to the field."""


@dataclass(frozen=True)
class Setting:
    """One per-board setting of a plugin: `type` is one of SETTING_TYPES."""

    name: str
    type: str
    default: Any
    label: str
    help: str = ""
    # Optional check of a cleaned value: raise SettingError (shown next to the field / in the
    # API's `fields`) or return the value to store.
    validate: Any = None

    def __post_init__(self):
        if self.type not in SETTING_TYPES:
            raise ValueError(f"Setting type must be one of {', '.join(SETTING_TYPES)}")

    def clean(self, value, *, from_form: bool = False):
        """The value as this setting's type, or SettingError. Forms send text; JSON sends types."""
        value = self._clean_type(value, from_form=from_form)
        if self.validate is not None:
            return self.validate(value)
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
                try:
                    number = float(value.replace(",", "."))
                except ValueError:
                    raise SettingError(_("Must be a number.")) from None
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
