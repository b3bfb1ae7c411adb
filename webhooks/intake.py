"""POST /webhooks/<ledger> (xero, quickbooks): verify, store in the inbox, enqueue, answer.

The answer must come far inside Xero's 5 s and Intuit's 3 s, so nothing here calls a ledger.
An event is acknowledged (200) only after it is committed to the inbox; if the database is
down the ledger gets a 503 and delivers again. A bad signature gets 401 (which is also how
Xero's intent-to-receive check is passed), and a signed but unreadable body a 400 with the
reason, kept in the inbox so that nothing is lost. A body over WEBHOOK_MAX_BYTES gets 413 before
it is read. What differs between the ledgers (the signature's header and key, reading the body,
Xero's intent-to-receive probe) is the provider object's (``integration.providers``); nothing
here reads a ledger's JSON.
"""

from __future__ import annotations

from collections.abc import Callable

import redis
from flask import Blueprint, Response, current_app, request
from sqlalchemy import Connection
from sqlalchemy.exc import DataError, SQLAlchemyError

from integration.events import UnreadablePayload
from integration.providers import LedgerProvider, all_providers
from runtime.db import db
from runtime.jobs import enqueue
from runtime.logs import get_logger
from runtime.settings import Settings
from sync.inbox import store_events, store_malformed
from sync.jobs import sync_from_inbox
from webhooks.signatures import signature_matches

intake = Blueprint("webhooks", __name__)
log = get_logger(__name__)
# One sync job queued per tenant at a time; more events join the run that is already waiting.
DEBOUNCE_SECONDS = 60
# Intuit sets no size limit (quickbooks-details.md §8.3) and aggregates up to 5 minutes of events;
# 10,000 CloudEvents are about 4 MB. Past this the body is not read at all: 413.
WEBHOOK_MAX_BYTES = 8 * 1024 * 1024


def _settings() -> Settings:
    settings: Settings = current_app.config["RELANCE_SETTINGS"]
    return settings


def _receiver(ledger: LedgerProvider) -> Callable[[], Response]:
    def receive_delivery() -> Response:
        return receive(ledger)

    receive_delivery.__name__ = ledger.name.value
    receive_delivery.__doc__ = f"{ledger.display_name}'s deliveries."
    return receive_delivery


# One route per ledger, /webhooks/<name>, its endpoint named after the ledger (webhooks.xero, …).
for _ledger in all_providers():
    intake.add_url_rule(f"/webhooks/{_ledger.name.value}", methods=["POST"], view_func=_receiver(_ledger))


def receive(ledger: LedgerProvider) -> Response:
    """Verify, store, enqueue, answer: 200 stored, 400 kept as malformed, 401, 413, or 503."""
    provider = ledger.name.value
    request.max_content_length = WEBHOOK_MAX_BYTES  # get_data raises 413 past it
    body = request.get_data(cache=False)
    key = ledger.webhook_key(_settings())
    if not signature_matches(key, body, request.headers.get(ledger.webhook_signature_header)):
        if ledger.is_intent_probe(body):
            # Xero's intent-to-receive check: a wrong signature sent on purpose, refused as it wants.
            # An empty delivery carries nothing, so one that only looks like a probe loses nothing.
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
        return _keep_unreadable(provider, body, f"the database refused a value ({type(error.orig).__name__})")
    tenants = sorted({event.tenant_id for event in events})
    log.info("webhook.stored", provider=provider, events=len(events), new=stored, tenants=len(tenants))
    if stored:
        _queue_syncs(provider, tenants)
    return Response(status=200)


def _autocommit() -> Connection:
    """A connection on which each statement is its own transaction: the inbox's one INSERT is
    committed when it returns, in one round trip to the database."""
    return db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def _keep_unreadable(provider: str, body: bytes, problem: str) -> Response:
    with _autocommit() as connection:
        store_malformed(connection, provider, body, problem)
    log.warning("webhook.unreadable", provider=provider, problem=problem, bytes=len(body))
    return Response(f"unreadable {provider} webhook payload: {problem}\n", status=400, mimetype="text/plain")


def _queue_syncs(provider: str, tenants: list[str]) -> None:
    """Ask for a sync of each tenant, once per debounce window. The events are safe in the inbox
    already: if Redis is down, the periodic sweep finds them, so the ledger still gets its 200."""
    client: redis.Redis = current_app.extensions["redis"]
    try:
        for tenant in tenants:
            if client.set(f"relance:inbox:queued:{provider}:{tenant}", 1, nx=True, ex=DEBOUNCE_SECONDS):
                enqueue(sync_from_inbox, provider, tenant, queue_name="sync")
    except redis.RedisError as error:
        log.error("webhook.enqueue_failed", provider=provider, error=str(error))


@intake.errorhandler(SQLAlchemyError)
def database_unavailable(error: SQLAlchemyError) -> Response:
    """Nothing was stored: a 5xx makes the ledger deliver again."""
    db.session.rollback()
    log.error("webhook.not_stored", error=type(error).__name__)
    return Response("the event could not be stored; deliver it again\n", status=503, mimetype="text/plain")
