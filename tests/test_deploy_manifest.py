"""The Heroku manifest (app.json) and the Procfile describe a deployment that can run."""

from __future__ import annotations

import importlib.util
import json
import shlex
import tomllib

import pytest
from click.testing import CliRunner

from runtime.settings import LEDGER_CREDENTIALS, PRODUCTION_REQUIRED, Settings
from tests.conftest import REPO
from web.cli import cli

ADDON_SETTINGS = {"heroku-postgresql": "DATABASE_URL", "heroku-redis": "REDIS_URL"}


def procfile() -> dict[str, list[str]]:
    processes = {}
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = line.split(":", 1)
            processes[name.strip()] = shlex.split(command)
    return processes


def manifest() -> dict:
    return json.loads((REPO / "app.json").read_text())


@pytest.mark.parametrize("process", sorted(procfile()))
def test_every_procfile_command_exists(process: str) -> None:
    program, *args = procfile()[process]
    if program == "relance":
        scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
        assert scripts["relance"] == "web.cli:main"
        subcommand = [arg for arg in args if not arg.startswith("-")]
        result = CliRunner().invoke(cli, [*subcommand, "--help"])
        assert result.exit_code == 0, result.output
    elif program == "gunicorn":
        config = args[args.index("-c") + 1].removeprefix("python:")
        application = args[-1].split(":")[0]
        assert importlib.util.find_spec(config) is not None
        assert importlib.util.find_spec(application) is not None
        assert "$PORT" in " ".join(args)
    else:
        pytest.fail(f"Procfile {process} runs {program}, which Relance does not install")


def test_formation_runs_every_long_lived_process() -> None:
    assert set(manifest()["formation"]) == set(procfile()) - {"release"}
    assert manifest()["formation"]["scheduler"]["quantity"] == 1  # one cron scheduler, or jobs run twice


def test_migrations_run_on_release_and_postdeploy() -> None:
    assert procfile()["release"] == ["relance", "db", "upgrade"]
    assert manifest()["scripts"]["postdeploy"] == "relance db upgrade"


def test_every_required_setting_is_declared() -> None:
    app = manifest()
    declared = set(app["env"])
    addons = {addon["plan"].split(":")[0] for addon in app["addons"]}
    provided = {ADDON_SETTINGS[addon] for addon in addons if addon in ADDON_SETTINGS}
    ledger_settings = {name for names in LEDGER_CREDENTIALS.values() for name in names}

    assert provided == {"DATABASE_URL", "REDIS_URL"}
    assert set(PRODUCTION_REQUIRED) - provided <= declared
    assert ledger_settings <= declared
    assert app["env"]["RELANCE_ENV"]["value"] == "production"
    assert app["env"]["SECRET_KEY"]["generator"] == "secret"
    assert {name.lower() for name in declared} <= set(Settings.model_fields)
