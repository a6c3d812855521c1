"""Sprint pages: the list with the create form, planning (commit cards), start, close, review.
Heads of the board's unit (and admins) change sprints; whoever sees the board reads them."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.models import User
from app.reports.charts import line_chart
from app.services import access, sprint_reports, sprints
from app.services.errors import Conflict, Invalid
from app.sprints import bp


def actor() -> User:
    return current_user._get_current_object()


def goal_labels() -> dict:
    return {"yes": _("Met"), "partly": _("Partly met"), "no": _("Not met")}


def state_labels() -> dict:
    return {"planned": _("Planned"), "active": _("Active"), "closed": _("Closed")}


# --- list and create ----------------------------------------------------------------------------


@bp.route("/boards/<id:board_id>/sprints", methods=["GET", "POST"])
@login_required
def index(board_id):
    user = actor()
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        # goal_rhk_id: the head's RHK the goal serves (issue 27).
        fields = ("name", "goal", "start", "end", "goal_rhk_id")
        values = {name: request.form.get(name, "") for name in fields}
        try:
            sprint = sprints.create_sprint(user, board_id, values)
        except Invalid as exc:
            errors, status = exc.fields, exc.status
        else:
            flash(
                _(
                    "%(sprint)s created. Now commit cards to it.",
                    sprint=sprints.sprint_label(sprint.name),
                ),
                "success",
            )
            return redirect(url_for("sprints.sprint", sprint_id=sprint.id))
    board, items = sprints.board_sprints(user, board_id)
    page = render_template(
        "sprints/index.html",
        board=board,
        sprints=items,
        can_manage=access.can_manage_board(user, board),
        errors=errors,
        values=values,
        states=state_labels(),
        goals=goal_labels(),
    )
    return page, status


# --- one sprint: plan, progress, burndown -------------------------------------------------------


def burndown_chart(sprint, days):
    labels = [item.day.strftime("%d/%m") for item in days]
    return line_chart(
        f"burndown-{sprint.id}",
        _("Burndown of %(name)s", name=sprint.name),
        _(
            "Cards remaining at the end of each day, next to the ideal line. The table below "
            "gives the same numbers."
        ),
        labels,
        [
            (_("Ideal"), "series-ideal", [day.ideal for day in days]),
            (_("Remaining"), "series-actual", [day.remaining for day in days]),
        ],
    )


def sprint_page(sprint_id, *, errors=None, status=200, alert=None):
    user = actor()
    sprint = sprints.visible_sprint(user, sprint_id)
    board = sprint.board
    can_manage = access.can_manage_board(user, board)
    days = sprint_reports.burndown(sprint)
    today = sprint_reports.local_today(board)
    page = render_template(
        "sprints/sprint.html",
        sprint=sprint,
        board=board,
        can_manage=can_manage,
        cards=sprints.sprint_cards(sprint),
        backlog=sprints.backlog_cards(sprint) if can_manage and sprint.state != "closed" else [],
        summary=sprint_reports.review(sprint),
        days=days,
        chart=burndown_chart(sprint, days),
        days_left=sprint_reports.working_days_left(sprint, today),
        starts_early=sprint.state == "planned" and sprints.starts_early(sprint, today),
        errors=errors or {},
        alert=alert,
        states=state_labels(),
    )
    return page, status


@bp.get("/sprints/<id:sprint_id>")
@login_required
def sprint(sprint_id):
    return sprint_page(sprint_id)


def _refused(sprint_id, exc):
    return sprint_page(sprint_id, errors=exc.fields, status=exc.status, alert=exc.message)


@bp.post("/sprints/<id:sprint_id>/cards")
@login_required
def add_cards(sprint_id):
    try:
        added = sprints.add_cards(actor(), sprint_id, request.form.getlist("card_ids"))
    except (Invalid, Conflict) as exc:
        return _refused(sprint_id, exc)
    if added:
        text = ngettext(
            "%(num)d card added to the sprint.", "%(num)d cards added to the sprint.", len(added)
        )
    else:
        text = _("Nothing changed.")
    flash(text, "success")
    return redirect(url_for("sprints.sprint", sprint_id=sprint_id))


@bp.post("/sprints/<id:sprint_id>/cards/<id:card_id>/remove")
@login_required
def remove_card(sprint_id, card_id):
    try:
        card = sprints.remove_card(actor(), sprint_id, card_id)
    except (Invalid, Conflict) as exc:
        return _refused(sprint_id, exc)
    flash(_("“%(title)s” taken out of the sprint.", title=card.title), "success")
    return redirect(url_for("sprints.sprint", sprint_id=sprint_id))


@bp.post("/sprints/<id:sprint_id>/start")
@login_required
def start(sprint_id):
    try:
        sprint = sprints.start_sprint(
            actor(), sprint_id, confirm_early=request.form.get("confirm_early") == "1"
        )
    except (Invalid, Conflict) as exc:
        return _refused(sprint_id, exc)
    flash(
        _(
            "%(sprint)s started. The committed scope is recorded.",
            sprint=sprints.sprint_label(sprint.name),
        ),
        "success",
    )
    return redirect(url_for("boards.board", board_id=sprint.board_id))


# --- close and review ---------------------------------------------------------------------------


def close_page(sprint, *, errors=None, values=None, alert=None, status=200):
    user = actor()
    access.managed_board(user, sprint.board_id)
    unfinished = [c for c in sprints.sprint_cards(sprint) if c.column.kind != "done"]
    page = render_template(
        "sprints/close.html",
        sprint=sprint,
        board=sprint.board,
        unfinished=unfinished,
        summary=sprint_reports.review(sprint),
        next_sprint=sprints.next_planned_sprint(sprint.board_id, exclude=sprint.id),
        early=sprints.closes_early(sprint),
        errors=errors or {},
        values=values or {},
        alert=alert,
        goals=goal_labels(),
    )
    return page, status


@bp.route("/sprints/<id:sprint_id>/close", methods=["GET", "POST"])
@login_required
def close(sprint_id):
    user = actor()
    sprint = sprints.managed_sprint(user, sprint_id)
    if sprint.state != "active":
        flash(_("Only an active sprint can be closed."), "error")
        return redirect(url_for("sprints.sprint", sprint_id=sprint.id))
    if request.method == "GET":
        return close_page(sprint)
    form = request.form
    mode = form.get("carry_mode", "all")
    if mode == "each":
        # Every carry-<card id> choice goes to the service, which refuses a key that is no id
        # ("carry-²" included) instead of closing the sprint without it.
        carry = {
            key.removeprefix("carry-"): value
            for key, value in form.items()
            if key.startswith("carry-")
        }
    else:
        carry = form.get("carry_over", "backlog")
    values = {"goal_met": form.get("goal_met", ""), "note": form.get("note", ""), "mode": mode}
    try:
        sprints.close_sprint(
            user,
            sprint_id,
            form.get("goal_met"),
            form.get("note", ""),
            carry,
            confirm_early=form.get("confirm_early") == "1",
        )
    except (Invalid, Conflict) as exc:
        return close_page(
            sprint, errors=exc.fields, values=values, alert=exc.message, status=exc.status
        )
    flash(_("%(sprint)s closed.", sprint=sprints.sprint_label(sprint.name)), "success")
    return redirect(url_for("sprints.review", sprint_id=sprint_id))


@bp.get("/sprints/<id:sprint_id>/review")
@login_required
def review(sprint_id):
    user = actor()
    sprint = sprints.visible_sprint(user, sprint_id)
    days = sprint_reports.burndown(sprint)
    return render_template(
        "sprints/review.html",
        sprint=sprint,
        board=sprint.board,
        summary=sprint_reports.review(sprint),
        days=days,
        chart=burndown_chart(sprint, days),
        goals=goal_labels(),
        states=state_labels(),
    )


@bp.app_template_global("sprint_label")
def sprint_label(name: str) -> str:
    return sprints.sprint_label(name)


@bp.app_template_global("active_sprint_bar")
def active_sprint_bar(board):
    """For the board header: the active sprint and its progress, or None (two queries)."""
    return sprints.sprint_bar(board)
