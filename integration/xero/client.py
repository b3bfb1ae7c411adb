"""XeroLedger: Relance's Ledger over the official xero-python SDK, for one tenant.

Reads page at Xero's maximum (pageSize 1000, since July 2024: calcinai/xero-php#915 and
Xero-OpenAPI PR #595, xero-details.md 3.1) with If-Modified-Since in whole seconds and
UpdatedDateUTC order (one key; paging.py reads ties and the boundary second safely),
and fetch known ids 50 at a time (``IDs=``: about 52 GUIDs fit in Xero's URL, 53 returned 404 in
XeroAPI/Xero-Java#328). Answers are read as raw JSON and mapped in ``mapping.py``. The SDK is
pointed at a host by ``AccountingApi(base_url=api_url + "/api.xro/2.0")`` alone.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from xero_python.accounting import AccountingApi

from integration.ledger import (
    ContactRecord,
    CreditNoteRecord,
    InvoiceRecord,
    LedgerRejected,
    NoteTarget,
    OrganisationFacts,
    PaymentKind,
    PaymentRecord,
)
from integration.paging import changed_pages, whole_second
from integration.rate_limit import TenantRateLimiter

from . import mapping
from .calls import NotFound, XeroCalls
from .writes import XeroWrites

PAGE_SIZE = 1000
IDS_PER_CALL = 50
ORDER = "UpdatedDateUTC ASC"


class XeroLedger:
    """One Xero organisation (tenant), as Relance's Ledger."""

    provider = "xero"
    max_page_size = PAGE_SIZE

    def __init__(
        self,
        tenant_id: str,
        api_url: str,
        access_token: Callable[[], str],
        on_unauthorized: Callable[[], str] | None = None,
        limiter: TenantRateLimiter | None = None,
        client_id: str = "",
        client_secret: str = "",
        late_fee_account_code: str = "200",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.tenant_id = tenant_id
        self._calls = XeroCalls(access_token, on_unauthorized, limiter, client_id, client_secret, sleep)
        self.api = AccountingApi(self._calls.api_client, base_url=api_url.rstrip("/") + "/api.xro/2.0")
        self._writes = XeroWrites(self, late_fee_account_code)

    @property
    def calls(self) -> int:
        """HTTP calls made so far (retries included), for sync's "calls made" log line."""
        return self._calls.calls

    def call(self, method: Callable[..., Any], **kwargs: Any) -> Any:
        """One Accounting call for this tenant; returns the answer as JSON (Decimal numbers)."""
        response = self._calls.run(method, xero_tenant_id=self.tenant_id, _preload_content=False, **kwargs)
        data = response.data
        return mapping.loads(data) if data else {}

    def organisation_facts(self) -> OrganisationFacts:
        """GET /Organisation: one call (scope accounting.settings.read)."""
        answer = self.call(self.api.get_organisations)
        organisations = answer.get("Organisations") or [{}]
        return mapping.organisation_facts(organisations[0])

    # Changed since -----------------------------------------------------------------------------

    def _changed(
        self, method: Callable[..., Any], collection: str, id_key: str, since: datetime | None, **filters: Any
    ) -> Iterator[list[dict[str, Any]]]:
        def fetch(bound: datetime | None, page: int) -> list[dict[str, Any]]:
            # A whole second (paging.py): xero-python would send a fraction's six digits, and no
            # source says whether Xero reads them or whether If-Modified-Since is inclusive.
            extra = {"if_modified_since": whole_second(bound)} if bound is not None else {}
            answer = self.call(method, order=ORDER, page=page, page_size=PAGE_SIZE, **extra, **filters)
            return list(answer.get(collection) or [])

        return changed_pages(
            fetch,
            mapping.updated_at,
            lambda row: str(row[id_key]),
            since,
            PAGE_SIZE,
        )

    def changed_contacts(self, since: datetime | None) -> Iterator[list[ContactRecord]]:
        """Contacts, archived ones included (an archived customer must stop being chased)."""
        for rows in self._changed(
            self.api.get_contacts, "Contacts", "ContactID", since, include_archived=True
        ):
            yield [mapping.contact_record(row) for row in rows]

    def changed_invoices(self, since: datetime | None) -> Iterator[list[InvoiceRecord]]:
        """Sales invoices (ACCREC) in every status, voided and deleted ones included."""
        for rows in self._changed(
            self.api.get_invoices, "Invoices", "InvoiceID", since, where='Type=="ACCREC"'
        ):
            records = [mapping.invoice_record(row) for row in rows if mapping.is_sales_invoice(row)]
            if records:
                yield records

    def changed_payments(self, since: datetime | None) -> Iterator[list[PaymentRecord]]:
        """Payments on sales invoices, then money received as overpayments and prepayments."""
        for rows in self._changed(
            self.api.get_payments, "Payments", "PaymentID", since, where='PaymentType=="ACCRECPAYMENT"'
        ):
            records = [mapping.payment_record(row) for row in rows if mapping.is_sales_payment(row)]
            if records:
                yield records
        for method, collection, kind in (
            (self.api.get_overpayments, "Overpayments", PaymentKind.OVERPAYMENT),
            (self.api.get_prepayments, "Prepayments", PaymentKind.PREPAYMENT),
        ):
            id_key = "OverpaymentID" if kind is PaymentKind.OVERPAYMENT else "PrepaymentID"
            received = f'Type=="RECEIVE-{kind.value.upper()}"'
            for rows in self._changed(method, collection, id_key, since, where=received):
                records = [
                    mapping.credit_payment_record(r, kind) for r in rows if mapping.is_received_credit(r)
                ]
                if records:
                    yield records

    def changed_credit_notes(self, since: datetime | None) -> Iterator[list[CreditNoteRecord]]:
        """Approved sales credit notes (ACCRECCREDIT) with their allocations."""
        for rows in self._changed(
            self.api.get_credit_notes, "CreditNotes", "CreditNoteID", since, where='Type=="ACCRECCREDIT"'
        ):
            records = [mapping.credit_note_record(row) for row in rows if mapping.is_sales_credit_note(row)]
            if records:
                yield records

    # By id -------------------------------------------------------------------------------------

    def _by_id(
        self, method: Callable[..., Any], collection: str, ledger_ids: Sequence[str], **extra: Any
    ) -> list[dict[str, Any]]:
        unique = list(dict.fromkeys(i for i in ledger_ids if i))
        rows: list[dict[str, Any]] = []
        for start in range(0, len(unique), IDS_PER_CALL):
            chunk = unique[start : start + IDS_PER_CALL]
            # Paged so Xero never refuses it as an unfiltered read; 50 ids always fit one page.
            rows.extend(
                self.call(method, i_ds=chunk, page=1, page_size=PAGE_SIZE, **extra).get(collection) or []
            )
        return rows

    def invoices_by_id(self, ledger_ids: Sequence[str]) -> list[InvoiceRecord]:
        """These sales invoices (unknown ids and bills are left out), 50 ids per call."""
        rows = self._by_id(self.api.get_invoices, "Invoices", ledger_ids)
        return [mapping.invoice_record(row) for row in rows if mapping.is_sales_invoice(row)]

    def contacts_by_id(self, ledger_ids: Sequence[str]) -> list[ContactRecord]:
        """These contacts, archived ones included, 50 ids per call."""
        rows = self._by_id(self.api.get_contacts, "Contacts", ledger_ids, include_archived=True)
        return [mapping.contact_record(row) for row in rows]

    # Write side --------------------------------------------------------------------------------

    def payment_link(self, invoice_ledger_id: str) -> str | None:
        """The invoice's online page (Invoices/{id}/OnlineInvoice); None for drafts and unknown ids."""
        try:
            answer = self.call(self.api.get_online_invoice, invoice_id=invoice_ledger_id)
        except (NotFound, LedgerRejected):
            return None  # Xero offers no online invoice for drafts, bills or deleted invoices
        return mapping.online_invoice_url(answer)

    def write_note(self, target: NoteTarget, ledger_id: str, text: str) -> None:
        """A History note; long text becomes several numbered notes of at most 250 characters."""
        self._writes.write_note(target, ledger_id, text)

    def put_on_hold(self, contact_ledger_id: str) -> None:
        """Add the contact to the "Relance: on hold" contact group (created once if absent)."""
        self._writes.put_on_hold(contact_ledger_id)

    def release_hold(self, contact_ledger_id: str) -> None:
        """Take the contact out of the hold group; releasing a contact not on hold does nothing."""
        self._writes.release_hold(contact_ledger_id)

    def create_late_fee_invoice(
        self, contact_ledger_id: str, amount: Decimal, currency: str, description: str, due_on: date
    ) -> InvoiceRecord:
        """An approved (AUTHORISED) sales invoice with one line for the fee."""
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
        """An approved sales credit note with one line, allocated to the invoice in full."""
        return self._writes.create_credit_note(
            contact_ledger_id, invoice_ledger_id, amount, currency, description, key
        )

    @staticmethod
    def idempotency_key() -> str:
        """One key per logical write, reused by its retries (Idempotency-Key, max 128 chars, OAS-ACC)."""
        return uuid.uuid4().hex
