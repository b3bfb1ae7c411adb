"""Job functions the tests enqueue; a real worker subprocess imports them from here."""

from __future__ import annotations

import os
import signal
import time

from flask import current_app
from sqlalchemy import select

from runtime.db import session
from runtime.tenancy import Organisation


def create_organisation(name: str) -> int:
    """Writes through the job's own session and needs the app context (current_app)."""
    assert current_app.config["RELANCE_SETTINGS"].relance_env == "test"
    organisation = Organisation(name=name)
    session().add(organisation)
    session().commit()
    return organisation.id


def count_organisations() -> int:
    return len(session().scalars(select(Organisation)).all())


def fail_with(message: str) -> None:
    raise RuntimeError(message)


def die_abruptly() -> None:
    """The work horse is killed mid-job, as the OOM killer would."""
    os.kill(os.getpid(), signal.SIGKILL)


def create_organisation_slowly(name: str, seconds: float) -> int:
    """A job that is still running when the test kills its worker."""
    time.sleep(seconds)
    return create_organisation(name)
