"""The checklist section of the card page: add, edit, tick, reorder and delete items.

Every form works without JavaScript (POST, then back to the card page; a refusal re-renders the
page with the message next to the field). With htmx the section alone comes back and replaces
itself, together with the card form's `version` (every checklist change bumps the card's
version, and the edit form must not then be refused as stale).
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.cards import bp
from app.cards.views import card_page
from app.extensions import htmx
from app.services import access, checklists
from app.services.errors import Conflict, Forbidden, Invalid
from app.views_common import actor
from app.web import local_today

REFUSALS = (Invalid, Conflict, Forbidden)


def checklist_context(card, items, **extra) -> dict:
    """What templates/cards/_checklist.html needs (the card page passes the same)."""
    return {
        "checklist_items": items,
        "checklist_people": extra.get("people") or access.board_viewers(card.board),
        "checklist_today": local_today(card.board.unit.timezone),
        "checklist_errors": extra.get("errors") or {},
        "checklist_values": extra.get("values") or {},
        "checklist_alert": extra.get("alert"),
        "checklist_notice": extra.get("notice"),
        # The card form's version, swapped out of band (only in the section alone).
        "checklist_oob": extra.get("oob", False),
    }


def answer(card_id, *, notice=None, status=200, **refusal):
    """The section alone for htmx, else back to the card page (a refusal re-renders it)."""
    user = actor()
    if htmx:
        card, items = checklists.checklist(user, card_id)
        context = checklist_context(card, items, notice=notice, oob=True, **refusal)
        return render_template("cards/_checklist.html", card=card, **context), status
    if status >= 400:
        return card_page(user, card_id, status=status, checklist_refusal=refusal)
    if notice:
        flash(notice, "success")
    return redirect(url_for("cards.card", card_id=card_id, _anchor="checklist"))


def refused(card_id, exc, key, values=None):
    errors = {key: exc.fields} if exc.fields else {}
    return answer(
        card_id, status=exc.status, errors=errors, values={key: values or {}}, alert=exc.message
    )


def item_values() -> dict:
    return {name: request.form.get(name, "") for name in ("text", "assignee", "due_date")}


@bp.post("/<id:card_id>/checklist")
@login_required
def add_checklist_item(card_id):
    values = item_values()
    try:
        checklists.add_item(actor(), card_id, values)
    except REFUSALS as exc:
        return refused(card_id, exc, "new", values)
    return answer(card_id, notice=_("Checklist item added."))


@bp.post("/<id:card_id>/checklist/<id:item_id>")
@login_required
def edit_checklist_item(card_id, item_id):
    values = item_values()
    try:
        checklists.update_item(actor(), item_id, values, card_id=card_id)
    except REFUSALS as exc:
        return refused(card_id, exc, item_id, values)
    return answer(card_id, notice=_("Checklist item saved."))


@bp.post("/<id:card_id>/checklist/<id:item_id>/tick")
@login_required
def tick_checklist_item(card_id, item_id):
    try:
        checklists.update_item(
            actor(), item_id, {"done": request.form.get("done", "")}, card_id=card_id
        )
    except REFUSALS as exc:
        return refused(card_id, exc, item_id)
    return answer(card_id)


@bp.post("/<id:card_id>/checklist/<id:item_id>/move")
@login_required
def move_checklist_item(card_id, item_id):
    try:
        checklists.update_item(
            actor(), item_id, {"position": request.form.get("position", "")}, card_id=card_id
        )
    except REFUSALS as exc:
        return refused(card_id, exc, item_id)
    return answer(card_id)


@bp.post("/<id:card_id>/checklist/<id:item_id>/delete")
@login_required
def delete_checklist_item(card_id, item_id):
    try:
        checklists.delete_item(actor(), item_id, card_id=card_id)
    except REFUSALS as exc:
        return refused(card_id, exc, item_id)
    return answer(card_id, notice=_("Checklist item deleted."))
