"""Checks every body the Xero sandbox answered against Xero's own OpenAPI files.

The reference folder is `<repo>/../shared/reference`; without it the check is skipped, except
under CI where a missing contract is an error.
"""

from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator, OAS31Validator

REPO = Path(__file__).resolve().parents[3]
REFERENCE = REPO.parent / "shared" / "reference" / "xero-openapi"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)

# Problem-JSON answers (401/403/429/500) are not in xero_accounting.yaml; their shape comes from
# observed Xero answers (xero-node#432, pyxero PR#337) and is held to this schema instead.
PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["Title", "Status", "Detail"],
    "properties": {"Title": {"type": "string"}, "Status": {"type": "integer"}, "Detail": {"type": "string"}},
}

uuid_formats = FormatChecker(formats=())


@uuid_formats.checks("uuid")
def _is_uuid(value: object) -> bool:
    return not isinstance(value, str) or bool(_UUID.match(value))


def contract_available() -> bool:
    """True when the OpenAPI files are present; under CI their absence is a failure."""
    if REFERENCE.is_dir():
        return True
    if os.environ.get("CI"):
        raise AssertionError(f"Xero OpenAPI contract missing at {REFERENCE} (required under CI)")
    return False


@cache
def _spec(name: str) -> dict[str, Any]:
    return yaml.safe_load((REFERENCE / name).read_text())


def _path_regex(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$", re.IGNORECASE)


@cache
def _operations(name: str) -> list[tuple[re.Pattern[str], str, dict[str, Any]]]:
    found = []
    for path, item in _spec(name)["paths"].items():
        literal = path.count("{")
        for method, operation in item.items():
            if method in ("get", "put", "post", "delete"):
                found.append((literal, _path_regex(path), method, operation))
    found.sort(key=lambda row: row[0])  # literal paths before templated ones
    return [(regex, method, op) for _, regex, method, op in found]


def response_schema(spec_name: str, path: str, method: str, status: int) -> dict[str, Any] | None:
    """The documented JSON schema for this answer, or None when the file documents none."""
    spec = _spec(spec_name)
    for regex, op_method, operation in _operations(spec_name):
        if op_method == method.lower() and regex.match(path):
            response = operation["responses"].get(str(status))
            if response is None:
                return None
            if "$ref" in response:
                response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
            return response.get("content", {}).get("application/json", {}).get("schema")
    raise AssertionError(f"{method} {path} is not an operation in {spec_name}")


def check_contract(sandbox: Any) -> None:
    """Fail if any answer a sandbox recorded breaks Xero's OpenAPI contract."""
    if not contract_available():
        return
    breaches = [
        problem
        for r in sandbox.responses
        if (problem := validate_answer(r.method, r.path, r.status, r.content_type, r.body))
    ]
    assert not breaches, "answers breaking the Xero contract:\n" + "\n".join(breaches[:10])


def validate_answer(method: str, path: str, status: int, content_type: str, body: bytes) -> str | None:
    """None if the answer honours the contract, else a description of the breach."""
    if "json" not in content_type or not body:
        return None
    document = json.loads(body)
    if path == "/identity/connect/token":
        return _validate_token_answer(status, document)
    if path.startswith("/api.xro/2.0/"):
        spec_name, api_path = "xero_accounting.yaml", path[len("/api.xro/2.0") :]
    elif path.lower().startswith("/connections"):
        spec_name, api_path = "xero-identity.yaml", "/Connections" + path[len("/connections") :]
    else:
        return None
    schema = response_schema(spec_name, api_path, method, status)
    if schema is None:
        if status == 400:  # query errors on GETs: Xero's ApiException shape, the Error schema
            schema = {"$ref": "#/components/schemas/Error"}
        elif status in (401, 403, 429, 500):
            schema = PROBLEM_SCHEMA
        else:
            return f"{method} {path}: status {status} is not documented"
    components = _spec(spec_name)["components"]
    validator = OAS30Validator(dict(schema, components=components), format_checker=uuid_formats)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        return f"{method} {path} ({status}): {first.message} at {list(first.absolute_path)}"
    return None


OAUTH_ERROR_SCHEMA = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}


def _validate_token_answer(status: int, document: Any) -> str | None:
    """Token answers: xero-identity.yaml AccessToken on 200 (plus the RFC 6749 fields), else an OAuth error."""
    spec = _spec("xero-identity.yaml")
    if status == 200:
        schema = dict(
            spec["components"]["schemas"]["AccessToken"],
            required=["access_token", "expires_in", "token_type"],
        )
    else:
        schema = OAUTH_ERROR_SCHEMA
    errors = list(OAS30Validator(dict(schema, components=spec["components"])).iter_errors(document))
    return f"token answer ({status}): {errors[0].message}" if errors else None


def validate_webhook(document: dict[str, Any]) -> list[str]:
    """Breaches of xero-webhooks.yaml by one delivered payload (events deliveries, not intent probes)."""
    spec = _spec("xero-webhooks.yaml")
    schemas = spec["components"]["schemas"]
    problems = [
        e.message
        for e in OAS31Validator(dict(schemas["WebhookEvent"], components=spec["components"])).iter_errors(
            document
        )
    ]
    for event in document.get("events", []):
        if event.get("eventCategory") == "CREDITNOTE":
            single = {"events": [event], "firstEventSequence": 1, "lastEventSequence": 1, "entropy": "x"}
            validator = OAS31Validator(dict(schemas["CreditNoteWebhookEvent"], components=spec["components"]))
            problems += [e.message for e in validator.iter_errors(single)]
    return problems
