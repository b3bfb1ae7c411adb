"""POST /webhooks/<ledger> (xero, quickbooks): verify, store in the inbox, enqueue, answer.

The answer must come far inside Xero's 5 s and Intuit's 3 s, so nothing here calls a ledger.
An event is acknowledged (200) only after it is committed to the inbox; if the database is
down the ledger gets a 503 and delivers again. A bad signature gets 401 (which is also how
Xero's intent-to-receive check is passed), and a signed but unreadable body a 400 with the
reason, kept in the inbox so that nothing is lost. A body over WEBHOOK_MAX_BYTES gets 413 before
it is read. What differs between the ledgers (the signature's header and key, reading the body,
Xero's intent-to-receive probe) is the provider object's (``integration.providers``); nothing
here reads a ledger's JSON.

Deliveries are answered by ``Intake``, a WSGI middleware in front of the Flask app
(``install``): a delivery needs none of what the app does for a person's request (a session, a
signed-in user, a role, a locale, security headers for a page), and skipping it halves the
time a delivery takes in the web process (bench/webhook_load.py, bench/README.md). It still
writes the request's line with its request id, as every request has. The Flask routes stay
registered for their names (``url_for``, the roles' table) and answer any method but POST.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

import redis
import structlog
from flask import Blueprint, Flask
from sqlalchemy import Connection
from sqlalchemy.exc import DataError, SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from integration.events import UnreadablePayload
from integration.providers import LedgerProvider, all_providers
from runtime.db import db
from runtime.jobs import enqueue
from runtime.logs import get_logger
from runtime.logs import request_id as new_request_id
from runtime.settings import Settings
from sync.inbox import store_events, store_malformed
from sync.jobs import sync_from_inbox
from webhooks.signatures import signature_matches

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

intake = Blueprint("webhooks", __name__)
log = get_logger(__name__)
# One sync job queued per tenant at a time; more events join the run that is already waiting.
DEBOUNCE_SECONDS = 60
# Intuit sets no size limit (quickbooks-details.md §8.3) and aggregates up to 5 minutes of events;
# 10,000 CloudEvents are about 4 MB. Past this the body is not read at all: 413.
WEBHOOK_MAX_BYTES = 8 * 1024 * 1024


def _answered_by_the_middleware() -> Response:
    """Never reached: ``Intake`` answers every POST to these paths before Flask sees it; Flask
    answers the other methods 405. The routes give the endpoints their names."""
    return Response(status=500)


# One route per ledger, /webhooks/<name>, its endpoint named after the ledger (webhooks.xero, …).
for _ledger in all_providers():
    intake.add_url_rule(
        f"/webhooks/{_ledger.name.value}",
        endpoint=_ledger.name.value,
        methods=["POST"],
        view_func=_answered_by_the_middleware,
    )


class Intake:
    """WSGI middleware: answers POST /webhooks/<ledger>, hands every other request to ``app``."""

    def __init__(self, app: WSGIApplication, settings: Settings, client: redis.Redis) -> None:
        self.app, self.settings, self.client = app, settings, client
        self.ledgers = {f"/webhooks/{ledger.name.value}": ledger for ledger in all_providers()}

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        ledger = self.ledgers.get(environ.get("PATH_INFO", ""))
        if ledger is None or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        started = time.monotonic()
        request = Request(environ)
        request_id = new_request_id(request.headers.get("X-Request-ID", ""))
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            response = self.receive(ledger, request)
        except HTTPException as refused:  # 413: the body is over WEBHOOK_MAX_BYTES
            response = refused.get_response(environ)
        except SQLAlchemyError as error:  # nothing was stored: a 5xx makes the ledger deliver again
            log.error("webhook.not_stored", error=type(error).__name__)
            response = Response(
                "the event could not be stored; deliver it again\n", status=503, mimetype="text/plain"
            )
        response.headers["X-Request-ID"] = request_id
        log.info(
            "request",
            method="POST",
            path=request.path,
            status=response.status_code,
            ms=round((time.monotonic() - started) * 1000, 1),
        )
        structlog.contextvars.clear_contextvars()
        return response(environ, start_response)

    def receive(self, ledger: LedgerProvider, request: Request) -> Response:
        """Verify, store, enqueue, answer: 200 stored, 400 kept as malformed, 401, 413, or 503."""
        provider = ledger.name.value
        request.max_content_length = WEBHOOK_MAX_BYTES  # get_data raises 413 past it
        body = request.get_data(cache=False)
        key = ledger.webhook_key(self.settings)
        if not signature_matches(key, body, request.headers.get(ledger.webhook_signature_header)):
            if ledger.is_intent_probe(body):
                # Xero's intent-to-receive check: a wrong signature sent on purpose, refused as it
                # wants. An empty delivery carries nothing, so one that only looks like a probe
                # loses nothing.
                log.info("webhook.intent_probe_refused", provider=provider)
            else:
                log.warning(
                    "webhook.bad_signature", provider=provider, bytes=len(body), remote=request.remote_addr
                )
            return Response(status=401)
        try:
            events = ledger.read_webhook(body)
        except UnreadablePayload as problem:
            return _keep_unreadable(provider, body, str(problem))
        except Exception as error:
            # A signed delivery is kept whatever is in it: a reader's oversight must not become a
            # 5xx that the ledger retries for a day and that is never stored.
            log.exception("webhook.reader_failed", provider=provider, bytes=len(body))
            return _keep_unreadable(provider, body, f"Relance could not read it ({type(error).__name__})")
        try:
            with _autocommit() as connection:
                stored = store_events(connection, events)
        except DataError as error:  # a value the database refuses is the body's fault, not an outage
            return _keep_unreadable(
                provider, body, f"the database refused a value ({type(error.orig).__name__})"
            )
        tenants = sorted({event.tenant_id for event in events})
        # Said on the request's own line, not a line of its own: at hundreds of deliveries a
        # second, each log line is a tenth of a delivery's time.
        structlog.contextvars.bind_contextvars(
            webhook=provider, events=len(events), new=stored, tenants=len(tenants)
        )
        if stored:
            self.queue_syncs(provider, tenants)
        return Response(status=200)

    def queue_syncs(self, provider: str, tenants: list[str]) -> None:
        """Ask for a sync of each tenant, once per debounce window. The events are safe in the
        inbox already: if Redis is down, the periodic sweep finds them, so the ledger still gets
        its 200."""
        try:
            for tenant in tenants:
                if self.client.set(
                    f"relance:inbox:queued:{provider}:{tenant}", 1, nx=True, ex=DEBOUNCE_SECONDS
                ):
                    enqueue(sync_from_inbox, provider, tenant, queue_name="sync")
        except redis.RedisError as error:
            log.error("webhook.enqueue_failed", provider=provider, error=str(error))


def install(app: Flask, settings: Settings, client: redis.Redis) -> None:
    """Put the intake in front of ``app`` (Flask's own middleware pattern: ``app.wsgi_app``)."""
    app.wsgi_app = Intake(app.wsgi_app, settings, client)  # type: ignore[method-assign]


def _autocommit() -> Connection:
    """A connection on which each statement is its own transaction: the inbox's one INSERT is
    committed when it returns, in one round trip to the database."""
    return db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def _keep_unreadable(provider: str, body: bytes, problem: str) -> Response:
    with _autocommit() as connection:
        store_malformed(connection, provider, body, problem)
    log.warning("webhook.unreadable", provider=provider, problem=problem, bytes=len(body))
    return Response(f"unreadable {provider} webhook payload: {problem}\n", status=400, mimetype="text/plain")
