"""/healthz: is this process able to serve? It checks the database and Redis."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from runtime import jobs
from runtime.db import db
from runtime.logs import get_logger

health = Blueprint("health", __name__)
log = get_logger(__name__)


@health.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 when the database and Redis both answer, else 503 naming the one that failed."""
    checks: dict[str, str] = {}
    try:
        db.ping()
        checks["database"] = "ok"
    except Exception as error:  # any failure is the answer; it is reported, not raised
        checks["database"] = f"error: {type(error).__name__}"
    redis_client = current_app.extensions["redis"]
    try:
        redis_client.ping()
        checks["redis"] = "ok"
        # Informational: the scheduler's last tick shows that periodic jobs run.
        checks["scheduler_last_tick"] = jobs.last_scheduler_tick(redis_client) or "never"
    except Exception as error:
        checks["redis"] = f"error: {type(error).__name__}"
    healthy = checks["database"] == "ok" and checks["redis"] == "ok"
    if not healthy:
        log.warning("healthz.failed", **checks)
    return jsonify(status="ok" if healthy else "unavailable", **checks), 200 if healthy else 503
