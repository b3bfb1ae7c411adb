"""`relance demo` (what `make demo` runs): up within 60 s, quiet and clear, reachable from a second
terminal, down on one Ctrl-C with status 0, and after a restart the same login reaches the same
companies, with the mirror still in step with the sandboxes."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import stat
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from integration.sandbox.quickbooks import QuickBooksSandbox
from integration.sandbox.xero.sandbox import XeroSandbox
from runtime.settings import DEMO_ENVIRONMENT_FILE, get_settings, write_demo_environment
from tests.conftest import REPO, RelanceProcess, free_port, relance_command, wait_until
from tests.integration.ledgers import approve

# What a bare machine has: none of the test session's services or keys.
BARE = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "TOKEN_ENCRYPTION_KEY")
LEDGER_VARIABLES = (
    "XERO_CLIENT_ID",
    "XERO_CLIENT_SECRET",
    "XERO_WEBHOOK_KEY",
    "XERO_BASE_URL",
    "QUICKBOOKS_CLIENT_ID",
    "QUICKBOOKS_CLIENT_SECRET",
    "QUICKBOOKS_WEBHOOK_VERIFIER",
    "QUICKBOOKS_BASE_URL",
)
READY = "Relance is ready"


def healthy(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def start_demo(start_process, instance: Path) -> tuple[RelanceProcess, str]:  # type: ignore[no-untyped-def]
    """`relance demo` on free ports and a bare machine's settings; returns it and its web URL."""
    port = free_port()
    demo = start_process(
        "demo",
        "--port",
        str(port),
        "--xero-port",
        str(free_port()),
        "--quickbooks-port",
        str(free_port()),
        "--mail-port",
        str(free_port()),
        env={"RELANCE_INSTANCE": str(instance), "RELANCE_ENV": "development"},
        unset=BARE + LEDGER_VARIABLES,
    )
    return demo, f"http://127.0.0.1:{port}"


