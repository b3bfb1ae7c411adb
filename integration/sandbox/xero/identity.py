"""Xero's identity surface: login and consent, token, revocation, OpenID discovery, JWKS, /connections.

Paths mirror the hosts so Relance swaps only base URLs: login.xero.com/identity/connect/authorize
-> `{base}/identity/connect/authorize`, identity.xero.com/connect/token -> `{base}/identity/connect/token`,
identity.xero.com/.well-known/... -> `{base}/identity/.well-known/...`, api.xero.com/connections ->
`{base}/connections`. The consent form is plain HTML so a test can complete it with `requests`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from flask import Blueprint, Response, request

from ..common.oauth import OAuthError
from ..common.signing_keys import b64url
from .directory import XeroApp

if TYPE_CHECKING:
    from .sandbox import XeroSandbox

KNOWN_SCOPES = {
    "openid",
    "profile",
    "email",
    "offline_access",
    "accounting.transactions",
    "accounting.transactions.read",
    "accounting.contacts",
    "accounting.contacts.read",
    "accounting.settings",
    "accounting.settings.read",
    "accounting.reports.read",
    "accounting.attachments",
    "accounting.attachments.read",
    "accounting.journals.read",
    "accounting.budgets.read",
    # Granular scopes for apps created after 2 March 2026 (xero-details.md 1.5, secondary sources).
    "accounting.invoices",
    "accounting.invoices.read",
    "accounting.payments",
    "accounting.payments.read",
    "accounting.reports.aged.read",
}


def _json(document: object, status: int = 200) -> Response:
    return Response(
        json.dumps(document),
        status=status,
        mimetype="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _oauth_error(error: OAuthError) -> Response:
    body = {"error": error.error}
    if error.description:
        body["error_description"] = error.description
    return _json(body, error.status)


def _connection_time(instant) -> str:
    """`2019-12-07T18:46:19.5165400`: seven fractional digits, no offset (OAS-ID example)."""
    return instant.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Xero sandbox | Log in and allow access</title></head>
<body>
<h1>{app_name} wants to access your Xero organisations</h1>
{error}
<form method="post" action="{action}" id="consent">
{hidden}
<p><label>Email <input type="email" name="email" value="{email}"></label></p>
<p><label>Password <input type="password" name="password"></label></p>
<fieldset><legend>Select the organisations to connect</legend>
{tenants}
</fieldset>
<p>Scopes requested: {scopes}</p>
<button type="submit" name="action" value="allow">Allow access</button>
<button type="submit" name="action" value="deny">Cancel</button>
</form>
</body></html>"""

_OAUTH_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
)


def reaches_organisations(scopes: Iterable[str]) -> bool:
    """Whether a consent connects organisations: "Sign in with Xero" asks for the OpenID scopes
    only and picks no organisation; any API scope (accounting.*) does."""
    return any(scope not in ("openid", "profile", "email", "offline_access") for scope in scopes)


