"""Intuit's Disconnect URL is open to anyone: a stranger opening it causes no call to Intuit, and
opening it again and again is refused with 429. The sandbox's request log counts the calls."""

from __future__ import annotations

import pytest

from integration.connections import Connection
from runtime import clock
from runtime.tenancy import Membership, Role, User
from tests.integration.ledgers import point_at_quickbooks, running_quickbooks
from tests.web.test_connect import connect_quickbooks, run_jobs
from tests.web.test_receivables import sign_in
from web import create_app

TOKEN_ENDPOINT = "/oauth2/v1/tokens/bearer"


@pytest.fixture
def quickbooks(monkeypatch):  # type: ignore[no-untyped-def]
    with running_quickbooks() as sandbox:
        point_at_quickbooks(monkeypatch, sandbox)
        yield sandbox


@pytest.fixture
def app(quickbooks, session, redis_client):  # type: ignore[no-untyped-def]
    from runtime.settings import get_settings

    app = create_app(get_settings())
    app.config.update(TESTING=True)
    return app


def test_strangers_opening_the_disconnect_url_cause_no_call_to_intuit(app, quickbooks) -> None:  # type: ignore[no-untyped-def]
    realm = quickbooks.realm_ids[0]
    connect_quickbooks(app.test_client(), quickbooks, realm)
    calls_after_connecting = quickbooks.request_log.count(endpoint=TOKEN_ENDPOINT)
    stranger = app.test_client()
    clock.freeze()  # all twenty in one minute's window

    answers = [stranger.get(f"/marketplace/quickbooks/disconnect?realmId={realm}") for _ in range(20)]
    run_jobs()

    assert quickbooks.request_log.count(endpoint=TOKEN_ENDPOINT) == calls_after_connecting
    assert [a.status_code for a in answers] == [200] * 10 + [429] * 10
    assert answers[-1].headers["Retry-After"].isdigit()


def test_a_member_opening_the_disconnect_url_starts_no_check_either(app, quickbooks, session) -> None:  # type: ignore[no-untyped-def]
    realm = quickbooks.realm_ids[0]
    connect_quickbooks(app.test_client(), quickbooks, realm)
    calls_after_connecting = quickbooks.request_log.count(endpoint=TOKEN_ENDPOINT)
    connection = session.query(Connection).one()
    member = User(email="member@example.com", name="Member")
    session.add(member)
    session.flush()
    session.add(
        Membership(user_id=member.id, organisation_id=connection.organisation_id, role=Role.MEMBER.value)
    )
    session.commit()
    browser = app.test_client()
    sign_in(browser, member.id)

    assert browser.get(f"/marketplace/quickbooks/disconnect?realmId={realm}").status_code == 200
    run_jobs()

    assert quickbooks.request_log.count(endpoint=TOKEN_ENDPOINT) == calls_after_connecting


def test_the_owner_opening_it_many_times_starts_one_check(app, quickbooks) -> None:  # type: ignore[no-untyped-def]
    realm = quickbooks.realm_ids[0]
    owner = app.test_client()
    connect_quickbooks(owner, quickbooks, realm)
    calls_after_connecting = quickbooks.request_log.count(endpoint=TOKEN_ENDPOINT)

    for _ in range(5):
        owner.get(f"/marketplace/quickbooks/disconnect?realmId={realm}")
    run_jobs()

    assert quickbooks.request_log.count(endpoint=TOKEN_ENDPOINT) == calls_after_connecting + 1
