"""Crashes as a machine has them: a worker killed with SIGKILL together with its work horse.

RQ's work horse runs in a process group of its own, so killing the worker's group leaves the
horse running; a lost machine, the OOM killer or `pkill -9 -f "relance worker"` takes both.
"""

from __future__ import annotations

import os
import signal
from contextlib import suppress
from pathlib import Path


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def kill_with_everything_it_started(pid: int) -> None:
    """SIGKILL ``pid`` and all its descendants, the work horse (and the RQ scheduler) included."""
    family, frontier = [pid], [pid]
    while frontier:
        frontier = [child for parent in frontier for child in _children(parent)]
        family.extend(frontier)
    for member in family:
        with suppress(ProcessLookupError):  # it ended meanwhile
            os.kill(member, signal.SIGKILL)
