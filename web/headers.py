"""Security headers on every answer: what the browser may load, frame, sniff and tell other sites.

The Content-Security-Policy allows scripts and styles from Relance's own files only: the app's
pages use one stylesheet (web/static/relance.css) and Relance's own script files. No page has an
inline ``<style>`` now (the aged receivables page is an app page; only its PDF keeps the print
stylesheet); ``csp_nonce()`` remains for one that would need it, which then carries this
request's nonce.
Every environment sends these, so a page that breaks them breaks in development first; HSTS
only in production (or behind https), since it pins a host to https for a year.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g

from runtime.settings import Settings

HSTS = "max-age=31536000; includeSubDomains"


def csp_nonce() -> str:
    """This request's nonce for an inline ``<style>`` that the policy must allow."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy(nonce: str | None) -> str:
    """The policy: Relance's own origin for everything, no plugins, no framing, no foreign forms."""
    styles = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            f"style-src {styles}",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


# A message's HTML as a customer's mail program would show it, framed by Relance's own page: its
# inline styles apply, nothing in it runs or loads (the sandbox directive makes it a unique
# origin with no scripts, forms or navigation), and only Relance's pages may frame it.
ISOLATED_POLICY = "; ".join(
    (
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "img-src data:",
        "sandbox",
        "frame-ancestors 'self'",
    )
)


def isolated_html(html: str) -> Response:
    """``html`` (a message written from a template) as a response of its own, for an iframe."""
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = ISOLATED_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response


def protect(app: Flask, settings: Settings) -> None:
    """Add the security headers to every response of ``app``."""
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    strict_transport = settings.secure_cookies

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(g.get("csp_nonce")))
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        # The OAuth callback's URL carries a code: no other site learns any of Relance's URLs.
        headers.setdefault("Referrer-Policy", "same-origin")
        if strict_transport:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
