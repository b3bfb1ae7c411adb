"""What Relance prints and sends about receivables: the aged receivables as CSV and PDF
(``exports``) and the weekly collections email to the owners (``weekly``); their templates are in
``templates/``."""
