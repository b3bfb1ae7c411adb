"""Benchmark: aging 1,000,000 open invoices across 1,000 organisations, against a bare scan.

    .venv/bin/python bench/aging_bench.py [--organisations 1000] [--invoices-per 1000]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/aging_bench.py

Fills a throwaway database with generated invoices (a third of them part-paid; one in twenty
with an unused credit note and one in twenty-five with an unapplied payment beside it), then
times (1) a bare scan, SELECT count(*), sum(amount_due) FROM invoices, (2) aging every
organisation as the nightly snapshots do (reminders.receivables.aging.organisations_aging, 200
organisations a statement), today and 90 days ago, with and without unused credit netted off (the
aged receivables the ledgers print), and prints them and their ratios to the scan; with
--per-organisation also reminders.receivables.aging.aging_report organisation by organisation.
Each time is the better of two runs.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.services import from_environment

AS_OF = date(2026, 11, 23)
T = TypeVar("T")


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
                    "amount_due": total - (total / 2).quantize(Decimal("0.01")) if n % 3 == 0 else total,
                    "amount_paid": (total / 2).quantize(Decimal("0.01")) if n % 3 == 0 else Decimal(0),
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


def timed(work: Callable[[], T]) -> tuple[T, float]:
    """The work's answer and its best time of two runs (the second with the database's cache warm)."""
    started = time.perf_counter()
    answer = work()
    best = time.perf_counter() - started
    started = time.perf_counter()
    answer = work()
    return answer, min(best, time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--organisations", type=int, default=1000)
    parser.add_argument("--invoices-per", type=int, default=1000)
    parser.add_argument(
        "--filled", help="a database this bench filled before (kept, not dropped): skips the fill"
    )
    parser.add_argument(
        "--per-organisation", action="store_true", help="also time aging_report per organisation"
    )
    arguments = parser.parse_args()
    services = from_environment(Path(tempfile.mkdtemp(prefix="relance-bench-")))
    if not arguments.filled:
        os.environ.update(services.start())
    try:
        from sqlalchemy import select, text

        from reminders.receivables.aging import AgingView, aging_report, organisations_aging
        from reminders.receivables.snapshots import SNAPSHOT_CHUNK
        from runtime.db import db
        from runtime.settings import Settings, reload_settings
        from runtime.tenancy import Organisation

        url = (
            Settings(database_url=arguments.filled).sqlalchemy_url
            if arguments.filled
            else reload_settings().sqlalchemy_url
        )
        db.bind(url)
        filled = 0.0
        if arguments.filled:
            ids = list(db.session.scalars(select(Organisation.id).order_by(Organisation.id)))
        else:
            started = time.perf_counter()
            ids = fill(arguments.organisations, arguments.invoices_per)
            filled = time.perf_counter() - started
        # Statistics for the planner; on PostgreSQL also the visibility map, so the aging reads
        # its covering index alone as it would on a table autovacuum keeps.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(
                text("VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE")
            )
        (count, _owed), scan = timed(
            lambda: db.session.execute(text("SELECT count(*), sum(amount_due) FROM invoices")).one()
        )

        def every_organisation(day: date, credits: bool) -> tuple[Decimal, int]:
            """All organisations' totals, SNAPSHOT_CHUNK a statement as the nightly job takes them."""
            total, customers = Decimal(0), 0
            for start in range(0, len(ids), SNAPSHOT_CHUNK):
                for aging in organisations_aging(
                    db.session(), ids[start : start + SNAPSHOT_CHUNK], [AgingView(day, credits=credits)]
                ).values():
                    total += sum(aging.totals[0], Decimal(0))
                    customers += aging.customers[0]
            db.session.rollback()
            return total, customers

        past = AS_OF - timedelta(days=90)
        print(
            f"aging, {db.engine.dialect.name}: {count} invoices in {len(ids)} organisations"
            + (f" (filled in {filled:.0f} s)" if filled else "")
            + f"; bare scan (count(*), sum(amount_due)) {scan:.3f} s"
        )
        for label, day in (("today", AS_OF), ("90 days ago", past)):
            for credits in (False, True):
                (owed, customers), took = timed(partial(every_organisation, day, credits))
                print(
                    f"  {label}, {'credit netted' if credits else 'invoices only'}: {took:.3f} s "
                    f"({took / scan:.1f}x the scan), owed {owed:.2f} by {customers} customers"
                )
        if arguments.per_organisation:
            for credits in (False, True):
                started = time.perf_counter()
                owed = sum(
                    (aging_report(db.session(), i, AS_OF, credits=credits).total for i in ids), Decimal(0)
                )
                took = time.perf_counter() - started
                print(
                    f"  aging_report per organisation, today, {'credit netted' if credits else 'invoices only'}: "
                    f"{took:.2f} s ({took / scan:.1f}x), owed {owed:.2f}"
                )
    finally:
        from runtime.db import db

        db.close()
        if not arguments.filled:
            services.stop()


if __name__ == "__main__":
    main()
