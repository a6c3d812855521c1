"""JSON API for the caller's own notification preferences (events × channels, quiet hours,
instant or daily digest, the heads' unit digest)."""

from typing import Annotated, Literal

from flask import jsonify
from flask_babel import lazy_gettext as _l
from pydantic import Field

from app.api import bp
from app.api.auth import caller
from app.api.contract import ApiModel, ApiResponse, Flag, Msg, operation, request_body
from app.api.models import examples
from app.services import notification_preferences as prefs_service

TAGS = ("notifications",)
EXAMPLE = {
    "events": {"card_assigned": ["email"], "mentioned": ["email", "telegram"]},
    "quiet": {"enabled": True, "start": "21:00", "end": "06:00", "holidays": True},
    "digest": "instant",
    "digest_hour": 7,
    "unit_digest": False,
}


class QuietHours(ApiModel):
    enabled: Flag = Field(None, description="Nothing but in-app during quiet hours.")
    start: Annotated[str, Msg(_l("Use a time such as 21:00."))] = Field(
        None, description="HH:MM in the person's unit's time zone."
    )
    end: Annotated[str, Msg(_l("Use a time such as 21:00."))] = Field(None, description="HH:MM.")
    holidays: Flag = Field(None, description="Quiet all day on the unit's days off too.")


class QuietHoursOut(ApiResponse):
    enabled: bool
    start: str
    end: str
    holidays: bool


class PreferencesPut(ApiModel):
    model_config = examples(EXAMPLE)

    events: Annotated[
        dict[str, list[str]], Msg(_l("Must map each event to a list of channels."))
    ] = Field(None, description="Event -> the channels it goes through ([]: in-app only).")
    quiet: QuietHours = None
    digest: Annotated[Literal["instant", "daily"], Msg(_l("Must be instant or daily."))] = None
    digest_hour: Annotated[int, Msg(_l("Must be an hour from 0 to 23."))] = Field(
        None, description="The local hour of the daily digest and of the unit digest."
    )
    unit_digest: Flag = Field(None, description="Heads: a morning digest of their units.")


class PreferencesOut(ApiResponse):
    events: dict[str, list[str]] = Field(description="Event -> the channels it goes through.")
    quiet: QuietHoursOut
    digest: Literal["instant", "daily"]
    digest_hour: int
    unit_digest: bool
    channels: list[str] = Field(description="The channels that can reach the caller now.")
    updated_at: str | None


def preferences_json(user, prefs) -> dict:
    from app.api.serializers import timestamp

    usable = prefs_service.usable_channels(user)
    body = prefs.to_dict(usable)
    body["channels"] = usable
    body["updated_at"] = timestamp(prefs.updated_at)
    return body


@bp.get("/me/notification-preferences")
@operation(_l("Your notification preferences"), responses={200: PreferencesOut}, tags=TAGS)
def get_notification_preferences():
    """Which events reach you through which channels, quiet hours and the digest."""
    user = caller()
    return jsonify(preferences_json(user, prefs_service.preferences_of(user)))


@bp.put("/me/notification-preferences")
@operation(
    _l("Change your notification preferences"),
    description=_l("Send the parts that change; the rest keep their values."),
    body=PreferencesPut,
    responses={200: PreferencesOut},
    errors=(422,),
    tags=TAGS,
)
def put_notification_preferences():
    user = caller()
    prefs = prefs_service.save(user, request_body())
    return jsonify(preferences_json(user, prefs))
