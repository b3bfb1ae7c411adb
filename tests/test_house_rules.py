"""Rules the whole code base keeps, checked over its source: time comes from the clock, settings
from the settings object, and above ``integration/`` nothing knows which ledger it is talking to
(no provider comparisons, no ledger payload fields)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("runtime", "integration", "webhooks", "sync", "reminders", "web", "migrations")


ABOVE_INTEGRATION = ("runtime", "webhooks", "sync", "reminders", "web")
# The demo and the sandbox commands set up both ledgers' sandboxes, one by one, by name.
DEMO = {"web/demo.py", "web/demo_companies.py", "web/cli.py"}
# Field names of the ledgers' wire formats (webhook bodies, API JSON, callback and marketplace
# queries): reading one is integration/'s work alone (README, Architecture).
LEDGER_FIELDS = (
    "tenantId|eventCategory|eventType|resourceId|eventDateUtc|firstEventSequence|lastEventSequence|"
    "eventNotifications|dataChangeEvent|realmId|intuitentityid|intuitaccountid|lastUpdated|"
    "InvoiceID|ContactID|CreditNoteID|PaymentID|AmountDue|AmountPaid|AmountCredited|DueDate|"
    "UpdatedDateUTC|TxnDate|SyncToken|MetaData|LastUpdatedTime|CustomerRef|DisplayName|CompanyInfo|"
    "ContactStatus|authentication_event_id|x_refresh_token_expires_in"
)


def source_files(packages: tuple[str, ...] = PACKAGES, suffixes: tuple[str, ...] = (".py",)) -> list[Path]:
    return sorted(
        path
        for package in packages
        for path in (REPO / package).rglob("*")
        if path.suffix in suffixes and path.is_file()
    )


def offending_lines(
    pattern: str,
    allowed: set[str],
    packages: tuple[str, ...] = PACKAGES,
    suffixes: tuple[str, ...] = (".py",),
) -> list[str]:
    regex = re.compile(pattern)
    found = []
    for path in source_files(packages, suffixes):
        relative = path.relative_to(REPO).as_posix()
        if relative in allowed:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if regex.search(line) and not line.lstrip().startswith("#"):
                found.append(f"{relative}:{number}: {line.strip()}")
    return found


@pytest.mark.parametrize(
    ("rule", "pattern", "allowed"),
    [
        (
            "time is read from the clock",
            r"\b(datetime\.(now|utcnow|today)|date\.today)\(",
            # Relance's clock, and the sandboxes' own clock (they emulate another company's servers).
            {"runtime/clock.py", "integration/sandbox/common/clock.py"},
        ),
        ("settings come from the settings object", r"\bos\.(environ|getenv)\b", {"runtime/settings.py"}),
    ],
)
def test_house_rule(rule: str, pattern: str, allowed: set[str]) -> None:
    assert offending_lines(pattern, allowed) == [], rule


def test_nothing_above_integration_branches_on_the_provider() -> None:
    """style.md, "One interface, two providers": what differs lives in the provider object."""
    comparison = (
        r"Provider\.(XERO|QUICKBOOKS)\b"
        r"|(==|!=|\bis|\bin)\s*[\"'](xero|quickbooks)[\"']"
        r"|[\"'](xero|quickbooks)[\"']\s*(==|!=)"
        r"|\{\s*[\"'](xero|quickbooks)[\"']\s*:"
    )
    assert offending_lines(comparison, DEMO, ABOVE_INTEGRATION, (".py", ".html", ".txt")) == []


def test_no_module_above_integration_reads_a_ledger_payload_field() -> None:
    field = rf"[\"']({LEDGER_FIELDS})[\"']"
    assert offending_lines(field, set(), ABOVE_INTEGRATION, (".py", ".html", ".txt")) == []


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ('if connection.provider == "xero":', test_nothing_above_integration_branches_on_the_provider),
        ("if found.provider == Provider.XERO:", test_nothing_above_integration_branches_on_the_provider),
        (
            "{{ 'Xero' if provider.value == 'xero' else 'Intuit' }}",
            test_nothing_above_integration_branches_on_the_provider,
        ),
        (
            "{{ {'xero': 'Xero', 'quickbooks': 'QuickBooks'}.get(connection.provider) }}",
            test_nothing_above_integration_branches_on_the_provider,
        ),
        (
            'realm = request.args.get("realmId", "")',
            test_no_module_above_integration_reads_a_ledger_payload_field,
        ),
        ('tenant = event["tenantId"]', test_no_module_above_integration_reads_a_ledger_payload_field),
    ],
)
def test_the_ledger_rules_catch_what_they_forbid(
    line: str, rule: Callable[[], None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each rule above refuses the lines #13 removed (a rule that cannot fail proves nothing)."""
    import tests.test_house_rules as rules

    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "page.py").write_text(line + "\n")
    monkeypatch.setattr(rules, "REPO", tmp_path)
    with pytest.raises(AssertionError):
        rule()
