"""The query language: what python-quickbooks and the peers send, and Intuit's faults for the rest."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from quickbooks.exceptions import ValidationException
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice

from integration.sandbox.quickbooks.faults import QueryParserError
from integration.sandbox.quickbooks.query import MAX_RESULTS_CAP, Condition, Ordering, parse_query
from integration.sandbox.quickbooks.wire import format_timestamp

pytest_plugins = ["qbo_fixtures"]  # the shared fixtures (see qbo_fixtures.py for why not conftest)


def seed_invoices(qbo_sandbox, qbo_realm_id: str, count: int, customers: int = 3) -> list[str]:
    company = qbo_sandbox.company(qbo_realm_id)
    customer_ids = [company.create("Customer", {"DisplayName": f"Customer {n}"}).id for n in range(customers)]
    return [
        qbo_sandbox.create_invoice(qbo_realm_id, customer_ids[n % customers], f"{10 + n}.00").id
        for n in range(count)
    ]


def test_parser_reads_everything_python_quickbooks_sends():
    query = parse_query(
        "SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime > '2026-01-01T00:00:00-08:00' "
        "AND Id IN ('1', '2') ORDERBY MetaData.LastUpdatedTime DESC STARTPOSITION 11 MAXRESULTS 5"
    )
    assert query.entity == "Invoice"
    assert query.conditions == (
        Condition("MetaData.LastUpdatedTime", ">", "2026-01-01T00:00:00-08:00"),
        Condition("Id", "IN", ("1", "2")),
    )
    assert query.ordering == (Ordering("MetaData.LastUpdatedTime", True),)
    assert (query.start_position, query.max_results) == (11, 5)
    assert parse_query("select count(*) from Customer").count_only
    assert parse_query("SELECT *, Sku FROM Item ORDER BY Name").ordering == (Ordering("Name"),)
    assert (
        parse_query(r"SELECT * FROM Customer WHERE DisplayName = 'Bill\'s Windsurf'").conditions[0].value
        == "Bill's Windsurf"
    )
    assert parse_query("SELECT * FROM Invoice MAXRESULTS 5000").max_results == MAX_RESULTS_CAP


@pytest.mark.parametrize(
    "statement",
    [
        "",
        "SELECT FROM Invoice",
        "SELECT * Invoice",
        "SELECT * FROM Invoice WHERE",
        "SELECT * FROM Invoice WHERE Balance > '0' OR Id = '1'",
        "SELECT * FROM Invoice WHERE Id = '1' Foo",
        "SELECT * FROM Invoice STARTPOSITION x",
        "SELECT * FROM Invoice WHERE DisplayName = 'unterminated",
        "SELECT * FROM Customer WHERE DisplayName = 'Cutlery 'R Us'",
    ],
)
def test_malformed_queries_are_parser_errors(statement):
    with pytest.raises(QueryParserError) as raised:
        parse_query(statement)
    assert raised.value.code == "4000"
    assert raised.value.detail.startswith("QueryParserError: ")


@given(st.text(max_size=40))
@settings(max_examples=200, deadline=None)
def test_any_text_parses_or_fails_with_a_parser_error(text):
    with contextlib.suppress(QueryParserError):
        parse_query(text)


def test_malformed_query_over_http_is_intuit_fault_body(qbo_api):
    answer = qbo_api.get(
        f"{qbo_api.company_url}/query", params={"query": "SELECT * FROM Invoice WHERE", "minorversion": 75}
    )
    assert answer.status_code == 400
    body = answer.json()
    assert body["Fault"]["type"] == "ValidationFault"
    assert body["Fault"]["Error"][0]["Message"] == "Error parsing query"
    assert body["Fault"]["Error"][0]["code"] == "4000"
    assert "time" in body


def test_unknown_entity_is_a_query_validation_error(qb, qbo_api):
    answer = qbo_api.get(f"{qbo_api.company_url}/query", params={"query": "SELECT * FROM Spaceship"})
    assert answer.json()["Fault"]["Error"][0]["code"] == "4001"
    assert "Invalid context declaration : Spaceship" in answer.json()["Fault"]["Error"][0]["Detail"]
    with pytest.raises(ValidationException):
        qb.query("SELECT * FROM Invoice WHERE Colour = 'red'")


def test_paging_with_startposition_returns_each_invoice_once(qb, qbo_sandbox, qbo_realm_id):
    created = seed_invoices(qbo_sandbox, qbo_realm_id, 23)
    seen = []
    position = 1
    while True:
        page = Invoice.filter(start_position=position, max_results=10, order_by="Id", qb=qb)
        seen += [invoice.Id for invoice in page]
        if len(page) < 10:
            break
        position += 10
    assert seen == created


def test_query_answer_envelope(qbo_api, qbo_sandbox, qbo_realm_id):
    seed_invoices(qbo_sandbox, qbo_realm_id, 3)
    body = qbo_api.post(
        f"{qbo_api.company_url}/query",
        data="SELECT * FROM Invoice STARTPOSITION 2 MAXRESULTS 5",
        headers={"Content-Type": "application/text"},
        params={"minorversion": 75},
    ).json()
    response = body["QueryResponse"]
    assert response["startPosition"] == 2 and response["maxResults"] == 2 and len(response["Invoice"]) == 2
    empty = qbo_api.get(f"{qbo_api.company_url}/query", params={"query": "SELECT * FROM Payment"}).json()
    assert empty["QueryResponse"] == {}


def test_count_in_like_and_amount_filters(qb, qbo_sandbox, qbo_realm_id):
    ids = seed_invoices(qbo_sandbox, qbo_realm_id, 6)
    assert Invoice.count(qb=qb) == 6
    assert Invoice.count("Balance >= '13'", qb=qb) == 3
    assert [i.Id for i in Invoice.choose(ids[:2], qb=qb)] == ids[:2]
    assert len(Customer.where("DisplayName LIKE 'customer%'", qb=qb)) == 3
    assert len(Customer.where("DisplayName LIKE '%1'", qb=qb)) == 1
    assert [i.Id for i in Invoice.where("TotalAmt = '12.00'", qb=qb)] == [ids[2]]
    by_customer = Invoice.filter(CustomerRef=qbo_sandbox.company(qbo_realm_id).live("Customer")[0].id, qb=qb)
    assert len(by_customer) == 2


def test_last_updated_time_comparisons_in_any_offset(qb, qbo_sandbox, qbo_realm_id):
    ids = seed_invoices(qbo_sandbox, qbo_realm_id, 2)
    qbo_sandbox.clock.advance(timedelta(minutes=5))
    boundary = qbo_sandbox.clock.now()
    qbo_sandbox.clock.advance(timedelta(seconds=2))
    later = qbo_sandbox.create_invoice(
        qbo_realm_id, qbo_sandbox.company(qbo_realm_id).live("Customer")[0].id, "5.00"
    )

    for stamp in (
        format_timestamp(boundary),
        boundary.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        boundary.strftime("%Y-%m-%dT%H:%M:%SZ"),
    ):
        found = Invoice.where(
            f"MetaData.LastUpdatedTime > '{stamp}'", order_by="MetaData.LastUpdatedTime", qb=qb
        )
        assert [i.Id for i in found] == [later.id]
    older = Invoice.where(f"MetaData.LastUpdatedTime <= '{format_timestamp(boundary)}'", qb=qb)
    assert [i.Id for i in older] == ids


def test_order_by_descending_amount(qb, qbo_sandbox, qbo_realm_id):
    seed_invoices(qbo_sandbox, qbo_realm_id, 4)
    amounts = [Decimal(str(i.TotalAmt)) for i in Invoice.where("", order_by="TotalAmt DESC", qb=qb)]
    assert amounts == sorted(amounts, reverse=True)


def test_a_second_sort_key_is_a_parser_error_when_the_sandbox_allows_one():
    statement = "SELECT * FROM Invoice ORDERBY MetaData.LastUpdatedTime, Id STARTPOSITION 1 MAXRESULTS 10"
    assert len(parse_query(statement).ordering) == 2  # the lenient default, as before

    with pytest.raises(QueryParserError) as raised:
        parse_query(statement, one_sort_key=True)

    assert raised.value.code == "4000"
    assert 'Encountered " <PUNCT> ", "' in raised.value.detail and "column 55" in raised.value.detail
    assert parse_query(
        "SELECT * FROM Invoice ORDERBY MetaData.LastUpdatedTime DESC", one_sort_key=True
    ).ordering


def test_exclusive_change_filter_keeps_only_later_seconds_in_queries_and_cdc(qbo_api):
    from integration.sandbox.common.change_filter import ChangeFilter
    from integration.sandbox.common.clock import SandboxClock
    from integration.sandbox.quickbooks import QuickBooksSandbox
    from integration.sandbox.quickbooks.strictness import Strictness

    second = SandboxClock().now().replace(microsecond=0) - timedelta(hours=1)
    found = {}
    for change_filter in ChangeFilter:
        frozen = SandboxClock(second + timedelta(milliseconds=400), frozen=True)
        with QuickBooksSandbox(seed="empty", clock=frozen, strictness=Strictness(change_filter)) as sandbox:
            realm = sandbox.realm_ids[0]
            buyer = sandbox.company(realm).create("Customer", {"DisplayName": "Edge Ltd"})
            sandbox.create_invoice(realm, buyer.id, "10.00")
            frozen.set(second + timedelta(seconds=1, milliseconds=200))
            sandbox.create_invoice(realm, buyer.id, "20.00")
            token = sandbox.connect(realm).access_token
            url = f"{sandbox.api_url_v3}/company/{realm}"
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            bound = format_timestamp(second)
            queried = qbo_api.get(
                f"{url}/query",
                params={"query": f"SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime >= '{bound}'"},
                headers=headers,
            ).json()["QueryResponse"]["Invoice"]
            captured = qbo_api.get(
                f"{url}/cdc", params={"entities": "Invoice", "changedSince": bound}, headers=headers
            ).json()["CDCResponse"][0]["QueryResponse"][0]["Invoice"]
            found[change_filter] = (
                sorted(i["TotalAmt"] for i in queried),
                sorted(i["TotalAmt"] for i in captured),
            )

    assert found[ChangeFilter.INCLUSIVE] == ([10.0, 20.0], [10.0, 20.0])
    assert found[ChangeFilter.EXCLUSIVE] == ([20.0], [20.0])  # 10.00 was stamped in the bound's second
