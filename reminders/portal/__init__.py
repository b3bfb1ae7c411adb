"""The customers' portal, as the collections brain sees it: the signed link each customer gets in
their reminders (links.py), the organisation's portal settings (the link's lifetime, the window a
customer may promise within, the bank details for a transfer), and what the customer does there
(promises and disputes through reminders.promises and reminders.disputes, the accounts-payable
address the team approves). The pages are web/portal; this package knows no HTTP.
"""
