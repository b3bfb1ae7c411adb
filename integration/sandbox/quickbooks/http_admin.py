"""The admin API under `/_sandbox/`: the same controls as the Python methods, for the CLI sandbox.

Seed, add companies, connect without a browser, create invoices and payments, move the clock
(with or without customers acting), set personas, arm faults, revoke a connection, change
limits, subscribe webhooks, and read the request and delivery logs. JSON in, JSON out.
"""

from __future__ import annotations

import base64
import dataclasses
from collections import Counter
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request

from integration.sandbox.common.faults import Fault, FaultKind

from .accounting import entity_answer
from .faults import QuickBooksFault
from .throttle import ThrottlePolicy
from .wire import json_out

if TYPE_CHECKING:
    from .sandbox import QuickBooksSandbox


def admin_blueprint(sandbox: QuickBooksSandbox) -> Blueprint:
    """Routes of the admin API."""
    blueprint = Blueprint("quickbooks_admin", __name__)

    def body() -> dict[str, Any]:
        """The JSON body of an admin call (empty when absent)."""
        return request.get_json(silent=True) or {}

    @blueprint.errorhandler(QuickBooksFault)
    def fault(error: QuickBooksFault) -> tuple[Response, int]:
        """Admin calls answer Intuit faults as plain JSON."""
        return jsonify(error=error.message, detail=error.detail, code=error.code), error.status

    @blueprint.errorhandler(KeyError)
    def missing(error: KeyError) -> tuple[Response, int]:
        """Unknown realm, entity or missing field."""
        return jsonify(error=f"unknown or missing: {error}"), 404

    @blueprint.route("/", methods=["GET"])
    def state() -> Response:
        """Seed, clock, app credentials, hosts and companies with counts."""
        return jsonify(
            seed=str(sandbox.seed),
            now=sandbox.clock.now().isoformat(),
            client_id=sandbox.app.client_id,
            client_secret=sandbox.app.client_secret,
            redirect_uris=sandbox.app.redirect_uris,
            discovery_url=sandbox.discovery_url,
            hosts=sandbox.hosts,
            companies=[
                {
                    "realm_id": realm,
                    "name": company.name,
                    "counts": {
                        kind: len(company.live(kind))
                        for kind in ("Customer", "Invoice", "Payment", "CreditMemo", "Attachable")
                    },
                }
                for realm, company in sandbox.companies.items()
            ],
        )

    @blueprint.route("/seed", methods=["POST"])
    def seed() -> Response:
        """Replace every company with those of another seed."""
        data = body()
        value = data.get("seed", "demo")
        sandbox.reseed(
            value if value in ("demo", "empty") else int(value), data.get("customers"), data.get("invoices")
        )
        return jsonify(seed=str(sandbox.seed), realm_ids=sandbox.realm_ids)

    @blueprint.route("/companies", methods=["POST"])
    def add_company() -> Response:
        """Add an empty company."""
        company = sandbox.add_company(body().get("name", "Sandbox Company"))
        return jsonify(realm_id=company.realm_id, name=company.name)

    @blueprint.route("/connect", methods=["POST"])
    def connect() -> Response:
        """Tokens for the default app on a realm, without the browser."""
        return jsonify(dataclasses.asdict(sandbox.connect(body().get("realm_id"))))

    @blueprint.route("/companies/<realm_id>/revoke", methods=["POST"])
    def revoke(realm_id: str) -> Response:
        """The user disconnects the app in QuickBooks."""
        return jsonify(revoked_grants=sandbox.revoke_connection(realm_id))

    @blueprint.route("/companies/<realm_id>/expire-tokens", methods=["POST"])
    def expire_tokens(realm_id: str) -> Response:
        """Expire the realm's access tokens now (the 401 path)."""
        return jsonify(expired=sandbox.tokens.expire_access_tokens(realm_id))

    @blueprint.route("/companies/<realm_id>/invoices", methods=["POST"])
    def create_invoice(realm_id: str) -> Response:
        """An invoice as if typed into QuickBooks."""
        data = body()
        invoice = sandbox.create_invoice(
            realm_id,
            str(data["customer_id"]),
            str(data["amount"]),
            data.get("txn_date"),
            data.get("due_date"),
        )
        return jsonify(entity_answer(invoice))

    @blueprint.route("/companies/<realm_id>/payments", methods=["POST"])
    def create_payment(realm_id: str) -> Response:
        """A payment applied to one invoice."""
        data = body()
        amount = data.get("amount")
        payment = sandbox.record_payment(
            realm_id, str(data["invoice_id"]), None if amount is None else str(amount), data.get("txn_date")
        )
        return jsonify(entity_answer(payment))

    @blueprint.route("/companies/<realm_id>/customers/<customer_id>/persona", methods=["POST"])
    def persona(realm_id: str, customer_id: str) -> Response:
        """Set how a customer pays from now on."""
        sandbox.simulation.set_persona(realm_id, customer_id, body()["persona"])
        return jsonify(customer_id=customer_id, persona=body()["persona"])

    @blueprint.route("/companies/<realm_id>/customers/merge", methods=["POST"])
    def merge(realm_id: str) -> Response:
        """Merge one customer into another (Merge webhook)."""
        data = body()
        survivor = sandbox.company(realm_id).merge_customers(str(data["from"]), str(data["into"]))
        return jsonify(json_out(survivor.view()))

    @blueprint.route("/companies/<realm_id>/invoices/<invoice_id>/remind", methods=["POST"])
    def remind(realm_id: str, invoice_id: str) -> Response:
        """Record a reminder for an invoice (for the pays-after-reminder persona)."""
        sandbox.simulation.remind(realm_id, invoice_id)
        return jsonify(reminded=invoice_id)

    @blueprint.route("/clock", methods=["GET", "POST"])
    def clock() -> Response:
        """Read the clock, or move it (customers act unless simulate is false)."""
        if request.method == "POST":
            data = body()
            sandbox.advance_clock(
                days=float(data.get("days", 0)),
                seconds=float(data.get("seconds", 0)),
                simulate=bool(data.get("simulate", True)),
            )
        return jsonify(now=sandbox.clock.now().isoformat())

    @blueprint.route("/faults", methods=["GET", "POST", "DELETE"])
    def faults() -> Response:
        """List, arm or clear injected faults."""
        if request.method == "DELETE":
            sandbox.faults.clear()
        elif request.method == "POST":
            data = body()
            sandbox.faults.arm(
                Fault(
                    FaultKind(data["kind"]),
                    data.get("times", 1),
                    float(data.get("seconds", 0)),
                    int(data.get("retry_after", 1)),
                    path_contains=data.get("path_contains"),
                )
            )
        return jsonify(
            armed=[
                {"kind": f.kind.value, "times": f.times, "path_contains": f.path_contains}
                for f in sandbox.faults.armed()
            ]
        )

    @blueprint.route("/limits", methods=["GET", "POST"])
    def limits() -> Response:
        """Read or change the throttle policy."""
        if request.method == "POST":
            fields = {f.name for f in dataclasses.fields(ThrottlePolicy)}
            sandbox.throttle.policy = dataclasses.replace(
                sandbox.throttle.policy, **{k: v for k, v in body().items() if k in fields}
            )
        return jsonify(dataclasses.asdict(sandbox.throttle.policy))

    @blueprint.route("/requests", methods=["GET", "DELETE"])
    def requests_log() -> Response:
        """Calls per endpoint, realm and status; DELETE clears the log."""
        if request.method == "DELETE":
            sandbox.request_log.clear()
        realm = request.args.get("realm_id")
        entries = [e for e in sandbox.request_log.entries() if realm is None or e.tenant == realm]
        return jsonify(
            total=len(entries),
            by_endpoint=dict(sandbox.request_log.counts(realm)),
            by_realm={str(k): v for k, v in Counter(e.tenant for e in entries).items()},
            by_status={str(k): v for k, v in Counter(e.status for e in entries).items()},
        )

    @blueprint.route("/webhooks", methods=["GET", "POST"])
    def webhooks() -> Response:
        """Read or set the webhook subscription."""
        if request.method == "POST":
            data = body()
            sandbox.subscribe_webhooks(data["url"], data["verifier_token"], data.get("format", "classic"))
        subscription = sandbox.webhooks.subscription
        return jsonify(
            subscription=None
            if subscription is None
            else {
                "url": subscription.url,
                "format": subscription.format.value,
                "entities": sorted(subscription.entities),
            }
        )

    @blueprint.route("/webhooks/deliveries", methods=["GET"])
    def deliveries() -> Response:
        """The webhook delivery log, bodies base64-encoded."""
        return jsonify(
            deliveries=[
                {
                    "batch_id": a.batch_id,
                    "attempt": a.attempt,
                    "url": a.url,
                    "status": a.status,
                    "ok": a.ok,
                    "outcome": a.outcome,
                    "error": a.error,
                    "at": a.at.isoformat(),
                    "event_count": a.event_count,
                    "body": base64.b64encode(a.body).decode(),
                    "signature": a.headers.get("intuit-signature"),
                }
                for a in sandbox.webhooks.log()
            ]
        )

    return blueprint
