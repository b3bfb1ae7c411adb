"""The web app: accountants' and owners' pages, the customer portal, webhook routes and /healthz.

``create_app`` is the one way to build it; the CLI, gunicorn and the tests all call it.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import structlog
from flask import Flask, Response, current_app, g, request
from flask_wtf.csrf import CSRFProtect

from runtime import jobs, logs
from runtime import redis as relance_redis
from runtime.db import db
from runtime.settings import Settings, get_settings
from web import request_limits

log = logs.get_logger(__name__)
csrf = CSRFProtect()

# An incoming X-Request-ID is kept only if it looks like an id, never echoed raw into logs.
# A portal link's token is a customer's key to their account: the request log never writes it.
PORTAL_TOKEN = re.compile(r"^(/portal/l/)[^/]+")


def logged_path(path: str) -> str:
    """The path as the request log writes it: a portal link's token left out."""
    return PORTAL_TOKEN.sub(r"\1…", path)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask app for ``settings`` (read from the environment if not given)."""
    settings = settings or get_settings()
    logs.configure(settings.log_level, readable=settings.relance_env == "development")
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(
        SECRET_KEY=settings.secret("secret_key"),
        RELANCE_SETTINGS=settings,
        # Every cookie: never readable by scripts, not sent on cross-site posts, HTTPS-only in production.
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_DURATION=timedelta(days=settings.remember_me_days),
        WTF_CSRF_TIME_LIMIT=settings.csrf_token_hours * 3600,
        MAX_CONTENT_LENGTH=1024 * 1024,  # forms; the webhook intake allows more (webhooks.intake)
    )
    # One pooled connection per thread a web worker runs (gunicorn's gthread, WEB_THREADS).
    db.bind(settings.sqlalchemy_url, pool_size=max(5, settings.web_threads))
    redis_client = relance_redis.connect(settings)
    app.extensions["redis"] = redis_client
    jobs.use_connection(redis_client)
    request_limits.allow_larger_bodies(app)  # before the CSRF check, which reads the form
    csrf.init_app(app)
    request_limits.install(app)  # before any route: every <int:…> becomes a bounded database id

    from web import i18n, layout
    from web.auth import auth, login_manager
    from web.connect import connect
    from web.customers import customers
    from web.dashboard import dashboard
    from web.discounts import discounts
    from web.disputes import disputes
    from web.errors import register_error_pages
    from web.fees import fees
    from web.handoff_pages import handoff
    from web.headers import protect
    from web.health import health
    from web.holds import holds
    from web.portal import portal
    from web.portal_panel import portal_panel
    from web.portal_settings import portal_settings
    from web.promises import promises
    from web.receivables import receivables
    from web.reminders_pages import reminders
    from web.roles import enforce as enforce_roles
    from web.schedules import schedules
    from web.settings import settings_area
    from web.team import team
    from webhooks.intake import install as install_intake
    from webhooks.intake import intake

    login_manager.init_app(app)
    csrf.exempt(intake)  # ledgers sign their deliveries instead
    # Sign-in and connecting a ledger; the staff app's areas; the customers' portal, apart from
    # them (web/portal); the ledgers' webhooks.
    areas = (
        dashboard,
        customers,
        discounts,
        disputes,
        fees,
        holds,
        portal_panel,
        portal_settings,
        promises,
        receivables,
        reminders,
        schedules,
        settings_area,
        team,
        handoff,
    )
    for blueprint in (health, auth, connect, *areas, portal, intake):
        app.register_blueprint(blueprint)
    register_error_pages(app)
    i18n.install(app)
    layout.install(app)
    _log_requests(app)
    enforce_roles(app)
    protect(app, settings)
    # The ledgers' deliveries are answered in front of all of the above (webhooks/intake.py).
    install_intake(app, settings, redis_client)
    app.teardown_appcontext(lambda _exc: db.session.remove())
    return app


def app_settings() -> Settings:
    """The settings of the app serving this request."""
    return current_app.config["RELANCE_SETTINGS"]


def _log_requests(app: Flask) -> None:
    """One JSON line per request, carrying the request id that the response also returns."""

    @app.before_request
    def start() -> None:
        g.request_id = logs.request_id(request.headers.get("X-Request-ID", ""))
        g.started = time.monotonic()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=g.request_id)

    @app.after_request
    def finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        log.info(
            "request",
            method=request.method,
            path=logged_path(request.path),
            status=response.status_code,
            ms=round((time.monotonic() - g.get("started", time.monotonic())) * 1000, 1),
        )
        return response

    @app.teardown_request
    def forget(_error: BaseException | None) -> None:
        structlog.contextvars.clear_contextvars()  # the next lines of this thread are not this request's
