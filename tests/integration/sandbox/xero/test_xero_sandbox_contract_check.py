"""The contract check itself must be able to fail, or a green suite proves nothing."""

from __future__ import annotations

import json

import pytest
from xero_contract import contract_available, validate_answer


@pytest.fixture(autouse=True)
def needs_contract():
    if not contract_available():
        pytest.skip("Xero OpenAPI files not present")


def test_an_invalid_status_breaks_the_contract():
    body = json.dumps({"Invoices": [{"Status": "ARCHIVED"}]}).encode()
    assert "ARCHIVED" in validate_answer("GET", "/api.xro/2.0/Invoices", 200, "application/json", body)


def test_a_string_where_a_number_belongs_breaks_the_contract():
    body = json.dumps({"Invoices": [{"Total": "115.00"}]}).encode()
    assert validate_answer("GET", "/api.xro/2.0/Invoices/abc", 200, "application/json", body)


def test_a_valid_envelope_passes():
    body = json.dumps({"Id": "x", "Status": "OK", "Invoices": [{"Status": "PAID", "Total": 1.5}]}).encode()
    assert validate_answer("GET", "/api.xro/2.0/Invoices", 200, "application/json", body) is None


def test_connections_are_checked_against_the_identity_file():
    body = json.dumps([{"id": "not-a-uuid"}]).encode()
    assert validate_answer("GET", "/connections", 200, "application/json", body)


def test_every_recorded_answer_of_a_session_is_checked(xero_sandbox, xero_accounting):
    xero_accounting.get_invoices(xero_sandbox.tenant_id)
    assert [r.rule for r in xero_sandbox.responses] == ["/Invoices"]
