"""Connecting ledgers the way a business does, against the sandboxes over real HTTP: consent,
tokens kept, refreshed, reconnected and disconnected from both sides."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from integration.connections import Connection, ConnectionStatus, LedgerGrant
from runtime import jobs
from runtime.tenancy import Membership, User, UserIdentity
from tests.integration.ledgers import (
    approve,
    point_at_quickbooks,
    point_at_xero,
    running_quickbooks,
    running_xero,
)
from web import create_app


@pytest.fixture
def xero(monkeypatch):  # type: ignore[no-untyped-def]
    with running_xero(extra_organisations=("Harbour Cafe Ltd", "Kauri Joinery")) as sandbox:
        point_at_xero(monkeypatch, sandbox)
        yield sandbox


@pytest.fixture
def quickbooks(monkeypatch):  # type: ignore[no-untyped-def]
    with running_quickbooks() as sandbox:
        point_at_quickbooks(monkeypatch, sandbox)
        yield sandbox


@pytest.fixture
def relance(session, redis_client):  # type: ignore[no-untyped-def]
    """Relance's web app with the settings the sandbox fixtures set."""
    from runtime.settings import get_settings

    app = create_app(get_settings())
    app.config.update(TESTING=True)
    return app.test_client()


def run_jobs() -> None:
    """Work the queues in this process until they are empty (a real RQ worker, burst mode)."""
    SimpleWorker([jobs.queue(name) for name in jobs.QUEUES], connection=jobs.connection()).work(burst=True)


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


def connect_xero(relance, xero, tenants: list[str]) -> None:  # type: ignore[no-untyped-def]
    started = relance.get("/connect/xero")
    assert started.status_code == 302
    location = approve(
        started.headers["Location"], email=xero.user.email, password=xero.user.password, tenant=tenants
    )
    finished = relance.get(callback_path(location))
    assert finished.status_code == 302 and finished.headers["Location"] == "/"


def test_one_xero_consent_connects_every_organisation_chosen(xero, relance, session) -> None:
    tenants = list(xero.organisations)
    chosen = [tenants[1], tenants[2]]

    connect_xero(relance, xero, chosen)

    connections = session.scalars(select(Connection).order_by(Connection.tenant_name)).all()
    assert [c.tenant_name for c in connections] == ["Harbour Cafe Ltd", "Kauri Joinery"]
    assert {c.tenant_id for c in connections} == set(chosen)
    assert len({c.grant_id for c in connections}) == 1, "one consent, one token set"
    user = session.scalars(select(User)).one()
    assert user.email == xero.user.email
    assert session.scalars(select(UserIdentity)).one().provider == "xero"
    assert {m.role for m in session.scalars(select(Membership))} == {"owner"}
    page = relance.get("/").get_data(as_text=True)
    assert "Harbour Cafe Ltd" in page and "Kauri Joinery" in page and "Connected" in page
    # The first sync of each is on its way.
    queued = sorted(job.args for job in jobs.queue("sync").jobs if job.func_name == "sync.jobs.sync_tenant")
    assert queued == sorted((c.id,) for c in connections)
    assert page.count("First sync in progress") == 2
    run_jobs()
    synced = relance.get("/").get_data(as_text=True)
    assert synced.count(" ago") == 2, synced[synced.find("<tbody>") : synced.find("</tbody>")]


def test_reconnecting_updates_the_connection_and_never_duplicates_it(xero, relance, session) -> None:
    tenant = list(xero.organisations)[1]
    connect_xero(relance, xero, [tenant])
    first = session.scalars(select(Connection)).one()
    first_grant = first.grant_id

    connect_xero(relance, xero, [tenant])

    session.expire_all()
    again = session.scalars(select(Connection)).one()
    assert again.id == first.id and again.organisation_id == first.organisation_id
    assert again.grant_id != first_grant
    assert session.scalars(select(User)).one()  # the same person, signed in again


def test_the_callback_refuses_a_state_it_did_not_issue(xero, relance, session) -> None:
    started = relance.get("/connect/xero")
    location = approve(
        started.headers["Location"],
        email=xero.user.email,
        password=xero.user.password,
        tenant=[xero.tenant_id],
    )
    forged = location.replace(parse_qs(urlsplit(location).query)["state"][0], "forged-state")

    answer = relance.get(callback_path(forged))

    assert answer.status_code == 400
    assert session.scalars(select(Connection)).all() == []