def second_terminal(instance: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A `relance` command typed in another terminal: the same instance, nothing else set."""
    environment = {name: value for name, value in os.environ.items() if name not in BARE + LEDGER_VARIABLES}
    environment.update(RELANCE_INSTANCE=str(instance), RELANCE_ENV="development")
    return subprocess.run(
        relance_command(*args), cwd=REPO, env=environment, capture_output=True, text=True, timeout=120
    )


def stop_with_ctrl_c(demo: RelanceProcess) -> str:
    demo.send_signal(signal.SIGINT)
    demo.wait(timeout=60)
    return demo.output()


def test_demo_serves_healthz_answers_a_second_terminal_and_one_ctrl_c_stops_everything(
    tmp_path: Path, start_process
) -> None:
    instance = tmp_path / "instance"
    demo, web = start_demo(start_process, instance)

    wait_until(lambda: healthy(f"{web}/healthz"), timeout=60, interval=0.5)
    body = requests.get(f"{web}/healthz", timeout=2).json()
    assert body["database"] == "ok" and body["redis"] == "ok"
    assert (instance / "relance.db").exists()
    assert (instance / "redis" / "redis.sock").exists()  # the embedded Redis, owned by the demo
    # The demo companies are connected and their first sync lands in the mirror; then it says so.
    wait_until(lambda: READY in demo.output(), timeout=120, interval=0.5)
    with sqlite3.connect(instance / "relance.db") as mirror:
        assert mirror.execute("SELECT count(DISTINCT organisation_id) FROM invoices").fetchone()[0] == 2

    environment_file = instance / DEMO_ENVIRONMENT_FILE
    assert stat.S_IMODE(environment_file.stat().st_mode) == 0o600, "it holds the sandbox apps' secrets"
    status = second_terminal(instance, "sync", "status")
    assert status.returncode == 0, status.stderr
    assert status.stdout.count(" active ") == 2
    synced = second_terminal(instance, "sync", "run", "1")
    assert synced.returncode == 0, synced.stderr
    assert "records in:" in synced.stdout
    another = second_terminal(instance, "demo", "--port", str(free_port()))
    assert another.returncode == 2 and "a demo already runs on" in another.stderr

    output = stop_with_ctrl_c(demo)

    assert demo.returncode == 0, "Ctrl-C is how a demo ends: make must not report an error"
    assert not healthy(f"{web}/healthz")
    assert not (instance / "redis" / "redis.sock").exists(), "the embedded Redis stops with the demo"
    assert not environment_file.exists()
    assert f"{web}/" in output
    for process in ("web", "worker", "scheduler"):
        assert f"| {process} started" in output and f"| {process} stopped" in output
    assert "Traceback" not in output
    # Quiet and clear: readable lines, the banner again once synced, no alarm about the intent probe.
    after_ready = output[output.index(READY) :]
    assert "sign in with Xero as owner@sandbox.xero.test" in after_ready
    assert "mailbox" in after_ready and "relance sync status" in after_ready
    assert not [line for line in output.splitlines() if line.split("| ", 1)[-1].startswith("{")]
    assert "bad_signature" not in output and "intent_probe_refused" in output


def sign_in(web: str, provider: str, **choices: str) -> str:
    """Sign in as a person would, in a fresh browser; returns the page Relance lands on."""
    browser = requests.Session()
    started = browser.get(f"{web}/signin/{provider}", allow_redirects=False, timeout=10)
    assert started.status_code == 302
    landed = browser.get(approve(started.headers["Location"], **choices), timeout=30)
    assert landed.status_code == 200 and landed.url == f"{web}/", landed.text[:300]
    return landed.text


def organisations_on(page: str) -> set[str]:
    return set(re.findall(r"/organisations/(\d+)/", page))


def open_invoice(mirror: sqlite3.Connection, provider: str) -> tuple[str, str]:
    """The tenant and one invoice with money owed, of the provider's demo company in the mirror."""
    return mirror.execute(
        "SELECT c.tenant_id, i.ledger_id FROM invoices i JOIN connections c"
        " ON c.organisation_id = i.organisation_id WHERE c.provider = ? AND i.amount_due > 0"
        " ORDER BY i.ledger_id LIMIT 1",
        (provider,),
    ).fetchone()


def amount_due(mirror: sqlite3.Connection, ledger_id: str) -> Decimal:
    return Decimal(
        str(mirror.execute("SELECT amount_due FROM invoices WHERE ledger_id = ?", (ledger_id,)).fetchone()[0])
    )


def mirrored_invoices(mirror: sqlite3.Connection, provider: str) -> dict[str, Decimal]:
    rows = mirror.execute(
        "SELECT i.ledger_id, i.amount_due FROM invoices i JOIN connections c"
        " ON c.organisation_id = i.organisation_id WHERE c.provider = ? AND i.status != 'deleted'",
        (provider,),
    )
    return {ledger_id: Decimal(str(due)) for ledger_id, due in rows}


def test_a_restarted_demo_lets_you_back_in_in_step_with_its_sandboxes_and_reconnects_nothing(
    tmp_path: Path, start_process
) -> None:
    instance = tmp_path / "instance"
    first, web = start_demo(start_process, instance)
    wait_until(lambda: READY in first.output(), timeout=180, interval=0.5)
    sandboxes = dict(re.findall(r"(Xero|QuickBooks) sandbox (http://\S+)", first.output()))
    # Something happens in both ledgers while Relance runs, and reaches the mirror by webhook.
    mirror = sqlite3.connect(instance / "relance.db")
    xero_tenant, xero_invoice = open_invoice(mirror, "xero")
    realm, quickbooks_invoice = open_invoice(mirror, "quickbooks")
    paid = requests.post(
        f"{sandboxes['Xero']}/_sandbox/tenants/{xero_tenant}/invoices/{xero_invoice}/payments",
        json={},
        timeout=10,
    )
    assert paid.status_code == 201, paid.text
    paid = requests.post(
        f"{sandboxes['QuickBooks']}/_sandbox/companies/{realm}/payments",
        json={"invoice_id": quickbooks_invoice},
        timeout=10,
    )
    assert paid.status_code == 200, paid.text
    wait_until(
        lambda: amount_due(mirror, xero_invoice) == amount_due(mirror, quickbooks_invoice) == 0, timeout=60
    )
    stop_with_ctrl_c(first)
    assert first.returncode == 0

    second, web = start_demo(start_process, instance)  # the same instance, other ports
    wait_until(lambda: READY in second.output(), timeout=180, interval=0.5)
    email, password = re.search(r"Sign in with Xero as (\S+) / (\S+)", second.output()).groups()

    with_xero = organisations_on(sign_in(web, "xero", email=email, password=password))
    with_intuit = organisations_on(sign_in(web, "quickbooks", decision="allow"))

    connections = dict(mirror.execute("SELECT provider, organisation_id FROM connections").fetchall())
    assert with_xero == with_intuit == {str(connections["xero"]), str(connections["quickbooks"])}
    assert mirror.execute("SELECT count(*) FROM users").fetchone()[0] == 1, "no nameless second person"
    assert mirror.execute("SELECT DISTINCT status FROM connections").fetchall() == [("active",)]
    events = [
        action
        for (action,) in mirror.execute("SELECT action FROM audit_events ORDER BY id")
        if action.startswith("connection.")
    ]
    assert events == ["connection.connected", "connection.connected"], "nothing was reconnected"
    assert mirror.execute("SELECT count(*) FROM ledger_grants").fetchone()[0] == 2
    output = stop_with_ctrl_c(second)
    assert second.returncode == 0 and "Traceback" not in output

    # The mirror holds exactly what the sandboxes saved, the payments made before the restart included.
    xero = XeroSandbox(seed="empty", state_file=instance / "sandboxes" / "xero.sqlite")
    in_xero = {i.invoice_id: i.amount_due for i in xero.books.invoices.values() if i.type == "ACCREC"}
    quickbooks = QuickBooksSandbox(seed="empty", state_file=instance / "sandboxes" / "quickbooks.sqlite")
    in_quickbooks = {e.id: Decimal(str(e.body["Balance"])) for e in quickbooks.company(realm).live("Invoice")}
    assert in_xero[xero_invoice] == in_quickbooks[quickbooks_invoice] == 0
    assert mirrored_invoices(mirror, "xero") == in_xero
    assert mirrored_invoices(mirror, "quickbooks") == in_quickbooks
    mirror.close()


@pytest.fixture
def development(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A bare development machine whose instance folder is tmp_path; yields a settings reader."""
    for name in (*BARE, *LEDGER_VARIABLES, "PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RELANCE_INSTANCE", str(tmp_path))
    monkeypatch.setenv("RELANCE_ENV", "development")

    def settings():  # type: ignore[no-untyped-def]
        get_settings.cache_clear()
        try:
            return get_settings()
        finally:
            get_settings.cache_clear()

    yield settings
    get_settings.cache_clear()


def test_a_running_demos_settings_fill_only_what_the_environment_leaves_unset(
    development, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_demo_environment(
        tmp_path, {"XERO_CLIENT_ID": "demo-app", "PUBLIC_URL": "http://127.0.0.1:5600"}, os.getpid()
    )
    monkeypatch.setenv("PUBLIC_URL", "http://127.0.0.1:7000")

    settings = development()

    assert settings.xero_client_id == "demo-app"
    assert settings.external_url == "http://127.0.0.1:7000", "a variable that is set wins"


def test_a_demo_environment_is_ignored_outside_development_and_once_the_demo_is_gone(
    development, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_demo_environment(tmp_path, {"XERO_CLIENT_ID": "demo-app"}, os.getpid())
    monkeypatch.setenv("RELANCE_ENV", "test")
    assert development().xero_client_id is None
    production = {
        "RELANCE_ENV": "production",
        "DATABASE_URL": "postgres://db.example/relance",
        "REDIS_URL": "redis://redis.example:6379/0",
        "SECRET_KEY": "production-secret",
        "TOKEN_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "PUBLIC_URL": "https://relance.example",
        "QUICKBOOKS_CLIENT_ID": "production-app",
        "QUICKBOOKS_CLIENT_SECRET": "production-app-secret",
        "QUICKBOOKS_WEBHOOK_VERIFIER": "production-verifier",
    }
    for name, value in production.items():
        monkeypatch.setenv(name, value)
    assert development().xero_client_id is None
    for name in production:
        monkeypatch.delenv(name)

    gone = subprocess.Popen(["true"])
    gone.wait()
    write_demo_environment(tmp_path, {"XERO_CLIENT_ID": "demo-app"}, gone.pid)  # a demo that was killed
    monkeypatch.setenv("RELANCE_ENV", "development")
    assert development().xero_client_id is None
