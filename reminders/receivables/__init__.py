"""What is owed and for how long: aging in SQL as of any date (``aging``), the aged receivables
report as Xero and QuickBooks print theirs (``report``), the key figures and each customer's payment
behaviour (``figures``), and the nightly aging snapshot per organisation (``snapshots``)."""
