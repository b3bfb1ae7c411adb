"""The schedule an organisation starts with, in English and French, from the collections practice.

Sources (the collections practice references, summarised in the project's reference notes):

- the follow-up before the due date: shortly before an invoice falls due, ask whether everything
  arrived, whether the invoice is clear and correct and whether it is scheduled for payment, and
  keep a record of the answers;
- ABC-Amega's treatment plan by account size: a call to large accounts 5 to 7 days before due, a
  written reminder to the others 7 to 10 days before; hence the friendly note 7 days before due,
  a call task instead for the large segment;
- an AR consultant's five stages by days past due, which the escalation follows: 1 to 15 days, a
  polite email asking about the payment status, with the invoice again; 16 to 30, weekly emails
  asking for the payment's details with every open invoice and a statement, and a call on day
  28; 31 to 90, twice a week an email saying the account is past due with the statement, and a
  weekly call asking for the cheque number, amount and sending date; 90 to 120, the account on
  hold (the next issue's credit holds); beyond 120, a final warning with a deadline 5 to 10 days
  out, after which the account goes to collection or legal counsel.

The tone climbs with the age of the debt and stays courteous: each message says what is owed,
asks one clear thing (confirm, give a date, pay by a date) and leaves the door open to a question
or a dispute, since a customer who has not paid often has a reason that can be settled.

French: formal business French ("vous", "Madame, Monsieur" once the account is past due). The
final demand is named "Dernier rappel avant mise en demeure" rather than "Mise en demeure": a
mise en demeure is a legal act (Code civil, art. 1344) that puts the debtor in default, from which
late interest runs and on which court action rests; a business should choose to send one
knowingly, usually by recorded delivery. This stage announces it, firmly, and needs approval; a
business that wants the stage to be the mise en demeure itself renames it.
"""

from __future__ import annotations

from reminders.schedules.stages import Anchor, Channel, Message, ScheduleSpec, StageSpec

# --- the parts every message shares --------------------------------------------------------------

_PAY_EN = """{% if payment_links %}

You can view and pay {% if invoice_count > 1 %}the invoices{% else %}the invoice{% endif %} online:
{% for invoice in invoices if invoice.link %}
{{ invoice.number }}: {{ invoice.link }}
{% endfor %}
{% endif %}
{% if portal_link %}

All your open invoices are in your customer portal: {{ portal_link }}
{% endif %}
{% if bank_details %}

Our bank details for a transfer:
{{ bank_details }}
{% endif %}
"""

_PAY_FR = """{% if payment_links %}

Vous pouvez consulter et régler {% if invoice_count > 1 %}les factures{% else %}la facture{% endif %} en ligne :
{% for invoice in invoices if invoice.link %}
{{ invoice.number }} : {{ invoice.link }}
{% endfor %}
{% endif %}
{% if portal_link %}

Toutes vos factures en attente sont dans votre espace client : {{ portal_link }}
{% endif %}
{% if bank_details %}

Nos coordonnées bancaires pour un virement :
{{ bank_details }}
{% endif %}
"""

# The sender's name, then the business's when they differ (a person's name, or a trading name).
_SIGNATURE = """{{ sender_name }}
{% if sender_name != organisation_name %}{{ organisation_name }}
{% endif %}"""

_KIND_EN = "\nKind regards,\n" + _SIGNATURE
_FIRM_EN = "\nYours sincerely,\n" + _SIGNATURE
_KIND_FR = "\nCordialement,\n" + _SIGNATURE
_FIRM_FR = (
    "\nNous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations distinguées.\n"
    + _SIGNATURE
)

# --- 7 days before due: a friendly note ----------------------------------------------------------

