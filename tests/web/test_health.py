"""/healthz checks the database and Redis and says which one failed."""

from __future__ import annotations

import json

from runtime.settings import Settings
from web import create_app


def test_healthy_when_database_and_redis_answer(client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == "ok" and response.json["redis"] == "ok"


def test_503_names_redis_when_it_is_down(settings: Settings) -> None:
    broken = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    response = create_app(broken).test_client().get("/healthz")

    assert response.status_code == 503
    assert response.json["database"] == "ok"
    assert response.json["redis"].startswith("error: ConnectionError")


def test_503_names_the_database_when_it_is_down(settings: Settings) -> None:
    broken = settings.model_copy(update={"database_url": "postgresql+psycopg://relance@127.0.0.1:1/gone"})
    response = create_app(broken).test_client().get("/healthz")

    assert response.status_code == 503
    assert response.json["database"].startswith("error: OperationalError")
    assert response.json["redis"] == "ok"


def test_every_request_is_one_json_line_with_its_request_id(client, capsys) -> None:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    response = client.get("/healthz", headers={"X-Request-ID": "req-abc-12345"})

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"request"' in line]
    assert response.headers["X-Request-ID"] == "req-abc-12345"
    assert lines == [
        {
            **lines[0],
            "event": "request",
            "method": "GET",
            "path": "/healthz",
            "status": 200,
            "request_id": "req-abc-12345",
        }
    ]


def test_a_request_id_that_is_not_an_id_is_replaced(client) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})

    assert response.headers["X-Request-ID"] != "<script>alert(1)</script>"
    assert len(response.headers["X-Request-ID"]) == 32
