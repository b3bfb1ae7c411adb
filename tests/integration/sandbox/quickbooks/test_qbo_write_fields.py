"""A write that names a property the entity does not have is refused with Intuit's 2010, as
python-quickbooks#38 and #80 show; what the sandbox itself shows can always be written back."""

from __future__ import annotations

import pytest
from quickbooks.exceptions import ValidationException
from quickbooks.objects.customer import Customer

from integration.sandbox.quickbooks import QuickBooksSandbox
from integration.sandbox.quickbooks.properties import KNOWN, check_known
from integration.sandbox.quickbooks.strictness import Strictness
from integration.sandbox.quickbooks.wire import json_out

pytest_plugins = ["qbo_fixtures"]  # the shared fixtures (see qbo_fixtures.py for why not conftest)


def test_an_unknown_property_in_a_create_is_intuits_2010(qbo_api, qbo_sandbox, qbo_realm_id):
    answer = qbo_api.post(
        f"{qbo_api.company_url}/customer",
        json={"DisplayName": "Typo Traders", "PrimaryEmailAdress": {"Address": "ap@typo.test"}},
    )

    assert answer.status_code == 400
    fault = answer.json()["Fault"]
    assert fault["type"] == "ValidationFault"
    error = fault["Error"][0]
    assert (error["code"], error["Message"]) == ("2010", "Request has invalid or unsupported property")
    assert error["Detail"].startswith(
        'Property Name:Unrecognized field "PrimaryEmailAdress" '
        "(class com.intuit.schema.finance.v3.Customer), not marked as ignorable ("
    )
    assert error["Detail"].endswith("specified is unsupported or invalid")
    assert not [
        c
        for c in qbo_sandbox.company(qbo_realm_id).live("Customer")
        if c.body.get("DisplayName") == "Typo Traders"
    ]


def test_python_quickbooks_raises_a_validation_error_for_an_unknown_property(qb, qbo_sandbox, qbo_realm_id):
    customer = Customer()
    customer.DisplayName = "Careful Ltd"
    customer.save(qb=qb)
    customer.Colour = "teal"  # not a Customer property

    with pytest.raises(ValidationException) as raised:
        customer.save(qb=qb)

    assert raised.value.error_code == 2010 and '"Colour"' in raised.value.detail


def test_an_unknown_property_in_a_batch_item_fails_that_item_only(qbo_api):
    answer = qbo_api.post(
        f"{qbo_api.company_url}/batch",
        json={
            "BatchItemRequest": [
                {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Good Co"}},
                {"bId": "2", "operation": "create", "Customer": {"DisplayName": "Bad Co", "Nickname": "B"}},
            ]
        },
    )

    items = {item["bId"]: item for item in answer.json()["BatchItemResponse"]}
    assert items["1"]["Customer"]["DisplayName"] == "Good Co"
    assert items["2"]["Fault"]["Error"][0]["code"] == "2010"


def test_everything_the_demo_company_shows_is_a_known_property():
    sandbox = QuickBooksSandbox(seed="demo", demo_customers=25, demo_invoices=200)
    for company in sandbox.companies.values():
        for kind in KNOWN:
            for entity in company.live(kind):
                check_known(kind, json_out(entity.view()))  # a read echoed back in a full update


def test_the_check_can_be_turned_off(qbo_api):
    with QuickBooksSandbox(seed="empty", strictness=Strictness(unknown_fields=False)) as lenient:
        realm = lenient.realm_ids[0]
        token = lenient.connect(realm).access_token
        answer = qbo_api.post(
            f"{lenient.api_url_v3}/company/{realm}/customer",
            json={"DisplayName": "Anything Goes", "Nickname": "AG"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert answer.status_code == 200
