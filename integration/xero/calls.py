"""How XeroLedger makes one HTTP call: token, rate-limit slot, retries, counting, typed errors.

Every Accounting call goes through :meth:`XeroCalls.run`, which wraps one xero-python call:

- the access token comes from Relance (``access_token()``); xero-python is never given a refresh
  token, so it cannot refresh on its own (it only refreshes when ``refresh_token``, scope,
  client id and secret are all present: ``OAuth2Token.can_refresh_access_token``). Relance
  refreshes under a lock elsewhere; here a 401 calls ``on_unauthorized()`` once and retries.
- a 429 for the minute, concurrency or app-minute limit pauses the tenant (every worker, through
  the Redis limiter) for Retry-After and retries; only the daily limit raises LedgerRateLimited
  (Retry-After and X-Rate-Limit-Problem: xero-details.md section 5).
- 5xx and connection failures raise LedgerUnavailable; 400 raises LedgerRejected with Xero's
  own validation message. Tokens never appear in a message: errors are built from status codes
  and Xero's body, never from ``str()`` of the SDK exception (it prints headers and bodies).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import urllib3
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token
from xero_python.exceptions import ApiException

from integration.ledger import (
    LedgerError,
    LedgerRateLimited,
    LedgerRejected,
    LedgerUnauthorized,
    LedgerUnavailable,
)
from integration.rate_limit import TenantRateLimiter
from runtime.logs import get_logger

from .mapping import loads

log = get_logger(__name__)
T = TypeVar("T")

DAILY_PROBLEM = "day"
SLOT_RETRY_AFTER = 60.0  # when no slot frees up within the limiter's own wait
DEFAULT_RETRY_AFTER = 1.0  # Xero sends Retry-After for minute and day limits; not for the others
REQUEST_TIMEOUT = (10, 120)  # connect, read seconds: xero-python waits forever by default
# urllib3's default Retry would itself sleep out a 429's Retry-After (even a day's) and resend reads
# and writes; here only refused connections are retried by urllib3, everything else is policy below.
TRANSPORT_RETRIES = urllib3.Retry(
    total=2,
    connect=2,
    read=0,
    status=0,
    other=0,
    redirect=0,
    respect_retry_after_header=False,
    raise_on_status=False,
)


class NotFound(LedgerError):
    """Xero answered 404 (its body is plain text); callers decide what a missing record means."""


class XeroCalls:
    """The ApiClient of one XeroLedger and the policy around each of its calls."""

    def __init__(
        self,
        access_token: Callable[[], str],
        on_unauthorized: Callable[[], str] | None,
        limiter: TenantRateLimiter | None,
        client_id: str,
        client_secret: str,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.access_token = access_token
        self.on_unauthorized = on_unauthorized
        self.limiter = limiter
        self.sleep = sleep
        self.calls = 0
        self._token: str | None = None
        configuration = Configuration()
        # Configuration is a process-wide default in xero-python (TypeWithDefault): the constructor
        # returns a copy of the first instance and ignores its arguments, so the token holder is
        # assigned on the copy.
        configuration.oauth2_token = OAuth2Token(client_id=client_id, client_secret=client_secret)
        self.api_client = ApiClient(configuration, pool_threads=1)
        self.api_client.rest_client.pool_manager.connection_pool_kw["retries"] = TRANSPORT_RETRIES
        self.api_client.oauth2_token_getter(self._token_dict)
        self.api_client.oauth2_token_saver(lambda token: None)  # never called: no refresh token given

    def _token_dict(self) -> dict[str, Any]:
        """What xero-python asks for before every call: no refresh token and no expiry, so it
        treats the token as valid and never refreshes it (OAuth2Token.is_access_token_valid)."""
        if self._token is None:
            self._token = self.access_token()
        return {"access_token": self._token, "token_type": "Bearer", "expires_in": None, "scope": []}

    def run(self, call: Callable[..., T], **kwargs: Any) -> T:
        """Make one SDK call under the policy; ``kwargs`` go to the SDK method."""
        refreshed = False
        while True:
            try:
                return self._once(call, **kwargs)
            except ApiException as error:
                # Read the status off the response: AccountingBadRequestException.status parses the body.
                status = int(getattr(error.http_resp, "status", 0) or 0)
                if status == 401:
                    if refreshed or self.on_unauthorized is None:
                        raise LedgerUnauthorized("Xero refused the access token (401)") from None
                    refreshed = True
                    self._token = self._fresh_token()
                    continue
                if status == 429:
                    self._wait_out(error)
                    continue
                raise _translated(status, error) from None

    def _once(self, call: Callable[..., T], **kwargs: Any) -> T:
        kwargs.setdefault("_request_timeout", REQUEST_TIMEOUT)
        try:
            if self.limiter is None:
                self.calls += 1
                return call(**kwargs)
            with self.limiter.slot():
                self.calls += 1
                return call(**kwargs)
        except urllib3.exceptions.HTTPError as error:
            raise LedgerUnavailable(f"Xero did not answer: {type(error).__name__}") from None
        except TimeoutError:  # the limiter found no slot within its wait (e.g. a day-long pause)
            raise LedgerRateLimited(SLOT_RETRY_AFTER, "no rate-limit slot") from None

    def _fresh_token(self) -> str:
        """Ask Relance for a new token once (it may raise ReconnectRequired: let it through)."""
        assert self.on_unauthorized is not None
        try:
            return self.on_unauthorized()
        except LedgerError:  # ReconnectRequired included: the caller decides
            raise
        except Exception as error:  # a refresh failure of another kind must not leak its text
            raise LedgerUnauthorized(f"refreshing the Xero token failed: {type(error).__name__}") from None

    def _wait_out(self, error: ApiException) -> None:
        headers = error.http_resp.getheaders() if error.http_resp is not None else {}  # case-insensitive
        problem = str(headers.get("X-Rate-Limit-Problem") or headers.get("x-rate-limit-problem") or "")
        try:
            retry_after = float(headers.get("Retry-After") or DEFAULT_RETRY_AFTER)
        except ValueError:
            retry_after = DEFAULT_RETRY_AFTER
        if self.limiter is not None:
            self.limiter.pause(retry_after, problem)
        if problem.lower() == DAILY_PROBLEM:
            raise LedgerRateLimited(retry_after, problem)
        if self.limiter is None:
            log.warning("ledger.rate_limited", provider="xero", problem=problem, retry_after=retry_after)
            self.sleep(retry_after)


def _translated(status: int, error: ApiException) -> LedgerError:
    """The LedgerError for a non-2xx answer other than 401 and 429."""
    if status == 403:
        return LedgerUnauthorized("Xero refused the tenant (403): not connected for this token")
    if status == 404:
        return NotFound("Xero has no such record (404)")
    if status == 400:
        return LedgerRejected(f"Xero rejected the request: {validation_message(error)}")
    if status >= 500 or status == 0:
        return LedgerUnavailable(f"Xero answered {status}")
    return LedgerRejected(f"Xero answered {status}")


def validation_message(error: ApiException) -> str:
    """Xero's own words from a 400 body: the element's ValidationErrors, else the Message."""
    try:
        body = loads(error.http_resp.data)
    except (AttributeError, ValueError, TypeError):
        return "bad request"
    messages = [
        str(problem.get("Message"))
        for element in body.get("Elements") or []
        for problem in element.get("ValidationErrors") or []
        if problem.get("Message")
    ]
    return "; ".join(messages) or str(body.get("Message") or body.get("Detail") or "bad request")
