"""Settings from the environment, and the one-line errors bad configuration gives."""

from __future__ import annotations

import os
import subprocess

import pytest

from runtime.settings import ConfigurationError, Settings, get_settings
from tests.conftest import REPO, relance_command

BARE = {"RELANCE_INSTANCE": "/srv/relance/instance"}


def bare_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    """Settings as a bare machine (or a production box) would read them."""
    for name in list(os.environ):
        if name.startswith(("RELANCE_", "DATABASE_", "REDIS_", "SECRET_", "TOKEN_", "XERO_", "QUICKBOOKS_")):
            monkeypatch.delenv(name)
    for name, value in {**BARE, **env}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        return get_settings()
    finally:
        get_settings.cache_clear()


def test_a_bare_machine_needs_no_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = bare_settings(monkeypatch)

    assert settings.sqlalchemy_url == "sqlite:////srv/relance/instance/relance.db"
    assert settings.redis_url is None  # the embedded Redis
    assert settings.queues == ["sync", "default", "low"]


def test_heroku_postgres_url_gets_a_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = bare_settings(monkeypatch, DATABASE_URL="postgres://u:p@db.example:5432/d1")

    assert settings.sqlalchemy_url == "postgresql+psycopg://u:p@db.example:5432/d1"


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("localhost:6379", "REDIS_URL must start with redis://, rediss:// or unix://"),
        ("redis://", "REDIS_URL has no host"),
        ("redis://localhost:sixty/0", "REDIS_URL has a bad port"),
        ("redis://localhost:6379/cache", "REDIS_URL names database 'cache'; a Redis database is a number"),
    ],
)
def test_malformed_redis_url_is_named(monkeypatch: pytest.MonkeyPatch, url: str, complaint: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        bare_settings(monkeypatch, REDIS_URL=url)

    assert str(error.value).startswith(complaint)


def test_production_names_every_missing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError) as error:
        bare_settings(monkeypatch, RELANCE_ENV="production", DATABASE_URL="postgres://h/d", SECRET_KEY="s")

    assert str(error.value) == (
        "TOKEN_ENCRYPTION_KEY, REDIS_URL, PUBLIC_URL must be set when RELANCE_ENV=production"
    )


def test_production_needs_a_whole_set_of_ledger_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    complete = {
        "RELANCE_ENV": "production",
        "DATABASE_URL": "postgres://h/d",
        "REDIS_URL": "redis://h:6379/0",
        "SECRET_KEY": "s",
        "TOKEN_ENCRYPTION_KEY": "7Vw4Rq0x1mQ1n0HhOQ2vJ3m7eB0Xq2dKc3N9r4c5T1E=",
        "PUBLIC_URL": "https://relance.example",
        "XERO_CLIENT_ID": "abc",
    }
    with pytest.raises(
        ConfigurationError, match="XERO_CLIENT_SECRET, XERO_WEBHOOK_KEY must be set to connect Xero"
    ):
        bare_settings(monkeypatch, **complete)

    settings = bare_settings(monkeypatch, **complete, XERO_CLIENT_SECRET="x", XERO_WEBHOOK_KEY="k")
    assert settings.production


def test_a_token_key_that_is_not_fernet_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="TOKEN_ENCRYPTION_KEY must be Fernet keys"):
        bare_settings(monkeypatch, TOKEN_ENCRYPTION_KEY="hunter2")


def test_development_secrets_are_generated_once_and_kept(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    settings = bare_settings(monkeypatch, RELANCE_INSTANCE=str(tmp_path))

    first = settings.secret("token_encryption_key")

    assert first == settings.secret("token_encryption_key")
    assert (tmp_path / ".token_encryption_key").stat().st_mode & 0o077 == 0


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env}
    return subprocess.run(
        relance_command(*args), cwd=REPO, env=environment, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DATABASE_URL": "postgresql://relance:pw@127.0.0.1:1/relance"},
            "relance: cannot reach the database at postgresql+psycopg://relance:***@127.0.0.1:1/relance: ",
        ),
        (
            {"REDIS_URL": "redis//127.0.0.1"},
            "relance: REDIS_URL must start with redis://, rediss:// or unix://",
        ),
        ({"REDIS_URL": "redis://127.0.0.1:1/0"}, "relance: cannot reach Redis at 127.0.0.1:1/0: "),
        ({"RELANCE_ENV": "production", "SECRET_KEY": ""}, "relance: SECRET_KEY"),
    ],
    ids=["unreachable-database", "malformed-redis-url", "unreachable-redis", "missing-production-secret"],
)
def test_bad_configuration_gives_one_clear_line(env: dict[str, str], message: str) -> None:
    result = run_cli("worker", "--burst", **env)

    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_gunicorn_reports_bad_configuration_in_one_line() -> None:
    result = subprocess.run(
        ["gunicorn", "-c", "python:web.gunicorn_conf", "--bind", "127.0.0.1:0", "web.wsgi:app"],
        cwd=REPO,
        env={**os.environ, "REDIS_URL": "localhost"},
        capture_output=True,
        text=True,
        timeout=60,
        executable=str(REPO / ".venv/bin/gunicorn") if (REPO / ".venv/bin/gunicorn").exists() else None,
    )

    assert result.returncode != 0
    assert "relance: REDIS_URL must start with redis://, rediss:// or unix://\n" in result.stderr
    assert "Traceback" not in result.stderr
