"""Profiles: a person's skills with their levels and who verified them, and their language
certificates. The person edits their own; heads edit and verify their members'; admins all."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.models import LANGUAGE_TESTS, SKILL_LEVELS, User
from app.people import bp
from app.services import access, people, performance_access, skills
from app.services.card_types import humanise
from app.services.errors import Invalid
from app.web import local_today


def actor() -> User:
    return current_user._get_current_object()


def event_text(event, skill_names: dict[str, str]) -> str:
    """One line of the profile's history; a skill by its name, never its slug."""
    data = event.data or {}
    slug = data.get("skill", "")
    skill = skill_names.get(slug) or humanise(slug)  # a skill left the catalogue: still words
    if event.kind == "skill_set":
        if data.get("new"):
            return _("%(skill)s set to level %(level)s", skill=skill, level=data["new"])
        return _("%(skill)s recorded without a level", skill=skill)
    if event.kind == "skill_removed":
        return _("%(skill)s removed", skill=skill)
    if event.kind == "skill_verified":
        return _("%(skill)s verified", skill=skill)
    if event.kind == "certificate_added":
        return _("%(test)s certificate added", test=data.get("test", ""))
    if event.kind == "certificate_removed":
        return _("%(test)s certificate removed", test=data.get("test", ""))
    if event.kind == "learning_recorded":
        return _("Learning activity logged (%(minutes)s minutes)", minutes=data.get("minutes"))
    if event.kind == "learning_removed":
        return _("Learning activity removed")
    return _("Profile changed")


def phone_text(phone: str) -> str:
    """+6285743210962 as people read it: +62 857-4321-0962 (other countries as stored)."""
    if not phone.startswith("+62") or len(phone) < 10:
        return phone
    digits = phone[3:]
    return f"+62 {digits[:3]}-{digits[3:7]}-{digits[7:]}"


def profile_page(user: User, *, errors=None, values=None, alert=None, status=200):
    viewer = actor()
    today = local_today()
    # Colleagues see skills and certificates only where the unit allows it (issue 27).
    show_competency = skills.may_see_competency(viewer, user)
    held = {row.skill.slug: row for row in skills.user_skills(user)} if show_competency else {}
    catalog = skills.skill_catalog()
    skill_names = {skill.slug: skill.name for skill in catalog}
    certificates = skills.certificates_of_users([user.id])[user.id] if show_competency else []
    page = render_template(
        "people/profile.html",
        person=user,
        show_competency=show_competency,
        may_see_performance=performance_access.can_see_performance(viewer, user),
        catalog=catalog,
        held=held,
        levels=SKILL_LEVELS,
        level_names=skills.LEVEL_NAMES,
        kind_names=skills.KIND_NAMES,
        certificates=[(c, skills.certificate_state(c, today)) for c in certificates],
        tests=list(LANGUAGE_TESTS),
        may_edit=access.can_edit_person(viewer, user),
        may_manage=people.may_manage(viewer, user),
        is_self=viewer.id == user.id,
        membership=people.membership_of(user),
        reason_text=people.reason_text,
        may_verify=access.can_verify_skills(viewer, user),
        events=skills.skill_events(user, limit=20) if access.can_edit_person(viewer, user) else [],
        errors=errors or {},
        values=values or {},
        alert=alert,
        event_text=lambda event: event_text(event, skill_names),
        phone_text=phone_text,
    )
    return page, status


@bp.get("/profile")
@login_required
def own_profile():
    return redirect(url_for("people.profile", login=actor().login))


@bp.get("/people/<login>")
@login_required
def profile(login):
    return profile_page(people.visible_person(actor(), login))


@bp.post("/people/<login>/skills")
@login_required
def save_skills(login):
    user = skills.editable_person(actor(), login)
    levels = {}
    values = {}
    for skill in skills.skill_catalog():
        raw = request.form.get(f"skill-{skill.slug}", "")
        values[skill.slug] = raw
        if raw.strip() == "held":  # held without a level: keep it so
            levels[skill.slug] = None
        elif raw.strip():
            levels[skill.slug] = raw.strip()
    try:
        skills.set_user_skills(actor(), user, levels)
    except Invalid as exc:
        return profile_page(
            user,
            errors={"skills": exc.fields},
            values={"skills": values},
            alert=exc.message,
            status=exc.status,
        )
    flash(_("Skills saved."), "success")
    return redirect(url_for("people.profile", login=user.login))


@bp.post("/people/<login>/skills/<slug>/verify")
@login_required
def verify_skill(login, slug):
    user = skills.visible_person(actor(), login)
    row = skills.verify_user_skill(actor(), user, slug)
    flash(_("%(skill)s verified.", skill=row.skill.name), "success")
    return redirect(url_for("people.profile", login=user.login))


@bp.post("/people/<login>/certificates")
@login_required
def add_certificate(login):
    user = skills.editable_person(actor(), login)
    values = {
        name: request.form.get(name, "")
        for name in ("test", "score", "taken_on", "expires_on", "evidence_url")
    }
    try:
        skills.add_certificate(actor(), user, values)
    except Invalid as exc:
        return profile_page(
            user,
            errors={"certificate": exc.fields},
            values={"certificate": values},
            alert=exc.message,
            status=exc.status,
        )
    flash(_("Certificate added."), "success")
    return redirect(url_for("people.profile", login=user.login))


@bp.post("/people/<login>/certificates/<id:certificate_id>/delete")
@login_required
def delete_certificate(login, certificate_id):
    user = skills.editable_person(actor(), login)
    skills.delete_certificate(actor(), user, certificate_id)
    flash(_("Certificate removed."), "success")
    return redirect(url_for("people.profile", login=user.login))
