"""No record written in the cursor's own second is lost, on both ledgers, whether the ledger's
change filter is inclusive (the sandboxes' default) or exclusive and second-precise.

Each test freezes the ledger sandbox's clock at chosen instants, writes invoices at
hh:mm:ss.100 and hh:mm:ss.900, and syncs through the sync engine over real HTTP. QuickBooks is
read both ways Relance reads it: change data capture (changes within 30 days) and queries
(older windows and first syncs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from integration.sandbox.common.change_filter import ChangeFilter
from integration.sandbox.common.clock import SandboxClock
from integration.sandbox.quickbooks.strictness import Strictness
from runtime import clock
from sync.jobs import sync_tenant
from sync.models import Invoice
from tests.integration.ledgers import (
    point_at_quickbooks,
    point_at_xero,
    quickbooks_consent,
    running_quickbooks,
    running_xero,
    xero_consent,
)

CDC = "/v3/company/{realmId}/cdc"
QUERY = "/v3/company/{realmId}/query"


@dataclass
class Books:
    """One ledger sandbox with its clock frozen, as the tests below drive it."""

    sandbox: object
    connection_id: int
    set_clock: Callable[[datetime], None]
    write_invoice: Callable[[], str]  # returns the new invoice's ledger id
    invoice_reads: Callable[[], dict[str, int]]


def whole_second(age: timedelta) -> datetime:
    return clock.now().replace(microsecond=0) - age


@contextmanager
def xero_books(monkeypatch, session, change_filter: ChangeFilter, start: datetime) -> Iterator[Books]:  # type: ignore[no-untyped-def]
    with running_xero(start=start, frozen_clock=True, change_filter=change_filter) as sandbox:
        point_at_xero(monkeypatch, sandbox)
        connection = xero_consent(session, sandbox)[0]
        contact = sandbox.create_contact("Boundary Traders Ltd")
        yield Books(
            sandbox,
            connection.id,
            sandbox.clock.set,
            lambda: sandbox.create_invoice(contact.contact_id, Decimal("100.00")).invoice_id,
            lambda: {"invoices": sandbox.request_log.count(endpoint="/Invoices", method="GET")},
        )


@contextmanager
def quickbooks_books(monkeypatch, session, change_filter: ChangeFilter, start: datetime) -> Iterator[Books]:  # type: ignore[no-untyped-def]
    frozen = SandboxClock(start, frozen=True)
    with running_quickbooks(clock=frozen, strictness=Strictness(change_filter=change_filter)) as sandbox:
        point_at_quickbooks(monkeypatch, sandbox)
        connection = quickbooks_consent(session, sandbox)
        realm = connection.tenant_id
        buyer = sandbox.company(realm).create("Customer", {"DisplayName": "Boundary Traders"})
        yield Books(
            sandbox,
            connection.id,
            frozen.set,
            lambda: sandbox.create_invoice(realm, buyer.id, "100.00").id,
            lambda: {
                "cdc": sandbox.request_log.count(endpoint=CDC),
                "query": sandbox.request_log.count(endpoint=QUERY),
            },
        )


# (ledger, how far back the writes are): QuickBooks reads a window within 30 days by CDC and an
# older one by query.
LEDGERS = {
    "xero": (xero_books, timedelta(hours=1)),
    "quickbooks-cdc": (quickbooks_books, timedelta(hours=1)),
    "quickbooks-query": (quickbooks_books, timedelta(days=40)),
}


@pytest.fixture(
    params=[(ledger, f) for ledger in LEDGERS for f in ChangeFilter], ids=lambda p: f"{p[0]}-{p[1].value}"
)
def books(request, monkeypatch, session, redis_client) -> Iterator[Books]:  # type: ignore[no-untyped-def]
    ledger, change_filter = request.param
    make, age = LEDGERS[ledger]
    second = whole_second(age)
    with make(monkeypatch, session, change_filter, second - timedelta(minutes=20)) as opened:
        opened.second = second  # type: ignore[attr-defined]
        opened.path = ledger  # type: ignore[attr-defined]
        yield opened


def mirrored_invoices(session) -> set[str]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return set(session.scalars(select(Invoice.ledger_id)))


def test_an_invoice_written_later_in_the_cursors_second_reaches_the_mirror(books, session) -> None:
    second = books.second
    books.set_clock(second + timedelta(milliseconds=100))
    early = books.write_invoice()
    sync_tenant(books.connection_id)
    assert mirrored_invoices(session) == {early}

    books.set_clock(second + timedelta(milliseconds=900))  # the same second as the cursor
    late = books.write_invoice()
    sync_tenant(books.connection_id)

    assert mirrored_invoices(session) == {early, late}
    if books.path == "quickbooks-cdc":
        assert books.invoice_reads()["cdc"] >= 1
    if books.path == "quickbooks-query":
        assert books.invoice_reads()["cdc"] == 0


def test_an_invoice_after_a_full_page_in_its_last_second_is_not_lost(books, session) -> None:
    # 999 invoices a second apart, then one at ss.100 that ends the first page of 1000, then one at
    # ss.900 in that same second: the page boundary falls inside the second.
    second = books.second
    written = []
    for n in range(999):
        books.set_clock(second - timedelta(seconds=999 - n))
        written.append(books.write_invoice())
    books.set_clock(second + timedelta(milliseconds=100))
    written.append(books.write_invoice())
    books.set_clock(second + timedelta(milliseconds=900))
    written.append(books.write_invoice())

    sync_tenant(books.connection_id)

    assert mirrored_invoices(session) == set(written)
