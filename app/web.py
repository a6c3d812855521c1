"""Glue shared by the blueprints: login loading, error pages, template helpers, and the `id`
URL converter of every route."""

import sqlite3
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import g, has_request_context, jsonify, render_template, request, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Rule

from app.extensions import db, login_manager
from app.services import accounts
from app.services.errors import ServiceError
from app.services.validation import MAX_ID


def numbers_up_to(limit: int) -> str:
    """A regular expression for the decimal numbers 1 to `limit`, without leading zeros."""
    digits = str(limit)
    parts = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):  # as long as `limit`: same start, then a smaller digit
        low = 1 if i == 0 else 0
        if int(digit) - 1 >= low:
            parts.append(f"{digits[:i]}[{low}-{int(digit) - 1}][0-9]{{{len(digits) - i - 1}}}")
    return "|".join([*parts, digits])


class LazyBuildRule(Rule):
    """A URL rule whose URL builder (what `url_for` runs) is compiled the first time it is
    used rather than when the rule is added. Werkzeug compiles two builders per rule with the
    `ast` module as the app is made: about 0.2 s for Cergas' 140 rules, most of the cost of
    `create_app` (each gunicorn worker, each CLI command and every test builds an app), while a
    process builds URLs for few of them. Matching is unaffected: the regex is compiled as before."""

    def _compile_builder(self, append_unknown: bool = True):
        compile_now = super()._compile_builder
        compiled: list = []

        def build(rule, **values):
            if not compiled:
                compiled.append(compile_now(append_unknown).__get__(rule, None))
            return compiled[0](**values)

        return build


class IdConverter(IntegerConverter):
    """`<id:card_id>`: a row id in a URL, 1 to `MAX_ID`; any other number matches no route, so
    it is a 404 before a view or a query sees it. The range is in the regular expression, not
    only in `to_python`: werkzeug answers 405 when a rule's pattern matched for another method
    even though its converter then refused the value."""

    regex = numbers_up_to(MAX_ID)

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)


# Requests a page makes by itself, which do not count as the person's activity.
PASSIVE_ENDPOINTS = frozenset({"live.stream"})


def wants_json() -> bool:
    return request.path.startswith("/api/")


def local_today(timezone: str = "Asia/Jakarta") -> date:
    return datetime.now(ZoneInfo(timezone)).date()


def _allow_header(exc: HTTPException) -> dict:
    """A 405 names the methods the address takes (RFC 9110), whatever the body."""
    methods = getattr(exc, "valid_methods", None)
    return {"Allow": ", ".join(methods)} if methods else {}


# Whether the current request has committed a write: a server error after that must not say
# "nothing was changed" (a retry would do the change twice).
_WROTE = "cergas_wrote"


@event.listens_for(Session, "after_flush")
def _note_write(session, flush_context):
    session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _note_saved(session):
    if session.info.pop(_WROTE, False) and has_request_context():
        g.cergas_saved = True


@event.listens_for(Session, "after_rollback")
def _forget_write(session):
    session.info.pop(_WROTE, None)


def init_app(app):
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please log in to continue.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id):
        # The cookie names the user and a login session; the session must still be live. A
        # board page's live stream reconnects by itself every few minutes: that is not the
        # person being active, so it does not keep a forgotten tab's session alive.
        touch = request.endpoint not in PASSIVE_ENDPOINTS
        return accounts.user_for_session(user_id, session.get("sid"), touch=touch)

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after else {}
        if wants_json():
            return jsonify(exc.to_dict()), exc.status, headers
        page = render_template("error.html", status=exc.status, message=exc.message)
        return page, exc.status, headers

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        messages = {
            400: _("The request could not be understood."),
            401: _("Please log in."),
            403: _("You may not do this."),
            404: _("Page not found."),
            405: _("This method is not allowed here."),
            413: _("The request is too large."),
            429: _("Too many requests. Wait a moment and try again."),
        }
        message = messages.get(exc.code, exc.description)
        if exc.code == 400 and "CSRF" in (exc.description or ""):
            message = _("The form expired or came from elsewhere. Reload the page and try again.")
        if wants_json():
            codes = {
                400: "bad_request",
                401: "unauthorized",
                403: "forbidden",
                404: "not_found",
                405: "method_not_allowed",
                413: "too_large",
                429: "too_many_requests",
            }
            body = {"error": {"code": codes.get(exc.code, "http_error"), "message": message}}
            return jsonify(body), exc.code, _allow_header(exc)
        page = render_template("error.html", status=exc.code, message=message)
        return page, exc.code, _allow_header(exc)

    @app.errorhandler(500)
    def server_error(exc):
        db.session.rollback()
        if g.get("cergas_saved"):
            message = _(
                "Something went wrong on our side after your change was saved. Reload the page "
                "to see it before you try again."
            )
        else:
            message = _("Something went wrong on our side. Nothing was changed; please try again.")
        if wants_json():
            return jsonify({"error": {"code": "internal_error", "message": message}}), 500
        return render_template("error.html", status=500, message=message), 500

    @app.errorhandler(sqlite3.OperationalError)
    @app.errorhandler(OperationalError)
    def database_error(exc):
        """A SQLite writer that waited the whole busy timeout, or a request whose database
        connection was found dead (PostgreSQL restarted within the idle-ping window of
        app/dbpool.py; the pool then reconnects), is told to retry (503); any other database
        failure is logged and answered as a 500."""
        lost = getattr(exc, "connection_invalidated", False)
        if lost:
            app.logger.warning("database connection lost on %s; the pool reconnects", request.path)
        elif "database is locked" not in str(exc):
            app.logger.error("Exception on %s [%s]", request.path, request.method, exc_info=exc)
            return server_error(exc)
        db.session.rollback()
        message = _("Cergas is busy. Nothing was changed; please try again in a moment.")
        headers = {"Retry-After": "5"}
        if wants_json():
            return jsonify({"error": {"code": "busy", "message": message}}), 503, headers
        return render_template("error.html", status=503, message=message), 503, headers

    @app.context_processor
    def template_helpers():
        return {"local_today": local_today}