def test_tokens_are_never_sent_to_the_browser(xero, relance, session) -> None:
    started = relance.get("/connect/xero")
    location = approve(
        started.headers["Location"],
        email=xero.user.email,
        password=xero.user.password,
        tenant=[xero.tenant_id],
    )
    finished = relance.get(callback_path(location))
    grant = session.scalars(select(LedgerGrant)).one()

    exposed = finished.headers.get("Set-Cookie", "") + relance.get("/").get_data(as_text=True)
    assert grant.access_token not in exposed and grant.refresh_token not in exposed


def test_disconnect_in_relance_tells_xero_and_keeps_the_data(xero, relance, session) -> None:
    tenant = list(xero.organisations)[1]
    connect_xero(relance, xero, [tenant])
    connection = session.scalars(select(Connection)).one()
    confirmation = relance.get(f"/organisations/{connection.organisation_id}/disconnect").get_data(
        as_text=True
    )
    token = confirmation.split('name="csrf_token" value="')[1].split('"')[0]

    answer = relance.post(
        f"/organisations/{connection.organisation_id}/disconnect",
        data={"csrf_token": token, "confirm": "yes"},
    )
    run_jobs()

    assert answer.status_code == 302
    session.expire_all()
    connection = session.get(Connection, connection.id)
    assert connection.status == ConnectionStatus.DISCONNECTED.value
    assert connection.organisation is not None  # the organisation and its data stay
    assert xero.directory.connections_of(xero.app.client_id, xero.user.user_id) == []
    assert xero.request_log.count(endpoint="/Connections/{connection_id}", method="DELETE") == 1


def test_disconnect_asks_first_on_a_page_of_its_own(xero, relance, session) -> None:
    connect_xero(relance, xero, [xero.tenant_id])
    connection = session.scalars(select(Connection)).one()
    confirm_path = f"/organisations/{connection.organisation_id}/disconnect"

    home = relance.get("/").get_data(as_text=True)
    confirmation = relance.get(confirm_path).get_data(as_text=True)
    unconfirmed = relance.post(confirm_path, data={"csrf_token": csrf_token(relance)})

    assert f'<a class="button secondary" href="{confirm_path}">Disconnect</a>' in home  # a link, no form
    assert f"Disconnect {connection.tenant_name}?" in confirmation
    assert 'name="confirm" value="yes"' in confirmation and 'name="csrf_token"' in confirmation
    assert "Keep it connected" in confirmation
    assert unconfirmed.status_code == 303 and unconfirmed.headers["Location"] == confirm_path
    session.expire_all()
    assert session.get(Connection, connection.id).status == ConnectionStatus.ACTIVE.value
    assert jobs.queue("default").jobs == []  # nothing told to the ledger either


def test_disconnect_needs_the_csrf_token(xero, relance, session) -> None:
    connect_xero(relance, xero, [xero.tenant_id])
    connection = session.scalars(select(Connection)).one()

    answer = relance.post(f"/organisations/{connection.organisation_id}/disconnect")

    assert answer.status_code == 400
    session.expire_all()
    assert session.get(Connection, connection.id).status == ConnectionStatus.ACTIVE.value


def connect_quickbooks(relance, quickbooks, realm: str) -> None:  # type: ignore[no-untyped-def]
    started = relance.get("/connect/quickbooks")
    assert started.status_code == 302
    location = approve(started.headers["Location"], realmId=realm, decision="allow")
    finished = relance.get(callback_path(location))
    assert finished.status_code == 302, finished.get_data(as_text=True)


def test_quickbooks_connects_the_realm_on_the_callback(quickbooks, relance, session) -> None:
    realm = quickbooks.realm_ids[0]

    connect_quickbooks(relance, quickbooks, realm)

    connection = session.scalars(select(Connection)).one()
    assert connection.provider == "quickbooks" and connection.tenant_id == realm
    assert session.scalars(select(UserIdentity)).one().provider == "quickbooks"


def test_disconnect_from_the_quickbooks_side_is_confirmed_with_intuit(quickbooks, relance, session) -> None:
    realm = quickbooks.realm_ids[0]
    connect_quickbooks(relance, quickbooks, realm)
    relance.get(f"/marketplace/quickbooks/disconnect?realmId={realm}")
    run_jobs()
    session.expire_all()
    assert session.scalars(select(Connection)).one().status == ConnectionStatus.ACTIVE.value, (
        "not until Intuit says so"
    )

    quickbooks.revoke_connection(realm)  # the person disconnects Relance inside QuickBooks
    relance.get(f"/marketplace/quickbooks/disconnect?realmId={realm}")
    run_jobs()

    session.expire_all()
    connection = session.scalars(select(Connection)).one()
    assert connection.status == ConnectionStatus.DISCONNECTED.value
    assert connection.status_reason == "disconnected in QuickBooks"


