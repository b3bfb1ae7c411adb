"""If-Modified-Since read both ways the sandbox can read it: inclusive (the default) or exclusive
and second-precise, which keeps only records stamped in a later whole second than the header's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from xero_clients import fast_settings, sdk_client
from xero_python.accounting import AccountingApi

from integration.sandbox.common.change_filter import ChangeFilter

SECOND = datetime(2026, 3, 2, 9, 30, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change_filter", "expected"),
    [
        (ChangeFilter.INCLUSIVE, [Decimal("10.00"), Decimal("20.00")]),
        (ChangeFilter.EXCLUSIVE, [Decimal("20.00")]),
    ],
)
def test_if_modified_since_keeps_the_headers_own_second_only_when_inclusive(
    xero_sandbox_factory, change_filter, expected
):
    sandbox = xero_sandbox_factory(
        settings=fast_settings(
            start=SECOND + timedelta(milliseconds=400), frozen_clock=True, change_filter=change_filter
        )
    )
    accounting = AccountingApi(sdk_client(sandbox, sandbox.connect()), base_url=sandbox.urls.accounting_api)
    customer = sandbox.create_contact("Second Street Ltd")
    sandbox.create_invoice(customer.contact_id, Decimal("10.00"))  # at 09:30:15.400
    sandbox.clock.set(SECOND + timedelta(seconds=1, milliseconds=200))
    sandbox.create_invoice(customer.contact_id, Decimal("20.00"))  # at 09:30:16.200

    found = accounting.get_invoices(sandbox.tenant_id, if_modified_since=SECOND, page=1).invoices

    assert sorted(invoice.sub_total for invoice in found) == expected
