"""The WSGI entry point for gunicorn (``gunicorn web.wsgi:app``).

A configuration error is printed as one line and gunicorn stops, rather than a traceback per worker.
"""

import sys

from runtime.settings import ConfigurationError
from web.preflight import preflight

try:
    app = preflight()
except ConfigurationError as error:
    print(f"relance: {error}", file=sys.stderr)
    sys.exit(4)  # gunicorn's own "app failed to load" exit status
