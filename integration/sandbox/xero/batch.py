"""Xero's batch write semantics for PUT/POST of collections.

With summarizeErrors (the default) any invalid element turns the answer into a 400
ValidationException, although the valid elements are still saved (Stack Overflow 52706101,
answered by Xero staff); with summarizeErrors=false the answer is 200 and each element carries
its own ValidationErrors and StatusAttributeString (OAS-ACC summarizeErrors description).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from flask import Response

from .books import BusinessRuleViolation
from .context import answer, with_element_errors
from .document_input import ElementInvalid
from .errors import ValidationFailed
from .queries import flag

if TYPE_CHECKING:
    from .sandbox import XeroSandbox


def write_elements(
    sandbox: XeroSandbox,
    collection: str,
    elements: list[dict[str, Any]],
    save: Callable[[dict[str, Any]], Any],
    render: Callable[[Any], dict[str, Any]],
    lock: AbstractContextManager[Any] | None = None,
) -> Response:
    """Save each element (under the books' lock, so checks and saves are atomic), collect failures,
    and answer the way summarizeErrors asks."""
    results: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    for element in elements:
        try:
            with lock or nullcontext():
                rendered = render(save(element))
            rendered.setdefault("StatusAttributeString", "OK")
            results.append(rendered)
        except (ElementInvalid, BusinessRuleViolation) as invalid:
            messages = invalid.messages if isinstance(invalid, ElementInvalid) else [str(invalid)]
            echo = with_element_errors(_echo(element), messages)
            failures.append(echo)
            results.append(echo)
    if failures and flag("summarizeErrors", default=True):
        raise ValidationFailed(failures)
    return answer(sandbox, collection, results)


def _echo(element: dict[str, Any]) -> dict[str, Any]:
    """The submitted element, as Xero echoes it in Elements (only JSON-safe values)."""
    return {k: v for k, v in element.items() if not isinstance(v, dict | list) or k in ("Contact",)}
