"""The schedule pages' forms and words: a schedule's own fields, one form per stage (posted on its
own, so the page works without JavaScript and a mistake in one stage keeps the others as they
were), a stage's messages, and each stage said in one line ("1 to 15 days late · email").

The values are checked here with the editor's messages; what they mean is reminders/schedules/.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    Field,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields import SelectChoice  # type: ignore[attr-defined]  # types-WTForms predates it (WTForms 3.3)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from reminders.risk.classes import RiskClass
from reminders.schedules.models import Schedule, Stage
from reminders.schedules.stages import Anchor, Channel, Message
from reminders.schedules.templates import SOURCE_LIMIT, check
from web.customers import RISK_LABELS, SEGMENT_LABELS
from web.i18n import current_language, money

LONGEST_DAYS = 365
LARGEST_MINIMUM = Decimal("1000000000000")  # as the settings' thresholds: a trillion
ANCHOR_LABELS = {
    Anchor.BEFORE_DUE.value: _l("Days before each invoice's due date (a friendly note)"),
    Anchor.AFTER_DUE.value: _l("Days past the due date of the customer's oldest unpaid invoice"),
    Anchor.AFTER_PREVIOUS.value: _l("Days after the previous stage first went"),
}
CHANNEL_LABELS = {
    Channel.EMAIL.value: _l("Email"),
    Channel.LETTER.value: _l("Letter"),
    Channel.CALL.value: _l("Call task"),
}
LANGUAGE_LABELS = {"en": _l("English"), "fr": _l("French")}


class CheckboxesField(SelectMultipleField):
    """A choice of several, as checkboxes (a multiple select is hard to use without instructions)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _finite(_form: FlaskForm, field: DecimalField) -> None:
    if field.data is not None and not field.data.is_finite():
        raise StopValidation(_("give an amount, such as 500"))


