"""Serve a WSGI app on a loopback port from a background thread.

Tests need a real HTTP server (the SDKs under test open sockets) that starts in milliseconds
and never collides with another test's port, so the port is chosen by the OS.
"""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class ServerNotRunning(RuntimeError):
    """Raised when the base URL of a server that was never started is asked for."""


class _QuietHandler(WSGIRequestHandler):
    """No access log: a benchmark makes thousands of calls and the request log already counts them."""

    def log_request(self, *args: object, **kwargs: object) -> None:
        pass


class SandboxServer:
    """A threaded werkzeug server around one WSGI app; port 0 means "any free port"."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0, access_log: bool = False) -> None:
        self.app = app
        self.handler = WSGIRequestHandler if access_log else _QuietHandler
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True between start() and stop()."""
        return self._server is not None

    @property
    def base_url(self) -> str:
        """`http://host:port` of the running server, without a trailing slash."""
        if self._server is None:
            raise ServerNotRunning("start the server first")
        return f"http://{self.host}:{self.port}"

    def start(self) -> SandboxServer:
        """Bind the socket now (so the port is known) and serve from a daemon thread."""
        if self._server is not None:
            return self
        server = make_server(self.host, self.port, self.app, threaded=True, request_handler=self.handler)
        self._server = server
        self.port = server.server_port
        self._thread = threading.Thread(
            target=lambda: server.serve_forever(poll_interval=0.05),
            name=f"sandbox-http-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (the CLI); returns after Ctrl-C."""
        self._server = make_server(
            self.host, self.port, self.app, threaded=True, request_handler=self.handler
        )
        self.port = self._server.server_port
        try:
            self._server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self._server.server_close()
            self._server = None

    def stop(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
