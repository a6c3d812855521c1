"""SLA policies: the board setting `policies`, a list of service-time rules by card type."""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from cergas.plugin import DURATION_UNITS, Setting, SettingError

STARTS = ("created", "active")
DEFAULT_AT_RISK = 0.75
MAX_POLICIES = 50
MAX_DURATION = 10_000


@dataclass(frozen=True)
class Policy:
    type: str  # the card type it applies to, e.g. "pengaduan"
    duration: float
    unit: str  # one of DURATION_UNITS
    start: str = "created"  # the clock starts when the card is created, or first becomes active
    pause_columns: tuple[str, ...] = ()  # column names where the clock waits (on the applicant)
    at_risk: float = DEFAULT_AT_RISK  # share of the time after which the card is at risk

    @property
    def label(self) -> str:
        amount = f"{self.duration:g}"
        names = {
            "working_days": _("working days"),
            "working_hours": _("working hours"),
            "working_minutes": _("working minutes"),
            "calendar_days": _("calendar days"),
        }
        return f"{self.type}: {amount} {names[self.unit]}"

    @classmethod
    def from_clean(cls, item: dict) -> "Policy":
        """From one item of `clean_policies`."""
        return cls(
            type=item["type"],
            duration=item["duration"],
            unit=item["unit"],
            start=item["start"],
            pause_columns=tuple(item["pause_columns"]),
            at_risk=item["at_risk"],
        )

    def as_json(self) -> dict:
        return {
            "type": self.type,
            "duration": self.duration,
            "unit": self.unit,
            "start": self.start,
            "pause_columns": list(self.pause_columns),
            "at_risk": self.at_risk,
        }


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


UNIT_LABELS = {
    "working_days": _l("working days"),
    "working_hours": _l("working hours"),
    "working_minutes": _l("working minutes"),
    "calendar_days": _l("calendar days"),
}


def policy_setting():
    """The `policies` setting: a record list (one policy per card type), so the board settings
    page shows a form per policy and `PUT .../plugins/sla/settings` takes the JSON list."""
    fields = (
        Setting("type", "card_type", None, _l("Card type"), required=True),
        Setting(
            "duration",
            "float",
            None,
            _l("Service time"),
            required=True,
            minimum=0,
            maximum=MAX_DURATION,
        ),
        Setting(
            "unit",
            "choice",
            "working_days",
            _l("Counted in"),
            choices=tuple((unit, UNIT_LABELS[unit]) for unit in DURATION_UNITS),
        ),
        Setting(
            "start",
            "choice",
            "created",
            _l("The clock starts"),
            choices=(
                ("created", _l("when the card is made")),
                ("active", _l("when work on the card starts")),
            ),
        ),
        Setting(
            "pause_columns",
            "columns",
            [],
            _l("The clock waits in these columns"),
            help=_l("E.g. while waiting for the applicant's documents."),
        ),
        Setting(
            "at_risk",
            "float",
            DEFAULT_AT_RISK,
            _l("At risk after this share of the time"),
            help=_l("0.75 means after three quarters of the time."),
            minimum=0,
            maximum=1,
        ),
    )
    return Setting(
        "policies",
        "records",
        [],
        _l("Service-time policies by card type"),
        help=_l("One policy per card type: how long a card of that type may take."),
        validate=clean_policies,
        fields=fields,
        max_items=MAX_POLICIES,
        add_label=_l("Add a policy"),
        row_label=_l("Policy %(n)d"),
    )


def clean_policies(value) -> list[dict]:
    """The `policies` setting checked and normalised; SettingError says what is wrong (and its
    `path` where: the row and the field)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise SettingError(_("Must be a list of policies."))
    if len(value) > MAX_POLICIES:
        raise SettingError(_("At most %(n)d policies.", n=MAX_POLICIES))
    cleaned, seen = [], set()
    for number, item in enumerate(value, start=1):
        row = number - 1
        if not isinstance(item, dict):
            raise SettingError(_("Policy %(n)d must be an object.", n=number), (row,))
        unknown = set(item) - {"type", "duration", "unit", "start", "pause_columns", "at_risk"}
        if unknown:
            raise SettingError(
                _("Policy %(n)d: unknown field %(field)s.", n=number, field=sorted(unknown)[0]),
                (row, sorted(unknown)[0]),
            )
        kind = item.get("type")
        if not isinstance(kind, str) or not kind.strip() or len(kind) > 40:
            raise SettingError(
                _("Policy %(n)d: type must be a card type.", n=number), (row, "type")
            )
        kind = kind.strip()
        if kind in seen:
            raise SettingError(
                _("Policy %(n)d: type %(type)s appears twice.", n=number, type=kind), (row, "type")
            )
        seen.add(kind)
        duration = item.get("duration")
        if not _number(duration) or not 0 < duration <= MAX_DURATION:
            raise SettingError(
                _("Policy %(n)d: duration must be a number above 0.", n=number), (row, "duration")
            )
        unit = item.get("unit") or "working_days"
        if unit not in DURATION_UNITS:
            raise SettingError(
                _(
                    "Policy %(n)d: unit must be one of %(units)s.",
                    n=number,
                    units=", ".join(DURATION_UNITS),
                ),
                (row, "unit"),
            )
        start = item.get("start") or "created"
        if start not in STARTS:
            raise SettingError(
                _("Policy %(n)d: start must be created or active.", n=number), (row, "start")
            )
        pauses = item.get("pause_columns") or []
        if not isinstance(pauses, list) or not all(
            isinstance(name, str) and name.strip() for name in pauses
        ):
            raise SettingError(
                _("Policy %(n)d: pause_columns must be a list of column names.", n=number),
                (row, "pause_columns"),
            )
        at_risk = item.get("at_risk")
        at_risk = DEFAULT_AT_RISK if at_risk is None else at_risk
        if not _number(at_risk) or not 0 < at_risk < 1:
            raise SettingError(
                _("Policy %(n)d: at_risk must be a share between 0 and 1.", n=number),
                (row, "at_risk"),
            )
        cleaned.append(
            {
                "type": kind,
                "duration": duration,
                "unit": unit,
                "start": start,
                "pause_columns": [name.strip() for name in pauses],
                "at_risk": float(at_risk),
            }
        )
    return cleaned


def policies_of(settings: dict) -> dict[str, Policy]:
    """card type -> Policy from a board's saved settings (ignoring anything no longer valid)."""
    try:
        items = clean_policies(settings.get("policies"))
    except SettingError:
        return {}
    return {item["type"]: Policy.from_clean(item) for item in items}