def test_intuit_launch_url_signs_in_and_connects_in_one_pass(quickbooks, relance, session) -> None:
    started = relance.get("/marketplace/quickbooks/launch")
    location = approve(started.headers["Location"], realmId=quickbooks.realm_ids[0], decision="allow")
    relance.get(callback_path(location))

    home = relance.get("/")
    assert home.status_code == 200
    assert "Connected" in home.get_data(as_text=True)


def test_sign_in_with_xero_connects_nothing_and_shows_the_organisations_already_connected(
    xero, relance, session
) -> None:
    connect_xero(relance, xero, [xero.tenant_id])
    relance.post("/signout", data={"csrf_token": csrf_token(relance)})
    assert relance.get("/").status_code == 302  # signed out

    started = relance.get("/signin/xero")
    assert "accounting" not in started.headers["Location"]
    location = approve(started.headers["Location"], email=xero.user.email, password=xero.user.password)
    relance.get(callback_path(location))

    assert len(session.scalars(select(Connection)).all()) == 1
    assert xero.books.organisation.name in relance.get("/").get_data(as_text=True)


def csrf_token(relance) -> str:  # type: ignore[no-untyped-def]
    page = relance.get("/").get_data(as_text=True)
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def test_xero_app_store_sign_up_connects_and_signs_in_in_one_pass(xero, relance, session) -> None:
    started = relance.get("/marketplace/xero/signup")
    assert "accounting.transactions" in started.headers["Location"]
    location = approve(
        started.headers["Location"],
        email=xero.user.email,
        password=xero.user.password,
        tenant=[xero.tenant_id],
    )

    assert relance.get(callback_path(location)).headers["Location"] == "/"
    assert xero.books.organisation.name in relance.get("/").get_data(as_text=True)
    assert session.scalars(select(Connection)).one().tenant_id == xero.tenant_id


def test_a_cancelled_xero_sign_in_says_so_and_offers_to_try_again(xero, relance, session) -> None:
    started = relance.get("/signin/xero")
    location = approve(started.headers["Location"], action="deny")
    assert "error=access_denied" in location

    answer = relance.get(callback_path(location))

    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Sign-in cancelled" in page
    assert "You cancelled signing in with Xero" in page and "Nothing was connected" not in page
    assert '<a class="button" href="/signin/xero">Try again</a>' in page
    assert relance.get("/signin/xero").headers["Location"].startswith(xero.base_url)  # and it starts again
    assert session.scalars(select(User)).all() == [] and session.scalars(select(Connection)).all() == []


def test_a_cancelled_quickbooks_connection_offers_to_connect_again(quickbooks, relance, session) -> None:
    started = relance.get("/connect/quickbooks")
    location = approve(started.headers["Location"], decision="deny")

    page = relance.get(callback_path(location)).get_data(as_text=True)

    assert "Connecting QuickBooks cancelled" in page and "Nothing was connected" not in page
    assert '<a class="button" href="/connect/quickbooks">Try again</a>' in page
    assert session.scalars(select(Connection)).all() == []


def test_a_refusal_by_the_ledger_says_what_it_answered(xero, relance, session) -> None:
    started = relance.get("/signin/xero")
    state = parse_qs(urlsplit(started.headers["Location"]).query)["state"][0]

    answer = relance.get(
        f"/connect/xero/callback?error=invalid_scope&error_description=Unknown+scope&state={state}"
    )

    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "Xero did not give access" in page
    assert "Xero answered: Unknown scope." in page and 'href="/signin/xero">Try again</a>' in page


def test_a_person_signing_in_with_intuit_is_named_from_intuits_userinfo(quickbooks, relance, session) -> None:  # type: ignore[no-untyped-def]
    # Intuit's ID token names only the subject; its userinfo answers the name and email.
    started = relance.get("/marketplace/quickbooks/launch")
    location = approve(started.headers["Location"], realmId=quickbooks.realm_ids[0], decision="allow")
    relance.get(callback_path(location))

    person = session.scalars(select(User)).one()
    assert (person.name, person.email) == ("Sandbox User", f"{quickbooks.tokens.default_user_id}@example.com")
    assert quickbooks.request_log.count(endpoint="/v1/openid_connect/userinfo") == 1
