"""SKP pages (issue 27): "SKP saya" (a person's RHK for a year, with indicators, the leader's RHK
each supports and the cards linked to it), the cascade tree of a unit for its heads, adding and
changing an RHK, the RHK import, and the RHK pickers of the card and sprint pages. Who sees
what is app/services/performance_access.py's; every write is app/services/rhk.py's."""

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.models import INDICATOR_ASPECTS, Membership, Unit, User
from app.services import access, cards, performance_access, rhk_import
from app.services import rhk as rhk_service
from app.services.errors import Conflict, Forbidden, Invalid, NotFound
from app.skp import bp

KIND_NAMES = {"utama": _l("Main RHK (utama)"), "tambahan": _l("Additional RHK (tambahan)")}
ASPECT_NAMES = {
    "kuantitas": _l("Quantity"),
    "kualitas": _l("Quality"),
    "waktu": _l("Time"),
    "biaya": _l("Cost"),
}
BLANK_INDICATOR_ROWS = 2


def actor() -> User:
    return current_user._get_current_object()


def _year() -> int:
    value = request.args.get("year", "")
    if value.isascii() and value.isdigit() and 2000 <= int(value) <= 2100:
        return int(value)
    return date.today().year


def _years(year: int) -> list[int]:
    this = date.today().year
    return sorted({this - 2, this - 1, this, this + 1, year})


def form_data(form) -> dict:
    """An RHK form as the service takes it; blank indicator rows are left out."""
    indicators = []
    for index in range(rhk_service.MAX_INDICATORS):
        text = form.get(f"indicator-{index}-text", "").strip()
        target = form.get(f"indicator-{index}-target", "").strip()
        if not text and not target:
            continue
        indicators.append(
            {
                "aspect": form.get(f"indicator-{index}-aspect", "kuantitas"),
                "text": text,
                "target": target,
            }
        )
    data = {
        "kind": form.get("kind", "utama"),
        "text": form.get("text", ""),
        "parent_id": form.get("parent_id", ""),
        "indicators": indicators,
    }
    if "year" in form:
        data["year"] = form.get("year")
    return data


def _indicator_rows(indicators: list) -> list[dict]:
    rows = [
        {"aspect": item["aspect"], "text": item["text"], "target": item["target"]}
        if isinstance(item, dict)
        else {"aspect": item.aspect, "text": item.text, "target": item.target}
        for item in indicators
    ]
    free = min(BLANK_INDICATOR_ROWS, rhk_service.MAX_INDICATORS - len(rows))
    return rows + [{"aspect": "kuantitas", "text": "", "target": ""}] * max(free, 0)


def _common() -> dict:
    return {
        "kind_names": KIND_NAMES,
        "aspect_names": ASPECT_NAMES,
        "aspects": INDICATOR_ASPECTS,
    }


# --- SKP saya -----------------------------------------------------------------------------------


@bp.get("/skp")
@login_required
def own():
    return redirect(url_for("skp.person", login=actor().login, **request.args))


def person_page(person: User, year: int, *, errors=None, values=None, status=200):
    viewer = actor()
    rows = rhk_service.rhks_of(person, year, include_archived=True)
    active = [row for row in rows if row.archived_at is None]
    withdrawn = [row for row in rows if row.archived_at is not None]
    linked = {row.id: _visible_cards(viewer, row) for row in rows}
    led_units = _led_units(viewer)
    page = render_template(
        "skp/person.html",
        person=person,
        year=year,
        years=_years(year),
        rhks=active,
        withdrawn=withdrawn,
        linked=linked,
        leader_rhks=rhk_service.leader_rhks(person, year),
        may_write=rhk_service.can_write(viewer, person),
        is_self=viewer.id == person.id,
        led_units=led_units,
        errors=errors or {},
        values=values or {"kind": "utama", "indicators": []},
        indicator_rows=_indicator_rows((values or {}).get("indicators", [])),
        **_common(),
    )
    return page, status


def _visible_cards(viewer: User, row) -> list:
    """The cards linked to an RHK that the viewer may open (a card on a board they cannot see
    stays unnamed)."""
    return [card for card in rhk_service.linked_cards(row) if access.can_view_card(viewer, card)]


def _led_units(viewer: User) -> list[Unit]:
    """The units whose cascade tree the viewer may open: those they head directly."""
    direct = {unit_id for unit_id, role in access._roles(viewer) if role == "head"}
    if not direct:
        return []
    return list(db.session.scalars(select(Unit).where(Unit.id.in_(direct)).order_by(Unit.name)))


