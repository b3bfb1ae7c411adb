"""QuickBooksLedger: Relance's Ledger over python-quickbooks, for one company (realm).

"Changed since" has two readers, chosen per call:

- change data capture (``/cdc?entities=X&changedSince=…``) when ``since`` is inside CDC's 30-day
  look-back: one call returns every change of the window with full bodies *and* the deletions,
  which queries never return (DCDC, quickbooks-details.md 5). That is the usual incremental
  sync after webhooks, and it costs the same one call as a query would;
- queries ``WHERE MetaData.LastUpdatedTime >= '…' ORDERBY MetaData.LastUpdatedTime STARTPOSITION n
  MAXRESULTS 1000`` for the first sync, for windows older than 30 days, and when CDC comes back
  full (it stops at 1000 objects, and which 1000 is not documented): complete for live records,
  paged with the same keyset reader as Xero (see paging.py).

Both send times in whole seconds (QuickBooks shows LastUpdatedTime to the second) from a little
before the cursor, so a record written later in the cursor's own second comes back whether
``changedSince`` is inclusive or not; the mirror's newer-version-wins absorbs the repeats.

The ORDERBY has one key. Intuit's query grammar is ``[ORDERBY OrderByClause]`` with one
``PropertyName [ASC|DESC]`` and a list of sortable attributes per entity (DQ, "Query operations
and syntax", developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/
data-queries); every example there and in python-quickbooks (quickbooks-details.md 4) sorts by
one attribute, and none sorts by Id. A second key Intuit refused would fail every sync, so the
reader does not depend on one: records that share a second may come in any order (paging.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from integration.ledger import (
    ContactRecord,
    CreditNoteRecord,
    InvoiceRecord,
    NoteTarget,
    OrganisationFacts,
    PaymentRecord,
)
from integration.paging import changed_pages
from integration.rate_limit import TenantRateLimiter
from runtime import clock
from runtime.logs import get_logger

from . import mapping
from .calls import NotFound, ledger_errors, quickbooks_client
from .writes import QuickBooksWrites

log = get_logger(__name__)

PAGE_SIZE = 1000  # MAXRESULTS is at most 1000 (DQ, quickbooks-details.md 4)
IDS_PER_QUERY = (
    1000  # the statement is POSTed (no URL limit) and a page holds 1000; no IN limit is documented
)
CDC_LOOK_BACK = timedelta(days=30)  # DCDC
CDC_MARGIN = timedelta(hours=1)  # stay clear of the edge: our clock and Intuit's may differ
CDC_MAX_OBJECTS = 1000  # DCDC: an answer holds at most 1000 objects
ORDER_KEY = "MetaData.LastUpdatedTime"  # the one documented sort key Relance needs (DQ)
BATCH_ITEMS = 30  # queries in one call of the batch endpoint (BBATCH, quickbooks-details.md 6)
# Pages (of PAGE_SIZE records) asked in one batch call: within BATCH_ITEMS, and few enough that
# one answer (about 30 MB of JSON for 10 pages of invoices) keeps a sync's memory flat in the size
# of the ledger: a 100,000-invoice company is read in more calls, never in bigger ones.
PAGES_PER_CALL = 10
# Records a page of a batch call: one under MAXRESULTS, so that a page asked with the row before
# it (paging.py: the pages of one call must join up) is still one query's most.
BATCHED_PAGE = PAGE_SIZE - 1


def _quoted(value: str) -> str:
    """A query string literal; QuickBooks escapes an apostrophe with a backslash (DQ)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class QuickBooksLedger:
    """One QuickBooks Online company, as Relance's Ledger."""

    provider = "quickbooks"
    max_page_size = PAGE_SIZE

    def __init__(
        self,
        realm_id: str,
        api_url: str,
        access_token: Callable[[], str],
        on_unauthorized: Callable[[], str] | None = None,
        limiter: TenantRateLimiter | None = None,
        client_id: str = "",
        client_secret: str = "",
        late_fee_item_id: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # client_id/client_secret keep one constructor for both ledgers; a QuickBooks API call needs
        # only the bearer token (Relance refreshes it elsewhere, python-quickbooks never does).
        del client_id, client_secret
        self.realm_id = realm_id
        self.client = quickbooks_client(realm_id, api_url, access_token, on_unauthorized, limiter, sleep)
        self._writes = QuickBooksWrites(self, late_fee_item_id)

    @property
    def calls(self) -> int:
        """HTTP calls made so far (retries included), for sync's "calls made" log line."""
        return self.client.calls

    def query(self, statement: str) -> dict[str, Any]:
        """One query (python-quickbooks POSTs it as application/text)."""
        with ledger_errors():
            return self.client.query(statement)

    def organisation_facts(self) -> OrganisationFacts:
        """CompanyInfo and Preferences: two queries in one batch call (each entity is a
        singleton per company)."""
        info_answer, preferences_answer = self.batch(
            ["SELECT * FROM CompanyInfo", "SELECT * FROM Preferences"]
        )
        info = mapping.query_rows(info_answer, "CompanyInfo")
        preferences = mapping.query_rows(preferences_answer, "Preferences")
        return mapping.organisation_facts(info[0] if info else {}, preferences[0] if preferences else {})

    # Changed since -----------------------------------------------------------------------------

    def _changed(
        self, entity: str, since: datetime | None, where: str = ""
    ) -> Iterator[list[dict[str, Any]]]:
        if since is not None and since > clock.now() - CDC_LOOK_BACK + CDC_MARGIN:
            rows = self._capture(entity, since)
            if len(rows) < CDC_MAX_OBJECTS:
                if rows:
                    yield sorted(rows, key=mapping.updated_at)
                return
            log.info("quickbooks.cdc_full", entity=entity, realm=self.realm_id)
        yield from self._queried(entity, since, where)

    def _capture(self, entity: str, since: datetime) -> list[dict[str, Any]]:
        with ledger_errors():
            answer = self.client.change_data_capture(entity, mapping.query_time(since))
        return mapping.cdc_rows(answer, entity)

    def batch(self, statements: Sequence[str]) -> list[dict[str, Any]]:
        """Queries in one call of the batch endpoint (at most BATCH_ITEMS, BBATCH); each answer
        as a query's own, in order. An item that failed raises as its query alone would."""
        request = {"BatchItemRequest": [{"bId": str(n), "Query": q} for n, q in enumerate(statements)]}
        with ledger_errors():
            answer = self.client.batch_operation(json.dumps(request))  # the library posts a string
            items = {str(item.get("bId")): item for item in answer.get("BatchItemResponse") or []}
            found = []
            for n in range(len(statements)):
                item = items.get(str(n)) or {}
                if "Fault" in item:
                    self.client.handle_exceptions(item["Fault"])
                found.append(item)
        return found

    def _queried(self, entity: str, since: datetime | None, where: str) -> Iterator[list[dict[str, Any]]]:
        """Pages of a query through the batch endpoint: the first call asks how many records there
        are with the first page, each later one for as many pages as remain (at most
        PAGES_PER_CALL). The 10,000-invoice bench company's first sync is 9 calls where one query a
        page took 27 (bench/README.md)."""
        total: list[int] = []  # the count, once the first call has answered it

        def clause(bound: datetime | None) -> str:
            conditions = [where] if where else []
            if bound is not None:
                conditions.append(f"MetaData.LastUpdatedTime >= '{mapping.query_time(bound)}'")
            return f" WHERE {' AND '.join(conditions)}" if conditions else ""

        def statement(bound: datetime | None, page: int, with_the_row_before: bool = False) -> str:
            # A page of BATCHED_PAGE records; with the row before it, the one the page before ends
            # with (paging.py checks that the pages of one call join up).
            start = (page - 1) * BATCHED_PAGE + (0 if with_the_row_before else 1)
            return (
                # Not SQL: a QuickBooks query built from constants and a formatted time.
                # One sort key, as Intuit documents ORDERBY (DQ); ties are paging.py's to handle.
                f"SELECT * FROM {entity}{clause(bound)} ORDERBY {ORDER_KEY} "  # noqa: S608
                f"STARTPOSITION {start} MAXRESULTS {BATCHED_PAGE + (1 if with_the_row_before else 0)}"
            )

        def fetch(bound: datetime | None, page: int) -> list[dict[str, Any]]:
            return mapping.query_rows(self.query(statement(bound, page)), entity)

        def fetch_pages(bound: datetime | None, first: int, count: int) -> list[list[dict[str, Any]]]:
            statements = [statement(bound, page, page > first) for page in range(first, first + count)]
            if not total:
                statements.insert(0, f"SELECT COUNT(*) FROM {entity}{clause(bound)}")  # noqa: S608
            answers = self.batch(statements)
            if not total:
                total.append(int((answers.pop(0).get("QueryResponse") or {}).get("totalCount") or 0))
            return [mapping.query_rows(answer, entity) for answer in answers]

        def pages_wanted(read: int) -> int:
            if not total:
                return 1
            # What is left, and a page more for the records read again past each new bound.
            return min(PAGES_PER_CALL, -(-(total[0] - read) // BATCHED_PAGE) + 1)

        return changed_pages(
            fetch,
            mapping.updated_at,
            lambda row: str(row["Id"]),
            since,
            BATCHED_PAGE,
            fetch_pages=fetch_pages,
            pages_wanted=pages_wanted,
        )

    def changed_contacts(self, since: datetime | None) -> Iterator[list[ContactRecord]]:
        """Customers, inactive ones included: a query returns only active name-list entities unless
        asked (DQ: `Active IN (true, false)`, verify), and an inactive customer must stop being chased."""
        for rows in self._changed("Customer", since, where="Active IN (true, false)"):
            yield [mapping.contact_record(row) for row in rows]

    def changed_invoices(self, since: datetime | None) -> Iterator[list[InvoiceRecord]]:
        """Invoices (QuickBooks' sales invoices), voided and (through CDC) deleted ones included."""
        for rows in self._changed("Invoice", since):
            yield [mapping.invoice_record(row) for row in rows]

    def changed_payments(self, since: datetime | None) -> Iterator[list[PaymentRecord]]:
        """Customer payments; unapplied money is an overpayment or prepayment (see mapping)."""
        for rows in self._changed("Payment", since):
            yield [mapping.payment_record(row) for row in rows]

    def changed_credit_notes(self, since: datetime | None) -> Iterator[list[CreditNoteRecord]]:
        """Credit memos."""
        for rows in self._changed("CreditMemo", since):
            yield [mapping.credit_note_record(row) for row in rows]

    # By id -------------------------------------------------------------------------------------

    def _by_id(self, entity: str, ledger_ids: Sequence[str], extra: str = "") -> list[dict[str, Any]]:
        unique = list(dict.fromkeys(str(i) for i in ledger_ids if i))
        rows: list[dict[str, Any]] = []
        for start in range(0, len(unique), IDS_PER_QUERY):
            chunk = ", ".join(_quoted(i) for i in unique[start : start + IDS_PER_QUERY])
            # Not SQL: a QuickBooks query; every id is a quoted, escaped literal (_quoted).
            statement = f"SELECT * FROM {entity} WHERE Id IN ({chunk}){extra} MAXRESULTS {PAGE_SIZE}"  # noqa: S608
            rows.extend(mapping.query_rows(self.query(statement), entity))
        return rows

    def invoices_by_id(self, ledger_ids: Sequence[str]) -> list[InvoiceRecord]:
        """These invoices, 1000 ids per query; deleted or unknown ids are left out."""
        return [mapping.invoice_record(row) for row in self._by_id("Invoice", ledger_ids)]

    def contacts_by_id(self, ledger_ids: Sequence[str]) -> list[ContactRecord]:
        """These customers, inactive ones included."""
        rows = self._by_id("Customer", ledger_ids, extra=" AND Active IN (true, false)")
        return [mapping.contact_record(row) for row in rows]

    # Write side --------------------------------------------------------------------------------

    def read(self, entity: str, ledger_id: str, **params: str) -> dict[str, Any]:
        """One entity by Id (GET /{entity}/{id})."""
        with ledger_errors():
            answer = self.client.get_single_object(entity, ledger_id, params=dict(params))
        return answer.get(entity) or {}

    def payment_link(self, invoice_ledger_id: str) -> str | None:
        """InvoiceLink from a read with include=invoiceLink (minorversion >= 36); QuickBooks only
        has one for invoices that allow online payment and have a BillEmail (REFINV)."""
        try:
            invoice = self.read("Invoice", invoice_ledger_id, include="invoiceLink")
        except NotFound:
            return None
        return invoice.get("InvoiceLink") or None

    def write_note(self, target: NoteTarget, ledger_id: str, text: str) -> None:
        """An Attachable note on the invoice or customer (DATT)."""
        self._writes.write_note(target, ledger_id, text)

    def put_on_hold(self, contact_ledger_id: str) -> None:
        """Mark the customer's Notes and leave a dated note (see writes.py for why)."""
        self._writes.put_on_hold(contact_ledger_id)

    def release_hold(self, contact_ledger_id: str) -> None:
        """Remove the hold mark; releasing a customer not on hold does nothing."""
        self._writes.release_hold(contact_ledger_id)

    def create_late_fee_invoice(
        self, contact_ledger_id: str, amount: Decimal, currency: str, description: str, due_on: date
    ) -> InvoiceRecord:
        """An invoice with one line on the "Late payment fee" service item."""
        return self._writes.create_late_fee_invoice(contact_ledger_id, amount, currency, description, due_on)

    def create_credit_note(
        self,
        contact_ledger_id: str,
        invoice_ledger_id: str,
        amount: Decimal,
        currency: str,
        description: str,
        key: str = "",
    ) -> CreditNoteRecord:
        """A CreditMemo applied to the invoice by a zero Payment linking both (see writes.py)."""
        return self._writes.create_credit_note(
            contact_ledger_id, invoice_ledger_id, amount, currency, description, key
        )
