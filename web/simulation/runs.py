"""Running simulations for the command line: one, or two side by side in child processes (each
run owns its database, Redis and ports; two cores run two years at once), and their report."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from web.simulation.year import Result, SimulationOptions, simulate, write_chart

# The summary's lines: (key, label, how to show it).
LINES: list[tuple[str, str, Callable[[Decimal | int], str]]] = [
    ("dso_mean", "DSO, mean of the days (days)", lambda v: f"{v:.1f}"),
    ("dso_end", "DSO on the last day (days)", lambda v: f"{v:.1f}"),
    ("share_current_mean", "share current, mean", lambda v: f"{Decimal(v) * 100:.1f}%"),
    ("share_over_90_mean", "share over 90 days, mean", lambda v: f"{Decimal(v) * 100:.1f}%"),
    ("share_over_90_end", "share over 90 days, last day", lambda v: f"{Decimal(v) * 100:.1f}%"),
    ("receivables_end", "receivables on the last day", lambda v: f"{v:,.2f}"),
    ("cash_collected", "cash collected", lambda v: f"{v:,.2f}"),
    ("written_off", "written off as bad debts", lambda v: f"{v:,.2f}"),
    ("emails", "reminders by email", str),
    ("letters", "letters", str),
    ("calls", "call tasks", str),
    ("to_paid", "reminders to invoices already paid", str),
    ("to_disputed", "reminders to disputed invoices", str),
    ("skipped_settled", "sends stopped by asking the ledger again", str),
    ("promises_made", "promises made", str),
    ("promises_kept", "promises kept", str),
    ("promises_broken", "promises broken", str),
    ("disputes_raised", "disputes raised", str),
    ("holds_placed", "holds placed", str),
    ("holds_lifted", "holds lifted", str),
    ("fees_raised", "fees raised", str),
]


def _one(options: SimulationOptions, folder: Path) -> Result:
    return simulate(options, folder)


def run_all(options: list[SimulationOptions], out: Path, say: Callable[[str], None]) -> list[Result]:
    """Each run in ``out/<ledger>-<schedule>``; two or more in parallel child processes."""
    folders = [out / f"{o.ledger}-{o.schedule}" for o in options]
    if len(options) == 1:
        return [simulate(options[0], folders[0], progress=say)]
    context = multiprocessing.get_context("spawn")
    pool = context.Pool(len(options))
    try:
        return pool.starmap(_one, zip(options, folders, strict=True))
    finally:
        # close and join, not terminate: a child's RQ worker took SIGTERM as "stop the job".
        pool.close()
        pool.join()


def report(results: list[Result]) -> list[str]:
    """The summary of each run, side by side, and the difference of the second from the first."""
    names = [f"{r.options.ledger} {r.options.schedule}" for r in results]
    summaries = [r.summary() for r in results]
    width = max(len(label) for _, label, _ in LINES) + 2
    lines = [
        "".ljust(width)
        + "".join(name.rjust(18) for name in names)
        + ("difference".rjust(18) if len(results) == 2 else "")
    ]
    for key, label, show in LINES:
        row = label.ljust(width) + "".join(show(s[key]).rjust(18) for s in summaries)
        if len(results) == 2:
            difference = summaries[1][key] - summaries[0][key]
            row += (("+" if difference > 0 else "") + show(difference)).rjust(18)
        lines.append(row)
    seconds = ", ".join(f"{n}: {r.seconds:.0f} s" for n, r in zip(names, results, strict=True))
    lines.append(
        f"{results[0].options.days} days from {results[0].options.start}, seed {results[0].options.seed}; {seconds}"
    )
    return lines


def run_and_report(
    ledger: str,
    schedules: list[str],
    days: int,
    seed: int,
    customers: int,
    start: date,
    fees: bool,
    out: Path,
    say: Callable[[str], None],
) -> list[Result]:
    base = SimulationOptions(ledger=ledger, days=days, seed=seed, customers=customers, start=start, fees=fees)
    results = run_all([replace(base, schedule=s) for s in schedules], out, say)
    for line in report(results):
        say(line)
    if len(results) > 1:
        write_chart(results, out / "chart.html")
    say(f"Each day's figures: {', '.join(str(out / f'{ledger}-{s}' / 'days.csv') for s in schedules)}")
    say(
        f"Chart: {out / 'chart.html' if len(results) > 1 else out / f'{ledger}-{schedules[0]}' / 'chart.html'}"
    )
    return results
