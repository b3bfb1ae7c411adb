"""`relance demo`: web, worker and scheduler as one foreground command.

This process owns the embedded Redis (when REDIS_URL is unset), so the three children share
it and it stops with the demo. honcho runs the children and stops them all on Ctrl-C.
"""

from __future__ import annotations

import os
import shlex
import sys
import time

from honcho.manager import Manager

import migrations
from runtime import redis as relance_redis
from runtime.settings import Settings, child_environment


def run_demo(settings: Settings, port: int) -> int:
    """Start everything, print where to look, and wait; returns the exit status."""
    migrations.upgrade(settings.sqlalchemy_url)
    environment = child_environment(
        redis_url=relance_redis.redis_url(settings),
        relance_instance=str(settings.instance_path),
        public_url=f"http://127.0.0.1:{port}",
        pythonunbuffered="1",
    )
    python = shlex.quote(sys.executable)
    manager = Manager()
    manager.add_process(
        "web",
        f"{python} -m gunicorn -c python:web.gunicorn_conf --bind 127.0.0.1:{port} --workers 2 web.wsgi:app",
        env=environment,
    )
    manager.add_process("worker", f"{python} -m web worker", env=environment)
    manager.add_process("scheduler", f"{python} -m web scheduler", env=environment)
    print(f"\n  Relance is starting at http://127.0.0.1:{port}/  (health: /healthz)", flush=True)
    print("  Ctrl-C stops web, worker and scheduler.\n", flush=True)
    manager.loop()
    # honcho returns when its children have exited; their own children (RQ's scheduler
    # process) may still be finishing with Redis, which stops when we return.
    _wait_for_process_groups([p["pid"] for p in manager._processes.values() if p.get("pid")])
    return manager.returncode or 0


def _wait_for_process_groups(group_ids: list[int], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    for group in group_ids:
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except (ProcessLookupError, PermissionError):
                break
            time.sleep(0.1)
