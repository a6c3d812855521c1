"""JSON API of the competency plugin (bearer token, under /api/v1)."""

from flask import jsonify, request
from flask_babel import gettext as _

from cergas.plugin import (
    Invalid,
    api_blueprint,
    api_caller,
    api_json_body,
    api_operation,
    api_query,
    ascii_int,
    editable_person,
    record_learning,
)
from plugins.competency import api_models as m
from plugins.competency import core
from plugins.competency.views import period_from_args

api = api_blueprint("competency_api", __name__)

DATE = {"type": "string", "format": "date"}
TAGS = ("competency",)


@api.get("/users/<login>/competency")
@api_operation(
    "A person's skills, certificates, learning log and JP progress",
    query=(api_query("year", {"type": "integer"}, "Default: this year"),),
    responses={200: m.PersonCompetency},
    tags=TAGS,
)
def user_competency(login):
    year = request.args.get("year")
    if year is not None and ascii_int(year, minimum=2000, maximum=2099) is None:
        raise Invalid(
            "validation_error",
            _("Some fields are not valid."),
            fields={"year": _("Give a year such as 2026.")},
        )
    year = ascii_int(year, minimum=2000, maximum=2099)
    data = core.person_competency(api_caller(), login, year)
    return jsonify(core.person_json(data))


@api.post("/users/<login>/learning")
@api_operation(
    "Log a competency-development activity (hours become whole minutes and JP)",
    body=m.NewLearning,
    responses={201: m.LearningLogged},
    errors=(403,),
    tags=TAGS,
)
def add_learning(login):
    user = editable_person(api_caller(), login)
    body = api_json_body()
    activity = record_learning(api_caller(), user, body)
    data = core.person_competency(api_caller(), user.login, activity.held_on.year)
    return jsonify(
        {"learning": core.learning_json(activity), "jp": core.person_json(data)["jp"]}
    ), 201


@api.get("/units/<code>/competency-gaps")
@api_operation(
    "Competency gaps of a unit over a period, with ranked recommendations",
    query=(
        api_query("from", DATE, "Default: 89 days before `to`"),
        api_query("to", DATE, "Default: today"),
    ),
    responses={200: m.CompetencyGaps},
    errors=(403,),
    tags=TAGS,
)
def unit_gaps(code):
    start, end, errors = period_from_args(request.args)
    if errors:
        raise Invalid("validation_error", _("Some fields are not valid."), fields=errors)
    return jsonify(core.report_json(core.unit_gaps(api_caller(), code, start, end)))
