"""The Flask app of a sandbox: Intuit's hosts as path prefixes, plus the admin API.

`/v3/company/...` is quickbooks.api.intuit.com, `/appcenter` appcenter.intuit.com,
`/oauth-platform` oauth.platform.intuit.com, `/developer-api` developer.api.intuit.com,
`/accounts` (sandbox-)accounts.platform.intuit.com, `/developer` developer.intuit.com,
`/connect` connect.intuit.com (invoice links), `/_sandbox` the admin API.
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

from flask import Flask, Response

from .faults import AuthenticationFailed, QuickBooksFault, ThrottleExceeded
from .wire import format_envelope_time

if TYPE_CHECKING:
    from .sandbox import QuickBooksSandbox


def intuit_json(body: Any, status: int = 200) -> Response:
    """A JSON answer with the `intuit_tid` header Intuit puts on every response (IO exceptions.py)."""
    response = Response(
        json.dumps(body, separators=(",", ":")), status=status, content_type="application/json;charset=UTF-8"
    )
    response.headers["intuit_tid"] = secrets.token_hex(16)
    return response


def fault_response(sandbox: QuickBooksSandbox, fault: QuickBooksFault, realm_zone: Any = None) -> Response:
    """Render any Intuit fault in its own wire form (JSON, lower-case 401, or XML 429)."""
    now = sandbox.clock.now()
    stamp = format_envelope_time(now) if realm_zone is None else format_envelope_time(now, realm_zone)
    if isinstance(fault, ThrottleExceeded):
        policy = sandbox.throttle.policy
        if policy.xml_429:
            response = Response(
                fault.xml_body(stamp), status=429, content_type="application/xml;charset=UTF-8"
            )
        else:
            response = intuit_json(fault.body(stamp), 429)
        if policy.retry_after_header:
            response.headers["Retry-After"] = str(fault.retry_after)
        return response
    if isinstance(fault, AuthenticationFailed):  # the one 401, with its own body
        return intuit_json(fault.body(int(now.timestamp() * 1000)), 401)
    return intuit_json(fault.body(stamp), fault.status)


def create_app(sandbox: QuickBooksSandbox) -> Flask:
    """The WSGI app serving one sandbox."""
    from .http_admin import admin_blueprint
    from .http_api import api_blueprint
    from .http_oauth import oauth_blueprint

    app = Flask("quickbooks_sandbox")
    app.config["SANDBOX"] = sandbox
    app.json.sort_keys = False  # type: ignore[attr-defined]  # typed as any JSONProvider; Flask's default has it
    app.register_blueprint(api_blueprint(sandbox))
    app.register_blueprint(oauth_blueprint(sandbox))
    app.register_blueprint(admin_blueprint(sandbox), url_prefix="/_sandbox")
    return app
