"""The notification list and its mark-as-read forms (plain POST forms: they work without JS),
and the unread count the header's bell shows on every page."""

import logging

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.home.templating import safe_next
from app.models import Notification, User
from app.notifications import bp
from app.services import notifications

log = logging.getLogger("cergas.notifications")
PAGE_SIZE = 100


def reader() -> User:
    return current_user._get_current_object()


def unread_notifications() -> int | None:
    """The signed-in person's unread count for the bell: one query, at most once a request.
    None for anonymous visitors, and when the database cannot answer (an error page must
    still render)."""
    if not current_user.is_authenticated:
        return None
    if "_unread_notifications" not in g:
        try:
            g._unread_notifications = notifications.unread_count(reader())
        except SQLAlchemyError:
            log.exception("could not count unread notifications")
            db.session.rollback()
            g._unread_notifications = None
    return g._unread_notifications


@bp.app_context_processor
def bell():
    return {"unread_notifications": unread_notifications}


def link_of(notification: Notification) -> str | None:
    """Where a notification leads: its link when it is a page of this site or an http(s)
    address (never javascript: and the like), else its card."""
    link = notification.link
    if link and (safe_next(link) or link.lower().startswith(("https://", "http://"))):
        return link
    if notification.card_id is not None:
        return url_for("cards.card", card_id=notification.card_id)
    return None


def back(default: str):
    """Back to the page the form was on (a path on this site), else `default`."""
    return redirect(safe_next(request.form.get("next")) or default, code=303)


@bp.get("")
@login_required
def index():
    user = reader()
    unread_only = request.args.get("unread") == "1"
    items = notifications.list_notifications(user, unread_only=unread_only, limit=PAGE_SIZE)
    return render_template(
        "notifications/index.html",
        items=items,
        unread_only=unread_only,
        unread=notifications.unread_count(user),
        timezone=notifications.reader_timezone(user),
        link_of=link_of,
        page_size=PAGE_SIZE,
    )


@bp.post("/<id:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    notification = notifications.mark_read(reader(), notification_id)
    flash(_("Marked as read: %(title)s", title=notification.title), "success")
    return back(url_for("notifications.index"))


@bp.post("/read-all")
@login_required
def mark_all_read():
    marked = notifications.mark_all_read(reader())
    if marked:
        text = ngettext(
            "%(num)d notification marked as read.", "%(num)d notifications marked as read.", marked
        )
    else:
        text = _("There were no unread notifications.")
    flash(text, "success")
    return back(url_for("notifications.index"))
