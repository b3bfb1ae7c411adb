"""The ledgers' own payment pages for each invoice, kept once found.

Xero's online invoice (``GET Invoices/{id}/OnlineInvoice``) and QuickBooks' InvoiceLink
(``include=invoiceLink``) are stable for an invoice, so each is asked once: when a reminder that
attaches the invoices' links is sent (the send job asks the ledger anyway), or the first time a
customer clicks "Pay online" in the portal; then the kept one is used and no ledger call is made.
Only an http(s) address is kept or followed: a value from the ledger never becomes a redirect to
``javascript:`` or another scheme.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from integration.connections import Connection, ledger_for
from runtime import clock, jobs
from runtime.db import Base
from runtime.logs import get_logger

log = get_logger(__name__)


class PaymentLink(Base):
    __tablename__ = "payment_links"
    __table_args__ = (UniqueConstraint("organisation_id", "invoice_ledger_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    invoice_ledger_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime] = mapped_column(default=clock.now)


def is_web_address(url: str | None) -> bool:
    """An absolute http(s) address with a host: what a customer may be sent to."""
    if not url or len(url) > 2000:
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def kept_link(session: Session, organisation_id: int, invoice_ledger_id: str) -> str | None:
    return session.scalar(
        select(PaymentLink.url).where(
            PaymentLink.organisation_id == organisation_id, PaymentLink.invoice_ledger_id == invoice_ledger_id
        )
    )


def kept_links(session: Session, organisation_id: int, invoice_ledger_ids: list[str]) -> dict[str, str]:
    """The links already kept for these invoices (invoice ledger id → address)."""
    if not invoice_ledger_ids:
        return {}
    return dict(
        session.execute(
            select(PaymentLink.invoice_ledger_id, PaymentLink.url).where(
                PaymentLink.organisation_id == organisation_id,
                PaymentLink.invoice_ledger_id.in_(invoice_ledger_ids),
            )
        ).all()
    )


def keep_links(session: Session, organisation_id: int, links: dict[str, str]) -> None:
    """Keep the links found (invoice ledger id → address); the caller commits."""
    for invoice_ledger_id, url in links.items():
        if not is_web_address(url):
            continue
        found = session.scalar(
            select(PaymentLink).where(
                PaymentLink.organisation_id == organisation_id,
                PaymentLink.invoice_ledger_id == invoice_ledger_id,
            )
        )
        if found is None:
            session.add(
                PaymentLink(
                    organisation_id=organisation_id,
                    invoice_ledger_id=invoice_ledger_id,
                    url=url,
                    fetched_at=clock.now(),
                )
            )
        elif found.url != url:
            found.url, found.fetched_at = url, clock.now()
    session.flush()


def payment_link(session: Session, organisation_id: int, invoice_ledger_id: str) -> str | None:
    """The invoice's payment page: the kept one, else asked of the ledger once (and kept); None when
    the ledger has none or cannot be reached now (the caller offers a bank transfer)."""
    kept = kept_link(session, organisation_id, invoice_ledger_id)
    if is_web_address(kept):
        return kept
    connection = session.scalar(
        select(Connection)
        .where(Connection.organisation_id == organisation_id)
        .order_by(Connection.connected_at.desc(), Connection.id.desc())
        .limit(1)
    )
    if connection is None:
        return None
    try:
        url = ledger_for(connection, jobs.connection()).payment_link(invoice_ledger_id)
    except Exception as error:  # the ledger's trouble must not become the customer's: say "transfer"
        log.warning(
            "portal.payment_link_unavailable", organisation=organisation_id, error=type(error).__name__
        )
        return None
    if not is_web_address(url):
        return None
    assert url is not None
    keep_links(session, organisation_id, {invoice_ledger_id: url})
    session.commit()
    return url