FRIENDLY = StageSpec(
    key="friendly",
    names={"en": "Friendly note before due", "fr": "Rappel avant échéance"},
    anchor=Anchor.BEFORE_DUE,
    days=7,
    # Due from 7 days before the due date until the due date (0 days past it): a missed day is
    # caught up, but a note "before due" never goes once the invoice is late.
    until_days=0,
    channels=(Channel.EMAIL,),
    attach_invoices=True,
    large_accounts_call=True,
    messages={
        "en": Message(
            subject="{% if invoice_count > 1 %}Invoices{% else %}Invoice{% endif %} {{ invoice_numbers }}"
            " due on {{ due_date }}",
            body="""Dear {{ contact_name }},

A quick note ahead of the due date: {% if invoice_count > 1 %}the invoices below fall{% else %}the invoice below falls{% endif %} due on {{ due_date }}.

{{ invoices_table }}

Could you confirm that everything arrived as expected and that the {% if invoice_count > 1 %}invoices are{% else %}invoice is{% endif %} clear and correct? If anything is missing or needs changing, just reply to this email and we will put it right before the due date. Otherwise, thank you for scheduling the payment of {{ total_due }}.
{% if discount_open %}

Early-payment discount: {{ discount_percent }} off if paid by {{ discount_deadline }}, that is {{ discounted_total }}{% if invoice_count > 1 %} for the invoices it applies to{% endif %}.
{% endif %}
"""
            + _PAY_EN
            + _KIND_EN,
        ),
        "fr": Message(
            subject="{% if invoice_count > 1 %}Factures{% else %}Facture{% endif %} {{ invoice_numbers }}"
            " : échéance le {{ due_date }}",
            body="""Bonjour {{ contact_name }},

Nous nous permettons de vous rappeler que {% if invoice_count > 1 %}les factures ci-dessous arrivent{% else %}la facture ci-dessous arrive{% endif %} à échéance le {{ due_date }}.

{{ invoices_table }}

Pourriez-vous nous confirmer que la livraison ou la prestation s'est bien déroulée et que {% if invoice_count > 1 %}les factures sont claires et exactes{% else %}la facture est claire et exacte{% endif %} ? S'il manque quoi que ce soit ou si une correction est nécessaire, il vous suffit de répondre à ce courriel : nous y remédierons avant l'échéance. Dans le cas contraire, nous vous remercions de bien vouloir programmer le règlement de {{ total_due }}.
{% if discount_open %}

Escompte pour paiement anticipé : {{ discount_percent }} de remise pour un règlement au plus tard le {{ discount_deadline }}, soit {{ discounted_total }}{% if invoice_count > 1 %} pour les factures concernées{% endif %}.
{% endif %}
"""
            + _PAY_FR
            + _KIND_FR,
        ),
    },
    # For large accounts, a call instead of the note.
    talking_points={
        "en": """Courtesy call ahead of the due date ({{ due_date }}): {{ invoice_numbers }}, {{ total_due }}.
- Did the goods or service arrive as expected, and did the invoice reach the right person?
- Is the invoice clear and correct (order number, amounts, address)?
- Is it scheduled for payment by the due date? Note the expected payment date.
- Note any problem raised and who will resolve it.""",
        "fr": """Appel de courtoisie avant l'échéance du {{ due_date }} : {{ invoice_numbers }}, {{ total_due }}.
- La livraison ou la prestation s'est-elle bien déroulée, et la facture est-elle parvenue à la bonne personne ?
- La facture est-elle claire et exacte (numéro de commande, montants, adresse) ?
- Le règlement est-il programmé pour l'échéance ? Noter la date de paiement prévue.
- Noter tout problème soulevé et la personne qui s'en charge.""",
    },
)

# --- 1 to 15 days late: a polite inquiry ---------------------------------------------------------

INQUIRY = StageSpec(
    key="inquiry",
    names={"en": "Polite inquiry", "fr": "Relance amiable"},
    anchor=Anchor.AFTER_DUE,
    days=1,
    until_days=16,  # days 1 to 15 (the window's end is the first day it no longer applies)
    channels=(Channel.EMAIL,),
    attach_invoices=True,
    messages={
        "en": Message(
            subject="Payment status of {% if invoice_count > 1 %}invoices{% else %}invoice{% endif %}"
            " {{ invoice_numbers }}",
            body="""Dear {{ contact_name }},

According to our records, {% if invoice_count > 1 %}the following invoices are{% else %}the following invoice is{% endif %} now past due and still open:

{{ invoices_table }}

Could you let us know when the payment of {{ total_overdue }} is scheduled? If it is already on its way, thank you, and please disregard this message. If there is any question about the {% if invoice_count > 1 %}invoices{% else %}invoice{% endif %}, reply to this email and we will look into it straight away.
"""
            + _PAY_EN
            + _KIND_EN,
        ),
        "fr": Message(
            subject="Relance amiable : {% if invoice_count > 1 %}factures{% else %}facture{% endif %}"
            " {{ invoice_numbers }}",
            body="""Bonjour {{ contact_name }},

Sauf erreur de notre part, {% if invoice_count > 1 %}les factures suivantes, arrivées à échéance, restent impayées{% else %}la facture suivante, arrivée à échéance, reste impayée{% endif %} :

{{ invoices_table }}

Pourriez-vous nous indiquer la date à laquelle le règlement de {{ total_overdue }} est prévu ? S'il est déjà parti, nous vous en remercions et vous prions de ne pas tenir compte de ce message. Pour toute question sur {% if invoice_count > 1 %}ces factures{% else %}cette facture{% endif %}, il vous suffit de répondre à ce courriel : nous l'examinerons sans délai.
"""
            + _PAY_FR
            + _KIND_FR,
        ),
    },
)

