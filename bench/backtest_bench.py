"""Benchmark: the backtest of a schedule over a year of an organisation's history (issue #18).

    .venv/bin/python bench/backtest_bench.py [--invoices 3000] [--customers 300] [--runs 5]
    .venv/bin/python bench/backtest_bench.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

Fills a throwaway database with one organisation as bench/pages_bench.py builds its big one
(invoices issued over the last year, most paid through allocations on their days, a tail open),
gives it the default schedule, and times ``backtest`` (what the schedule page runs) ``--runs``
times: the lowest and the median, the actions found, and tracemalloc's peak.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages_bench import AS_OF, fill_organisation
from tests.services import from_environment


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--invoices", type=int, default=3000)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    arguments = parser.parse_args()
    if arguments.database_url:
        os.environ["DATABASE_URL"] = arguments.database_url
    services = from_environment(Path(tempfile.mkdtemp(prefix="relance-bench-")))
    os.environ.update(services.start())
    os.environ["LOG_LEVEL"] = "WARNING"
    try:
        import migrations
        from reminders.schedules.backtest import backtest
        from reminders.schedules.defaults import DEFAULT_SCHEDULE
        from reminders.schedules.models import schedule_from
        from runtime.db import db
        from runtime.settings import reload_settings
        from web import create_app

        settings = reload_settings()
        app = create_app(settings)
        migrations.upgrade(settings.sqlalchemy_url)
        with app.app_context():
            organisation_id = fill_organisation(
                "Big Wholesale Ltd", arguments.invoices, arguments.customers, random.Random(18)
            )
            schedule = schedule_from(DEFAULT_SCHEDULE, organisation_id, "en", is_default=True)
            db.session.add(schedule)
            db.session.commit()
            seconds = []
            for _ in range(arguments.runs):
                db.session.expire_all()
                started = time.perf_counter()
                result = backtest(db.session, organisation_id, schedule.id, AS_OF)
                seconds.append(time.perf_counter() - started)
            tracemalloc.start()
            backtest(db.session, organisation_id, schedule.id, AS_OF)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        print(
            f"{settings.sqlalchemy_url.split(':')[0]}: {arguments.invoices} invoices, {arguments.customers} customers:"
            f" backtest min {min(seconds):.2f} s, median {statistics.median(seconds):.2f} s;"
            f" {len(result.actions)} actions ({result.messages} messages) over {result.first_day} to {result.last_day};"
            f" peak {peak / 1e6:.1f} MB"
        )
    finally:
        services.stop()


if __name__ == "__main__":
    main()
