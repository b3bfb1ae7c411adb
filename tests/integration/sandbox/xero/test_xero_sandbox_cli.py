"""`relance sandbox xero` options and the context-manager API."""

from __future__ import annotations

import click
import pytest
import requests
from click.testing import CliRunner
from xero_clients import fast_settings
from xero_contract import check_contract

from integration.sandbox.xero.cli import _seed, xero
from integration.sandbox.xero.sandbox import XeroSandbox


def test_cli_help_lists_the_options():
    result = CliRunner().invoke(xero, ["--help"])
    assert result.exit_code == 0
    for option in ("--port", "--seed", "--host"):
        assert option in result.output


def test_seed_accepts_demo_empty_and_numbers():
    assert (_seed("demo"), _seed("empty"), _seed("12")) == ("demo", "empty", 12)
    with pytest.raises(click.BadParameter):
        _seed("lots")


def test_sandbox_is_a_context_manager_on_a_free_port():
    with XeroSandbox(seed="empty", settings=fast_settings()) as sandbox:
        state = requests.get(f"{sandbox.base_url}/_sandbox/state", timeout=5).json()
        assert state["tenants"][0]["tenantId"] == sandbox.tenant_id
    assert not sandbox.server.running


def test_state_file_keeps_books_and_tokens_across_a_restart(tmp_path):
    path = tmp_path / "xero.sqlite"
    with XeroSandbox(seed=3, scale=_small(), state_file=path, settings=fast_settings()) as first:
        token = first.connect()
        first.create_contact("Survivor Ltd")
        tenant, invoices = first.tenant_id, len(first.books.invoices)

    with XeroSandbox(seed="empty", state_file=path, settings=fast_settings()) as second:
        answer = requests.get(
            f"{second.urls.accounting_api}/Contacts",
            timeout=5,
            params={"where": 'Name=="Survivor Ltd"'},
            headers={
                "Authorization": f"Bearer {token['access_token']}",
                "xero-tenant-id": tenant,
                "Accept": "application/json",
            },
        )
        assert second.tenant_id == tenant
        assert len(second.books.invoices) == invoices
        assert answer.status_code == 200
        assert [c["Name"] for c in answer.json()["Contacts"]] == ["Survivor Ltd"]
    check_contract(second)


def test_tenant_ids_are_deterministic_per_seed():
    assert XeroSandbox(seed=9, scale=_small()).tenant_id == XeroSandbox(seed=9, scale=_small()).tenant_id
    assert XeroSandbox(seed=9, scale=_small()).tenant_id != XeroSandbox(seed=10, scale=_small()).tenant_id


def _small():
    from integration.sandbox.xero import DemoScale

    return DemoScale.small()