# --- 16 to 30 days late: the statement every week, a call on day 28 ------------------------------

STATEMENT = StageSpec(
    key="statement",
    names={"en": "Weekly statement", "fr": "Relevé de compte hebdomadaire"},
    anchor=Anchor.AFTER_DUE,
    days=16,
    until_days=31,
    repeat_every=7,
    repeat_times=2,  # days 16, 23 and 30
    channels=(Channel.EMAIL,),
    attach_statement=True,
    attach_invoices=True,
    messages={
        "en": Message(
            subject="Statement of account: {{ total_overdue }} overdue",
            body="""Dear {{ contact_name }},

Your account with {{ organisation_name }} is now {{ days_late }} days overdue. Please find attached a statement of your account; the open invoices are:

{{ invoices_table }}

The overdue balance is {{ total_overdue }}. We would be grateful if you could arrange payment this week and reply with its details (the date, the amount and the reference), so that we can match it as soon as it arrives.

If something is holding up payment, please tell us now so that we can resolve it together.
"""
            + _PAY_EN
            + _KIND_EN,
        ),
        "fr": Message(
            subject="Relevé de compte : {{ total_overdue }} à régler",
            body="""Bonjour {{ contact_name }},

Votre compte auprès de {{ organisation_name }} présente désormais un retard de paiement de {{ days_late }} jours. Vous trouverez ci-joint votre relevé de compte ; les factures en attente de règlement sont les suivantes :

{{ invoices_table }}

Le solde échu s'élève à {{ total_overdue }}. Nous vous serions reconnaissants de bien vouloir procéder à son règlement cette semaine et de nous en communiquer les références (date, montant et libellé du paiement), afin que nous puissions le rapprocher dès réception.

Si un point bloque le règlement, merci de nous en faire part dès maintenant afin que nous puissions le résoudre ensemble.
"""
            + _PAY_FR
            + _KIND_FR,
        ),
    },
)

CALL_DAY_28 = StageSpec(
    key="call_day_28",
    names={"en": "Call on day 28", "fr": "Appel au 28e jour de retard"},
    anchor=Anchor.AFTER_DUE,
    days=28,
    until_days=31,
    channels=(Channel.CALL,),
    messages={},
    talking_points={
        "en": """{{ customer_name }}: {{ total_overdue }} overdue, the oldest invoice {{ days_late }} days late ({{ invoice_numbers }}).
- Check that this week's statement arrived and that none of the invoices is in question.
- Ask when the payment will be made, how, and for which amount.
- If they promise a date, record it; if they raise a problem, record it as a dispute with who is handling it.""",
        "fr": """{{ customer_name }} : {{ total_overdue }} échus, la facture la plus ancienne en retard de {{ days_late }} jours ({{ invoice_numbers }}).
- Vérifier que le relevé de cette semaine a bien été reçu et qu'aucune facture n'est contestée.
- Demander la date, le mode et le montant du règlement.
- Si une date est promise, l'enregistrer ; si un problème est soulevé, l'enregistrer comme litige, avec la personne qui s'en charge.""",
    },
)

# --- 31 to 90 days late: "Account past due" twice a week, a call every week ---------------------

PAST_DUE = StageSpec(
    key="past_due",
    names={"en": "Account past due", "fr": "Compte en retard de paiement"},
    anchor=Anchor.AFTER_DUE,
    # To day 119: until the promises, disputes and holds issue brings the hold notices of days
    # 90 to 120, the account keeps hearing from us twice a week rather than not at all.
    days=31,
    until_days=120,
    repeat_every=3,
    repeat_times=29,  # days 31, 34, … 118: about twice a week
    channels=(Channel.EMAIL,),
    attach_statement=True,
    attach_invoices=True,
    messages={
        "en": Message(
            subject="Account past due: {{ total_overdue }} overdue",
            body="""Dear {{ contact_name }},

Your account with {{ organisation_name }} is past due: despite our earlier reminders, it is now {{ days_late }} days overdue. The attached statement and the table below show the open invoices:

{{ invoices_table }}

Please arrange payment of the overdue balance of {{ total_overdue }} without further delay, and reply with the payment's date, amount and reference (the cheque number or the transfer's reference) so that we can match it.

If there is a reason these invoices cannot be paid, please contact us today: we would much rather settle it with you than take the matter further.
"""
            + _PAY_EN
            + _FIRM_EN,
        ),
        "fr": Message(
            subject="Compte en retard de paiement : {{ total_overdue }} à régler",
            body="""Madame, Monsieur,

Malgré nos précédentes relances, votre compte auprès de {{ organisation_name }} présente un retard de paiement de {{ days_late }} jours. Le relevé ci-joint et le tableau ci-dessous reprennent les factures en attente de règlement :

{{ invoices_table }}

Nous vous demandons de bien vouloir régler sans plus tarder le solde échu de {{ total_overdue }} et de nous indiquer la date, le montant et la référence du paiement (numéro de chèque ou référence du virement), afin que nous puissions le rapprocher.

Si un motif vous empêche de régler ces factures, merci de nous contacter dès aujourd'hui : nous préférons de loin trouver une solution avec vous plutôt que de donner une autre suite à ce dossier.
"""
            + _PAY_FR
            + _FIRM_FR,
        ),
    },
)

