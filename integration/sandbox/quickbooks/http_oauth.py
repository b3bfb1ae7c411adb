"""Intuit's OAuth 2.0 / OpenID Connect endpoints, each under the prefix of its real host.

Discovery (developer.intuit.com, both the underscore form intuit-oauth uses and the hyphen
form of the docs), authorize with company selection (appcenter.intuit.com), token and JWKS
(oauth.platform.intuit.com), revoke (developer.api.intuit.com) and userinfo
((sandbox-)accounts.platform.intuit.com). The consent page is a plain HTML form, so a test
completes it by POSTing the form with `requests`; the redirect carries `code`, `state` and
`realmId` (oauth-pythonclient user guide).
"""

from __future__ import annotations

import base64
import binascii
import html
import json
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from integration.sandbox.common.oauth import OAuthError
from integration.sandbox.common.request_log import LoggedRequest

from .faults import QuickBooksFault
from .http_app import fault_response, intuit_json
from .tokens import ACCOUNTING_SCOPE, ISSUER, KNOWN_SCOPES, App

if TYPE_CHECKING:
    from .sandbox import QuickBooksSandbox

DISCOVERY_PATHS = (
    "/developer/.well-known/openid_sandbox_configuration/",
    "/developer/.well-known/openid_configuration/",
    "/developer/.well-known/openid-sandbox-configuration",
    "/developer/.well-known/openid-configuration",
)


def _client_credentials() -> tuple[str | None, str | None]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return request.form.get("client_id"), request.form.get("client_secret")


def _oauth_error(error: OAuthError) -> Response:
    response = intuit_json({"error": error.error, "error_description": error.description}, error.status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _consent_page(app: App, companies: list[tuple[str, str]], params: dict[str, str]) -> str:
    options = "".join(
        f'<option value="{html.escape(realm)}">{html.escape(name)}</option>' for realm, name in companies
    )
    hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in params.items())
    return (
        f"<!doctype html><html><head><title>Connect to QuickBooks</title></head><body>"
        f"<h1>{html.escape(app.name)} wants to connect to your QuickBooks company</h1>"
        f'<form method="post">{hidden}<label>Company <select name="realmId">{options}</select></label>'
        f'<button name="decision" value="allow">Connect</button>'
        f'<button name="decision" value="deny">Cancel</button></form></body></html>'
    )


