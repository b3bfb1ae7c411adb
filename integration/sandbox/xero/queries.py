"""Reading list parameters the way Xero does: flags, CSV lists, If-Modified-Since, order, paging.

xero-python sends booleans Python-cased (`summaryOnly=True`), lists comma-joined, and
If-Modified-Since as ISO-8601 with an offset (xero-details.md 2.3); other clients send RFC 1123.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from flask import current_app, request

from ..common.change_filter import ChangeFilter
from .errors import BadQuery
from .where import compile_where

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000  # pageSize up to 1000 since July 2024 (calcinai/xero-php#915, Xero-OpenAPI PR #595)


def flag(name: str, default: bool = False) -> bool:
    """A boolean query parameter, case-insensitive."""
    value = request.args.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("true", "1", "yes")


def csv_list(name: str) -> list[str]:
    """A comma-separated list parameter (IDs, Statuses ...), quotes stripped."""
    value = request.args.get(name, "")
    return [part.strip().strip('"') for part in value.split(",") if part.strip()]


def modified_since() -> datetime | None:
    """The If-Modified-Since header as an aware UTC datetime (ISO-8601 or RFC 1123)."""
    raw = request.headers.get("If-Modified-Since")
    if not raw:
        return None
    try:
        parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def page_request() -> tuple[int | None, int]:
    """(page or None when unpaged, pageSize capped at 1000)."""
    page_raw, size_raw = request.args.get("page"), request.args.get("pageSize")
    try:
        page = max(1, int(page_raw)) if page_raw else None
        size = int(size_raw) if size_raw else DEFAULT_PAGE_SIZE
    except ValueError as exc:
        raise BadQuery("page and pageSize must be whole numbers") from exc
    return page, min(max(1, size), MAX_PAGE_SIZE)


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    if isinstance(value, str):
        return (1, value.lower())
    return (1, value)


def _by(view: Callable[[T], dict[str, Any]], field: str) -> Callable[[T], tuple[int, Any]]:
    """The sort key of an `order` clause: the record's value of that field."""
    return lambda record: _sort_key(view(record).get(field))


def select(
    records: Iterable[T],
    view: Callable[[T], dict[str, Any]],
    fields: set[str],
    keep: Callable[[T], bool] | None = None,
) -> list[T]:
    """Apply `where`, If-Modified-Since (on UpdatedDateUTC) and `order` to records.

    If-Modified-Since is inclusive by default, which matches what syncers observe: the bookmark
    record comes back (peers.md, tap-xero); the sandbox's `change_filter` setting makes it
    exclusive and second-precise instead (common/change_filter.py). Default order is creation
    order, stable across pages.
    """
    predicate = compile_where(request.args.get("where"), fields)
    since = modified_since()
    change_filter: ChangeFilter = current_app.config.get("CHANGE_FILTER", ChangeFilter.INCLUSIVE)
    chosen: list[T] = []
    for record in records:
        if keep is not None and not keep(record):
            continue
        row = view(record)
        if since is not None and not change_filter.admits(row["UpdatedDateUTC"], since):
            continue
        if predicate is not None and not predicate(row):
            continue
        chosen.append(record)
    order = request.args.get("order")
    if order:
        lowered = {f.lower(): f for f in fields}
        for clause in reversed([c.strip() for c in order.split(",") if c.strip()]):
            name, _, direction = clause.partition(" ")
            field = lowered.get(name.lower())
            if field is None:
                raise BadQuery(f"No property or field '{name}' exists")
            descending = direction.strip().upper() == "DESC"
            chosen.sort(key=_by(view, field), reverse=descending)
    return chosen


def paginate(items: list[T], page: int | None, page_size: int) -> tuple[list[T], dict[str, int] | None]:
    """One page and Xero's `pagination` object (OAS-ACC Pagination); everything when unpaged."""
    if page is None:
        return items, None
    start = (page - 1) * page_size
    return items[start : start + page_size], {
        "page": page,
        "pageSize": page_size,
        "pageCount": math.ceil(len(items) / page_size),
        "itemCount": len(items),
    }
