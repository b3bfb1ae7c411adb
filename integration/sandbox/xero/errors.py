"""Xero's error answers as exception types, each knowing its status, body and headers.

Handlers raise these; one Flask error handler renders them. Bodies follow Xero: validation errors
are an ApiException-style `ValidationException` with `Elements[].ValidationErrors[]`
(OAS-ACC components.schemas.Error/Element); 401/403 are problem-JSON (xero-details.md section 6,
from XeroAPI/xero-node#432 and pyxero PR#337); 404 is plain text (XeroAPI/Xero-OpenAPI#163).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any


class XeroError(Exception):
    """Base of every error answer."""

    status = 500

    def body(self) -> bytes:
        raise NotImplementedError

    content_type = "application/json; charset=utf-8"

    def headers(self) -> dict[str, str]:
        return {}


def _problem(status: int, title: str, detail: str) -> bytes:
    return json.dumps(
        {
            "Type": None,
            "Title": title,
            "Status": status,
            "Detail": detail,
            "Instance": str(uuid.uuid4()),
            "Extensions": {},
        }
    ).encode()


class Unauthorized(XeroError):
    """401: no, unknown, expired or revoked access token (or a scope the token lacks)."""

    status = 401

    def __init__(self, detail: str = "AuthenticationUnsuccessful") -> None:
        super().__init__(detail)
        self.detail = detail

    @classmethod
    def token_expired(cls, expired_at: datetime) -> Unauthorized:
        # Xero's wording: "TokenExpired: token expired at 04/09/2023 05:16:59" (pyxero PR#337).
        return cls(f"TokenExpired: token expired at {expired_at.strftime('%m/%d/%Y %H:%M:%S')}")

    def body(self) -> bytes:
        return _problem(401, "Unauthorized", self.detail)

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class Forbidden(XeroError):
    """403: the tenant is missing, unknown, or not connected for this token."""

    status = 403

    def body(self) -> bytes:
        return _problem(403, "Forbidden", "AuthenticationUnsuccessful")


class NotFound(XeroError):
    """404 with Xero's plain-text body."""

    status = 404
    content_type = "text/plain; charset=utf-8"

    def body(self) -> bytes:
        return b"The resource you're looking for cannot be found"


class ValidationFailed(XeroError):
    """400 ValidationException; `elements` echo the submitted entities with their errors."""

    status = 400

    def __init__(self, elements: list[dict[str, Any]]) -> None:
        super().__init__("A validation exception occurred")
        self.elements = elements

    @classmethod
    def single(cls, message: str, element: dict[str, Any] | None = None) -> ValidationFailed:
        """One element with one message."""
        element = dict(element or {})
        element["ValidationErrors"] = [{"Message": message}]
        return cls([element])

    def body(self) -> bytes:
        from .wire import dumps

        return dumps(
            {
                "ErrorNumber": 10,
                "Type": "ValidationException",
                "Message": "A validation exception occurred",
                "Elements": self.elements,
            }
        )


class BadQuery(XeroError):
    """400 for a `where` or `order` Xero cannot parse (ErrorNumber 16, QueryParseException)."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> bytes:
        return json.dumps(
            {"ErrorNumber": 16, "Type": "QueryParseException", "Message": self.message}
        ).encode()


class PostDataInvalid(XeroError):
    """400 for a body that is not the JSON Xero expects (ErrorNumber 14, PostDataInvalidException)."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> bytes:
        return json.dumps(
            {"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": self.message}
        ).encode()


class TooManyRequests(XeroError):
    """429 with Retry-After and X-Rate-Limit-Problem (XLIM); the body is unconfirmed, kept short."""

    status = 429

    def __init__(self, problem: str, retry_after: int, remaining: dict[str, str] | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after
        self.remaining = remaining or {}

    def body(self) -> bytes:
        return _problem(429, "Too Many Requests", f"You've exceeded the per {self.problem} rate limit")

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after), "X-Rate-Limit-Problem": self.problem, **self.remaining}


class ServerError(XeroError):
    """500, as injected by a fault (Xero's wording for an internal error)."""

    status = 500

    def body(self) -> bytes:
        return _problem(
            500,
            "An error occurred",
            "An error occurred in Xero. Check the API Status page http://status.developer.xero.com for current "
            "service status.",
        )
