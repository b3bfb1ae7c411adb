"""gunicorn's settings for Relance's web process (``gunicorn -c python:web.gunicorn_conf``)."""

from runtime.db import db
from runtime.logs import gunicorn_logconfig
from runtime.settings import ConfigurationError, get_settings

# Load the app once in the master: a configuration error is reported once, before any fork.
preload_app = True
accesslog = None  # Relance writes its own request lines, with the request id
try:
    _readable_logs = get_settings().relance_env == "development"
except ConfigurationError:  # loading the app reports it, in one line
    _readable_logs = False
logconfig_dict = gunicorn_logconfig(readable=_readable_logs)
timeout = 30
graceful_timeout = 20


def post_fork(_server, _worker):  # type: ignore[no-untyped-def]
    db.after_fork()
