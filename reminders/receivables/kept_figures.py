"""The dashboard's, the practice view's and the customer list's figures, kept in Redis until the
mirror changes.

The dashboard and the practice view show figures computed by one exact pass over every invoice
of the organisation and its allocations (reminders/receivables/overview.py): 300 ms and more for
20,000 invoices, on every request, for figures that change only when the mirror does or the day
turns. The customer list ages every customer the same way to sort, filter and page them
(reminders/receivables/customer_balances.py): 100 ms for 2,000 customers. They are kept in
Redis under a key of everything they depend on:

- the organisation's mirror version (sync/versions.py), which every write to its mirror raises
  in the same transaction as the rows (a sync's page, a webhook's invoice); the time of the last
  sync is no such key, as a webhook changes the mirror without a sync ending;
- the organisation's today: amounts fall due and age at its midnight with nothing synced;
- for the dashboard and the customer list, its aging buckets and basis (settings): changing them
  asks for new figures.

What the list reads beside the balances changes without the mirror (a customer's standing after
its reassessment, a hold a person puts on) and is read from the database on every request.

Why a key on the version rather than figures stored by the job that reassesses the standings
after a sync (reminders/risk/standing.py): the page is then exact as of the mirror at every
request, with nothing to say "as of when", no job to wait for after a sync or at midnight, and
no other table to keep in step; the first request after a change pays for the pass once. The
version is read before the figures are computed, so figures kept under a version were computed
from that version's rows or newer ones, never older.

A key no longer reachable (an older version, yesterday) expires by itself. Without Redis, or
for an organisation whose mirror was never written, the figures are computed as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import redis
from sqlalchemy.orm import Session

from reminders.receivables.aging import AgingBasis, Buckets
from reminders.receivables.customer_balances import CustomerBalance, customer_balances
from reminders.receivables.figures import KeyFigures
from reminders.receivables.overview import (
    Headline,
    Overview,
    PracticeFigures,
    TodaysAging,
    overview_and_aging,
    practice_figures,
    todays_aging,
)
from runtime import jobs
from runtime.logs import get_logger
from sync.versions import mirror_versions

log = get_logger(__name__)

# Raised when what is kept changes shape or meaning: a deploy then reads none of the old entries.
FORMAT = 1
# Long enough to outlive a day; keys of an older version or day are never read again.
KEPT_SECONDS = 2 * 24 * 3600


def dashboard_figures(session: Session, organisation_id: int, today: date) -> tuple[Overview, TodaysAging]:
    """``overview_and_aging``, kept until the organisation's mirror, today or buckets change."""
    version = mirror_versions(session, [organisation_id]).get(organisation_id)
    view = todays_aging(organisation_id, today)
    key = (
        f"relance:figures:{FORMAT}:dashboard:{organisation_id}:{version}:{today.isoformat()}"
        f":{view.basis.value}:{','.join(str(edge) for edge in view.buckets.edges)}"
    )
    kept = _read([key])[0] if version is not None else None
    if kept is not None:
        return _overview_from(kept["overview"]), TodaysAging(tuple(kept["labels"]), _amounts(kept["totals"]))
    overview, aging = overview_and_aging(session, organisation_id, today)
    if version is not None:
        _keep(
            {
                key: {
                    "overview": _overview_to(overview),
                    "labels": list(aging.labels),
                    "totals": [str(total) for total in aging.totals],
                }
            }
        )
    return overview, aging


def kept_practice_figures(session: Session, todays: Mapping[int, date]) -> dict[int, PracticeFigures]:
    """``practice_figures`` of many organisations, each kept until its mirror or today changes;
    those not kept are computed together (one query per distinct today)."""
    versions = mirror_versions(session, todays)
    keys = {
        organisation_id: f"relance:figures:{FORMAT}:practice:{organisation_id}:{version}:{todays[organisation_id]}"
        for organisation_id, version in versions.items()
    }
    found: dict[int, PracticeFigures] = {}
    for organisation_id, kept in zip(keys, _read(list(keys.values())), strict=True):
        if kept is not None:
            found[organisation_id] = _practice_from(kept)
    missing = {
        organisation_id: today for organisation_id, today in todays.items() if organisation_id not in found
    }
    if missing:
        computed = practice_figures(session, missing)
        found.update(computed)
        _keep({keys[oid]: _practice_to(figures) for oid, figures in computed.items() if oid in keys})
    return found


