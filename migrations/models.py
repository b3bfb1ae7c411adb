"""Every module that defines tables, imported so that Base.metadata knows them all.

Alembic's autogenerate and the models-versus-migrations test read the metadata after this
import; a new models module is added here.
"""

import integration.connections  # noqa: F401
import reminders.discounts
import reminders.dispatch.models
import reminders.disputes
import reminders.fees.models
import reminders.handoff
import reminders.hold_writes
import reminders.holds
import reminders.models
import reminders.portal.attachments
import reminders.portal.contacts
import reminders.portal.fresh_links
import reminders.portal.links
import reminders.portal.payment_links
import reminders.promises
import reminders.schedules.models
import reminders.team_notices  # noqa: F401
import runtime.sign_ins
import runtime.tenancy  # noqa: F401
import sync.changes
import sync.models
import sync.versions  # noqa: F401
from runtime.db import Base

metadata = Base.metadata
