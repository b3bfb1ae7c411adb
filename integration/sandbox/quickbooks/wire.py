"""How QuickBooks Online writes money, dates and times on the wire, in one place.

Intuit renders `MetaData` timestamps in the company's own time zone with a colon offset
(`2015-07-24T10:33:39-07:00`) and the envelope `time` with milliseconds
(`2015-07-24T10:48:27.082-07:00`); transaction dates are plain `YYYY-MM-DD`
(quickbooks-details.md §2, REFINV samples). Inside the sandbox every instant is an aware
UTC datetime and every amount a Decimal; only this module converts at the edge.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

# US sandbox companies are created in Pacific time, which is also what every Intuit sample shows.
PACIFIC = ZoneInfo("America/Los_Angeles")

# Fields whose values are amounts; inputs may arrive as float, int or str (python-quickbooks with
# use_decimal sends strings), and they are kept as Decimal from then on.
MONEY_FIELDS = frozenset(
    {
        "Amount",
        "UnitPrice",
        "Qty",
        "TotalAmt",
        "Balance",
        "HomeBalance",
        "HomeTotalAmt",
        "UnappliedAmt",
        "RemainingCredit",
        "Deposit",
        "TotalTax",
        "ExchangeRate",
        "DiscountPercent",
        "BalanceWithJobs",
        "OpenBalance",
        "PurchaseCost",
        "QtyOnHand",
        "CurrentBalance",
        "CurrentBalanceWithSubAccounts",
    }
)

_OFFSET_WITHOUT_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


def format_timestamp(instant: datetime, zone: tzinfo = PACIFIC) -> str:
    """`MetaData` style: seconds precision, company-local offset with a colon."""
    return instant.astimezone(zone).isoformat(timespec="seconds")


def format_envelope_time(instant: datetime, zone: tzinfo = PACIFIC) -> str:
    """The `time` field of every answer: milliseconds, company-local offset."""
    return instant.astimezone(zone).isoformat(timespec="milliseconds")


def format_utc_z(instant: datetime) -> str:
    """CloudEvents and webhook `lastUpdated` style: UTC with a `Z` (BCE sample)."""
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_timestamp(text: str, zone: tzinfo = PACIFIC) -> datetime:
    """Read what clients send in queries and `changedSince`; returns aware UTC.

    Accepts `-07:00`, `-0700` (the form in Intuit's own query docs), `Z`, a naive time (taken as
    company-local; python-quickbooks' cdc helper sends no offset) and a bare date.
    """
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    text = _OFFSET_WITHOUT_COLON.sub(r"\1:\2", text)
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def parse_date(text: str) -> date:
    """`TxnDate`/`DueDate` values."""
    return date.fromisoformat(text.strip()[:10])


def to_money(value: Any) -> Decimal:
    """An amount from the wire as Decimal; floats go through str so 362.07 stays 362.07."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value))
    except InvalidOperation as error:
        raise ValueError(f"not an amount: {value!r}") from error


def money_in(payload: Any) -> Any:
    """Deep copy of an incoming JSON value with amounts as Decimal and empty strings dropped.

    python-quickbooks serialises every default (`"DueDate": ""`, `"TotalAmt": ""`), which the
    sandbox reads as "not provided" (quickbooks-details.md §3.7).
    """
    if isinstance(payload, Mapping):
        result: dict[str, Any] = {}
        for key, value in payload.items():
            if value == "" or value is None:
                continue
            if key in MONEY_FIELDS and isinstance(value, int | float | str | Decimal):
                try:
                    result[key] = to_money(value)
                except ValueError:
                    result[key] = value
            else:
                result[key] = money_in(value)
        return result
    if isinstance(payload, list):
        return [money_in(item) for item in payload]
    if isinstance(payload, float):
        return to_money(payload)
    return payload


def json_out(value: Any) -> Any:
    """Deep copy ready for json.dumps: Decimal -> JSON number, empty values left out.

    Intuit returns numbers (`"TotalAmt": 362.07`) and leaves out properties without a value
    ("Only those properties with values are returned", Intuit blog 2017-02-08 deep dive).
    A two-place Decimal becomes the float whose repr is the same digits, so no cent is lost.
    """
    if isinstance(value, Mapping):
        return {k: json_out(v) for k, v in value.items() if v is not None and v != "" and v != []}
    if isinstance(value, list):
        return [json_out(item) for item in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def cents(value: Decimal) -> Decimal:
    """Round an amount to cents the way QuickBooks stores it."""
    return value.quantize(Decimal("0.01"))
