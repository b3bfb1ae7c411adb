"""gunicorn's settings for Relance's web process (``gunicorn -c python:web.gunicorn_conf``)."""

from runtime.db import db
from runtime.logs import gunicorn_logconfig

# Load the app once in the master: a configuration error is reported once, before any fork.
preload_app = True
accesslog = None  # Relance writes its own request lines, with the request id
logconfig_dict = gunicorn_logconfig()
timeout = 30
graceful_timeout = 20


def post_fork(_server, _worker):  # type: ignore[no-untyped-def]
    db.after_fork()
