"""Rules the whole code base keeps, checked over its source: time comes from the clock and
settings from the settings object."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGES = ("runtime", "integration", "webhooks", "sync", "reminders", "web", "migrations")


def source_files() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (REPO / package).rglob("*.py"))


def offending_lines(pattern: str, allowed: set[str]) -> list[str]:
    regex = re.compile(pattern)
    found = []
    for path in source_files():
        relative = path.relative_to(REPO).as_posix()
        if relative in allowed:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if regex.search(line) and not line.lstrip().startswith("#"):
                found.append(f"{relative}:{number}: {line.strip()}")
    return found


@pytest.mark.parametrize(
    ("rule", "pattern", "allowed"),
    [
        (
            "time is read from the clock",
            r"\b(datetime\.(now|utcnow|today)|date\.today)\(",
            # Relance's clock, and the sandboxes' own clock (they emulate another company's servers).
            {"runtime/clock.py", "integration/sandbox/common/clock.py"},
        ),
        ("settings come from the settings object", r"\bos\.(environ|getenv)\b", {"runtime/settings.py"}),
    ],
)
def test_house_rule(rule: str, pattern: str, allowed: set[str]) -> None:
    assert offending_lines(pattern, allowed) == [], rule
