"""What a Xero sandbox can be tuned with, and where its Xero hosts live."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..common.change_filter import ChangeFilter
from ..common.oauth import TokenLifetimes
from ..common.webhook_dispatch import DispatchSettings
from .limits import XeroLimits

# Xero retries "with decreasing frequency for up to 24 hours" and then disables the webhook (XWH-SRV,
# xero-details.md 7.4); the exact schedule is unconfirmed, this one spans about 23.7 hours.
XERO_RETRY_DELAYS = (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 28800.0)


@dataclass(frozen=True)
class XeroSandboxSettings:
    """Everything tunable; defaults are Xero's numbers, tests shrink them."""

    lifetimes: TokenLifetimes = field(default_factory=TokenLifetimes)
    limits: XeroLimits = field(default_factory=XeroLimits)
    dispatch: DispatchSettings = field(
        default_factory=lambda: DispatchSettings(retry_delays=XERO_RETRY_DELAYS)
    )
    user_email: str = "owner@sandbox.xero.test"
    user_password: str = "sandbox"  # noqa: S105 - the sandbox's public demo login, not a secret
    intent_probes: int = 4
    start: datetime | None = None
    frozen_clock: bool = False
    record_responses: bool = False
    # How If-Modified-Since reads its instant, which Xero does not document (common/change_filter.py).
    change_filter: ChangeFilter = ChangeFilter.INCLUSIVE
    organisation_name: str = "Relance Demo Company (NZ)"
    extra_organisations: tuple[str, ...] = ()


@dataclass(frozen=True)
class XeroUrls:
    """Where each Xero host lives on this sandbox; Relance swaps these and nothing else."""

    base: str

    @property
    def authorize(self) -> str:
        return f"{self.base}/identity/connect/authorize"

    @property
    def token(self) -> str:
        return f"{self.base}/identity/connect/token"

    @property
    def revocation(self) -> str:
        return f"{self.base}/identity/connect/revocation"

    @property
    def discovery(self) -> str:
        return f"{self.base}/identity/.well-known/openid-configuration"

    @property
    def jwks(self) -> str:
        return f"{self.base}/identity/.well-known/openid-configuration/jwks"

    @property
    def identity_api(self) -> str:
        """IdentityApi(base_url=...): GET /Connections lives on api.xero.com."""
        return self.base

    @property
    def accounting_api(self) -> str:
        """AccountingApi(base_url=...)."""
        return f"{self.base}/api.xro/2.0"


@dataclass(frozen=True)
class RecordedResponse:
    """One answer, kept for schema validation in tests."""

    method: str
    rule: str
    path: str
    status: int
    content_type: str
    body: bytes
