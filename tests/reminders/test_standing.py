"""Customers' standings, stored by jobs: after a sync changes the mirror, and every night."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from rq import SimpleWorker
from rq.job import Job, JobStatus
from sqlalchemy import event, select

from integration.connections import Connection, ConnectionStatus
from reminders.models import CollectionSettings, CustomerStanding
from reminders.risk.classes import RiskClass, RiskRules
from reminders.risk.standing import assess_all, assess_changed, assess_organisation, rules_of
from runtime import clock, jobs
from runtime.db import db
from runtime.tenancy import Organisation
from sync.jobs import sync_tenant
from sync.models import SyncCursor
from tests.integration.ledgers import point_at_xero, running_xero, xero_consent
from tests.reminders.conftest import AS_OF, invoice

MORNING = datetime(2026, 6, 30, 9, tzinfo=UTC)


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)


def standings(session, organisation_id: int) -> dict[str, CustomerStanding]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return {
        s.customer_ledger_id: s
        for s in session.scalars(
            select(CustomerStanding).where(CustomerStanding.organisation_id == organisation_id)
        )
    }


def connected(session, name: str, *changes, status=ConnectionStatus.ACTIVE) -> int:  # type: ignore[no-untyped-def]
    """An organisation linked to a ledger, with a cursor per change time (None: never changed)."""
    connection = Connection(
        organisation=Organisation(name=name), provider="xero", tenant_id=name, status=status.value
    )
    session.add(connection)
    session.flush()
    for entity, changed_at in zip(("contacts", "invoices", "payments"), changes, strict=False):
        session.add(SyncCursor(connection_id=connection.id, entity=entity, last_change_at=changed_at))
    session.commit()
    return connection.organisation_id


def assessed(session, organisation_id: int, at: datetime) -> None:  # type: ignore[no-untyped-def]
    session.add(
        CustomerStanding(
            organisation_id=organisation_id,
            customer_ledger_id="cust-1",
            risk=RiskClass.LOW.value,
            explanation="pays on time",
            segment="small",
            open_balance=Decimal("10.00"),
            overdue_balance=Decimal("0.00"),
            assessed_on=at.date(),
            assessed_at=at,
        )
    )
    session.commit()


def run_jobs() -> None:
    """Work the queues in this process until they are empty (a real RQ worker, burst mode)."""
    SimpleWorker([jobs.queue(name) for name in jobs.QUEUES], connection=jobs.connection()).work(burst=True)


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """The SQL statements the database is sent while the test runs."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield sent
    event.remove(db.engine, "before_cursor_execute", record)


# After a sync, through the Xero sandbox and a `relance worker` ---------------------------------


@pytest.fixture
def xero(monkeypatch):  # type: ignore[no-untyped-def]
    with running_xero() as sandbox:
        point_at_xero(monkeypatch, sandbox)
        yield sandbox


def pays(xero, name: str, days_late: int, invoices: int = 4) -> str:  # type: ignore[no-untyped-def]
    """A customer who paid ``invoices`` invoices over the last year, each ``days_late`` past due."""
    contact = xero.create_contact(name)
    for number in range(invoices):
        issued = clock.today() - timedelta(days=300 - 60 * number)
        raised = xero.create_invoice(contact.contact_id, Decimal("500.00"), due_in_days=30, issued=issued)
        xero.pay_invoice(raised.invoice_id, paid_on=raised.due_date + timedelta(days=days_late))
    return contact.contact_id


def test_a_sync_that_brings_records_gets_every_customer_assessed_by_one_job(
    xero, session, redis_client, start_process
) -> None:
    slow = pays(xero, "Slow Payer Ltd", days_late=40)
    prompt = pays(xero, "Prompt Payer Ltd", days_late=0)
    overdue = xero.create_invoice(slow, Decimal("200.00"), issued=clock.today() - timedelta(days=45))
    connection = xero_consent(session, xero)[0]
    organisation_id = connection.organisation_id
    sync_tenant(connection.id)

    assert assess_changed() == 1
    assert assess_changed() == 0  # the first is still queued: a burst of syncs makes one job
    assert jobs.queue("default").job_ids == [f"assess-{organisation_id}"]
    worker = start_process("worker", "--burst")
    assert worker.wait(timeout=60) == 0, worker.output()

    found = standings(session, organisation_id)
    assert set(found) == {slow, prompt}
    assert (RiskClass(found[slow].risk), found[slow].explanation) == (
        RiskClass.HIGH,
        "usually pays 40 days late",
    )
    assert (found[slow].invoices_paid, found[slow].paid_late) == (4, 4)
    assert found[slow].overdue_balance == found[slow].open_balance == overdue.total
    assert (RiskClass(found[prompt].risk), found[prompt].explanation) == (RiskClass.LOW, "pays on time")
    assert found[prompt].open_balance == Decimal("0.00")
    assert assess_changed() == 0  # nothing changed since
    assert jobs.queue("default").count == 0


