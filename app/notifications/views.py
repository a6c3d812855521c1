"""The notification list and its mark-as-read forms (plain POST forms: they work without JS),
and the unread count the header's bell shows on every page."""

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.home.templating import safe_next
from app.models import Card, Notification, User
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


def grouped(items: list[Notification], timezone: str) -> list[dict]:
    """The list (newest first) by day in the reader's time zone, then by card: a card's
    notifications of one day together, where the newest of them is; those about no card each on
    their own. The cards' titles in one query."""
    zone = ZoneInfo(timezone)
    days: list[dict] = []
    for item in items:
        day = item.created_at.replace(tzinfo=UTC).astimezone(zone).date()
        if not days or days[-1]["day"] != day:
            days.append({"day": day, "groups": [], "by_card": {}})
        current = days[-1]
        group = current["by_card"].get(item.card_id) if item.card_id is not None else None
        if group is None:
            group = {"card_id": item.card_id, "card_title": None, "items": []}
            current["groups"].append(group)
            if item.card_id is not None:
                current["by_card"][item.card_id] = group
        group["items"].append(item)
    card_ids = {item.card_id for item in items if item.card_id is not None}
    titles = {}
    if card_ids:
        titles = dict(
            db.session.execute(select(Card.id, Card.title).where(Card.id.in_(card_ids))).all()
        )
    for day in days:
        for group in day["groups"]:
            group["card_title"] = titles.get(group["card_id"])
    return days


@bp.get("")
@login_required
def index():
    user = reader()
    unread_only = request.args.get("unread") == "1"
    items = notifications.list_notifications(user, unread_only=unread_only, limit=PAGE_SIZE)
    timezone = notifications.reader_timezone(user)
    today = datetime.now(ZoneInfo(timezone)).date()
    return render_template(
        "notifications/index.html",
        items=items,
        days=grouped(items, timezone),
        today=today,
        yesterday=today - timedelta(days=1),
        unread_only=unread_only,
        unread=notifications.unread_count(user),
        timezone=timezone,
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
