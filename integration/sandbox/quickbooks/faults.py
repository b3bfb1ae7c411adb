"""Intuit's errors as Python types, each knowing its HTTP status and its exact wire body.

The sandbox raises these anywhere (store, query parser, batch, limits) and the HTTP layer
renders them, so python-quickbooks maps them to the same exceptions it raises against Intuit
(`client.handle_exceptions`: 1-499 Authorization, 500-599 Unsupported, 610 ObjectNotFound,
600-1999 General, 2000-4999 Validation, >=10000 Severe, anything else QuickbooksException).
Sources per fault are in the docstrings; where Intuit's exact text is not published the
choice is marked "unconfirmed" so a test against the real service can settle it.
"""

from __future__ import annotations

from typing import Any


class QuickBooksFault(Exception):
    """A `{"Fault": {"Error": [...], "type": ...}}` answer (quickbooks-details.md §7.2)."""

    status = 400
    fault_type = "ValidationFault"
    code = "6000"
    message = "A business validation error has occurred while processing your request"

    def __init__(self, detail: str = "", element: str = "") -> None:
        super().__init__(detail or self.message)
        self.detail = detail
        self.element = element

    def error(self) -> dict[str, Any]:
        """The one entry of `Fault.Error`."""
        return {"Message": self.message, "Detail": self.detail, "code": self.code, "element": self.element}

    def fault(self) -> dict[str, Any]:
        """The `Fault` object, also used per item inside a batch answer."""
        return {"Error": [self.error()], "type": self.fault_type}

    def body(self, time: str) -> dict[str, Any]:
        """The whole answer body."""
        return {"Fault": self.fault(), "time": time}


class BusinessValidationError(QuickBooksFault):
    """6000, the catch-all business rule failure (secondary: node-quickbooks#48)."""


class StaleObject(QuickBooksFault):
    """5010: the update carried an old SyncToken (DotNet SDK#366, python-quickbooks#127)."""

    code = "5010"
    message = "Stale Object Error"

    def __init__(self, kind: str = "", entity_id: str = "") -> None:
        super().__init__(
            "Stale Object Error : You and API API were working on this at the same time. "
            "API API finished before you did, so your work was not saved."
        )


class ObjectNotFound(QuickBooksFault):
    """610: read/update of an Id that does not exist or was deleted (DotNet SDK#353)."""

    code = "610"
    message = "Object Not Found"

    def __init__(self, kind: str, entity_id: str) -> None:
        super().__init__(
            f"Object Not Found : Something you're trying to use has been made inactive. "
            f"Check the fields with accounts, customers, items, vendors or employees. "
            f"({kind} {entity_id})"
        )


class RequiredParameterMissing(QuickBooksFault):
    """2020 "Required param missing" (code per Intuit's error-code list; text unconfirmed)."""

    code = "2020"
    message = "Required param missing, need to supply the required value for the API"

    def __init__(self, parameter: str) -> None:
        super().__init__(f"Required parameter {parameter} is missing in the request", element=parameter)


class InvalidReference(QuickBooksFault):
    """2500 "Invalid Reference Id" for a CustomerRef/SalesTermRef/TxnId that does not exist."""

    code = "2500"
    message = "Invalid Reference Id"

    def __init__(self, what: str, value: str) -> None:
        super().__init__(f"Invalid Reference Id : {what} assigned is not valid: {value}", element=what)


class InvalidProperty(QuickBooksFault):
    """2010 "Request has invalid or unsupported property" (code list; text unconfirmed)."""

    code = "2010"
    message = "Request has invalid or unsupported property"


class DuplicateName(QuickBooksFault):
    """6240 for a name already in use: a Customer DisplayName, an Item Name, an Account name.

    Code, message and the detail's "Another … is already using this name. Please use a different
    name." form are Intuit's for customers (intuit/QuickBooks-V3-PHP-SDK#241); `holder` names
    what else uses the name ("product or service", "account": unconfirmed wording).
    """

    code = "6240"
    message = "Duplicate Name Exists Error"

    def __init__(self, name: str, holder: str | None = None) -> None:
        if holder is None:
            super().__init__(f"The name supplied already exists. : {name}")
        else:
            super().__init__(
                f"The name supplied already exists. : Another {holder} is already using this name. "
                "Please use a different name.",
                element="Name",
            )


class QueryParserError(QuickBooksFault):
    """4000 "Error parsing query" with a JavaCC style detail (node-quickbooks#56, PHP SDK#8)."""

    code = "4000"
    message = "Error parsing query"

    def __init__(self, detail: str) -> None:
        super().__init__(f"QueryParserError: {detail}")


