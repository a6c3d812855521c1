"""The administrative log page: who changed units, people, teams, acting heads, imports and the
first start, newest first, with filters (app/services/admin_log.py, admin_log_view.py)."""

from flask import render_template, request
from flask_login import login_required

from app.admin import bp
from app.admin.views import require_admin
from app.services import admin_log, admin_log_view
from app.services import validation as v

PAGE_SIZE = 50
# The log's dates and times are shown, and filtered, in WIB.
LOG_ZONE = "Asia/Jakarta"


def read_filters(args) -> tuple[dict, dict]:
    """The log's filters from a query string: (arguments for `admin_log.entries`, errors by
    field). A bad value is reported, never a 500; unknown kinds or people are ignored."""
    errors: dict[str, str] = {}
    chosen: dict = {"zone": LOG_ZONE}
    what = args.get("what", "")
    if what in admin_log.TARGET_KINDS:
        chosen["target_kind"] = what
    actor = v.ascii_int(args.get("who", ""), minimum=1, maximum=v.MAX_ID)
    if actor is not None:
        chosen["actor_id"] = actor
    for field, key in (("from", "since"), ("to", "until")):
        try:
            chosen[key] = v.optional_date(args.get(field))
        except v.FieldError as exc:
            errors[field] = str(exc)
    try:
        query = v.text(args.get("q", ""), field_max=100)
    except v.FieldError as exc:
        errors["q"] = str(exc)
        query = ""
    if query:
        chosen["query"] = query
    before_id = v.ascii_int(args.get("before_id", ""), minimum=1, maximum=v.MAX_ID)
    if before_id is not None:
        chosen["before_id"] = before_id
    return chosen, errors


@bp.get("/log")
@login_required
def log():
    require_admin()
    chosen, errors = read_filters(request.args)
    events = [] if errors else admin_log.entries(**chosen, limit=PAGE_SIZE + 1)
    older = events[PAGE_SIZE - 1].id if len(events) > PAGE_SIZE else None
    filters = {key: request.args.get(key, "") for key in ("what", "who", "from", "to", "q")}
    page = render_template(
        "admin/log.html",
        rows=admin_log_view.rows(events[:PAGE_SIZE]),
        actors=admin_log_view.actors(),
        targets=admin_log_view.TARGET_NAMES,
        filters=filters,
        errors=errors,
        older=older,
        paged="before_id" in chosen,
        zone=LOG_ZONE,
    )
    return page, 422 if errors else 200
