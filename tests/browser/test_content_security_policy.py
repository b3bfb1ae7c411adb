"""The Content-Security-Policy in a real browser: Chromium reports every script or style it blocks,
and on none of Relance's pages does it block anything."""

from __future__ import annotations

from tests.browser.conftest import approve_in_xero, sign_in_with_xero

# Chromium fires this event for each thing the policy blocks; the init script runs outside the policy.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));
"""


def test_no_page_has_anything_blocked_by_the_policy(page, relance_server, xero_demo, session) -> None:  # type: ignore[no-untyped-def]
    blocked: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text)
    )

    def visit(where: str) -> None:
        blocked.extend(f"{where}: {v}" for v in page.evaluate("window.__violations"))
        assert page.evaluate("getComputedStyle(document.body).margin") in ("0px", "8px")

    page.goto(f"{relance_server.base_url}/signin")
    visit("sign-in")
    sign_in_with_xero(page, relance_server.base_url, xero_demo)
    page.get_by_role("link", name="Connect Xero").click()
    approve_in_xero(page, relance_server.base_url, xero_demo)
    visit("home")
    assert page.evaluate("getComputedStyle(document.querySelector('header')).display") == "flex", (
        "the stylesheet applies"
    )
    page.get_by_role("link", name="Aged receivables").first.click()
    visit("aged receivables")
    assert page.evaluate("getComputedStyle(document.querySelector('.tiles')).display") == "grid", (
        "the app's stylesheet lays out the report's figures"
    )
    page.go_back()
    page.get_by_role("link", name="Settings").first.click()
    visit("settings")

    assert blocked == []
