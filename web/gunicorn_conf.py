"""gunicorn's settings for Relance's web process (``gunicorn -c python:web.gunicorn_conf``).

Sized so that one slow client cannot stall it. gunicorn's sync workers serve one connection at a
time and "must" sit behind a proxy that buffers slow clients (gunicorn.org/deploy; the FAQ: sync
workers are meant for nginx, "if you want to deploy Gunicorn to handle unbuffered requests (ie,
serving requests directly from the internet) you should use one of the async workers"). Heroku's
router is not such a proxy: it forwards the connection to the dyno as it arrives and buffers only
the request line and headers, not the body (devcenter.heroku.com/articles/http-routing, "Request
buffering"; simonwillison.net/2017/Oct/2/nginx-heroku; blog.etianen.com 2014). So the workers are
gthread: each runs ``WEB_THREADS`` threads, so a slow client holds one thread of
``workers x threads``; and gunicorn 27 gives a new connection that has sent nothing for 5 s back
to the worker's poller instead of keeping a thread for it (gthread.DEFAULT_WORKER_DATA_TIMEOUT).
"""

import os

from runtime.db import db
from runtime.logs import gunicorn_logconfig
from runtime.settings import ConfigurationError, get_settings


def fitted_workers(cores: int | None) -> int:
    """gunicorn's rule of thumb, 2 x cores + 1, at most 8 (each worker holds the app in memory)."""
    return min(2 * (cores or 1) + 1, 8)


# Load the app once in the master: a configuration error is reported once, before any fork.
preload_app = True
accesslog = None  # Relance writes its own request lines, with the request id
try:
    _readable_logs = get_settings().relance_env == "development"
except ConfigurationError:  # loading the app reports it, in one line
    _readable_logs = False
logconfig_dict = gunicorn_logconfig(readable=_readable_logs)
worker_class = "gthread"
try:
    workers = get_settings().web_concurrency or fitted_workers(os.cpu_count())
    threads = get_settings().web_threads
except ConfigurationError:  # web.wsgi reports it in one line when the app loads
    workers, threads = 1, 1
# Kept-alive connections wait on the worker's poller, not in a thread; Heroku's router does not
# reuse them much, and 5 s closes the idle ones soon (gunicorn's default is 2).
keepalive = 5
timeout = 30  # a worker whose main loop is silent this long is replaced
graceful_timeout = 20


def post_fork(_server: object, _worker: object) -> None:
    db.after_fork()
