"""Cergas: a work board for Indonesian regional government units."""

from pathlib import Path

from flask import Flask

from app.paths import PACKAGE_DIR, resource_dir


def create_app(config: dict | None = None) -> Flask:
    """Application factory. `config` overrides what comes from the environment (tests use it)."""
    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        static_folder=str(PACKAGE_DIR / "static"),
        instance_relative_config=True,
    )
    from app.web import IdConverter, LazyBuildRule

    # Before any blueprint adds a rule: rules look their converters up when they are added.
    app.url_map.converters["id"] = IdConverter
    app.url_rule_class = LazyBuildRule

    from app.config import defaults, from_environment

    given = config or {}
    app.config.update(defaults())
    app.config.update(from_environment(Path(app.instance_path), given))
    app.config.update(given)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(PACKAGE_DIR / "translations")
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", _engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )

    from app import dbpool, models  # noqa: F401  (the idle ping; registers the tables)
    from app.extensions import babel, csrf, db, htmx, login_manager, migrate
    from app.i18n import select_locale

    db.init_app(app)
    from app.services import search_index  # noqa: F401  (keeps the search index current)
    from app.services.tx import end_request

    # Registered after the session's removal, so it runs before it (teardowns run in reverse).
    app.teardown_appcontext(end_request)
    migrate.init_app(app, db, directory=str(resource_dir("migrations")), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    htmx.init_app(app)

    from app import broker, security, storage, web

    broker.init_app(app)
    # Documents: a wrong storage setting stops the app here, with what to fix.
    storage.init_app(app)
    if app.config.get("PROXY_COUNT"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    security.init_app(app)
    from app import logsafe

    # No sign-in code or reset-link token in the request log of `cergas run` or gunicorn.
    logsafe.install()
    web.init_app(app)
    from app import display_names  # card types and labels by name (issue 26)

    display_names.init_app(app)

    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.api.reference import docs_bp as api_docs_bp
    from app.auth import bp as auth_bp
    from app.boards import bp as boards_bp
    from app.calendar import bp as calendar_bp  # issue 25: calendars and the iCal feed
    from app.cards import bp as cards_bp
    from app.home import bp as home_bp
    from app.live import bp as live_bp
    from app.notifications import bp as notifications_bp
    from app.notifications.preferences import account_bp as notification_preferences_bp
    from app.people import bp as people_bp
    from app.performance import bp as performance_bp  # issue 27: evidence, feedback, coverage
    from app.reports import bp as reports_bp
    from app.search import bp as search_bp  # search across boards (issue 25)
    from app.setup import bp as setup_bp
    from app.skp import bp as skp_bp  # SKP / RHK pages (issue 27)
    from app.sprints import bp as sprints_bp
    from app.teams import bp as teams_bp

    csrf.exempt(api_bp)
    for blueprint in (
        setup_bp,
        auth_bp,
        home_bp,
        boards_bp,
        cards_bp,
        api_bp,
        admin_bp,
        notifications_bp,
        notification_preferences_bp,
        people_bp,
        performance_bp,
        live_bp,
        sprints_bp,
        reports_bp,
        teams_bp,
        calendar_bp,
        search_bp,
        api_docs_bp,
        skp_bp,
    ):
        app.register_blueprint(blueprint)

    from app import plugins
    from app.cli import init_app as init_cli

    plugins.init_app(app)
    init_cli(app)
    plugins.startup(app)
    return app


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        options = {"connect_args": {"timeout": 30, "check_same_thread": False}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            from sqlalchemy.pool import StaticPool

            options["poolclass"] = StaticPool
        return options
    return {}  # pooled connections are checked after they sat idle: app/dbpool.py
