"""The provider objects: one per ledger, the same face, looked up by name."""

from __future__ import annotations

import inspect

import pytest
from pydantic import SecretStr

from integration import events
from integration.providers import (
    LedgerProvider,
    Provider,
    UnknownProvider,
    all_providers,
    configured_providers,
    provider,
)
from runtime.settings import ConfigurationError, Settings
from sync.models import InboxEvent


def test_there_is_one_provider_object_per_ledger_name() -> None:
    assert [ledger.name for ledger in all_providers()] == list(Provider)
    for name in Provider:
        assert provider(name.value) is provider(name)
    with pytest.raises(UnknownProvider):
        provider("sage")


@pytest.mark.parametrize("ledger", all_providers(), ids=lambda ledger: ledger.name.value)
def test_each_provider_has_the_whole_face(ledger: LedgerProvider) -> None:
    for member, declared in inspect.getmembers(LedgerProvider):
        if member.startswith("_"):
            continue
        implemented = getattr(type(ledger), member)
        if callable(declared):
            assert (
                inspect.signature(implemented).parameters.keys()
                == inspect.signature(declared).parameters.keys()
            )
    for name in LedgerProvider.__annotations__:
        assert getattr(ledger, name)
    assert all(entry.path.startswith(f"/marketplace/{ledger.name.value}/") for entry in ledger.entry_points)


def test_only_ledgers_with_credentials_are_offered_and_endpoints_follow_a_sandbox() -> None:
    settings = Settings(
        quickbooks_client_id="qb-app",
        quickbooks_client_secret=SecretStr("qb-secret"),
        quickbooks_base_url="http://127.0.0.1:9999/",
    )
    assert [ledger.name for ledger in configured_providers(settings)] == [Provider.QUICKBOOKS]
    found = provider("quickbooks").endpoints(settings)
    assert found.token_url == "http://127.0.0.1:9999/oauth-platform/oauth2/v1/tokens/bearer"
    assert found.display_name == "QuickBooks"
    with pytest.raises(ConfigurationError, match="XERO_CLIENT_ID and XERO_CLIENT_SECRET"):
        provider("xero").endpoints(settings)


def test_the_readers_widths_are_the_inbox_columns() -> None:
    columns = InboxEvent.__table__.c
    assert columns.tenant_id.type.length == events.TENANT_ID_WIDTH
    assert columns.resource_type.type.length == events.RESOURCE_TYPE_WIDTH
    assert columns.resource_id.type.length == events.RESOURCE_ID_WIDTH
    assert columns.operation.type.length == events.OPERATION_WIDTH