@bp.route("/people/<login>/skp", methods=["GET", "POST"])
@login_required
def person(login):
    viewer = actor()
    owner = rhk_service.person(viewer, login)
    year = _year()
    if request.method == "GET":
        return person_page(owner, year)
    data = form_data(request.form)
    try:
        row = rhk_service.create_rhk(viewer, owner, data)
    except Invalid as exc:
        return person_page(
            owner, _form_year(data, year), errors=exc.fields, values=data, status=exc.status
        )
    flash(_("RHK added."), "success")
    return redirect(url_for("skp.person", login=owner.login, year=row.year) + f"#rhk-{row.id}")


def _form_year(data: dict, default: int) -> int:
    try:
        return int(data.get("year") or default)
    except ValueError:
        return default


@bp.route("/rhk/<id:rhk_id>/edit", methods=["GET", "POST"])
@login_required
def edit(rhk_id):
    viewer = actor()
    row = rhk_service.rhk(viewer, rhk_id)
    if not rhk_service.can_write(viewer, row.user):
        raise NotFound("not_found", _("RHK not found."))
    errors, values, status = {}, None, 200
    if request.method == "POST":
        data = form_data(request.form)
        data.pop("year", None)
        try:
            rhk_service.update_rhk(viewer, rhk_id, data)
        except Invalid as exc:
            errors, values, status = exc.fields, data, exc.status
        else:
            flash(_("RHK saved."), "success")
            return redirect(
                url_for("skp.person", login=row.user.login, year=row.year) + f"#rhk-{row.id}"
            )
    if values is None:
        values = {
            "kind": row.kind,
            "text": row.text,
            "parent_id": row.parent_id or "",
            "indicators": row.indicators,
        }
    page = render_template(
        "skp/edit.html",
        rhk=row,
        person=row.user,
        leader_rhks=rhk_service.leader_rhks(row.user, row.year),
        errors=errors,
        values=values,
        indicator_rows=_indicator_rows(values["indicators"]),
        **_common(),
    )
    return page, status


@bp.post("/rhk/<id:rhk_id>/withdraw")
@login_required
def withdraw(rhk_id):
    row = rhk_service.withdraw_rhk(actor(), rhk_id)
    flash(_("RHK withdrawn. Cards linked to it keep the link."), "success")
    return redirect(url_for("skp.person", login=row.user.login, year=row.year))


@bp.post("/rhk/<id:rhk_id>/restore")
@login_required
def restore(rhk_id):
    row = rhk_service.restore_rhk(actor(), rhk_id)
    flash(_("RHK restored."), "success")
    return redirect(url_for("skp.person", login=row.user.login, year=row.year) + f"#rhk-{row.id}")


# --- a unit's cascade tree ----------------------------------------------------------------------


@bp.get("/units/<id:unit_id>/skp")
@login_required
def unit_tree(unit_id):
    viewer = actor()
    unit = db.session.get(Unit, unit_id)
    if unit is None or unit.id not in performance_access.units_led_by(viewer):
        raise NotFound("not_found", _("Unit not found."))
    year = _year()
    units = access.subtree(unit.id)
    people = list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.unit_id.in_(units), User.active.is_(True))
            .distinct()
            .order_by(User.name)
        )
    )
    heads = rhk_service.heads_of({unit.id})
    by_person: dict[int, list] = {}
    rows = rhk_service.rhks_of_people([p.id for p in people] + list(heads), year)
    for row in rows:
        by_person.setdefault(row.user_id, []).append(row)
    ids = {row.id for row in rows}
    children: dict[int, list] = {}
    for row in rows:
        if row.parent_id in ids:
            children.setdefault(row.parent_id, []).append(row)
    # An RHK that supports another of the tree shows under it; the heads' other RHK are the
    # roots, anyone else's (an acting head's own too) is listed apart as unlinked.
    top = [row for row in rows if row.parent_id not in ids]
    roots = [row for row in top if row.user_id in heads and _own_head(row.user_id, unit.id)]
    unlinked = [row for row in top if row not in roots]
    names = {p.id: p for p in people}
    for head_id in heads:
        if head_id not in names:
            names[head_id] = db.session.get(User, head_id)
    without = [p for p in people if p.id not in by_person and p.id != viewer.id]
    return render_template(
        "skp/unit.html",
        unit=unit,
        year=year,
        years=_years(year),
        roots=roots,
        children=children,
        unlinked=unlinked,
        without=without,
        names=names,
        counts=rhk_service.card_counts(ids),
        **_common(),
    )