# Which organisations are reassessed, and when ----------------------------------------------------


def test_only_organisations_whose_mirror_changed_since_their_assessment_are_reassessed(
    session, redis_client, statements
) -> None:
    later = MORNING + timedelta(hours=1)
    changed_since = connected(session, "Changed Since", MORNING - timedelta(days=1), later)
    assessed(session, changed_since, MORNING)
    assessed_since = connected(session, "Assessed Since", MORNING, MORNING)
    assessed(session, assessed_since, later)
    never_assessed = connected(session, "Never Assessed", None, MORNING)
    connected(session, "Never Changed", None, None)
    gone = connected(session, "Disconnected", later, status=ConnectionStatus.DISCONNECTED)
    assessed(session, gone, MORNING)
    statements.clear()

    assert assess_changed() == 2

    assert sorted(jobs.queue("default").job_ids) == sorted(
        [f"assess-{changed_since}", f"assess-{never_assessed}"]
    )
    assert len(statements) == 1  # one query for every organisation, not one each


def test_the_next_assessment_after_one_ran_waits_in_the_queue_without_expiring(session, redis_client) -> None:
    organisation_id = connected(session, "Harbour Cafe Ltd", clock.now() - timedelta(minutes=1))
    invoice(session, organisation_id, "inv-1", "cust-1", "80.00", clock.today(), clock.today())
    session.commit()
    assert assess_changed() == 1
    run_jobs()
    ran = Job.fetch(f"assess-{organisation_id}", connection=redis_client)
    assert ran.get_status() == JobStatus.FINISHED and redis_client.ttl(ran.key) > 0
    assert assess_changed() == 0
    session.scalars(select(SyncCursor)).one().last_change_at = clock.now() + timedelta(seconds=1)
    session.commit()

    assert assess_changed() == 1

    queued = Job.fetch(f"assess-{organisation_id}", connection=redis_client)
    assert queued.get_status() == JobStatus.QUEUED
    assert redis_client.ttl(queued.key) == -1  # not the finished run's expiry
    run_jobs()
    assert Job.fetch(queued.id, connection=redis_client).get_status() == JobStatus.FINISHED


def test_every_night_each_connected_organisation_is_reassessed_once(session, redis_client) -> None:
    quiet = connected(session, "Quiet Ltd", None)
    busy = connected(session, "Busy Ltd", MORNING)
    connected(session, "Gone Ltd", MORNING, status=ConnectionStatus.NEEDS_RECONNECT)
    assert assess_changed() == 1

    assert assess_all() == 1  # Busy Ltd's assessment is already waiting

    assert jobs.queue("default").job_ids == [f"assess-{busy}"]
    assert jobs.queue("low").job_ids == [f"assess-{quiet}"]


def test_the_scheduler_reassesses_changes_every_minute_and_everyone_nightly() -> None:
    from web.periodic_jobs import PERIODIC_JOBS

    scheduled = {job.func: job for job in PERIODIC_JOBS}

    assert (scheduled[assess_changed].interval, scheduled[assess_changed].queue_name) == (60, "default")
    assert scheduled[assess_all].cron == "30 2 * * *"


# What an assessment stores -------------------------------------------------------------------


def late_payer(session, organisation_id: int, days_late: int) -> None:  # type: ignore[no-untyped-def]
    """Four invoices over the year to AS_OF, each paid ``days_late`` past due, and two open ones."""
    for number, issued in enumerate(
        [date(2025, 9, 1), date(2025, 11, 1), date(2026, 1, 1), date(2026, 3, 1)]
    ):
        due = issued + timedelta(days=30)
        paid_on = due + timedelta(days=days_late)
        invoice(session, organisation_id, f"p{number}", "late-co", "500.00", issued, due, "paid", paid_on)
    invoice(session, organisation_id, "overdue", "late-co", "300.00", date(2026, 5, 1), date(2026, 5, 31))
    invoice(session, organisation_id, "current", "late-co", "200.00", date(2026, 6, 20), date(2026, 7, 20))
    session.commit()


def test_a_standing_holds_the_class_the_balances_and_how_the_customer_pays(session, organisation) -> None:
    late_payer(session, organisation, days_late=10)

    with clock.frozen_at(noon(AS_OF)):
        assert assess_organisation(organisation) == 1

    standing = standings(session, organisation)["late-co"]
    assert (RiskClass(standing.risk), standing.explanation, standing.segment) == (
        RiskClass.MEDIUM,
        "usually pays 10 days late",
        "small",
    )
    assert (standing.open_balance, standing.overdue_balance) == (Decimal("500.00"), Decimal("300.00"))
    assert (standing.invoices_paid, standing.paid_late) == (4, 4)
    assert (standing.average_days_to_pay, standing.average_days_beyond_terms) == (Decimal(40), Decimal(10))
    assert standing.recent_days_beyond_terms == Decimal(10)
    assert (standing.assessed_on, standing.assessed_at) == (AS_OF, noon(AS_OF))


