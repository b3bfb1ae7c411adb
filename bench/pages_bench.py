"""Benchmark: server time of the app's main pages on big organisations (issue #14: p95 < 150 ms).

    .venv/bin/python bench/pages_bench.py [--invoices 20000] [--customers 2000] [--organisations 50]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/pages_bench.py

Fills a throwaway database with one large organisation (20,000 invoices over 2,000 customers,
a third part-paid, with payments, credit notes, standings and 90 days of aging snapshots) and
49 more of 400 invoices each, one person a member of all 50, then requests each page ``--runs``
times through the WSGI app in this process (Flask's test client: no network, no browser) and
prints the server time's p50, p95 and max per page. The first request of each page is a warm-up
and not counted (Jinja compiles its templates then).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.services import from_environment

AS_OF = date(2026, 11, 30)
STAMP = datetime(2026, 11, 29, tzinfo=UTC)


def fill_organisation(name: str, invoices: int, customers: int, rng: random.Random) -> int:
    from sqlalchemy import insert

    from reminders.models import AgingSnapshot, CustomerStanding
    from runtime.db import db
    from runtime.tenancy import Organisation
    from sync.models import Allocation, CreditNote, Customer, Invoice, Payment
    from sync.versions import raise_version

    organisation = Organisation(name=name, base_currency="NZD", timezone="Pacific/Auckland")
    db.session.add(organisation)
    db.session.flush()
    oid = organisation.id
    mirror = {"organisation_id": oid, "ledger_updated_at": STAMP, "synced_at": STAMP}
    db.session.execute(
        insert(Customer),
        [
            {
                **mirror,
                "ledger_id": f"c{n}",
                "name": f"Customer {n:05d} Ltd",
                "email": f"accounts{n}@c{n}.example",
            }
            for n in range(customers)
        ],
    )
    rows, allocations, payments, notes = [], [], [], []
    for n in range(invoices):
        issued = AS_OF - timedelta(days=rng.randint(0, 400))
        total = Decimal(rng.randint(1000, 500000)) / 100
        paid = (total / 3).quantize(Decimal("0.01")) if n % 3 == 0 else Decimal(0)
        closed = n % 2 == 1  # half the history is paid in full
        customer = f"c{rng.randrange(customers)}"
        rows.append(
            {
                **mirror,
                "ledger_id": f"i{n}",
                "customer_ledger_id": customer,
                "number": f"INV-{n:06d}",
                "status": "paid" if closed else "open",
                "currency": "NZD",
                "issued_on": issued,
                "due_on": issued + timedelta(days=30),
                "total": total,
                "amount_due": Decimal(0) if closed else total - paid,
                "amount_paid": total if closed else paid,
                "amount_credited": Decimal(0),
            }
        )
        if closed or paid:
            amount = total if closed else paid
            received = issued + timedelta(days=rng.randint(5, 90))
            payments.append(
                {
                    **mirror,
                    "ledger_id": f"p{n}",
                    "kind": "payment",
                    "customer_ledger_id": customer,
                    "received_on": received,
                    "amount": amount,
                    "unapplied": Decimal(0),
                    "currency": "NZD",
                    "status": "active",
                }
            )
            allocations.append(
                {
                    "organisation_id": oid,
                    "source_kind": "payment",
                    "source_ledger_id": f"p{n}",
                    "invoice_ledger_id": f"i{n}",
                    "amount": amount,
                    "applied_on": received,
                    "active": True,
                }
            )
        if n % 40 == 0:
            credit = (total / 4).quantize(Decimal("0.01"))
            notes.append(
                {
                    **mirror,
                    "ledger_id": f"cn{n}",
                    "customer_ledger_id": customer,
                    "currency": "NZD",
                    "status": "active",
                    "issued_on": issued,
                    "total": credit,
                    "remaining_credit": credit,
                }
            )
    for table, batch in (
        (Invoice, rows),
        (Payment, payments),
        (Allocation, allocations),
        (CreditNote, notes),
    ):
        if batch:
            db.session.execute(insert(table), batch)
    db.session.execute(
        insert(CustomerStanding),
        [
            {
                "organisation_id": oid,
                "customer_ledger_id": f"c{n}",
                "risk": rng.randint(1, 3),  # reminders.risk.RiskClass
                "explanation": "usually pays 10 days late",
                "segment": rng.choice(["large", "regular", "small"]),
                "open_balance": Decimal(rng.randint(0, 900000)) / 100,
                "overdue_balance": Decimal(rng.randint(0, 500000)) / 100,
                "invoices_paid": rng.randint(0, 30),
                "paid_late": rng.randint(0, 10),
                "average_days_to_pay": Decimal(rng.randint(10, 70)),
                "average_days_beyond_terms": Decimal(rng.randint(0, 40)),
                "recent_days_beyond_terms": Decimal(rng.randint(0, 40)),
                "assessed_on": AS_OF,
                "assessed_at": STAMP,
            }
            for n in range(customers)
        ],
    )
    labels = ["Current", "1-30", "31-60", "61-90", "Over 90"]
    db.session.execute(
        insert(AgingSnapshot),
        [
            {
                "organisation_id": oid,
                "taken_on": AS_OF - timedelta(days=day),
                "basis": "due_date",
                "labels": labels,
                "amounts": [str(Decimal(rng.randint(0, 10**7)) / 100) for _ in labels],
                "total": Decimal(rng.randint(0, 5 * 10**7)) / 100,
                "customers": customers,
                "taken_at": STAMP,
            }
            for day in range(90)
        ],
    )
    # What a sync leaves beside the rows it wrote (sync/mirror.py): the mirror's version, which
    # the dashboard's and the practice view's kept figures are keyed on.
    raise_version(db.session(), oid)
    db.session.commit()
    return oid


def timed(
    get: Callable[[str], object], url: str, runs: int, before: Callable[[], object] = lambda: None
) -> list[float]:
    """The server time of ``runs`` requests of ``url``, in ms; ``before`` runs untimed before each."""
    get(url)  # warm-up: templates compiled, caches filled
    found = []
    for _ in range(runs):
        before()
        started = time.perf_counter()
        answer = get(url)
        found.append((time.perf_counter() - started) * 1000)
        status = getattr(answer, "status_code", 0)
        if status != 200:
            raise SystemExit(f"{url} answered {status}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--invoices", type=int, default=20000)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--organisations", type=int, default=50)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument(
        "--pages", default="", help="time only the pages whose name contains this (e.g. practice)"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of each timed page's requests"
    )
    arguments = parser.parse_args()
    services = from_environment(Path(tempfile.mkdtemp(prefix="relance-bench-")))
    os.environ.update(services.start())
    os.environ["RELANCE_TODAY"] = AS_OF.isoformat()
    os.environ["LOG_LEVEL"] = "WARNING"  # not a line per request
    try:
        from datetime import timedelta as days

        from sqlalchemy import text

        import migrations
        from runtime.db import db
        from runtime.settings import reload_settings
        from runtime.sign_ins import start_session
        from runtime.tenancy import Membership, Role, User
        from web import create_app

        settings = reload_settings()
        app = create_app(settings)
        migrations.upgrade(settings.sqlalchemy_url)
        rng = random.Random(14)
        started = time.perf_counter()
        with app.app_context():
            big = fill_organisation("Big Wholesale Ltd", arguments.invoices, arguments.customers, rng)
            others = [
                fill_organisation(f"Client {n:02d} Ltd", 400, 40, rng)
                for n in range(arguments.organisations - 1)
            ]
            person = User(email="accountant@practice.example", name="Accountant")
            db.session.add(person)
            db.session.flush()
            for oid in [big, *others]:
                db.session.add(Membership(user_id=person.id, organisation_id=oid, role=Role.ACCOUNTANT.value))
            token = start_session(db.session(), person.id, days(days=1))
            db.session.commit()
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect() as connection:
                    connection.execute(text("ANALYZE"))
                    connection.commit()
        filled = time.perf_counter() - started
        client = app.test_client()
        with client.session_transaction() as flask_session:
            flask_session["_user_id"] = token
            flask_session["_fresh"] = True
        # "…, mirror changed": each request follows a write to the large organisation's mirror (a
        # webhook's invoice), so its figures are computed again rather than read from Redis.
        pages = {
            "practice view (50 organisations)": "/",
            "practice view, mirror changed": "/#changed",
            "organisation dashboard": f"/organisations/{big}",
            "organisation dashboard, mirror changed": f"/organisations/{big}#changed",
            "customers list": f"/organisations/{big}/customers",
            "customers list, mirror changed": f"/organisations/{big}/customers#changed",
            "customers list, searched": f"/organisations/{big}/customers?q=Customer+01",
            "customer page": f"/organisations/{big}/customers/{{customer}}",
            "aged receivables": f"/organisations/{big}/aged-receivables",
        }
        with app.app_context():
            from sqlalchemy import func, select

            from sync.models import Customer, Invoice

            busiest = db.session.execute(
                select(Customer.id)
                .join(
                    Invoice,
                    (Invoice.organisation_id == Customer.organisation_id)
                    & (Invoice.customer_ledger_id == Customer.ledger_id),
                )
                .where(Customer.organisation_id == big)
                .group_by(Customer.id)
                .order_by(func.count().desc())
                .limit(1)
            ).scalar_one()
        print(
            f"pages, {db.engine.dialect.name}: {arguments.invoices} invoices and {arguments.customers} customers in the "
            f"large organisation, {arguments.organisations} organisations in all (filled in {filled:.0f} s); "
            f"{arguments.runs} requests per page"
        )

        def nothing() -> None:
            pass

        def change_the_mirror() -> None:
            from sync.versions import raise_version

            with app.app_context():
                raise_version(db.session(), big)
                db.session.commit()

        for name, url in pages.items():
            if arguments.pages not in name:
                continue
            url = url.format(customer=busiest)
            changed = url.endswith("#changed")
            url = url.removesuffix("#changed")
            before = change_the_mirror if changed else nothing
            if not app.url_map.bind("localhost").test(url.split("?")[0]):
                print(f"  {name:40} (no such page in this build)")
                continue
            if arguments.profile:
                import cProfile
                import pstats

                profile = cProfile.Profile()
                client.get(url)
                profile.runcall(timed, client.get, url, arguments.runs, before)
                pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
            times = sorted(timed(client.get, url, arguments.runs, before))
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            print(
                f"  {name:40} p50 {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms   max {times[-1]:6.1f} ms"
            )
    finally:
        from runtime.db import db

        db.close()
        services.stop()


if __name__ == "__main__":
    main()
