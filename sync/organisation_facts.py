"""The organisation's own facts (names, base currency, country, time zone), kept as the ledger says.

Read when a connection's first sync starts and again once a day in the sweep's syncs: an owner who
changes the home currency or moves the business in the ledger sees Relance follow. A zone the owner
chose in Relance's settings is theirs and stays; a zone the ledger does not settle is left for the
owner to choose (``timezone_set_by == "default"``), and the pages ask for it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from integration.connections import Connection
from integration.ledger import Ledger, OrganisationFacts
from runtime import clock
from runtime.logs import get_logger
from runtime.tenancy import Organisation, record

log = get_logger(__name__)

# How old the facts may be before a sync reads them again (one or two calls a day per tenant).
FACTS_MAX_AGE = timedelta(hours=24)


def facts_are_stale(organisation: Organisation) -> bool:
    """Never read, or read more than a day ago."""
    read = organisation.facts_refreshed_at
    return read is None or clock.now() - read > FACTS_MAX_AGE


def refresh_organisation_facts(session: Session, connection: Connection, ledger: Ledger) -> dict[str, str]:
    """Ask the ledger and keep what changed (audited); returns the changed fields' new values."""
    facts = ledger.organisation_facts()
    organisation = connection.organisation
    # The audit event's details; no fact is named as one of record()'s own parameters.
    changed: dict[str, Any] = apply_facts(organisation, facts)
    organisation.facts_refreshed_at = clock.now()
    if changed:
        record(
            session,
            organisation.id,
            "organisation.facts_updated",
            subject=f"connection:{connection.id}",
            **changed,
        )
        log.info("organisation.facts_updated", organisation=organisation.id, fields=sorted(changed))
    session.commit()
    return changed


def apply_facts(organisation: Organisation, facts: OrganisationFacts) -> dict[str, str]:
    """Set the organisation's facts from the ledger's; a field the ledger leaves empty is kept."""
    wanted = {
        "name": facts.name,
        "legal_name": facts.legal_name,
        "base_currency": facts.base_currency,
        "country": facts.country,
    }
    if organisation.timezone_set_by != "owner" and facts.timezone:
        wanted["timezone"] = facts.timezone
    changed = {}
    for field, value in wanted.items():
        if value and getattr(organisation, field) != value:
            setattr(organisation, field, value)
            changed[field] = value
    if "timezone" in wanted:
        organisation.timezone_set_by = "ledger"
    return changed
