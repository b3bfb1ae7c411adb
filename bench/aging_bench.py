"""Benchmark: aging 1,000,000 open invoices across 1,000 organisations, against a bare scan.

    .venv/bin/python bench/aging_bench.py [--organisations 1000] [--invoices-per 1000]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/aging_bench.py

Fills a throwaway database with generated invoices (a third of them part-paid; one in twenty
with an unused credit note and one in twenty-five with an unapplied payment beside it), then
times (1) a bare scan, SELECT count(*), sum(total) FROM invoices, (2) aging every organisation
with reminders.receivables.aging.aging_report, and (3) the same with unused credit netted off (the aged
receivables the ledgers print), and prints them and their ratios to the scan.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.services import from_environment

AS_OF = date(2026, 11, 23)


def fill(organisations: int, per: int) -> list[int]:
    from sqlalchemy import insert

    from runtime.db import db
    from runtime.tenancy import Organisation
    from sync.models import Allocation, CreditNote, Invoice, Payment

    rng = random.Random(7)
    stamp = datetime(2026, 11, 1, tzinfo=UTC)
    ids = []
    for number in range(organisations):
        organisation = Organisation(name=f"Bench {number}")
        db.session.add(organisation)
        db.session.flush()
        ids.append(organisation.id)
        invoices, allocations, notes, payments = [], [], [], []
        for n in range(per):
            issued = AS_OF - timedelta(days=rng.randint(0, 400))
            total = Decimal(rng.randint(1000, 500000)) / 100
            ledger_id = f"{number}-{n}"
            invoices.append(
                {
                    "organisation_id": organisation.id,
                    "ledger_id": ledger_id,
                    "customer_ledger_id": f"c{rng.randint(1, per // 10 or 1)}",
                    "status": "open",
                    "currency": "NZD",
                    "issued_on": issued,
                    "due_on": issued + timedelta(days=30),
                    "total": total,
                    "amount_due": total,
                    "amount_paid": Decimal(0),
                    "amount_credited": Decimal(0),
                    "ledger_updated_at": stamp,
                    "synced_at": stamp,
                }
            )
            if n % 3 == 0:
                allocations.append(
                    {
                        "organisation_id": organisation.id,
                        "source_kind": "payment",
                        "source_ledger_id": f"p{ledger_id}",
                        "invoice_ledger_id": ledger_id,
                        "amount": (total / 2).quantize(Decimal("0.01")),
                        "applied_on": issued + timedelta(days=20),
                        "active": True,
                    }
                )
            credit = {
                "organisation_id": organisation.id,
                "customer_ledger_id": invoices[-1]["customer_ledger_id"],
                "currency": "NZD",
                "status": "active",
                "ledger_updated_at": stamp,
                "synced_at": stamp,
            }
            if n % 20 == 0:
                left = (total / 4).quantize(Decimal("0.01"))
                notes.append(
                    {
                        **credit,
                        "ledger_id": f"cn{ledger_id}",
                        "issued_on": issued,
                        "total": left,
                        "remaining_credit": left,
                    }
                )
            if n % 25 == 0:
                money = (total / 5).quantize(Decimal("0.01"))
                payments.append(
                    {
                        **credit,
                        "ledger_id": f"op{ledger_id}",
                        "kind": "overpayment",
                        "received_on": issued,
                        "amount": money,
                        "unapplied": money,
                    }
                )
        db.session.execute(insert(Invoice), invoices)
        db.session.execute(insert(Allocation), allocations)
        db.session.execute(insert(CreditNote), notes)
        db.session.execute(insert(Payment), payments)
        db.session.commit()
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--organisations", type=int, default=1000)
    parser.add_argument("--invoices-per", type=int, default=1000)
    arguments = parser.parse_args()
    services = from_environment(Path(tempfile.mkdtemp(prefix="relance-bench-")))
    os.environ.update(services.start())
    try:
        from sqlalchemy import text

        from reminders.receivables.aging import aging_report
        from runtime.db import db
        from runtime.settings import reload_settings

        settings = reload_settings()
        db.bind(settings.sqlalchemy_url)
        started = time.perf_counter()
        ids = fill(arguments.organisations, arguments.invoices_per)
        filled = time.perf_counter() - started
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.execute(text("ANALYZE"))
                connection.commit()
        started = time.perf_counter()
        count, total = db.session.execute(text("SELECT count(*), sum(total) FROM invoices")).one()
        scan = time.perf_counter() - started
        started = time.perf_counter()
        owed = sum(
            (aging_report(db.session, organisation_id, AS_OF).total for organisation_id in ids), Decimal(0)
        )
        aging = time.perf_counter() - started
        started = time.perf_counter()
        net = sum(
            (aging_report(db.session, organisation_id, AS_OF, credits=True).total for organisation_id in ids),
            Decimal(0),
        )
        netted = time.perf_counter() - started
        print(
            f"aging, {db.engine.dialect.name}: {count} invoices in {len(ids)} organisations (filled in {filled:.0f} s); "
            f"bare scan {scan:.2f} s; aging every organisation {aging:.2f} s ({aging / scan:.1f}x the scan); "
            f"with unused credit netted {netted:.2f} s ({netted / scan:.1f}x); "
            f"owed {owed:.2f} of {total:.2f} invoiced, {net:.2f} net of credit"
        )
    finally:
        from runtime.db import db

        db.close()
        services.stop()


if __name__ == "__main__":
    main()
