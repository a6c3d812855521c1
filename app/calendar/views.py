"""The calendar pages and the iCal feed. Reading is app/services/deadline_calendar.py, the
feed's address and text app/services/ical_feeds.py."""

from urllib.parse import urlsplit

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import login_required

from app.calendar import bp
from app.services import deadline_calendar, ical_feeds, mail
from app.views_common import actor

NO_STORE = {"Cache-Control": "no-store"}


def period_title(page) -> str:
    if page.mode == "week":
        return _(
            "%(start)s to %(end)s",
            start=format_date(page.start, "d MMM"),
            end=format_date(page.end, "d MMM yyyy"),
        )
    return format_date(page.anchor, "MMMM yyyy")


def calendar_page(page, endpoint: str, **args):
    def link(mode=None, anchor=None):
        return url_for(
            endpoint,
            view=mode or page.mode,
            date=(anchor or page.anchor).isoformat(),
            **args,
        )

    weekdays = [format_date(day.day, "EEE") for day in page.weeks[0]]
    return render_template(
        "calendar/calendar.html",
        page=page,
        title=period_title(page),
        link=link,
        weekdays=weekdays,
    )


@bp.get("/calendar")
@login_required
def mine():
    page = deadline_calendar.my_calendar(
        actor(), request.args.get("view"), request.args.get("date")
    )
    return calendar_page(page, "calendar.mine")


@bp.get("/boards/<id:board_id>/calendar")
@login_required
def board(board_id):
    page = deadline_calendar.board_calendar(
        actor(), board_id, request.args.get("view"), request.args.get("date")
    )
    return calendar_page(page, "calendar.board", board_id=board_id)


# --- the feed ---------------------------------------------------------------------------------


def site_url() -> str:
    """This site's address for links handed out (BASE_URL when set)."""
    return mail.base_url() or request.host_url.rstrip("/")


def feed_url(token: str) -> str:
    return site_url() + url_for("calendar.feed", token=token)


@bp.get("/ical/<string(maxlength=100):token>.ics")
def feed(token):
    """The feed itself: no session (a phone's calendar has none), the secret is the address."""
    user = ical_feeds.owner_of(token)
    base = site_url()
    text = ical_feeds.render(
        ical_feeds.events_for(user),
        name=_("Deadlines in Cergas: %(name)s", name=user.name),
        host=urlsplit(base).hostname or "cergas",
        link_for=lambda card_id: base + url_for("cards.card", card_id=card_id),
    )
    return Response(
        text,
        mimetype="text/calendar",
        headers={**NO_STORE, "Content-Disposition": 'inline; filename="cergas.ics"'},
    )


def feed_page(new_url=None, status=200):
    page = render_template(
        "calendar/feed.html", feed=ical_feeds.active_feed(actor()), new_url=new_url
    )
    return page, status, NO_STORE


@bp.get("/account/calendar")
@login_required
def feed_settings():
    return feed_page()


@bp.post("/account/calendar/new")
@login_required
def new_feed():
    _row, token = ical_feeds.create_feed(actor())
    # The address is shown on this answer only: only its hash is stored.
    return feed_page(new_url=feed_url(token))


@bp.post("/account/calendar/revoke")
@login_required
def revoke_feed():
    if ical_feeds.revoke_feed(actor()):
        flash(
            _("The calendar address was revoked. Phones subscribed to it get nothing more."),
            "success",
        )
    else:
        flash(_("You had no calendar address to revoke."), "info")
    return redirect(url_for("calendar.feed_settings"), code=303)