def _own_head(user_id: int, unit_id: int) -> bool:
    """A head of the unit by their post (a membership), not an acting Plt/Plh who is staff."""
    return (
        db.session.scalar(
            select(Membership.id).where(
                Membership.user_id == user_id,
                Membership.unit_id == unit_id,
                Membership.role == "head",
            )
        )
        is not None
    )


# --- import -------------------------------------------------------------------------------------


@bp.route("/skp/import", methods=["GET", "POST"])
@login_required
def import_page():
    viewer = actor()
    report, errors, status, content = None, {}, 200, ""
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            data = upload.read(rhk_import.MAX_BYTES + 1)
            filename = upload.filename
        else:
            content = request.form.get("content", "")
            data = content.encode("utf-8")
            filename = request.form.get("filename", "")
        try:
            if request.form.get("confirm") == "1":
                report = rhk_import.apply(
                    viewer, data, filename, signature=request.form.get("signature")
                )
                flash(
                    _(
                        "RHK imported: %(create)d added, %(update)d changed, "
                        "%(unchanged)d unchanged.",
                        **report.totals,
                    ),
                    "success",
                )
                return redirect(url_for("skp.own"))
            report = rhk_import.plan(viewer, data, filename)
            content = data.decode("utf-8", errors="replace") if report is not None else ""
            if data.startswith(b"PK"):
                # An XLSX cannot ride along in a form field: its rows go back as CSV.
                content = _as_csv(data)
        except (Invalid, Conflict, Forbidden) as exc:
            errors, status = exc.fields or {"file": exc.message}, exc.status
            report = None
    return render_template(
        "skp/import.html",
        report=report,
        errors=errors,
        content=content,
        headings=rhk_import.HEADINGS,
        **_common(),
    ), status


def _as_csv(data: bytes) -> str:
    import csv
    import io

    rows, _ignored = rhk_import.read(data)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    fields = list(rhk_import.RHK_COLUMNS)
    writer.writerow([rhk_import.HEADINGS[i] for i in range(len(fields))])
    for _line, cells in rows:
        writer.writerow([cells.get(name, "") for name in fields])
    return out.getvalue()


# --- the card page's picker and the sprint goal ---------------------------------------------------


@bp.app_template_global()
def card_rhk_picker(card) -> dict:
    """What the card page's RHK panel shows: the current link, and the assignee's active RHK
    for the card's year when the viewer may link (the assignee and the heads above them)."""
    viewer = actor()
    year = rhk_service.card_year(card.due_date)
    may_link = card.assignee is not None and performance_access.can_see_performance(
        viewer, card.assignee
    )
    return {
        "current": card.rhk,
        "year": year,
        "may_link": may_link,
        "choices": rhk_service.linkable(card.assignee, year) if may_link else [],
    }


@bp.post("/cards/<id:card_id>/rhk")
@login_required
def link_card(card_id):
    form = request.form
    try:
        cards.update_card(
            actor(), card_id, {"rhk_id": form.get("rhk_id", "")}, version=form.get("version")
        )
    except (Invalid, Conflict) as exc:
        flash(exc.fields.get("rhk_id") or exc.message, "error")
    else:
        flash(_("The card's RHK link is saved."), "success")
    return redirect(url_for("cards.card", card_id=card_id) + "#card-rhk")


@bp.app_template_global()
def sprint_goal_rhks(board, start=None) -> list:
    """The RHK a sprint goal of this board may serve (the sprint form's picker)."""
    year = start.year if isinstance(start, date) else date.today().year
    return rhk_service.goal_rhks(board, year)


@bp.post("/sprints/<id:sprint_id>/goal-rhk")
@login_required
def sprint_goal(sprint_id):
    try:
        rhk_service.set_sprint_goal_rhk(actor(), sprint_id, request.form.get("goal_rhk_id", ""))
    except Invalid as exc:
        flash(exc.fields.get("goal_rhk_id") or exc.message, "error")
    else:
        flash(_("The sprint goal's RHK is saved."), "success")
    return redirect(url_for("sprints.sprint", sprint_id=sprint_id))