def identity_blueprint(sandbox: XeroSandbox) -> Blueprint:
    """The identity and connections routes bound to one sandbox."""
    bp = Blueprint("xero_identity", __name__)

    def issuer() -> str:
        return request.host_url.rstrip("/") + "/identity"

    def client_app(params) -> XeroApp:
        app = sandbox.directory.apps.get(params.get("client_id", ""))
        if app is None:
            raise OAuthError("unauthorized_client", "Unknown client or client not enabled")
        if params.get("redirect_uri") not in app.redirect_uris:
            raise OAuthError("invalid_request", "Invalid redirect_uri")
        return app

    def render(params, app: XeroApp, error: str = "", status: int = 200) -> Response:
        hidden = "\n".join(
            f'<input type="hidden" name="{name}" value="{html.escape(params.get(name, ""), quote=True)}">'
            for name in _OAUTH_FIELDS
            if params.get(name)
        )
        tenants = (
            "\n".join(
                f'<p><label><input type="checkbox" name="tenant" value="{books.tenant_id}" checked> '
                f"{html.escape(books.organisation.name)}</label></p>"
                for books in sandbox.organisations.values()
                if reaches_organisations(params.get("scope", "").split())
            )
            or "<p>Signing in only: no organisation is connected.</p>"
        )
        page = _PAGE.format(
            app_name=html.escape(app.name),
            action=request.path,
            hidden=hidden,
            tenants=tenants,
            email=html.escape(params.get("email", sandbox.settings.user_email)),
            scopes=html.escape(params.get("scope", "")),
            error=f'<p class="error" role="alert">{html.escape(error)}</p>' if error else "",
        )
        return Response(page, status=status, mimetype="text/html")

    def redirect(uri: str, **params: str) -> Response:
        separator = "&" if "?" in uri else "?"
        return Response(status=302, headers={"Location": uri + separator + urlencode(params)})

    @bp.route("/identity/connect/authorize", methods=["GET", "POST"])
    def authorize() -> Response:
        params = request.values
        try:
            app = client_app(params)
        except OAuthError as error:
            return Response(
                f"<h1>Error</h1><p>{html.escape(error.description)}</p>", status=400, mimetype="text/html"
            )
        state = params.get("state", "")
        redirect_uri = params["redirect_uri"]
        scopes = tuple(params.get("scope", "").split())
        if params.get("response_type") != "code":
            return redirect(redirect_uri, error="unsupported_response_type", state=state)
        if not scopes or any(s not in KNOWN_SCOPES for s in scopes):
            return redirect(redirect_uri, error="invalid_scope", state=state)
        if params.get("code_challenge") and params.get("code_challenge_method", "plain") not in (
            "S256",
            "plain",
        ):
            return redirect(redirect_uri, error="invalid_request", state=state)
        if request.method == "GET":
            return render(params, app)
        if params.get("action") == "deny":
            return redirect(redirect_uri, error="access_denied", state=state)
        user = sandbox.directory.user_by_login(params.get("email", ""), params.get("password", ""))
        if user is None:
            return render(params, app, "Your email or password is incorrect", status=401)
        tenants = [t for t in params.getlist("tenant") if t in sandbox.organisations]
        if not tenants and reaches_organisations(scopes):
            return render(params, app, "Select at least one organisation", status=400)
        auth_event_id = str(uuid.uuid4())
        now = sandbox.clock.now()
        for tenant_id in tenants:
            sandbox.directory.connect(app.client_id, user.user_id, tenant_id, auth_event_id, now)
        grant = sandbox.tokens.new_grant(
            app.client_id, user.user_id, scopes, {"auth_event_id": auth_event_id, "tenants": tenants}
        )
        code = sandbox.tokens.issue_code(
            grant,
            redirect_uri,
            params.get("code_challenge") or None,
            params.get("code_challenge_method") or None,
            params.get("nonce") or None,
        )
        return redirect(
            redirect_uri,
            code=code,
            scope=" ".join(scopes),
            state=state,
            session_state=secrets.token_urlsafe(16),
        )

    def authenticate_client() -> XeroApp:
        """HTTP Basic (requests-oauthlib) or client_secret_post (xero-python's refresh)."""
        client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            try:
                client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError) as exc:
                raise OAuthError("invalid_client", status=401) from exc
        app = sandbox.directory.apps.get(client_id or "")
        if app is None or not secret or not secrets.compare_digest(secret, app.client_secret):
            raise OAuthError("invalid_client", status=401)
        return app

    def token_answer(issued) -> Response:
        grant = issued.grant
        body: dict[str, object] = {
            "access_token": issued.access_token,
            "expires_in": issued.expires_in,
            "token_type": "Bearer",
        }
        if issued.refresh_token:
            body["refresh_token"] = issued.refresh_token
        body["scope"] = " ".join(grant.scopes)
        if "openid" in grant.scopes:
            body["id_token"] = id_token(grant, issued.access_token, issued.nonce)
        return _json(body)

    def id_token(grant, access_token: str, nonce: str | None) -> str:
        user = sandbox.directory.users[grant.user_id]
        now = int(sandbox.clock.timestamp())
        digest = hashlib.sha256(access_token.encode()).digest()
        claims = {
            "nbf": now,
            "exp": now + 300,
            "iss": issuer(),
            "aud": grant.client_id,
            "iat": now,
            "at_hash": b64url(digest[:16]),
            "sid": grant.grant_id,
            "sub": user.user_id,
            "auth_time": int(grant.created_at.timestamp()),
            "xero_userid": user.user_id,
            "global_session_id": grant.grant_id,
            "preferred_username": user.email,
            "email": user.email,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "name": f"{user.first_name} {user.last_name}",
            "amr": ["pwd"],
        }
        if nonce:
            claims["nonce"] = nonce
        return sandbox.signing_key.sign_jwt(claims)

    @bp.post("/identity/connect/token")
    def token() -> Response:
        try:
            app = authenticate_client()
            grant_type = request.form.get("grant_type")
            if grant_type == "authorization_code":
                issued = sandbox.tokens.redeem_code(
                    request.form.get("code", ""),
                    app.client_id,
                    request.form.get("redirect_uri"),
                    request.form.get("code_verifier"),
                )
            elif grant_type == "refresh_token":
                issued = sandbox.tokens.refresh(request.form.get("refresh_token", ""), app.client_id)
            else:
                raise OAuthError("unsupported_grant_type")
        except OAuthError as error:
            return _oauth_error(error)
        return token_answer(issued)

    @bp.post("/identity/connect/revocation")
    def revocation() -> Response:
        try:
            app = authenticate_client()
        except OAuthError as error:
            return _oauth_error(error)
        grant = sandbox.tokens.grant_of_refresh(request.form.get("token", ""))
        if grant is not None and grant.client_id == app.client_id:
            sandbox.tokens.revoke(request.form.get("token", ""))
            # The SDK: revocation "revoke[s] access tokens and remove[s] all a user's connections".
            sandbox.directory.disconnect_all(app.client_id, grant.user_id)
        return Response(status=200)

    @bp.get("/identity/.well-known/openid-configuration")
    def discovery() -> Response:
        base = issuer()
        return _json(
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/connect/authorize",
                "token_endpoint": f"{base}/connect/token",
                "userinfo_endpoint": f"{base}/connect/userinfo",
                "revocation_endpoint": f"{base}/connect/revocation",
                "jwks_uri": f"{base}/.well-known/openid-configuration/jwks",
                "scopes_supported": sorted(KNOWN_SCOPES),
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "refresh_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["plain", "S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "claims_supported": [
                    "sub",
                    "email",
                    "given_name",
                    "family_name",
                    "name",
                    "xero_userid",
                    "global_session_id",
                    "preferred_username",
                ],
            }
        )

    @bp.get("/identity/.well-known/openid-configuration/jwks")
    def jwks() -> Response:
        return _json(sandbox.signing_key.jwks())

    @bp.get("/identity/connect/userinfo")
    def userinfo() -> Response:
        grant = sandbox.bearer_grant()
        user = sandbox.directory.users[grant.user_id]
        return _json(
            {
                "sub": user.user_id,
                "email": user.email,
                "given_name": user.first_name,
                "family_name": user.last_name,
                "xero_userid": user.user_id,
            }
        )

    @bp.get("/connections")
    @bp.get("/Connections")
    def connections() -> Response:
        grant = sandbox.bearer_grant()
        wanted = request.args.get("authEventId")
        rows = [
            {
                "id": c.connection_id,
                "authEventId": c.auth_event_id,
                "tenantId": c.tenant_id,
                "tenantType": "ORGANISATION",
                "tenantName": sandbox.organisations[c.tenant_id].organisation.name,
                "createdDateUtc": _connection_time(c.created_at),
                "updatedDateUtc": _connection_time(c.updated_at),
            }
            for c in sorted(
                sandbox.directory.connections_of(grant.client_id, grant.user_id), key=lambda c: c.created_at
            )
            if wanted is None or c.auth_event_id == wanted
        ]
        return sandbox.json_response(rows)

    @bp.delete("/connections/<connection_id>")
    @bp.delete("/Connections/<connection_id>")
    def disconnect(connection_id: str) -> Response:
        grant = sandbox.bearer_grant()
        connection = sandbox.directory.connections.get(connection_id)
        if connection is None or (connection.client_id, connection.user_id) != (
            grant.client_id,
            grant.user_id,
        ):
            return Response(status=404)
        sandbox.directory.disconnect(connection_id)
        return Response(status=204)

    return bp