PAST_DUE_CALL = StageSpec(
    key="past_due_call",
    names={"en": "Weekly call, account past due", "fr": "Appel hebdomadaire, compte en retard"},
    anchor=Anchor.AFTER_DUE,
    days=31,
    until_days=120,
    repeat_every=7,
    repeat_times=12,  # days 31, 38, … 115
    channels=(Channel.CALL,),
    messages={},
    talking_points={
        "en": """{{ customer_name }}: account {{ days_late }} days past due, {{ total_overdue }} overdue ({{ invoice_numbers }}).
- Ask for the payment's details: the cheque number or transfer reference, the amount and the date it is sent.
- If only part can be paid now, agree the amount and the date of the rest, and record both.
- If they dispute an invoice, record the dispute and who is handling it.
- No answer: leave a message asking to be called back, and note the time of the call.""",
        "fr": """{{ customer_name }} : compte en retard de {{ days_late }} jours, {{ total_overdue }} échus ({{ invoice_numbers }}).
- Demander les références du paiement : numéro de chèque ou référence du virement, montant et date d'envoi.
- Si seule une partie peut être réglée maintenant, convenir du montant et de la date du solde, et noter les deux.
- Si une facture est contestée, enregistrer le litige et la personne qui s'en charge.
- Sans réponse : laisser un message demandant d'être rappelé, et noter l'heure de l'appel.""",
    },
)

# 90 to 120 days late: the account on hold, with its weekly notice and call, belongs to the credit
# holds (the next issue); its stages join this schedule there.

# --- 120 days late: the final demand, with a deadline --------------------------------------------

FINAL_DEMAND = StageSpec(
    key="final_demand",
    names={"en": "Final demand", "fr": "Dernier rappel avant mise en demeure"},
    anchor=Anchor.AFTER_DUE,
    days=120,
    channels=(Channel.EMAIL, Channel.LETTER),
    attach_statement=True,
    attach_invoices=True,
    needs_approval=True,
    deadline_days=7,
    messages={
        "en": Message(
            subject="Final demand: {{ total_overdue }} to be paid by {{ deadline }}",
            body="""Dear {{ contact_name }},

This is our final demand. Despite our reminders, the following invoices remain unpaid, the oldest now {{ days_late }} days past due:

{{ invoices_table }}

We ask you to pay the overdue balance of {{ total_overdue }} in full by {{ deadline }} at the latest.

If payment has not reached us by that date, we will refer the account for collection, which may include legal proceedings, without further notice.

If you have already paid, please send us the payment's details so that we can match it; if you dispute any of these invoices, tell us in writing before that date.
"""
            + _PAY_EN
            + _FIRM_EN,
        ),
        "fr": Message(
            subject="Dernier rappel avant mise en demeure : {{ total_overdue }} à régler au plus tard le {{ deadline }}",
            body="""Madame, Monsieur,

Malgré nos relances successives, les factures suivantes demeurent impayées ; la plus ancienne présente un retard de {{ days_late }} jours :

{{ invoices_table }}

Nous vous demandons de régler l'intégralité du solde échu, soit {{ total_overdue }}, au plus tard le {{ deadline }}.

À défaut de règlement à cette date, nous vous adresserons une mise en demeure et engagerons, sans autre avis, les démarches de recouvrement, y compris par voie judiciaire.

Si vous avez déjà procédé au paiement, merci de nous en communiquer les références afin que nous puissions le rapprocher ; si vous contestez l'une de ces factures, merci de nous le faire savoir par écrit avant cette date.
"""
            + _PAY_FR
            + _FIRM_FR,
        ),
    },
)

DEFAULT_SCHEDULE = ScheduleSpec(
    key="default",
    names={"en": "Standard collections", "fr": "Recouvrement standard"},
    stages=(FRIENDLY, INQUIRY, STATEMENT, CALL_DAY_28, PAST_DUE, PAST_DUE_CALL, FINAL_DEMAND),
    minimum_gap_days=3,
)
