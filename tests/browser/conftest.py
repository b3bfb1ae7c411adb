"""A real browser (Debian's Chromium, driven by Playwright) against a running Relance and the ledger
sandboxes, signing in through the sandboxes' own OAuth pages as a person would.

Without Chromium these tests are skipped with a line saying so, except under CI, where a missing
browser is a failure (`.ci/run` installs Debian's `chromium`). Each test saves screenshots of the
pages it visits to tests/browser/screenshots/ (not committed) for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from integration.sandbox.common.server import SandboxServer
from runtime.settings import reload_settings
from tests.conftest import free_port
from tests.integration.ledgers import demo_xero
from web import create_app

SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # This machine's network is closed: without these, Chromium's background calls are refused
    # many at a time and slow every page.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """Debian's Chromium, or the one named by CHROMIUM."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed; .ci/run installs Debian's chromium for the browser tests")
        pytest.skip("browser tests skipped: Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, request):  # type: ignore[no-untyped-def]
    """A fresh browser context (no cookies) and page, sized like a laptop."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save the whole page as PNG for a person to look at; returns the file."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def xero_demo(monkeypatch):  # type: ignore[no-untyped-def]
    with demo_xero(monkeypatch) as sandbox:
        yield sandbox


@pytest.fixture
def relance_server(xero_demo, session, redis_client, monkeypatch) -> Iterator[SandboxServer]:  # type: ignore[no-untyped-def]
    """Relance's web app served over HTTP at its PUBLIC_URL, that redirect URI registered with the
    Xero sandbox."""
    port = free_port()
    monkeypatch.setenv("PUBLIC_URL", f"http://127.0.0.1:{port}")
    server = SandboxServer(create_app(reload_settings()), port=port).start()
    xero_demo.app.redirect_uris.append(f"{server.base_url}/connect/xero/callback")
    try:
        yield server
    finally:
        server.stop()


def sign_in_with_xero(page, relance_url: str, xero) -> None:  # type: ignore[no-untyped-def]
    """What a person does: Relance's sign-in page, Xero's login and consent pages, back to Relance."""
    page.goto(f"{relance_url}/signin")
    page.get_by_role("link", name=re.compile("Xero", re.IGNORECASE)).first.click()
    approve_in_xero(page, relance_url, xero)


def approve_in_xero(page, relance_url: str, xero) -> None:  # type: ignore[no-untyped-def]
    """Xero's login and consent page (the sandbox's): email, password, allow; back at Relance."""
    page.fill("input[name=email]", xero.user.email)
    page.fill("input[name=password]", xero.user.password)
    page.get_by_role("button", name="Allow access").click()
    page.wait_for_url(f"{relance_url}/**")
