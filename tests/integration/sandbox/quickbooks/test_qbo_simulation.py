"""The aging report, personas moving with the clock, the request log, the admin API, the demo company, the CLI."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from qbo_clients import FAST_WEBHOOKS, quickbooks_client
from quickbooks.objects.attachable import Attachable
from quickbooks.objects.invoice import Invoice

from integration.sandbox.common.personas import Persona
from integration.sandbox.quickbooks import QuickBooksSandbox
from integration.sandbox.quickbooks.cli import quickbooks as quickbooks_command
from integration.sandbox.quickbooks.reports import aged_receivables

pytest_plugins = ["qbo_fixtures"]  # the shared fixtures (see qbo_fixtures.py for why not conftest)

REPO = Path(__file__).resolve().parents[4]


def customer_with(qbo_sandbox, qbo_realm_id: str, persona: Persona, name: str) -> str:
    customer = qbo_sandbox.company(qbo_realm_id).create(
        "Customer", {"DisplayName": name, "SalesTermRef": {"value": "3"}}
    )
    qbo_sandbox.simulation.set_persona(qbo_realm_id, customer.id, persona)
    return customer.id


def balance(qbo_sandbox, qbo_realm_id: str, invoice_id: str) -> Decimal:
    return qbo_sandbox.company(qbo_realm_id).get("Invoice", invoice_id).body["Balance"]


def test_aged_receivables_buckets_open_balances_by_days_overdue(qb, qbo_sandbox, qbo_realm_id):
    today = qbo_sandbox.company(qbo_realm_id).today()
    customer = qbo_sandbox.company(qbo_realm_id).create("Customer", {"DisplayName": "Aging Ltd"}).id
    for days_overdue, amount in ((-5, "100"), (10, "200"), (45, "300"), (75, "400"), (120, "500")):
        due = today - timedelta(days=days_overdue)
        qbo_sandbox.create_invoice(
            qbo_realm_id,
            customer,
            amount,
            txn_date=(due - timedelta(days=30)).isoformat(),
            due_date=due.isoformat(),
        )

    report = qb.get_report("AgedReceivables")

    titles = [column["ColTitle"] for column in report["Columns"]["Column"]]
    assert titles == ["", "Current", "1 - 30", "31 - 60", "61 - 90", "91 and over", "Total"]
    [row, total] = report["Rows"]["Row"]
    assert row["ColData"][0] == {"value": "Aging Ltd", "id": customer}
    assert [c["value"] for c in row["ColData"][1:]] == [
        "100.00",
        "200.00",
        "300.00",
        "400.00",
        "500.00",
        "1500.00",
    ]
    assert total["group"] == "GrandTotal" and total["Summary"]["ColData"][-1]["value"] == "1500.00"
    assert report["Header"]["ReportName"] == "AgedReceivables"
    detail = qb.get_report("AgedReceivableDetail")
    sections = [row for row in detail["Rows"]["Row"] if "Rows" in row]
    assert [s["Header"]["ColData"][0]["value"] for s in sections] == [
        "Current",
        "1 - 30 days past due",
        "31 - 60 days past due",
        "61 - 90 days past due",
        "91 or more days past due",
    ]
    assert detail["Rows"]["Row"][-1]["Summary"]["ColData"][-1]["value"] == "1500.00"


def test_prompt_customer_pays_within_terms_and_never_payer_does_not(qbo_sandbox, qbo_realm_id):
    prompt = customer_with(qbo_sandbox, qbo_realm_id, Persona.PROMPT, "Prompt")
    never = customer_with(qbo_sandbox, qbo_realm_id, Persona.NEVER_PAYS, "Never")
    paid = qbo_sandbox.create_invoice(qbo_realm_id, prompt, "120").id
    unpaid = qbo_sandbox.create_invoice(qbo_realm_id, never, "80").id

    qbo_sandbox.advance_clock(days=45)

    assert balance(qbo_sandbox, qbo_realm_id, paid) == 0
    assert balance(qbo_sandbox, qbo_realm_id, unpaid) == Decimal("80.00")


def test_reminded_customer_pays_only_after_a_note_is_attached(qb, qbo_sandbox, qbo_realm_id):
    customer = customer_with(qbo_sandbox, qbo_realm_id, Persona.PAYS_AFTER_REMINDER, "Needs a nudge")
    invoice = qbo_sandbox.create_invoice(qbo_realm_id, customer, "300").id
    qbo_sandbox.advance_clock(days=40)
    assert balance(qbo_sandbox, qbo_realm_id, invoice) == Decimal("300.00")
    qb = quickbooks_client(
        qbo_sandbox, qbo_sandbox.connect(qbo_realm_id)
    )  # the old access token died with the hour

    note = Attachable()
    note.Note = "Friendly reminder: invoice overdue"
    from quickbooks.objects.base import AttachableRef, Ref

    ref = AttachableRef()
    ref.EntityRef = Ref()
    ref.EntityRef.type, ref.EntityRef.value = "Invoice", invoice
    note.AttachableRef = [ref]
    note.save(qb=qb)
    qbo_sandbox.advance_clock(days=6)

    assert balance(qbo_sandbox, qbo_realm_id, invoice) == 0
    qb = quickbooks_client(qbo_sandbox, qbo_sandbox.connect(qbo_realm_id))
    assert Invoice.get(invoice, qb=qb).LinkedTxn[0].TxnType == "Payment"


def test_disputing_customer_leaves_a_note_instead_of_paying(qbo_sandbox, qbo_realm_id):
    customer = customer_with(qbo_sandbox, qbo_realm_id, Persona.DISPUTES, "Unhappy")
    invoice = qbo_sandbox.create_invoice(qbo_realm_id, customer, "90").id
    qbo_sandbox.advance_clock(days=35)
    notes = qbo_sandbox.company(qbo_realm_id).live("Attachable")
    assert balance(qbo_sandbox, qbo_realm_id, invoice) == Decimal("90.00")
    assert [n.body["AttachableRef"][0]["EntityRef"]["value"] for n in notes] == [invoice]


def test_request_log_counts_calls_per_realm_and_endpoint(qb, qbo_sandbox, qbo_realm_id):
    qbo_sandbox.request_log.clear()
    Invoice.count(qb=qb)
    Invoice.where("", qb=qb)
    qb.get_report("AgedReceivables")
    counts = qbo_sandbox.request_log.counts(qbo_realm_id)
    assert counts["POST /v3/company/{realmId}/query"] == 2
    assert counts["GET /v3/company/{realmId}/reports/AgedReceivables"] == 1
    assert qbo_sandbox.request_log.count(tenant=qbo_sandbox.realm_ids[1]) == 0


def test_admin_api_drives_the_same_controls(qbo_sandbox, qbo_realm_id):
    admin = f"{qbo_sandbox.base_url}/_sandbox"
    state = requests.get(f"{admin}/", timeout=5).json()
    assert [c["realm_id"] for c in state["companies"]] == qbo_sandbox.realm_ids
    qbo_connection = requests.post(f"{admin}/connect", json={"realm_id": qbo_realm_id}, timeout=5).json()
    customer = qbo_sandbox.company(qbo_realm_id).create("Customer", {"DisplayName": "Admin"}).id
    invoice = requests.post(
        f"{admin}/companies/{qbo_realm_id}/invoices",
        timeout=5,
        json={"customer_id": customer, "amount": "50.00"},
    ).json()["Invoice"]
    requests.post(
        f"{admin}/companies/{qbo_realm_id}/payments",
        json={"invoice_id": invoice["Id"], "amount": "20"},
        timeout=5,
    )
    assert balance(qbo_sandbox, qbo_realm_id, invoice["Id"]) == Decimal("30.00")

    before = qbo_sandbox.clock.now()
    requests.post(f"{admin}/clock", json={"days": 2, "simulate": False}, timeout=5)
    assert qbo_sandbox.clock.now() - before >= timedelta(days=2)

    url = f"{qbo_sandbox.api_url_v3}/company/{qbo_realm_id}/invoice/{invoice['Id']}"
    headers = {"Authorization": f"Bearer {qbo_connection['access_token']}"}
    assert requests.get(url, headers=headers, timeout=5).status_code == 401  # two days later: expired
    qbo_connection = requests.post(f"{admin}/connect", json={"realm_id": qbo_realm_id}, timeout=5).json()
    headers = {"Authorization": f"Bearer {qbo_connection['access_token']}"}
    requests.post(f"{admin}/faults", json={"kind": "server_error", "times": 1}, timeout=5)
    assert requests.get(url, headers=headers, timeout=5).status_code == 500
    assert requests.get(url, headers=headers, timeout=5).status_code == 200

    requests.post(f"{admin}/companies/{qbo_realm_id}/revoke", timeout=5)
    assert requests.get(url, headers=headers, timeout=5).status_code == 401
    log = requests.get(f"{admin}/requests", params={"realm_id": qbo_realm_id}, timeout=5).json()
    assert log["by_status"] == {"500": 1, "200": 1, "401": 2}

    limits = requests.post(f"{admin}/limits", json={"per_minute": 1000}, timeout=5).json()
    assert limits["per_minute"] == 1000 and qbo_sandbox.throttle.policy.per_minute == 1000


def test_demo_company_is_realistic():
    with QuickBooksSandbox(seed="demo", dispatch=FAST_WEBHOOKS) as qbo_sandbox:
        qbo_realm_id = qbo_sandbox.realm_ids[0]
        company = qbo_sandbox.company(qbo_realm_id)
        assert len(company.live("Customer")) == 300
        assert len(company.live("Invoice")) == 3000
        assert company.live("CreditMemo")
        partial = [i for i in company.live("Invoice") if 0 < i.body["Balance"] < i.body["TotalAmt"]]
        assert partial
        totals = aged_receivables(company, {}, qbo_sandbox.clock.now())["Rows"]["Row"][-1]["Summary"][
            "ColData"
        ]
        current, *late, over_90, total = (Decimal(c["value"]) for c in totals[1:])
        assert Decimal(0) < over_90 < total / 3
        assert current + late[0] > total / 2  # most of what is owed is current or barely late
        qb = quickbooks_client(qbo_sandbox, qbo_sandbox.connect(qbo_realm_id))
        assert Invoice.count(qb=qb) == 3000
        assert len(Invoice.where("Balance > '0'", max_results=1000, qb=qb)) > 100


def snapshot(qbo_sandbox: QuickBooksSandbox) -> list[tuple]:
    company = qbo_sandbox.company(qbo_sandbox.realm_ids[0])
    return [
        (
            e.kind,
            e.id,
            e.sync_token,
            str(e.body.get("TotalAmt")),
            str(e.body.get("Balance")),
            e.body.get("DisplayName"),
            e.updated,
        )
        for kind in ("Customer", "Invoice", "Payment", "CreditMemo")
        for e in company.live(kind)
    ]


def test_same_seed_same_company_and_another_seed_another():
    first = QuickBooksSandbox(seed=7, demo_customers=20, demo_invoices=150)
    again = QuickBooksSandbox(seed=7, demo_customers=20, demo_invoices=150)
    other = QuickBooksSandbox(seed=8, demo_customers=20, demo_invoices=150)
    assert first.realm_ids == again.realm_ids
    assert snapshot(first) == snapshot(again)
    assert snapshot(first) != snapshot(other)


def test_cli_command_offers_port_seed_and_host():
    assert quickbooks_command.name == "quickbooks"
    assert {"port", "seed", "host"} <= {p.name for p in quickbooks_command.params}
    result = CliRunner().invoke(quickbooks_command, ["--seed", "fancy"])
    assert result.exit_code != 0 and "demo, empty or an integer" in result.output


def test_cli_serves_a_sandbox_until_stopped():
    code = "from integration.sandbox.quickbooks.cli import quickbooks; quickbooks(['--port', '0', '--seed', 'empty'])"
    process = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        first_line = process.stdout.readline()
        base = re.search(r"on (http://\S+)", first_line).group(1)
        discovery = requests.get(f"{base}/developer/.well-known/openid_sandbox_configuration/", timeout=5)
        assert discovery.status_code == 200
        assert discovery.json()["token_endpoint"] == f"{base}/oauth-platform/oauth2/v1/tokens/bearer"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


def test_admin_reseed_swaps_the_companies(qbo_sandbox):
    answer = requests.post(
        f"{qbo_sandbox.base_url}/_sandbox/seed", json={"seed": 3, "customers": 5, "invoices": 20}, timeout=10
    ).json()
    assert answer["seed"] == "3" and len(answer["realm_ids"]) == 2
    assert len(qbo_sandbox.company(answer["realm_ids"][0]).live("Invoice")) == 20


@pytest.mark.parametrize("seed", ["empty", "demo"])
def test_every_seed_has_two_companies_to_choose_from(seed):
    qbo_sandbox = QuickBooksSandbox(seed=seed, demo_customers=5, demo_invoices=10)
    assert len(qbo_sandbox.realm_ids) == 2
