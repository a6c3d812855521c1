"""Pages of work teams (*tim kerja*) and of acting heads (Plt/Plh). The rules live in
app/services/teams.py and app/services/acting.py; these views only read forms and render."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.services import access, acting, teams
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.teams import bp
from app.views_common import actor, form_int

TEAM_CODE = "string(maxlength=40)"
LOGIN = "string(maxlength=60)"


# -- teams ------------------------------------------------------------------------------------


def _index_page(errors=None, values=None, status=200):
    user = actor()
    items = teams.visible_teams(user)
    units = teams.manageable_team_units(user)
    page = render_template(
        "teams/index.html",
        teams=items,
        counts=teams.member_counts(team.id for team in items),
        units=units,
        people=teams.people_to_pick() if units else [],
        errors=errors or {},
        values=values or {},
    )
    return page, status


@bp.get("/teams")
@login_required
def index():
    return _index_page()


@bp.post("/teams")
@login_required
def create():
    form = request.form
    values = {name: form.get(name, "") for name in ("code", "name", "unit", "leader")}
    try:
        team = teams.create_team(
            actor(), values["code"], values["name"], values["unit"], values["leader"]
        )
    except (Invalid, Conflict) as exc:
        errors = exc.fields or {"code": exc.message}
        flash(exc.message, "error")
        return _index_page(errors, values, exc.status)
    flash(_("Team %(name)s created.", name=team.name), "success")
    return redirect(url_for("teams.team", code=team.code))


def _team_page(code, errors=None, values=None, status=200):
    user = actor()
    team = teams.visible_team(user, code)
    members = teams.members_of(team)
    manage = teams.can_manage_team(user, team)
    change = teams.can_change_members(user, team)
    page = render_template(
        "teams/team.html",
        team=team,
        members=members,
        member_units=teams.units_of_people(members),
        boards=teams.boards_of(team),
        can_manage=manage,
        can_change=change,
        people=teams.people_to_pick() if change else [],
        units=teams.manageable_team_units(user) if manage else [],
        errors=errors or {},
        values=values or {},
    )
    return page, status


@bp.get(f"/teams/<{TEAM_CODE}:code>")
@login_required
def team(code):
    return _team_page(code)


@bp.post(f"/teams/<{TEAM_CODE}:code>")
@login_required
def update(code):
    form = request.form
    data = {"name": form.get("name", "")}
    if form.get("unit"):
        data["unit"] = form["unit"]
    data["active"] = form.get("active") == "1"
    try:
        teams.update_team(actor(), code, data)
    except (Invalid, Conflict) as exc:
        flash(exc.message, "error")
        return _team_page(code, exc.fields, dict(form), exc.status)
    flash(_("Team saved."), "success")
    return redirect(url_for("teams.team", code=code))


@bp.post(f"/teams/<{TEAM_CODE}:code>/leader")
@login_required
def leader(code):
    try:
        teams.set_leader(actor(), code, request.form.get("leader", ""))
    except (Invalid, Conflict) as exc:
        flash(exc.message, "error")
        return _team_page(code, exc.fields, dict(request.form), exc.status)
    flash(_("Team leader changed."), "success")
    return redirect(url_for("teams.team", code=code))


@bp.post(f"/teams/<{TEAM_CODE}:code>/members")
@login_required
def add_member(code):
    try:
        teams.add_member(actor(), code, request.form.get("user", ""))
    except (Invalid, Conflict) as exc:
        flash(exc.message, "error")
        return _team_page(code, exc.fields, dict(request.form), exc.status)
    flash(_("Member added."), "success")
    return redirect(url_for("teams.team", code=code))


def _remove_page(code, login, errors=None, status=200):
    from app.services.cards import find_user

    user = actor()
    team = teams.visible_team(user, code)
    if not teams.can_change_members(user, team):
        raise Forbidden(
            "forbidden", _("Only the team's leader, a head above it or an admin may do this.")
        )
    person = find_user(login)
    if person is None or person.id not in {m.id for m in teams.members_of(team)}:
        raise NotFound("not_found", _("Page not found."))
    cards = teams.open_cards_of(team, person)
    viewers: dict[int, list] = {}
    choices = {}
    for card in cards:
        if card.board_id not in viewers:
            viewers[card.board_id] = [
                viewer for viewer in access.board_viewers(card.board) if viewer.id != person.id
            ]
        choices[card.id] = viewers[card.board_id]
    page = render_template(
        "teams/remove.html",
        team=team,
        person=person,
        cards=cards,
        choices=choices,
        errors=errors or {},
    )
    return page, status


@bp.get(f"/teams/<{TEAM_CODE}:code>/members/<{LOGIN}:login>/remove")
@login_required
def remove_form(code, login):
    return _remove_page(code, login)


@bp.post(f"/teams/<{TEAM_CODE}:code>/members/<{LOGIN}:login>/remove")
@login_required
def remove_member(code, login):
    handover = {
        key.removeprefix("card-"): value
        for key, value in request.form.items()
        if key.startswith("card-") and value
    }
    try:
        handed = teams.remove_member(actor(), code, login, handover)
    except (Invalid, Conflict) as exc:
        flash(exc.message, "error")
        return _remove_page(code, login, exc.fields, exc.status)
    flash(
        _("Removed from the team; %(n)d open cards handed over.", n=len(handed)),
        "success",
    )
    return redirect(url_for("teams.team", code=code))


# -- acting heads -------------------------------------------------------------------------------


def _acting_page(errors=None, values=None, status=200):
    user = actor()
    units = acting.appointable_units(user)
    items = acting.appointments(user)
    if not units and not items and not access.managed_unit_ids(user):
        raise Forbidden("forbidden", _("Only heads and admins may open this page."))
    page = render_template(
        "teams/acting.html",
        units=units,
        items=items,
        statuses={item.id: acting.status(item) for item in items},
        may_end={item.id: acting.can_appoint(user, item.unit) for item in items},
        people=teams.people_to_pick() if units else [],
        errors=errors or {},
        values=values or {},
    )
    return page, status


@bp.get("/acting")
@login_required
def acting_index():
    return _acting_page()


@bp.post("/acting")
@login_required
def appoint():
    form = request.form
    names = ("unit", "user", "kind", "starts_on", "ends_on", "decree")
    values = {name: form.get(name, "") for name in names}
    try:
        item = acting.appoint(
            actor(),
            values["unit"],
            values["user"],
            values["kind"],
            values["starts_on"],
            values["ends_on"],
            values["decree"],
        )
    except (Invalid, Conflict) as exc:
        flash(exc.message, "error")
        return _acting_page(exc.fields, values, exc.status)
    flash(
        _(
            "%(name)s is %(kind)s of %(unit)s from %(start)s to %(end)s.",
            name=item.user.name,
            kind=item.kind.capitalize(),
            unit=item.unit.name,
            start=item.starts_on.isoformat(),
            end=item.ends_on.isoformat(),
        ),
        "success",
    )
    return redirect(url_for("teams.acting_index"))


@bp.post("/acting/<id:item_id>/end")
@login_required
def end_acting(item_id):
    try:
        acting.end(actor(), form_int(str(item_id)), request.form.get("note", ""))
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for("teams.acting_index"))
    flash(_("The appointment has ended."), "success")
    return redirect(url_for("teams.acting_index"))
