"""While a connection's first sync runs, the pages say so, with what has been read, and present no
total as final; "last synced" is when the last sync ran to its end."""

from __future__ import annotations

from sqlalchemy import func, select

from runtime import jobs
from runtime.tenancy import Membership, User
from sync.jobs import sync_tenant
from sync.models import Invoice, Payment, SyncState
from sync.status import sync_statuses
from tests.conftest import wait_until
from tests.integration.ledgers import demo_xero, xero_consent
from tests.web.test_receivables import sign_in


def _count(session, table, organisation_id: int) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalar(
        select(func.count()).select_from(table).where(table.organisation_id == organisation_id)
    )


def _reading(session, connection_id: int) -> str:  # type: ignore[no-untyped-def]
    session.expire_all()
    state = session.scalar(select(SyncState).where(SyncState.connection_id == connection_id))
    return state.running_entity if state else ""


def test_a_slow_first_sync_is_shown_as_running_with_no_final_total(
    monkeypatch, session, client, redis_client, start_process
) -> None:  # type: ignore[no-untyped-def]
    with demo_xero(monkeypatch) as xero:
        connection = xero_consent(session, xero)[0]
        organisation_id = connection.organisation_id
        owner = User(email="owner@example.com", name="Owner")
        session.add(owner)
        session.flush()
        session.add(Membership(user_id=owner.id, organisation_id=organisation_id))
        session.commit()
        sign_in(client, owner.id)
        # Contacts and invoices arrive at once; the payments take their time.
        xero.faults.add_latency(4.0, times=1, path_contains="/Payments")
        jobs.enqueue(sync_tenant, connection.id, queue_name="sync")
        start_process("worker")
        wait_until(lambda: _reading(session, connection.id) == "payments", timeout=60)
        assert _count(session, Invoice, organisation_id) > 0
        assert _count(session, Payment, organisation_id) == 0  # still reading them

        page = client.get(f"/organisations/{organisation_id}/aged-receivables")
        home = client.get("/")
        spreadsheet = client.get(f"/organisations/{organisation_id}/aged-receivables.csv")

        assert "First sync with the ledger in progress" in page.text
        assert "<td>Total so far</td>" in page.text and "<td>Total</td>" not in page.text
        assert "invoices" in page.text and "payments (reading now)" in page.text
        assert "First sync in progress" in home.text
        assert spreadsheet.status_code == 503 and spreadsheet.headers["Retry-After"] == "30"

        wait_until(lambda: sync_statuses(session, [organisation_id])[0].first_sync is None, timeout=60)
        finished = client.get(f"/organisations/{organisation_id}/aged-receivables")
        assert "in progress" not in finished.text and "<td>Total</td>" in finished.text
        assert client.get(f"/organisations/{organisation_id}/aged-receivables.csv").status_code == 200


def test_last_synced_is_the_end_of_the_last_completed_sync(monkeypatch, session, redis_client) -> None:  # type: ignore[no-untyped-def]
    with demo_xero(monkeypatch) as xero:
        connection = xero_consent(session, xero)[0]
        assert sync_statuses(session)[0].last_synced_at is None

        sync_tenant(connection.id)
        first = session.scalar(select(SyncState).where(SyncState.connection_id == connection.id))
        ended = first.last_completed_at
        sync_tenant(connection.id)  # nothing changed in the ledger: still a completed sync

        session.expire_all()
        status = sync_statuses(session)[0]
        assert status.last_synced_at is not None and status.last_synced_at > ended
        assert status.first_sync is None
        assert status.cursor is not None and status.cursor < status.last_synced_at