class ScheduleForm(FlaskForm):
    name = StringField(
        _l("Name"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[InputRequired(message=_l("give the schedule a name")), Length(max=100)],
    )
    minimum_gap_days = IntegerField(
        _l("Minimum gap (days)"),
        validators=[
            InputRequired(message=_l("a number of days, 0 to 90")),
            NumberRange(0, 90, message=_l("a number of days, 0 to 90")),
        ],
        description=_l("No two messages reach a customer within this many days (call tasks do not count)."),
    )
    is_default = BooleanField(
        _l("The organisation's default schedule"),
        description=_l("Customers whom no other schedule is for follow the default. There is exactly one."),
    )
    segments = CheckboxesField(
        _l("For these accounts"),
        choices=[SelectChoice(key, label) for key, label in SEGMENT_LABELS.items()],
        description=_l(
            "None ticked: any account. Large accounts owe at least the threshold in the settings."
        ),
    )
    risk_classes = CheckboxesField(
        _l("For these risk classes"),
        coerce=int,
        choices=[SelectChoice(int(risk), label) for risk, label in RISK_LABELS.items()],
        description=_l("None ticked: any risk class."),
    )


class StageForm(FlaskForm):
    name_en = StringField(
        _l("Name in English"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[InputRequired(message=_l("give the stage a name")), Length(max=100)],
    )
    name_fr = StringField(
        _l("Name in French"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[Optional(), Length(max=100)],
    )
    anchor = SelectField(
        _l("When"), choices=[SelectChoice(key, label) for key, label in ANCHOR_LABELS.items()]
    )
    days = IntegerField(
        _l("Days"),
        validators=[
            InputRequired(message=_l("a number of days, 0 to 365")),
            NumberRange(0, LONGEST_DAYS, message=_l("a number of days, 0 to 365")),
        ],
    )
    until_days = IntegerField(
        _l("Until (days late)"),
        validators=[Optional(), NumberRange(0, 3650, message=_l("a number of days, 1 to 3650"))],
        description=_l(
            "Days past due only: the stage stops once the oldest invoice is this many days late. "
            "Empty: no end."
        ),
    )
    repeat_every = IntegerField(
        _l("Repeat every (days)"),
        validators=[Optional(), NumberRange(1, LONGEST_DAYS, message=_l("a number of days, 1 to 365"))],
    )
    repeat_times = IntegerField(
        _l("Repeat times"),
        default=0,
        validators=[Optional(), NumberRange(0, 100, message=_l("a number of times, 0 to 100"))],
        description=_l("How many more times after the first, while the stage lasts."),
    )
    channels = CheckboxesField(
        _l("Channels"), choices=[SelectChoice(key, label) for key, label in CHANNEL_LABELS.items()]
    )
    attach_statement = BooleanField(_l("Attach the statement (PDF)"))
    attach_invoices = BooleanField(_l("Link each invoice's online page"))
    min_overdue = DecimalField(
        _l("Minimum overdue amount"),
        places=2,
        validators=[
            Optional(),
            _finite,
            NumberRange(min=0, max=LARGEST_MINIMUM, message=_l("an amount of 0 or more")),
        ],
    )
    needs_approval = BooleanField(
        _l("Needs approval"),
        description=_l("A person approves each message of this stage, even in automatic sending."),
    )
    large_accounts_call = BooleanField(
        _l("Large accounts get a call task instead"),
        description=_l("Before the due date only: the large segment is called rather than written to."),
    )
    deadline_days = IntegerField(
        _l("Deadline (days)"),
        validators=[Optional(), NumberRange(1, LONGEST_DAYS, message=_l("a number of days, 1 to 365"))],
        description=_l("The customer is asked to pay within this many days (the deadline placeholder)."),
    )

    def validate_until_days(self, field: IntegerField) -> None:
        if self.anchor.data != Anchor.AFTER_DUE.value:
            return  # a window of days late is for the escalation only (and is not kept otherwise)
        if field.data is not None and self.days.data is not None and field.data <= self.days.data:
            raise ValidationError(_("must be more days than the stage starts at"))

    def validate_repeat_times(self, field: IntegerField) -> None:
        if field.data and not self.repeat_every.data:
            raise ValidationError(_("a repeat needs an interval: fill in “Repeat every”"))

    def validate_channels(self, field: CheckboxesField) -> None:
        if not field.data:
            raise ValidationError(_("choose at least one channel"))


def stage_data(stage: Stage) -> dict[str, Any]:
    """A stage's form values."""
    return {
        "name_en": stage.names.get("en", ""),
        "name_fr": stage.names.get("fr", ""),
        "anchor": stage.anchor,
        "days": stage.days,
        "until_days": stage.until_days,
        "repeat_every": stage.repeat_every,
        "repeat_times": stage.repeat_times,
        "channels": list(stage.channels),
        "attach_statement": stage.attach_statement,
        "attach_invoices": stage.attach_invoices,
        "min_overdue": stage.min_overdue,
        "needs_approval": stage.needs_approval,
        "large_accounts_call": stage.large_accounts_call,
        "deadline_days": stage.deadline_days,
    }


def apply_stage(form: StageForm, stage: Stage) -> dict[str, str]:
    """Put the form's values on the stage; what changed, for the audit trail."""
    before = {key: str(value) for key, value in stage_data(stage).items()}
    names = {"en": form.name_en.data or ""}
    if form.name_fr.data:
        names["fr"] = form.name_fr.data
    stage.names = names
    stage.anchor = form.anchor.data or Anchor.AFTER_DUE.value
    stage.days = form.days.data or 0
    stage.until_days = form.until_days.data if stage.anchor == Anchor.AFTER_DUE.value else None
    stage.repeat_every = form.repeat_every.data
    stage.repeat_times = form.repeat_times.data or 0
    stage.channels = [channel.value for channel in Channel if channel.value in (form.channels.data or [])]
    stage.attach_statement = bool(form.attach_statement.data)
    stage.attach_invoices = bool(form.attach_invoices.data)
    stage.min_overdue = form.min_overdue.data if form.min_overdue.data is not None else Decimal("0")
    stage.needs_approval = bool(form.needs_approval.data)
    stage.large_accounts_call = bool(form.large_accounts_call.data)
    stage.deadline_days = form.deadline_days.data
    after = {key: str(value) for key, value in stage_data(stage).items()}
    return {key: after[key] for key in after if after[key] != before[key]}


class MessagesForm(FlaskForm):
    subject_en = StringField(_l("Subject in English"), validators=[Length(max=SOURCE_LIMIT)])
    body_en = TextAreaField(_l("Message in English"), validators=[Length(max=SOURCE_LIMIT)])
    subject_fr = StringField(_l("Subject in French"), validators=[Length(max=SOURCE_LIMIT)])
    body_fr = TextAreaField(_l("Message in French"), validators=[Length(max=SOURCE_LIMIT)])
    talking_points_en = TextAreaField(
        _l("Call talking points in English"), validators=[Length(max=SOURCE_LIMIT)]
    )
    talking_points_fr = TextAreaField(
        _l("Call talking points in French"), validators=[Length(max=SOURCE_LIMIT)]
    )

    # Set by the page when the stage emails or writes: then the English message may not be empty
    # (it is what a customer gets when their language has no message of its own).
    needs_message = False

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields' own checks, then each message through templates.check, its problems shown
        on the field they are in, in the reader's language."""
        valid = super().validate(extra_validators)
        language = current_language()
        if self.needs_message:
            for field in (self.subject_en, self.body_en):
                if not (field.data or "").strip():
                    field.errors = [*field.errors, _("a stage that emails or writes needs this in English")]
                    valid = False
        for code in ("en", "fr"):
            subject: Field = getattr(self, f"subject_{code}")
            body: Field = getattr(self, f"body_{code}")
            for problem in check(Message(subject.data or "", body.data or "")):
                target = subject if problem.params.get("part") == "subject" else body
                target.errors = [*target.errors, problem.describe(language)]
                valid = False
            points: Field = getattr(self, f"talking_points_{code}")
            for problem in check(Message("", points.data or "")):
                points.errors = [*points.errors, problem.describe(language)]
                valid = False
        return valid


def messages_data(stage: Stage) -> dict[str, str]:
    data: dict[str, str] = {}
    for code in ("en", "fr"):
        message = stage.messages.get(code, {})
        data[f"subject_{code}"] = message.get("subject", "")
        data[f"body_{code}"] = message.get("body", "")
        data[f"talking_points_{code}"] = stage.talking_points.get(code, "")
    return data


# --- in words --------------------------------------------------------------------------------------


def when_in_words(stage: Stage) -> str:
    """When a stage goes, in words: days before due, a window of days late, or after the previous stage."""
    if stage.anchor == Anchor.BEFORE_DUE.value:
        return ngettext("%(num)s day before due", "%(num)s days before due", stage.days)
    if stage.anchor == Anchor.AFTER_PREVIOUS.value:
        return ngettext(
            "%(num)s day after the previous stage", "%(num)s days after the previous stage", stage.days
        )
    if stage.until_days is not None:
        # until_days is the first day the stage no longer runs: the window ends the day before.
        return _("%(first)s\u2013%(last)s days late", first=stage.days, last=stage.until_days - 1)
    return _("from %(days)s days late", days=stage.days)


def stage_in_words(stage: Stage, currency: str) -> str:
    """A stage in one line: when, repeats, channels and what goes with it."""
    parts = [when_in_words(stage)]
    if stage.repeat_every and stage.repeat_times:
        parts.append(
            ngettext(
                "every %(every)s days, %(num)s more time",
                "every %(every)s days, %(num)s more times",
                stage.repeat_times,
                every=stage.repeat_every,
            )
        )
    parts += [str(CHANNEL_LABELS.get(channel, channel)).lower() for channel in stage.channels]
    if stage.large_accounts_call and stage.anchor == Anchor.BEFORE_DUE.value:
        parts.append(_("a call for large accounts"))
    if stage.attach_statement:
        parts.append(_("statement"))
    if stage.attach_invoices:
        parts.append(_("invoice links"))
    if stage.min_overdue:
        parts.append(_("from %(amount)s overdue", amount=money(stage.min_overdue, currency)))
    if stage.deadline_days:
        parts.append(_("pay within %(days)s days", days=stage.deadline_days))
    if stage.needs_approval:
        parts.append(_("needs approval"))
    return " · ".join(parts)


def audience_in_words(schedule: Schedule) -> str:
    """Which customers a schedule is for, in words."""
    segments = [str(SEGMENT_LABELS[s]).lower() for s in schedule.segments if s in SEGMENT_LABELS]
    risks = [
        str(RISK_LABELS[RiskClass(r)]).lower()
        for r in schedule.risk_classes
        if r in RiskClass._value2member_map_
    ]
    if not segments and not risks:
        return _("Every customer no other schedule is for") if schedule.is_default else _("Every customer")
    said = []
    if segments:
        said.append(_("accounts: %(which)s", which=", ".join(segments)))
    if risks:
        said.append(_("risk: %(which)s", which=", ".join(risks)))
    return "; ".join(said)
