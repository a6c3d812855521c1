"""Archiving and restoring a card from its page (issue 25); the rules are in
app/services/archive.py. A refusal re-renders the card page with the message in the archive box."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from app.cards import bp
from app.models import Card, User
from app.services import access, archive
from app.services.errors import Conflict, Forbidden, Invalid
from app.views_common import actor


def archive_context(user: User, card: Card, **extra) -> dict:
    """What templates/cards/_archive.html needs: who may archive or restore, whether a reason
    is asked, and a refusal to show."""
    done = card.column.kind == "done"
    return {
        "can_change": done or access.can_manage_board(user, card.board),
        "needs_reason": not done,
        "archived_by": archive.archiver(card),
        "alert": extra.get("alert"),
        "errors": extra.get("errors") or {},
        "reason": extra.get("reason", ""),
    }


def _refused(user: User, card_id, exc, **extra):
    from app.cards.views import card_page

    return card_page(
        user,
        card_id,
        status=exc.status,
        archive_refusal={"alert": exc.message, "errors": exc.fields, **extra},
    )


@bp.post("/<id:card_id>/archive")
@login_required
def archive_card(card_id):
    user = actor()
    reason = request.form.get("reason", "")
    try:
        card = archive.archive_card(user, card_id, reason=reason)
    except (Invalid, Conflict, Forbidden) as exc:
        return _refused(user, card_id, exc, reason=reason)
    flash(_("The card is archived: it has left the board."), "success")
    return redirect(url_for("cards.card", card_id=card.id))


@bp.post("/<id:card_id>/restore")
@login_required
def restore_card(card_id):
    """From the card page, or from the board's archive page (`from=archive`: back there, the
    refusal as a message)."""
    user = actor()
    from_archive = request.form.get("from") == "archive"
    try:
        card = archive.restore_card(user, card_id)
    except (Invalid, Conflict, Forbidden) as exc:
        if not from_archive:
            return _refused(user, card_id, exc)
        flash(exc.message, "error")
        board = access.visible_card(user, card_id).board
        return redirect(url_for("boards.archive", board_id=board.id))
    flash(_("“%(title)s” is restored: it is back on the board.", title=card.title), "success")
    if from_archive:
        return redirect(url_for("boards.archive", board_id=card.board_id))
    return redirect(url_for("cards.card", card_id=card.id))
