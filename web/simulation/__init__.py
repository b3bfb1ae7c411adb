"""`relance simulate`: a simulated year of a sandbox company, end to end (web/simulation/year.py).

The company's ledger, either sandbox run in this process behind one interface, is
integration/sandbox/simulated_ledgers.py (only integration/ knows a ledger's records). ``customers`` is the
customers' side (who they are, what they pay unasked, how they answer mail, their visits to the
portal); ``year`` lives the days and takes the figures; ``runs`` runs one or two years side by side
for the command line and prints the report.
"""
