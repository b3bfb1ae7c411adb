"""The admin API under /_sandbox/: drive the simulation and inject faults over HTTP.

The same operations exist as XeroSandbox methods; this surface is for `make demo`, for
benchmarks in another process, and for poking at a running `relance sandbox xero`.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, request

from ..common.faults import Fault, FaultKind
from .wire import dumps, invoice_json, payment_json

if TYPE_CHECKING:
    from .sandbox import XeroSandbox


def admin_blueprint(sandbox: XeroSandbox) -> Blueprint:
    bp = Blueprint("xero_admin", __name__, url_prefix="/_sandbox")

    def reply(document: Any, status: int = 200) -> Response:
        return Response(dumps(document), status=status, mimetype="application/json")

    def payload() -> dict[str, Any]:
        return request.get_json(silent=True) or {}

    def books(tenant_id: str):
        found = sandbox.organisations.get(tenant_id.lower())
        if found is None:
            raise _Missing(f"no tenant {tenant_id}")
        return found

    @bp.errorhandler(KeyError)
    @bp.errorhandler(ValueError)
    def bad_request(error: Exception) -> Response:
        return reply({"error": str(error)}, 400)

    @bp.get("/state")
    def state() -> Response:
        return reply(
            {
                "now": sandbox.clock.now().isoformat(),
                "seed": str(sandbox.seed),
                "tenants": [
                    {
                        "tenantId": t,
                        "name": b.organisation.name,
                        "contacts": len(b.contacts),
                        "invoices": len(b.invoices),
                        "payments": len(b.payments),
                    }
                    for t, b in sandbox.organisations.items()
                ],
                "apps": [
                    {
                        "client_id": a.client_id,
                        "name": a.name,
                        "redirect_uris": a.redirect_uris,
                        "webhook": bool(a.webhook and a.webhook.enabled),
                    }
                    for a in sandbox.directory.apps.values()
                ],
            }
        )

    @bp.get("/credentials")
    def credentials() -> Response:
        """The default app and login, so a local Relance can be configured against this sandbox."""
        return reply(
            {
                "client_id": sandbox.app.client_id,
                "client_secret": sandbox.app.client_secret,
                "redirect_uris": sandbox.app.redirect_uris,
                "email": sandbox.user.email,
                "password": sandbox.user.password,
                "tenant_id": sandbox.tenant_id,
                "urls": {
                    "authorize": sandbox.urls.authorize,
                    "token": sandbox.urls.token,
                    "accounting": sandbox.urls.accounting_api,
                    "identity": sandbox.urls.identity_api,
                },
            }
        )

    @bp.post("/apps")
    def register_app() -> Response:
        app = sandbox.register_app(payload().get("redirect_uris"), payload().get("name", "Relance"))
        return reply({"client_id": app.client_id, "client_secret": app.client_secret}, 201)

    @bp.post("/clock")
    def clock() -> Response:
        body = payload()
        if "set" in body:
            sandbox.clock.set(datetime.fromisoformat(body["set"]))
        step = timedelta(
            days=float(body.get("advance_days", 0)), seconds=float(body.get("advance_seconds", 0))
        )
        paid = sandbox.advance_clock(step, simulate=bool(body.get("simulate", False)))
        return reply({"now": sandbox.clock.now().isoformat(), "payments": len(paid)})

    @bp.post("/simulate")
    def simulate() -> Response:
        return reply({"payments": len(sandbox.simulate_customers())})

    @bp.post("/tenants/<tenant_id>/invoices")
    def raise_invoice(tenant_id: str) -> Response:
        body = payload()
        target = books(tenant_id)
        invoice = sandbox.create_invoice(
            body["contact_id"],
            Decimal(str(body["amount"])),
            int(body.get("due_in_days", 30)),
            body.get("currency"),
            tenant_id=tenant_id,
        )
        return reply(invoice_json(invoice, target), 201)

    @bp.post("/tenants/<tenant_id>/invoices/<invoice_id>/payments")
    def pay(tenant_id: str, invoice_id: str) -> Response:
        target = books(tenant_id)
        body = payload()
        amount = Decimal(str(body["amount"])) if "amount" in body else None
        payment = sandbox.pay_invoice(invoice_id, amount, tenant_id=tenant_id)
        return reply(payment_json(payment, target), 201)

    @bp.post("/tenants/<tenant_id>/invoices/<invoice_id>/reminded")
    def reminded(tenant_id: str, invoice_id: str) -> Response:
        sandbox.record_reminder(invoice_id, tenant_id=tenant_id)
        return reply({"ok": True})

    @bp.post("/tenants/<tenant_id>/credits")
    def credit(tenant_id: str) -> Response:
        """A credit for a contact; given an ``invoice_number`` (or ``invoice_id``), a credit of what
        that invoice owes (unless ``amount`` says otherwise), allocated to it at once, as a
        bookkeeper settling a dispute with a credit note would."""
        body = payload()
        target = None
        if body.get("invoice_id") or body.get("invoice_number"):
            found = books(tenant_id)
            target = next(
                (
                    i
                    for i in found.invoices.values()
                    if i.invoice_id == str(body.get("invoice_id", "")).lower()
                    or (body.get("invoice_number") and i.invoice_number == body["invoice_number"])
                ),
                None,
            )
            if target is None:
                return reply({"error": "no such invoice"}, 404)
        amount = Decimal(str(body["amount"])) if "amount" in body else (target.amount_due if target else None)
        if amount is None:
            return reply({"error": "amount is required"}, 400)
        created = sandbox.create_credit(
            body.get("kind", "CreditNote" if target is not None else "Overpayment"),
            body.get("contact_id") or (target.contact_id if target is not None else ""),
            amount,
            tenant_id=tenant_id,
        )
        if target is not None:
            books(tenant_id).allocate(created, target, min(amount, target.amount_due), sandbox.clock.today())
        return reply({"id": created.credit_id, "kind": created.kind, "number": created.number}, 201)

    @bp.route("/faults", methods=["POST"])
    def arm_fault() -> Response:
        body = payload()
        fault = Fault(
            FaultKind(body["kind"]),
            body.get("times", 1),
            float(body.get("seconds", 0)),
            int(body.get("retry_after", 1)),
            body.get("problem", "minute"),
            body.get("path_contains"),
        )
        sandbox.faults.arm(fault)
        return reply({"armed": len(sandbox.faults.armed())}, 201)

    @bp.route("/faults", methods=["DELETE"])
    def clear_faults() -> Response:
        sandbox.faults.clear()
        return Response(status=204)

    @bp.post("/connections/revoke")
    def revoke() -> Response:
        body = payload()
        app = sandbox.directory.apps.get(body.get("client_id", sandbox.app.client_id))
        return reply({"revoked": sandbox.revoke_connection(body.get("tenant_id"), app)})

    @bp.post("/tokens/expire")
    def expire_tokens() -> Response:
        return reply({"expired": sandbox.tokens.expire_access_tokens()})

    @bp.put("/limits")
    def limits() -> Response:
        current = sandbox.limits.limits
        sandbox.limits.configure(
            replace(current, **{k: v for k, v in payload().items() if hasattr(current, k)})
        )
        return reply(asdict(sandbox.limits.limits))

    @bp.put("/webhooks")
    def webhooks() -> Response:
        body = payload()
        app = sandbox.directory.apps.get(body.get("client_id", sandbox.app.client_id))
        enabled = sandbox.subscribe_webhooks(body["url"], body.get("signing_key"), app)
        return reply(
            {"enabled": enabled, "signing_key": app.webhook.signing_key if app and app.webhook else None}
        )

    @bp.get("/webhooks/deliveries")
    def deliveries() -> Response:
        return reply(
            [
                {
                    "batch": d.batch_id,
                    "attempt": d.attempt,
                    "outcome": d.outcome,
                    "status": d.status,
                    "events": d.event_count,
                    "at": d.at.isoformat(),
                    "error": d.error,
                }
                for d in sandbox.webhook_log()
            ]
        )

    @bp.get("/requests")
    def requests_log() -> Response:
        return reply(
            {
                "total": len(sandbox.request_log.entries()),
                "per_tenant": {str(k): v for k, v in sandbox.request_log.per_tenant().items()},
                "per_endpoint": dict(sandbox.request_log.counts(request.args.get("tenant"))),
            }
        )

    @bp.post("/save")
    def save() -> Response:
        sandbox.save()
        return reply({"saved": sandbox.state_file is not None})

    @bp.delete("/requests")
    def clear_requests() -> Response:
        sandbox.request_log.clear()
        return Response(status=204)

    return bp


class _Missing(KeyError):
    """An admin call named a tenant or record that does not exist."""