class QueryValidationError(QuickBooksFault):
    """4001 "Invalid query" for an unknown entity or property (wording unconfirmed)."""

    code = "4001"
    message = "Invalid query"

    def __init__(self, detail: str) -> None:
        super().__init__(f"QueryValidationError: {detail}")


class UnsupportedOperation(QuickBooksFault):
    """500 "Unsupported Operation": a resource or operation QuickBooks does not have."""

    code = "500"
    message = "Unsupported Operation"

    def __init__(self, detail: str) -> None:
        super().__init__(f"Operation {detail} is not supported.")


class UnknownResource(UnsupportedOperation):
    """An unknown entity in the URL path; Intuit names the relative and full path."""

    def __init__(self, relative: str, full: str) -> None:
        QuickBooksFault.__init__(
            self, f"Operation Could not find resource for relative : {relative} of full path: {full}"
        )


class BatchLimitExceeded(QuickBooksFault):
    """More than 30 items in one batch (BBATCH). The exact fault text is unconfirmed."""

    code = "2010"
    message = "Request has invalid or unsupported property"

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(
            f"Batch request contains {count} BatchItemRequest items; the maximum is {limit}",
            element="BatchItemRequest",
        )


class ChangedSinceTooOld(QuickBooksFault):
    """CDC look-back beyond 30 days (DCDC); Intuit's code and text are unconfirmed."""

    code = "2010"
    message = "Request has invalid or unsupported property"

    def __init__(self, days: int) -> None:
        super().__init__(f"changedSince must be within the last {days} days", element="changedSince")


class SystemFault(QuickBooksFault):
    """An injected server error (HTTP 500); python-quickbooks treats >=10000 as Severe."""

    status = 500
    fault_type = "SystemFault"
    code = "10000"
    message = "An application error has occurred while processing your request"

    def __init__(self) -> None:
        super().__init__("System Failure Error: An unexpected error occurred while accessing your data.")


class AuthenticationFailed(QuickBooksFault):
    """401 for a missing, expired or revoked access token.

    Intuit answers this one with lower-case keys and a flat bag of nulls (secondary:
    routablehq/python-quickbooks#250, #118); python-quickbooks raises AuthorizationException
    on any 401 whatever the body.
    """

    status = 401
    fault_type = "AUTHENTICATION"
    code = "3200"
    message = "message=AuthenticationFailed; errorCode=003200; statusCode=401"

    def __init__(self, detail: str = "Token expired") -> None:
        super().__init__(detail)

    def body(self, time: str | int) -> dict[str, Any]:
        """The lower-case 401 body; `time` is epoch milliseconds (a number) there."""
        return {
            "warnings": None,
            "intuitObject": None,
            "fault": {
                "error": [
                    {"message": self.message, "detail": self.detail, "code": self.code, "element": None}
                ],
                "type": self.fault_type,
            },
            "report": None,
            "queryResponse": None,
            "batchItemResponse": [],
            "attachableResponse": [],
            "syncErrorResponse": None,
            "requestId": None,
            "time": time,
            "status": None,
            "cdcresponse": [],
        }


class AuthorizationFailed(QuickBooksFault):
    """403 for a token used on another realm or without the accounting scope.

    Body per secondary source mcohen01/node-quickbooks#154: code 3100, type SERVICE.
    """

    status = 403
    fault_type = "SERVICE"
    code = "3100"
    message = "message=AuthorizationFailed; errorCode=003100; statusCode=403"


class ThrottleExceeded(QuickBooksFault):
    """429: too many requests per minute, too many at once, or too many batches.

    Intuit has answered throttling in XML even when JSON was asked for (secondary:
    routablehq/python-quickbooks#43, #83); python-quickbooks then raises
    QuickbooksException("Error reading json response", 10000). `xml_body` renders that form.
    """

    status = 429
    fault_type = "SERVICE"
    code = "3001"
    message = "message=ThrottleExceeded; errorCode=003001; statusCode=429"

    def __init__(self, retry_after: int = 60, reason: str = "requests per minute") -> None:
        super().__init__("The request limit was reached.  Try again later")
        self.retry_after = retry_after
        self.reason = reason

    def xml_body(self, time: str) -> str:
        """The XML answer Intuit sends for 429s."""
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<IntuitResponse time="{time}" xmlns="http://schema.intuit.com/finance/v3">'
            f'<Fault type="{self.fault_type}"><Error code="{self.code}"><Message>{self.message}</Message>'
            f"<Detail>{self.detail}</Detail></Error></Fault></IntuitResponse>"
        )