def oauth_blueprint(sandbox: QuickBooksSandbox) -> Blueprint:
    """Routes of Intuit's identity hosts."""
    blueprint = Blueprint("quickbooks_oauth", __name__)

    def log(endpoint: str, status: int, client_id: str | None = None) -> None:
        """Record an identity-host call in the request log (no realm)."""
        sandbox.request_log.record(
            LoggedRequest(
                sandbox.clock.now(), None, request.method, endpoint, request.path, status, client_id
            )
        )

    def discovery() -> Response:
        """The OpenID discovery document, pointing at this server."""
        base = request.host_url.rstrip("/")
        document = {
            "issuer": ISSUER,
            "authorization_endpoint": f"{base}/appcenter/connect/oauth2",
            "token_endpoint": f"{base}/oauth-platform/oauth2/v1/tokens/bearer",
            "userinfo_endpoint": f"{base}/accounts/v1/openid_connect/userinfo",
            "revocation_endpoint": f"{base}/developer-api/v2/oauth2/tokens/revoke",
            "jwks_uri": f"{base}/oauth-platform/op/v1/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "address", "phone"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        }
        log("/.well-known/openid_configuration", 200)
        return intuit_json(document)

    for number, path in enumerate(DISCOVERY_PATHS):
        blueprint.add_url_rule(path, f"discovery_{number}", discovery, methods=["GET"], strict_slashes=False)

    @blueprint.route("/oauth-platform/op/v1/jwks", methods=["GET"])
    def jwks() -> Response:
        """The key set that verifies id_tokens."""
        return intuit_json(sandbox.tokens.signer.jwks())

    @blueprint.route("/appcenter/connect/oauth2", methods=["GET", "POST"])
    def authorize() -> BaseResponse:
        """GET shows the consent page with company choice; POST answers it with a redirect."""
        values = request.values
        app = sandbox.tokens.apps.get(values.get("client_id", ""))
        redirect_uri = values.get("redirect_uri", "")
        if app is None or redirect_uri not in app.redirect_uris:
            log("/connect/oauth2", 400)
            return Response(
                "<h1>invalid_request: unknown client_id or redirect_uri</h1>", 400, content_type="text/html"
            )
        scopes = tuple(values.get("scope", "").split())
        state = values.get("state", "")
        if values.get("response_type", "code") != "code" or not scopes or not set(scopes) <= KNOWN_SCOPES:
            return redirect(f"{redirect_uri}?{urlencode({'error': 'invalid_scope', 'state': state})}")
        if request.method == "GET":
            carried = (
                "client_id",
                "response_type",
                "scope",
                "redirect_uri",
                "state",
                "code_challenge",
                "code_challenge_method",
                "nonce",
            )
            params = {k: values[k] for k in carried if k in values}
            companies = [(realm, company.name) for realm, company in sandbox.companies.items()]
            log("/connect/oauth2", 200, app.client_id)
            return Response(_consent_page(app, companies, params), content_type="text/html")
        if values.get("decision") == "deny":
            log("/connect/oauth2", 302, app.client_id)
            return redirect(f"{redirect_uri}?{urlencode({'error': 'access_denied', 'state': state})}")
        realm_id = values.get("realmId") or next(iter(sandbox.companies))
        if realm_id not in sandbox.companies:
            return Response("<h1>unknown company</h1>", 400, content_type="text/html")
        code = sandbox.tokens.issue_code(
            app.client_id,
            redirect_uri,
            scopes,
            realm_id,
            challenge=values.get("code_challenge"),
            method=values.get("code_challenge_method"),
            nonce=values.get("nonce"),
        )
        answer = {"code": code, "state": state}
        # realmId is only on the redirect for the accounting and payments scopes (IO user guide).
        if ACCOUNTING_SCOPE in scopes or "com.intuit.quickbooks.payment" in scopes:
            answer["realmId"] = realm_id
        log("/connect/oauth2", 302, app.client_id)
        return redirect(f"{redirect_uri}?{urlencode(answer)}")

    @blueprint.route("/oauth-platform/oauth2/v1/tokens/bearer", methods=["POST"])
    def token() -> Response:
        """grant_type=authorization_code or refresh_token, client auth by Basic or form."""
        client_id = None
        try:
            client_id, secret = _client_credentials()
            app = sandbox.tokens.client(client_id, secret)
            grant_type = request.form.get("grant_type")
            hard = request.headers.get("x-include-refresh-token-hard-expires-in", "").lower() == "true"
            if grant_type == "authorization_code":
                answer = sandbox.tokens.exchange_code(
                    app,
                    request.form.get("code", ""),
                    request.form.get("redirect_uri", ""),
                    hard,
                    verifier=request.form.get("code_verifier"),
                )
            elif grant_type == "refresh_token":
                answer = sandbox.tokens.refresh(app, request.form.get("refresh_token", ""), hard)
            else:
                raise OAuthError("unsupported_grant_type", f"Unsupported grant_type {grant_type}")
        except OAuthError as error:
            log("/oauth2/v1/tokens/bearer", error.status, client_id)
            return _oauth_error(error)
        log("/oauth2/v1/tokens/bearer", 200, client_id)
        response = intuit_json(answer)
        response.headers["Cache-Control"] = "no-store"
        return response

    @blueprint.route("/developer-api/v2/oauth2/tokens/revoke", methods=["POST"])
    def revoke() -> Response:
        """Revoke a refresh or access token (JSON body, as intuit-oauth sends it)."""
        client_id = None
        try:
            client_id, secret = _client_credentials()
            app = sandbox.tokens.client(client_id, secret)
            if request.is_json or request.get_data(as_text=True).lstrip().startswith("{"):
                token_value = json.loads(request.get_data(as_text=True) or "{}").get("token")
            else:
                token_value = request.form.get("token")
            if not token_value:
                raise OAuthError("invalid_request", "token is required")
            sandbox.tokens.revoke(app, token_value)
        except OAuthError as error:
            log("/v2/oauth2/tokens/revoke", error.status, client_id)
            return _oauth_error(error)
        log("/v2/oauth2/tokens/revoke", 200, client_id)
        return Response(b"", 200)

    @blueprint.route("/accounts/v1/openid_connect/userinfo", methods=["GET"])
    def userinfo() -> Response:
        """OpenID userinfo for a bearer token with the openid scope."""
        bearer = request.headers.get("Authorization", "")
        try:
            token = sandbox.tokens.authenticate(bearer[7:] if bearer.lower().startswith("bearer ") else None)
        except QuickBooksFault as fault:
            log("/v1/openid_connect/userinfo", fault.status)
            return fault_response(sandbox, fault)
        scopes = set(token.grant.scopes)
        if "openid" not in scopes:
            log("/v1/openid_connect/userinfo", 403, token.grant.client_id)
            return intuit_json({"error": "insufficient_scope"}, 403)
        # Intuit's userinfo claim names are unconfirmed (details §1.4); these follow its OpenID docs.
        info: dict[str, object] = {"sub": token.grant.user_id}
        if "email" in scopes:
            info.update(email=f"{token.grant.user_id}@example.com", emailVerified=True)
        if "profile" in scopes:
            info.update(givenName="Sandbox", familyName="User")
        if "phone" in scopes:
            info.update(phoneNumber="+1 6505550100", phoneNumberVerified=False)
        if "address" in scopes:
            info["address"] = {
                "streetAddress": "2600 Marine Way",
                "locality": "Mountain View",
                "region": "CA",
                "postalCode": "94043",
                "country": "US",
            }
        log("/v1/openid_connect/userinfo", 200, token.grant.client_id)
        return intuit_json(info)

    return blueprint
