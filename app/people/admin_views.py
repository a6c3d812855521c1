"""People administration pages: the list, adding and editing a person, a transfer (*mutasi*)
in two steps, and closing or reopening an account. Every change goes through
app/services/people.py, which decides who may do it."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.models import ROLES, User
from app.people import bp
from app.services import people
from app.services.errors import Conflict, Forbidden, Invalid, ServiceError

FORM_FIELDS = ("nip", "username", "name", "position", "email", "phone", "unit", "role", "locale")


def actor() -> User:
    return current_user._get_current_object()


def role_options():
    return [(role, people.ROLE_NAMES[role]) for role in ROLES]


@bp.get("/people")
@login_required
def index():
    try:
        filters = people.clean_filters(request.args)
    except Invalid as exc:
        filters, errors = people.clean_filters({}), exc.fields
    else:
        errors = {}
    try:
        page = people.list_people(actor(), filters)
    except Invalid as exc:
        errors = exc.fields
        page = people.list_people(actor(), {**filters, "unit": None})
    return render_template(
        "people/index.html",
        page=page,
        filters=filters,
        errors=errors,
        units=people.unit_choices(actor(), active_only=False),
        roles=role_options(),
        membership_of=people.membership_of,
        reason_text=people.reason_text,
    ), (422 if errors else 200)


def form_values(form) -> dict:
    values = {name: form.get(name, "") for name in FORM_FIELDS}
    values["admin"] = form.get("admin", "")
    return values


def person_form(template_person, values, errors, *, alert=None, status=200):
    return render_template(
        "people/form.html",
        person=template_person,
        values=values,
        errors=errors,
        alert=alert,
        units=people.unit_choices(actor()),
        roles=role_options(),
        may_grant_admin=actor().is_admin,
        current=people.membership_of(template_person) if template_person else None,
        may_manage=template_person is None or people.may_manage(actor(), template_person),
    ), status


@bp.route("/people/new", methods=["GET", "POST"])
@login_required
def new():
    if not people.may_administer(actor()):
        raise Forbidden("forbidden", _("Only heads and administrators add people."))
    if request.method == "GET":
        units = people.unit_choices(actor())
        first = request.args.get("unit") or (units[0][0].code if len(units) == 1 else "")
        return person_form(None, {"unit": first, "role": "member"}, {})
    values = form_values(request.form)
    data = {**values, "admin": bool(values["admin"])}
    try:
        person = people.create_person(actor(), data, password=request.form.get("password") or None)
    except (Invalid, Conflict, Forbidden) as exc:
        return person_form(None, values, exc.fields, alert=exc.message, status=exc.status)
    flash(_("%(name)s added.", name=person.name), "success")
    return redirect(url_for("people.profile", login=person.login))


@bp.route("/people/<login>/edit", methods=["GET", "POST"])
@login_required
def edit(login):
    person = people.visible_person(actor(), login)
    if person.id != actor().id:
        person = people.managed_person(actor(), login)
    if request.method == "GET":
        state = people.state(person)
        values = {name: state.get(name) or "" for name in FORM_FIELDS}
        values["admin"] = "1" if person.is_admin else ""
        return person_form(person, values, {})
    values = form_values(request.form)
    manage = people.may_manage(actor(), person)
    fields = FORM_FIELDS if manage else people.PROFILE_FIELDS
    data = {name: values[name] for name in fields if name in request.form}
    data.pop("unit", None)  # a new unit is a transfer: its own page
    if manage and actor().is_admin:
        data["admin"] = bool(values["admin"])
    try:
        person = people.update_person(actor(), person.login, data)
    except (Invalid, Conflict, Forbidden) as exc:
        return person_form(person, values, exc.fields, alert=exc.message, status=exc.status)
    flash(_("Changes to %(name)s saved.", name=person.name), "success")
    return redirect(url_for("people.profile", login=person.login))


@bp.route("/people/<login>/transfer", methods=["GET", "POST"])
@login_required
def transfer(login):
    person = people.managed_person(actor(), login)
    source = request.form if request.method == "POST" else request.args
    unit_code, role = source.get("unit", ""), source.get("role", "")
    units = people.unit_choices(actor())
    page = {
        "person": person,
        "current": people.membership_of(person),
        "units": units,
        "roles": role_options(),
        "values": {"unit": unit_code, "role": role},
        "errors": {},
        "alert": None,
        "plan": None,
        "choices": {},
    }
    if not unit_code:
        return render_template("people/transfer.html", **page)
    try:
        page["plan"] = people.plan_transfer(actor(), person.login, unit_code, role=role or None)
    except (Invalid, Forbidden) as exc:
        page.update(errors=exc.fields, alert=exc.message)
        return render_template("people/transfer.html", **page), exc.status
    if request.method == "GET":
        return render_template("people/transfer.html", **page)
    choices = {str(card.id): request.form.get(f"card-{card.id}", "") for card in page["plan"].cards}
    page["choices"] = choices
    try:
        people.transfer(actor(), person.login, unit_code, choices, role=role or None)
    except ServiceError as exc:
        page.update(errors=exc.fields, alert=exc.message)
        return render_template("people/transfer.html", **page), exc.status
    flash(
        _("%(name)s now works in %(unit)s.", name=person.name, unit=page["plan"].unit.name),
        "success",
    )
    return redirect(url_for("people.profile", login=person.login))


@bp.route("/people/<login>/deactivate", methods=["GET", "POST"])
@login_required
def deactivate(login):
    person = people.visible_person(actor(), login)
    if person.id == actor().id:
        raise Forbidden("forbidden", _("You cannot deactivate your own account."))
    person = people.managed_person(actor(), login)
    values = {"reason": request.form.get("reason", ""), "note": request.form.get("note", "")}
    page = {
        "person": person,
        "reasons": list(people.DEACTIVATION_REASONS.items()),
        "values": values,
        "errors": {},
        "alert": None,
        "open_cards": people.open_card_count(person),
    }
    if request.method == "GET":
        if not person.active:
            return redirect(url_for("people.profile", login=person.login))
        return render_template("people/deactivate.html", **page)
    try:
        people.deactivate(actor(), person.login, values["reason"], values["note"])
    except (Invalid, Conflict, Forbidden) as exc:
        page.update(errors=exc.fields, alert=exc.message)
        return render_template("people/deactivate.html", **page), exc.status
    flash(
        _(
            "%(name)s is deactivated: signed out everywhere, API tokens revoked.",
            name=person.name,
        ),
        "success",
    )
    return redirect(url_for("people.profile", login=person.login))


@bp.post("/people/<login>/reactivate")
@login_required
def reactivate(login):
    try:
        person = people.reactivate(actor(), login)
    except Conflict as exc:
        flash(exc.message, "error")
        person = people.visible_person(actor(), login)
        return redirect(url_for("people.profile", login=person.login))
    flash(_("%(name)s is active again.", name=person.name), "success")
    return redirect(url_for("people.profile", login=person.login))


# Two-factor sign-in: an administrator resets someone's enrolment ---------------------------


@bp.route("/people/<login>/two-factor/reset", methods=["GET", "POST"])
@login_required
def reset_two_factor(login):
    from app.services import two_factor

    if not actor().is_admin:
        raise Forbidden(
            "forbidden", _("Only an administrator can reset someone's two-factor sign-in.")
        )
    person = people.visible_person(actor(), login)
    page = {"person": person, "reason": request.form.get("reason", ""), "errors": {}}
    if request.method == "GET":
        if person.totp_secret is None:
            return redirect(url_for("people.profile", login=person.login))
        return render_template("people/two_factor_reset.html", **page)
    try:
        two_factor.reset(actor(), person.login, page["reason"])
    except Invalid as exc:
        page["errors"] = exc.fields
        return render_template("people/two_factor_reset.html", **page), exc.status
    except Conflict as exc:
        flash(exc.message, "info")
        return redirect(url_for("people.profile", login=person.login))
    flash(
        _(
            "Two-factor sign-in of %(name)s was reset. They sign in with their password and, "
            "where the office requires it, set it up again.",
            name=person.name,
        ),
        "success",
    )
    return redirect(url_for("people.profile", login=person.login))
