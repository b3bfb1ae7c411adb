"""Fixtures the web tests share: Harbour Cafe's books as the customer portal's tests use them (a
module that defines its own ``books``, as test_customers.py does, keeps its own)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from runtime import clock
from sync.models import Invoice
from tests.web.test_customers import harbour_books


@pytest.fixture
def books(session, redis_client):  # type: ignore[no-untyped-def]
    """Harbour Cafe's customers on 30 June 2026, with what each open invoice owes as a sync
    writes it (the aging reads the allocations instead)."""
    clock.freeze(datetime(2026, 6, 30, 9, tzinfo=UTC))
    made = harbour_books(session)
    session.execute(update(Invoice).where(Invoice.status == "open").values(amount_due=Invoice.total))
    session.commit()
    return made
