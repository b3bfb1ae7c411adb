"""The Heroku manifest (app.json), the Procfile and the files the Python buildpack reads describe a
deployment that builds and runs.

What heroku/python reads (heroku/heroku-buildpack-python, README "Application Requirements"): one
package manager file at the root (requirements.txt, Pipfile.lock, poetry.lock or uv.lock; with
several it uses the first it finds) and `.python-version`. Relance ships requirements.txt, compiled
from pyproject.toml by `make lock` (uv pip compile), with Relance itself as its last line so the
Procfile's `relance` command exists: a plain list of names and versions, checked here offline
against pyproject.toml and the installed packages' own requirements.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from runtime.settings import LEDGER_CREDENTIALS, PRODUCTION_REQUIRED, Settings
from tests.conftest import REPO
from web.cli import cli

ADDON_SETTINGS = {"heroku-postgresql": "DATABASE_URL", "heroku-redis": "REDIS_URL"}
PACKAGE_MANAGER_FILES = ("requirements.txt", "Pipfile", "Pipfile.lock", "poetry.lock", "uv.lock")
STALE = "requirements.txt does not match pyproject.toml: run `make lock` and commit requirements.txt"


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


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def pinned() -> dict[str, Version]:
    """requirements.txt's pins, by canonical name."""
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and line != ".":
            requirement = Requirement(line)
            (spec,) = requirement.specifier
            assert spec.operator == "==", f"{line}: requirements.txt pins exact versions. {STALE}"
            pins[canonicalize_name(requirement.name)] = Version(spec.version)
    return pins


def test_the_buildpack_finds_one_requirements_file_and_a_python_version() -> None:
    found = [name for name in PACKAGE_MANAGER_FILES if (REPO / name).exists()]
    python_version = (REPO / ".python-version").read_text().strip()

    assert found == ["requirements.txt"]  # one package manager: with two, the buildpack takes the first
    # The major form ("3.11"), as the buildpack recommends: deploys get that line's security releases.
    assert re.fullmatch(r"3\.\d+", python_version), python_version
    assert Version(python_version) in SpecifierSet(pyproject()["project"]["requires-python"])


def test_requirements_pin_every_dependency_within_what_pyproject_allows_and_install_relance() -> None:
    pins = pinned()
    lines = (REPO / "requirements.txt").read_text().splitlines()

    for requirement in map(Requirement, pyproject()["project"]["dependencies"]):
        version = pins.get(canonicalize_name(requirement.name))
        assert version is not None, f"{requirement.name} is not in requirements.txt. {STALE}"
        assert requirement.specifier.contains(version, prereleases=True), f"{requirement.name}: {STALE}"
    assert "uv pip compile pyproject.toml" in lines[1]  # made from pyproject, not by hand
    assert lines[-1] == "."  # Relance itself: the Procfile's `relance`


def test_requirements_are_whole_every_pinned_package_needs_only_pinned_packages() -> None:
    pins = pinned()
    environment = {"extra": ""}
    for name in pins:
        try:
            needs = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue  # not installed here (a package for another platform): nothing to read
        for needed in map(Requirement, needs):
            if needed.marker is None or needed.marker.evaluate(environment):
                assert canonicalize_name(needed.name) in pins, f"{name} needs {needed.name}. {STALE}"


def test_every_ledger_setting_names_the_settings_that_go_with_it() -> None:
    env = manifest()["env"]
    for names in LEDGER_CREDENTIALS.values():
        for name in names:
            others = [other for other in names if other != name]
            assert all(other in env[name]["description"] for other in others), (
                name,
                env[name]["description"],
            )
    assert "at least one ledger" in env["XERO_CLIENT_ID"]["description"]


def test_the_commands_given_for_token_encryption_key_make_a_key_that_works(tmp_path: Path) -> None:
    description = manifest()["env"]["TOKEN_ENCRYPTION_KEY"]["description"]
    commands = re.findall(r"`([^`]+)`", description)
    making = [command for command in commands if "rotate-key" not in command]
    path = os.pathsep.join(
        [str(Path(sys.executable).parent), os.environ.get("PATH", "")]
    )  # python3 with Relance's packages

    assert len(making) == 2 and "relance tokens rotate-key" in commands
    for command in making:
        made = subprocess.run(
            ["bash", "-c", command],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PATH": path},
        ).stdout.strip()
        sealed = Fernet(made.encode()).encrypt(b"refresh-token")  # a valid Fernet key, or this raises
        assert Fernet(made.encode()).decrypt(sealed) == b"refresh-token" and len(made) == 44
    assert CliRunner().invoke(cli, ["tokens", "rotate-key", "--help"]).exit_code == 0


def test_public_url_says_what_it_must_be_and_names_real_routes(app) -> None:  # type: ignore[no-untyped-def]
    description = manifest()["env"]["PUBLIC_URL"]["description"]
    paths = re.findall(r"PUBLIC_URL(/[\w/]+)", description)
    routes = app.url_map.bind("relance.example")

    assert "https" in description and "no trailing slash" in description
    assert set(paths) == {
        "/connect/xero/callback",
        "/connect/quickbooks/callback",
        "/webhooks/xero",
        "/webhooks/quickbooks",
    }
    for path in paths:
        routes.match(path, method="POST" if path.startswith("/webhooks") else "GET")  # raises NotFound if not
