"""GET /Currencies through xero-python: the organisation's currencies, as Xero's contract has them
(every answer here is checked against xero_accounting.yaml at teardown)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from xero_clients import sdk_client
from xero_python.accounting import AccountingApi
from xero_python.exceptions import ApiException

from integration.sandbox.xero.demo_company import DemoScale


def accounting_for(sandbox, scopes=None) -> AccountingApi:  # type: ignore[no-untyped-def]
    token = sandbox.connect() if scopes is None else sandbox.connect(scopes=scopes)
    return AccountingApi(sdk_client(sandbox, token), base_url=sandbox.urls.accounting_api)


def listed(accounting: AccountingApi, tenant: str, **filters) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(c.code.value, c.description) for c in accounting.get_currencies(tenant, **filters).currencies]


def test_the_base_currency_comes_first_then_those_the_invoices_use(xero_sandbox, xero_accounting):
    tenant = xero_sandbox.tenant_id
    assert listed(xero_accounting, tenant) == [("NZD", "New Zealand Dollar")]
    customer = xero_sandbox.create_contact("Sydney Stores Pty")
    xero_sandbox.create_invoice(customer.contact_id, Decimal("100"), currency="USD")
    xero_sandbox.create_invoice(customer.contact_id, Decimal("100"), currency="AUD")

    assert listed(xero_accounting, tenant) == [
        ("NZD", "New Zealand Dollar"),
        ("AUD", "Australian Dollar"),
        ("USD", "United States Dollar"),
    ]


def test_currencies_filter_and_order_like_other_lists(xero_sandbox_factory):
    sandbox = xero_sandbox_factory(seed="demo", scale=DemoScale.small())
    accounting = accounting_for(sandbox)

    assert listed(accounting, sandbox.tenant_id, where='Code=="AUD"') == [("AUD", "Australian Dollar")]
    assert [code for code, _ in listed(accounting, sandbox.tenant_id, order="Code DESC")] == ["NZD", "AUD"]


def test_currencies_need_a_settings_scope(xero_sandbox):
    accounting = accounting_for(xero_sandbox, scopes=("openid", "accounting.transactions"))

    with pytest.raises(ApiException) as refused:
        accounting.get_currencies(xero_sandbox.tenant_id)

    assert refused.value.status == 401  # the sandbox's AuthorizationUnsuccessful for a missing scope
