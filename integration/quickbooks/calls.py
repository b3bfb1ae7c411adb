"""How QuickBooksLedger makes one HTTP call: python-quickbooks with Relance's transport policy.

python-quickbooks funnels every request through ``QuickBooks.process_request``; the subclass here
replaces that one method, so URL building (``api_url_v3``), queries, ``minorversion`` and the
Fault -> exception mapping stay the library's while each HTTP call:

- carries the access token Relance gives (``access_token()``). python-quickbooks never refreshes
  by itself (quickbooks-details.md 1.7); a 401 calls ``on_unauthorized()`` once and retries;
- takes a slot of the realm's Redis limiter, and after a 429 pauses the realm for Retry-After
  and retries. Intuit's 429 is XML with no documented Retry-After (quickbooks-details.md 7.3):
  absent, the wait is DEFAULT_RETRY_AFTER. QuickBooks has no daily limit, so 429 never fails;
- turns 5xx and connection failures into LedgerUnavailable before the library reads the body.

A plain ``requests.Session`` sends the call (the token is set per call), so no OAuth2Session and
no OAUTHLIB_INSECURE_TRANSPORT are involved. Messages never carry a token or a response body.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
from quickbooks import QuickBooks
from quickbooks.exceptions import (
    AuthorizationException,
    ObjectNotFoundException,
    QuickbooksException,
    SevereException,
)

from integration.ledger import (
    LedgerError,
    LedgerRateLimited,
    LedgerRejected,
    LedgerUnauthorized,
    LedgerUnavailable,
)
from integration.rate_limit import TenantRateLimiter
from runtime.logs import get_logger

log = get_logger(__name__)

MINOR_VERSION = 75  # the floor since 1 Aug 2025; InvoiceLink needs >= 36 (BMV, REFINV)
SLOT_RETRY_AFTER = 60.0  # when no slot frees up within the limiter's own wait
DEFAULT_RETRY_AFTER = 10.0  # seconds; Intuit's Retry-After on 429 is unconfirmed
REQUEST_TIMEOUT = (10, 120)  # connect, read seconds


class NotFound(LedgerError):
    """QuickBooks answered 610 Object Not Found."""


class RelanceQuickBooks(QuickBooks):
    """python-quickbooks whose every HTTP call goes through Relance's policy (process_request)."""

    def configure(
        self,
        access_token: Callable[[], str],
        on_unauthorized: Callable[[], str] | None,
        limiter: TenantRateLimiter | None,
        sleep: Callable[[float], None],
    ) -> None:
        self.access_token = access_token
        self.on_unauthorized = on_unauthorized
        self.limiter = limiter
        self.sleep = sleep
        self.calls = 0
        self.http = requests.Session()
        self._token: str | None = None

    def process_request(
        self, request_type: str, url: str, headers: Any = "", params: Any = "", data: Any = ""
    ) -> requests.Response:
        """One logical request: retried after a 401 (once, with a fresh token) and after 429s."""
        refreshed = False
        while True:
            if self._token is None:
                self._token = self.access_token()
            response = self._send(request_type, url, dict(headers or {}), params, data)
            if response.status_code == 401 and not refreshed and self.on_unauthorized is not None:
                refreshed = True
                self._token = _fresh_token(self.on_unauthorized)
                continue
            if response.status_code == 401:
                raise LedgerUnauthorized("QuickBooks refused the access token (401)")
            if response.status_code == 403:
                # Fault code 3100 lands in python-quickbooks' 2000-4999 "validation" range: decide here.
                raise LedgerUnauthorized("QuickBooks refused the company or scope for this token (403)")
            if response.status_code == 429:
                self._wait_out(response)
                continue
            if response.status_code >= 500:
                raise LedgerUnavailable(f"QuickBooks answered {response.status_code}")
            return response

    def _send(
        self, method: str, url: str, headers: dict[str, str], params: Any, data: Any
    ) -> requests.Response:
        headers["Authorization"] = f"Bearer {self._token}"
        try:
            if self.limiter is None:
                self.calls += 1
                return self.http.request(
                    method, url, headers=headers, params=params, data=data, timeout=REQUEST_TIMEOUT
                )
            with self.limiter.slot():
                self.calls += 1
                return self.http.request(
                    method, url, headers=headers, params=params, data=data, timeout=REQUEST_TIMEOUT
                )
        except requests.RequestException as error:
            raise LedgerUnavailable(f"QuickBooks did not answer: {type(error).__name__}") from None
        except TimeoutError:  # the limiter found no slot within its own wait
            raise LedgerRateLimited(SLOT_RETRY_AFTER, "no rate-limit slot") from None

    def _wait_out(self, response: requests.Response) -> None:
        try:
            retry_after = float(response.headers.get("Retry-After") or DEFAULT_RETRY_AFTER)
        except ValueError:
            retry_after = DEFAULT_RETRY_AFTER
        if self.limiter is not None:
            self.limiter.pause(retry_after, "throttled")
        else:
            log.warning("ledger.rate_limited", provider="quickbooks", retry_after=retry_after)
            self.sleep(retry_after)


def _fresh_token(on_unauthorized: Callable[[], str]) -> str:
    try:
        return on_unauthorized()
    except LedgerError:  # ReconnectRequired included: the caller decides
        raise
    except Exception as error:  # a refresh failure of another kind must not leak its text
        raise LedgerUnauthorized(f"refreshing the QuickBooks token failed: {type(error).__name__}") from None


def quickbooks_client(
    realm_id: str,
    api_url: str,
    access_token: Callable[[], str],
    on_unauthorized: Callable[[], str] | None,
    limiter: TenantRateLimiter | None,
    sleep: Callable[[float], None] = time.sleep,
) -> RelanceQuickBooks:
    """The client for one realm. Without ``auth_client`` python-quickbooks starts no session and
    fetches no discovery document; ``api_url_v3`` on the instance points it at the host
    (``sandbox`` stays False, so ``api_url`` reads ``api_url_v3``: quickbooks-details.md 1.7)."""
    client = RelanceQuickBooks(company_id=realm_id, minorversion=MINOR_VERSION, use_decimal=True)
    client.api_url_v3 = api_url.rstrip("/") + "/v3"
    client.configure(access_token, on_unauthorized, limiter, sleep)
    client.session = client.http  # python-quickbooks checks that a session exists before a call
    return client


@contextmanager
def ledger_errors() -> Iterator[None]:
    """python-quickbooks' exceptions as Relance's error types, with Intuit's message."""
    try:
        yield
    except LedgerError:
        raise
    except ObjectNotFoundException as error:
        raise NotFound(f"QuickBooks has no such record: {error.message}") from None
    except AuthorizationException as error:  # a Fault with code 1-499, e.g. 3100 on another realm
        raise LedgerUnauthorized(
            f"QuickBooks refused the call ({error.error_code}): {error.message}"
        ) from None
    except SevereException as error:
        raise LedgerUnavailable(f"QuickBooks failed ({error.error_code}): {error.message}") from None
    except QuickbooksException as error:
        if error.error_code == 10000 and str(error.message).startswith("Error"):
            raise LedgerUnavailable("QuickBooks answered something that is not JSON") from None
        detail = f" ({error.detail})" if error.detail else ""
        raise LedgerRejected(
            f"QuickBooks rejected the request ({error.error_code}): {error.message}{detail}"
        ) from None
