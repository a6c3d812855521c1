"""The search page (`/search`): the header's search box sends here. app/services/search.py
decides what matches and what the person may see; this view reads the form and renders."""

from flask import render_template, request, url_for
from flask_login import login_required

from app.search import bp
from app.services import search
from app.services.errors import Invalid
from app.views_common import actor


@bp.get("/search")
@login_required
def results():
    user = actor()
    q = request.args.get("q", "")
    values = request.args
    errors, page, status = {}, None, 200
    try:
        page = search.search(user, q, **search.filters_from_query(request.args))
    except Invalid as exc:
        errors, status = exc.fields or {"q": exc.message}, exc.status
    return (
        render_template(
            "search/results.html",
            q=q,
            page=page,
            values=values,
            errors=errors,
            boards=search.visible_boards(user),
            units=search.visible_units(user),
            snippet_label=search.snippet_label,
            page_url=_page_url,
        ),
        status,
    )


def _page_url(number: int) -> str:
    args = request.args.to_dict(flat=False)
    args["page"] = [str(number)]
    return url_for("search.results", **args)