def test_an_organisations_own_risk_rules_change_the_class(session, organisation) -> None:
    late_payer(session, organisation, days_late=10)
    with clock.frozen_at(noon(AS_OF)):
        assess_organisation(organisation)
        before = RiskClass(standings(session, organisation)["late-co"].risk)
        session.add(
            CollectionSettings(
                organisation_id=organisation,
                risk_rules={"late_days_medium": 14, "large_account_threshold": "400"},
            )
        )
        session.commit()

        assess_organisation(organisation)

    after = standings(session, organisation)["late-co"]
    assert (before, RiskClass(after.risk)) == (RiskClass.MEDIUM, RiskClass.LOW)
    assert after.segment == "large"


def test_a_customer_paid_up_and_out_of_the_year_is_dropped_on_reassessment(session, organisation) -> None:
    invoice(
        session,
        organisation,
        "old",
        "gone-co",
        "100.00",
        date(2025, 6, 1),
        date(2025, 7, 1),
        "paid",
        date(2025, 7, 15),
    )
    invoice(session, organisation, "open", "still-co", "80.00", date(2026, 6, 1), date(2026, 7, 1))
    other = Organisation(name="Kauri Joinery")
    session.add(other)
    session.commit()
    invoice(session, other.id, "theirs", "gone-co", "60.00", date(2026, 6, 1), date(2026, 7, 1))
    session.commit()
    with clock.frozen_at(noon(AS_OF)):
        assert assess_organisation(organisation) == 2
        assert assess_organisation(other.id) == 1
    assert set(standings(session, organisation)) == {"gone-co", "still-co"}

    with clock.frozen_at(noon(date(2026, 8, 1))):
        assert assess_organisation(organisation) == 1

    assert set(standings(session, organisation)) == {"still-co"}
    assert set(standings(session, other.id)) == {"gone-co"}  # another organisation's customer


def test_standings_are_as_of_the_organisations_own_today(session, organisation) -> None:
    session.get(Organisation, organisation).timezone = "Pacific/Auckland"
    invoice(session, organisation, "open", "cust-1", "80.00", date(2026, 6, 1), date(2026, 6, 30))
    session.commit()

    with clock.frozen_at(datetime(2026, 6, 30, 20, tzinfo=UTC)):  # 08:00 on 1 July in Auckland
        assess_organisation(organisation)

    standing = standings(session, organisation)["cust-1"]
    assert standing.assessed_on == date(2026, 7, 1)
    assert standing.overdue_balance == Decimal("80.00")  # due on 30 June, past due on 1 July


# Risk rules --------------------------------------------------------------------------------------


def test_risk_rules_are_the_defaults_with_the_organisations_overrides() -> None:
    rules = rules_of(
        CollectionSettings(risk_rules={"late_days_high": 45, "large_account_threshold": "5000.50"})
    )

    assert rules == RiskRules(late_days_high=45, large_account_threshold=Decimal("5000.50"))
    assert rules_of(
        CollectionSettings(risk_rules={"large_account_threshold": 5000})
    ).large_account_threshold == (Decimal("5000"))
    assert rules_of(CollectionSettings()) == RiskRules()


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"late_days_hihg": 45}, "'late_days_hihg'"),
        ({"late_days_high": "45"}, "'late_days_high'"),
        ({"min_history": True}, "'min_history'"),
        ({"worsening_days": 2.5}, "'worsening_days'"),
        ({"large_account_threshold": "lots"}, "'large_account_threshold'"),
        ({"large_account_threshold": [5000]}, "'large_account_threshold'"),
    ],
)
def test_a_bad_risk_rule_is_refused_by_name(overrides: dict, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        rules_of(CollectionSettings(risk_rules=overrides))


def test_an_assessment_with_a_bad_stored_rule_fails_and_keeps_the_standings(session, organisation) -> None:
    late_payer(session, organisation, days_late=10)
    with clock.frozen_at(noon(AS_OF)):
        assess_organisation(organisation)
    session.add(CollectionSettings(organisation_id=organisation, risk_rules={"late_days_hihg": 45}))
    session.commit()

    with pytest.raises(ValueError, match="'late_days_hihg'"):
        assess_organisation(organisation)

    assert set(standings(session, organisation)) == {"late-co"}