def kept_customer_balances(
    session: Session, organisation_id: int, today: date, basis: AgingBasis, buckets: Buckets
) -> dict[str, CustomerBalance] | None:
    """``customer_balances``, kept until the organisation's mirror, today or buckets change; None
    when they cannot be kept (no Redis, a mirror never written), for the list to age in its query."""
    version = mirror_versions(session, [organisation_id]).get(organisation_id)
    if version is None:
        return None
    key = (
        f"relance:figures:{FORMAT}:customers:{organisation_id}:{version}:{today.isoformat()}"
        f":{basis.value}:{','.join(str(edge) for edge in buckets.edges)}"
    )
    try:
        kept = jobs.connection().get(key)
    except (redis.RedisError, RuntimeError) as error:
        log.warning("figures.unkept", error=str(error))
        return None
    if kept is not None:
        return {
            customer: CustomerBalance(Decimal(owed), Decimal(overdue), oldest, bucket)
            for customer, (owed, overdue, oldest, bucket) in json.loads(kept).items()
        }
    balances = customer_balances(session, organisation_id, today, basis, buckets)
    _keep(
        {
            key: {
                customer: [str(balance.owed), str(balance.overdue), balance.oldest_days, balance.bucket]
                for customer, balance in balances.items()
            }
        }
    )
    return balances


def kept_document(
    session: Session, organisation_id: int, name: str, parts: tuple[object, ...], compute: Callable[[], Any]
) -> Any:
    """What ``compute`` returns (a JSON document), kept until the organisation's mirror changes or
    any of ``parts`` (its today, its settings) does: for a page's figures that would otherwise be
    computed from every invoice on each request (the dashboard's "end of the road" card)."""
    version = mirror_versions(session, [organisation_id]).get(organisation_id)
    key = f"relance:figures:{FORMAT}:{name}:{organisation_id}:{version}:" + ":".join(
        str(part) for part in parts
    )
    kept = _read([key])[0] if version is not None else None
    if kept is not None:
        return kept["document"]
    document = compute()
    if version is not None:
        _keep({key: {"document": document}})
    return document


def _read(keys: list[str]) -> list[dict[str, Any] | None]:
    if not keys:
        return []
    try:
        values = jobs.connection().mget(keys)
    except (redis.RedisError, RuntimeError) as error:
        log.warning("figures.unkept", error=str(error))
        return [None] * len(keys)
    return [json.loads(value) if value is not None else None for value in values]


def _keep(entries: dict[str, dict[str, Any]]) -> None:
    if not entries:
        return
    try:
        pipeline = jobs.connection().pipeline(transaction=False)
        for key, value in entries.items():
            pipeline.set(key, json.dumps(value), ex=KEPT_SECONDS)
        pipeline.execute()
    except (redis.RedisError, RuntimeError) as error:
        log.warning("figures.unkept", error=str(error))


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _amounts(values: list[str]) -> list[Decimal]:
    return [Decimal(value) for value in values]


def _headline_to(headline: Headline) -> dict[str, Any]:
    figures = headline.figures
    return {
        "as_of": headline.as_of.isoformat(),
        "owed": str(headline.owed),
        "overdue": str(headline.overdue),
        "over_90": str(headline.over_90),
        "figures": {
            "as_of": figures.as_of.isoformat(),
            "days": figures.days,
            "receivables": str(figures.receivables),
            "credit_sales": str(figures.credit_sales),
            "dso": _text(figures.dso),
            "cei": _text(figures.cei),
            "over_90_share": _text(figures.over_90_share),
        },
    }


def _headline_from(kept: dict[str, Any]) -> Headline:
    figures = kept["figures"]
    return Headline(
        as_of=date.fromisoformat(kept["as_of"]),
        owed=Decimal(kept["owed"]),
        overdue=Decimal(kept["overdue"]),
        over_90=Decimal(kept["over_90"]),
        figures=KeyFigures(
            as_of=date.fromisoformat(figures["as_of"]),
            days=figures["days"],
            receivables=Decimal(figures["receivables"]),
            credit_sales=Decimal(figures["credit_sales"]),
            dso=_decimal(figures["dso"]),
            cei=_decimal(figures["cei"]),
            over_90_share=_decimal(figures["over_90_share"]),
        ),
    )


def _overview_to(overview: Overview) -> dict[str, Any]:
    return {"today": _headline_to(overview.today), "week_ago": _headline_to(overview.week_ago)}


def _overview_from(kept: dict[str, Any]) -> Overview:
    return Overview(_headline_from(kept["today"]), _headline_from(kept["week_ago"]))


def _practice_to(figures: PracticeFigures) -> dict[str, Any]:
    return {
        "owed": str(figures.owed),
        "overdue": str(figures.overdue),
        "over_90": str(figures.over_90),
        "dso": _text(figures.dso),
        "dso_week_ago": _text(figures.dso_week_ago),
    }


def _practice_from(kept: dict[str, Any]) -> PracticeFigures:
    return PracticeFigures(
        owed=Decimal(kept["owed"]),
        overdue=Decimal(kept["overdue"]),
        over_90=Decimal(kept["over_90"]),
        dso=_decimal(kept["dso"]),
        dso_week_ago=_decimal(kept["dso_week_ago"]),
    )
