"""Logs are JSON lines, and credentials never reach them."""

from __future__ import annotations

import json
import logging

from runtime import logs


def log_lines(capsys) -> list[dict]:  # type: ignore[no-untyped-def]
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def test_our_events_and_libraries_lines_are_json(capsys) -> None:  # type: ignore[no-untyped-def]
    logs.configure("INFO")

    logs.get_logger("relance.test").info("sync.done", connection=7, records=120)
    logging.getLogger("rq.worker").info("Worker %s: started", "w1")

    ours, theirs = log_lines(capsys)
    assert ours["event"] == "sync.done" and ours["records"] == 120 and ours["level"] == "info"
    assert theirs["event"] == "Worker w1: started" and theirs["logger"] == "rq.worker"
    assert ours["timestamp"].endswith("Z")


def test_secrets_are_redacted_by_key_and_inside_text(capsys) -> None:  # type: ignore[no-untyped-def]
    logs.configure("INFO")

    logs.get_logger("relance.test").info(
        "oauth.exchanged",
        access_token="eyJhbGciOi.secret-access",
        tokens={"refresh_token": "rt-secret-refresh"},
        url="https://identity.example/token?code=auth-code-123&state=ok",
        detail="401 from ledger: Authorization: Bearer eyJhbGciOi.secret-bearer",
        database="postgresql://relance:db-password@db.example/relance",
    )
    logging.getLogger("requests_oauthlib").warning("sent refresh_token=rt-secret-2&grant_type=refresh_token")

    output = capsys.readouterr().out
    for secret in (
        "secret-access",
        "rt-secret-refresh",
        "auth-code-123",
        "secret-bearer",
        "db-password",
        "rt-secret-2",
    ):
        assert secret not in output
    assert "state=ok" in output and "db.example" in output


def test_development_lines_are_readable_one_per_event_and_still_redacted(capsys) -> None:  # type: ignore[no-untyped-def]
    logs.configure("INFO", readable=True)

    logs.get_logger("sync.engine").info("sync.done", connection=7, records=120, refresh_token="rt-secret")
    logging.getLogger("rq.worker").info("Worker w1: default: Job OK (job-1)")  # RQ's narration
    logging.getLogger("rq.worker").warning("Worker w1: cold shutdown")

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert not any(line.startswith("{") for line in lines)
    assert "sync.done" in lines[0] and "connection=7" in lines[0] and "records=120" in lines[0]
    assert "rt-secret" not in lines[0]
    assert "cold shutdown" in lines[1] and "warning" in lines[1]
    logs.configure("INFO")  # back to JSON for the tests that follow
