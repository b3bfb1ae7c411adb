"""Reading request bodies the way Xero does: `/Date(ms)/` or ISO dates, Decimal money, wrappers.

xero-python posts dates as `/Date(1706659200000)/` and sends read-only fields such as
HasAttachments; other clients post `"2019-03-12"` (xero-details.md 2.3). Unknown fields are ignored.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import request

from .errors import PostDataInvalid

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")

GST_RATE = Decimal("0.15")  # the sandbox organisation is in New Zealand: OUTPUT2 is 15% GST
NO_TAX_TYPES = {"NONE", "EXEMPTOUTPUT", "ZERORATEDOUTPUT", "EXEMPTEXPENSES", "ZERORATED"}


class FieldInvalid(ValueError):
    """A value in the body that Xero would reject; the message is the validation message."""


def body_json() -> dict[str, Any]:
    """The request body as a dict, numbers as Decimal."""
    raw = request.get_data(as_text=True)
    if not raw.strip():
        raise PostDataInvalid("The request body is empty")
    try:
        document = json.loads(raw, parse_float=Decimal, parse_int=Decimal)
    except ValueError as exc:
        raise PostDataInvalid("JSON for post data was invalid") from exc
    if not isinstance(document, dict):
        raise PostDataInvalid("JSON for post data was invalid")
    return document


def elements(document: dict[str, Any], collection: str) -> list[dict[str, Any]]:
    """The entities of a body: `{"Invoices": [...]}` or one bare entity."""
    items = document.get(collection)
    if items is None:
        return [document]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise PostDataInvalid(f"{collection} must be a list of objects")
    return items


def parse_date(value: Any, field: str) -> date | None:
    """`/Date(ms[+hhmm])/`, `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS` -> date."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        match = _MS_DATE.match(value.strip())
        if match:
            return datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC).date()
        try:
            return datetime.fromisoformat(value.strip()[:19]).date()
        except ValueError:
            pass
    raise FieldInvalid(f"{field} is not a valid date")


def parse_decimal(value: Any, field: str) -> Decimal | None:
    """A number (or numeric string) as Decimal."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise FieldInvalid(f"{field} must be a number") from exc
    if not number.is_finite():
        raise FieldInvalid(f"{field} must be a number")
    return number


def line_tax(line_amount: Decimal, tax_type: str, line_amount_types: str) -> Decimal:
    """Tax on one line: 15% GST unless the line or the document carries no tax."""
    if line_amount_types == "NoTax" or tax_type.upper() in NO_TAX_TYPES:
        return Decimal("0.00")
    if line_amount_types == "Inclusive":
        return (line_amount * GST_RATE / (1 + GST_RATE)).quantize(Decimal("0.01"))
    return (line_amount * GST_RATE).quantize(Decimal("0.01"))
