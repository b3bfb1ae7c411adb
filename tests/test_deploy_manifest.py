"""The Heroku manifest (app.json), the Procfile and the files the Python buildpack reads describe a
deployment that builds and runs.

What heroku/python reads (heroku/heroku-buildpack-python, README "Application Requirements" and
lib/uv.sh): one package manager file at the root (requirements.txt, Pipfile.lock, poetry.lock or
uv.lock; with several it uses the first it finds), and, for uv, a `.python-version` file, which is
required. With uv.lock it runs `uv sync --locked --no-default-groups`: `--locked` fails the build
when the lock does not match pyproject.toml, so the lock is checked here first, offline, the way
uv compares them (the project's requirements recorded in the lock against pyproject's).
"""

from __future__ import annotations

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
STALE_LOCK = "uv.lock does not match pyproject.toml: run `make lock` and commit uv.lock"


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


def lock() -> dict:
    return tomllib.loads((REPO / "uv.lock").read_text())


def requirement_key(name: str, extras, specifier: str, extra: str | None) -> tuple:  # type: ignore[no-untyped-def]
    """One requirement as uv and pyproject both can say it: name, extras, versions, the extra it is in."""
    return (canonicalize_name(name), frozenset(extras), SpecifierSet(specifier), extra)


def test_the_buildpack_finds_one_lock_and_a_python_version() -> None:
    found = [name for name in PACKAGE_MANAGER_FILES if (REPO / name).exists()]
    python_version = (REPO / ".python-version").read_text().strip()

    assert found == ["uv.lock"]  # one package manager: with two, the buildpack silently takes the first
    # The major form ("3.11"), as the buildpack recommends: deploys get that line's security releases.
    assert re.fullmatch(r"3\.\d+", python_version), python_version
    requires_python = pyproject()["project"]["requires-python"]
    assert Version(python_version) in SpecifierSet(requires_python)
    assert lock()["requires-python"] == requires_python, STALE_LOCK


def test_the_lock_records_exactly_what_pyproject_requires() -> None:
    project = pyproject()["project"]
    wanted = {
        requirement_key(r.name, r.extras, str(r.specifier), None)
        for r in map(Requirement, project["dependencies"])
    }
    for extra, requirements in project["optional-dependencies"].items():
        wanted |= {
            requirement_key(r.name, r.extras, str(r.specifier), extra) for r in map(Requirement, requirements)
        }
    (relance,) = [package for package in lock()["package"] if package["name"] == project["name"]]

    recorded = set()
    for item in relance["metadata"]["requires-dist"]:
        extra = re.fullmatch(r"extra == '([^']+)'", item.get("marker", ""))
        recorded.add(
            requirement_key(
                item["name"], item.get("extras", ()), item.get("specifier", ""), extra and extra[1]
            )
        )

    assert recorded == wanted, STALE_LOCK
    assert relance["source"] == {"editable": "."}  # uv sync installs Relance itself: the Procfile's `relance`


def test_every_locked_version_is_one_pyproject_allows() -> None:
    locked = {canonicalize_name(package["name"]): package for package in lock()["package"]}
    project = pyproject()["project"]
    requirements = [
        *project["dependencies"],
        *(r for group in project["optional-dependencies"].values() for r in group),
    ]

    for requirement in map(Requirement, requirements):
        package = locked.get(canonicalize_name(requirement.name))
        assert package is not None, f"{requirement.name} is not in uv.lock. {STALE_LOCK}"
        assert requirement.specifier.contains(package["version"], prereleases=True), STALE_LOCK
    for package in locked.values():  # and the lock is whole: whatever a package needs is locked too
        for needed in package.get("dependencies", ()):
            assert canonicalize_name(needed["name"]) in locked, f"{package['name']} needs {needed['name']}"


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
