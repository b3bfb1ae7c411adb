"""Benchmark: the customer list and the customer page of an organisation with 2,000 customers and
20,000 invoices (a third part-paid, a quarter of the customers with a standing), server time.

    .venv/bin/python bench/customers_bench.py [--customers 2000] [--invoices 20000] [--runs 40]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/customers_bench.py

Each page is asked for ``--runs`` times through the app (Flask's test client, a signed-in owner)
after one warm-up; p50 and p95 of the time from request to response are printed per page.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.services import from_environment

TODAY = date(2026, 11, 23)


def fill(customers: int, invoices: int) -> tuple[int, int, int]:
    """The organisation, its owner and its customer with the most invoices."""
    from sqlalchemy import insert, select

    from reminders.models import CustomerStanding
    from runtime.db import db
    from runtime.tenancy import Membership, Organisation, User
    from sync.models import Allocation, Customer, Invoice
    from sync.versions import raise_version

    rng = random.Random(11)
    stamp = datetime(2026, 11, 1, tzinfo=UTC)
    organisation = Organisation(name="Bench Ltd", base_currency="NZD", timezone="Pacific/Auckland")
    owner = User(email="owner@bench.example", name="Owner")
    db.session.add_all([organisation, owner])
    db.session.flush()
    db.session.add(Membership(user_id=owner.id, organisation_id=organisation.id))
    db.session.execute(
        insert(Customer),
        [
            {
                "organisation_id": organisation.id,
                "ledger_id": f"c{n}",
                "name": f"Customer {n:05} {rng.choice(['Ltd', 'Group', 'Supplies', 'Studio'])}",
                "email": f"accounts{n}@customer{n}.example",
                "ledger_updated_at": stamp,
            }
            for n in range(customers)
        ],
    )
    rows, allocations = [], []
    for n in range(invoices):
        issued = TODAY - timedelta(days=rng.randint(0, 400))
        total = Decimal(rng.randint(1000, 500000)) / 100
        paid = rng.random() < 0.6
        rows.append(
            {
                "organisation_id": organisation.id,
                "ledger_id": f"i{n}",
                "customer_ledger_id": f"c{rng.randint(0, customers - 1)}",
                "number": f"INV-{n:06}",
                "status": "paid" if paid else "open",
                "currency": "NZD",
                "issued_on": issued,
                "due_on": issued + timedelta(days=30),
                "total": total,
                "amount_due": Decimal(0) if paid else total,
                "amount_paid": total if paid else Decimal(0),
                "amount_credited": Decimal(0),
                "ledger_updated_at": stamp,
            }
        )
        if paid or rng.random() < 0.33:
            allocations.append(
                {
                    "organisation_id": organisation.id,
                    "source_kind": "payment",
                    "source_ledger_id": f"p{n}",
                    "invoice_ledger_id": f"i{n}",
                    "amount": total if paid else (total / 3).quantize(Decimal("0.01")),
                    "applied_on": issued + timedelta(days=rng.randint(5, 60)),
                }
            )
    db.session.execute(insert(Invoice), rows)
    db.session.execute(insert(Allocation), allocations)
    db.session.execute(
        insert(CustomerStanding),
        [
            {
                "organisation_id": organisation.id,
                "customer_ledger_id": f"c{n}",
                "risk": rng.randint(1, 3),
                "explanation": "usually pays 12 days late",
                "segment": rng.choice(["large", "small"]),
                "open_balance": Decimal(0),
                "overdue_balance": Decimal(0),
                "assessed_on": TODAY,
            }
            for n in range(0, customers, 4)
        ],
    )
    # What a sync leaves beside its rows (sync/mirror.py): the mirror's version, under which the
    # list's balances are kept (reminders/receivables/kept_figures.py).
    raise_version(db.session(), organisation.id)
    db.session.commit()
    from sqlalchemy import func

    busiest = db.session.scalar(
        select(Customer.id)
        .join(Invoice, Invoice.customer_ledger_id == Customer.ledger_id)
        .group_by(Customer.id)
        .order_by(func.count().desc())
        .limit(1)
    )
    return organisation.id, owner.id, int(busiest or 0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--invoices", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=40)
    arguments = parser.parse_args()
    services = from_environment(Path(tempfile.mkdtemp(prefix="relance-bench-")))
    os.environ.update(services.start())
    try:
        from sqlalchemy import text

        from runtime import clock
        from runtime.db import db
        from runtime.settings import reload_settings
        from tests.web.test_receivables import sign_in
        from web import create_app

        app = create_app(reload_settings())
        clock.freeze(datetime(2026, 11, 23, 1, tzinfo=UTC))
        with app.app_context():
            organisation_id, owner_id, customer_id = fill(arguments.customers, arguments.invoices)
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect() as connection:
                    connection.execute(text("ANALYZE"))
                    connection.commit()
            client = app.test_client()
            sign_in(client, owner_id)
        base = f"/organisations/{organisation_id}/customers"
        pages = {
            "organisation dashboard (the frame alone)": f"/organisations/{organisation_id}",
            "list, most overdue first": base,
            "list, page 20 by name": f"{base}?sort=name&page=20",
            "list, search an invoice number": f"{base}?q=INV-0123",
            "list, high risk, 91-120 days": f"{base}?risk=3&bucket=4",
            "customer page (busiest customer)": f"{base}/{customer_id}",
        }
        print(
            f"customers, {arguments.customers} customers, {arguments.invoices} invoices, {db.engine.dialect.name}:"
        )
        for name, path in pages.items():
            assert client.get(path).status_code == 200, path
            times = []
            for _ in range(arguments.runs):
                started = time.perf_counter()
                answer = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
            print(f"  {name:42} p50 {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms")
    finally:
        from runtime.db import db

        db.close()
        services.stop()


if __name__ == "__main__":
    main()
