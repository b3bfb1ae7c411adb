"""Late fees, interest and early-payment discounts (issue: promises, disputes, credit holds, late
fees). Not built yet.

What will live here: per-organisation terms (a percentage a month after a grace period, a fixed fee,
or statutory presets such as the UK Late Payment of Commercial Debts (Interest) Act 1998 and France's
Code de commerce L441-10), each fee raised once per invoice and period as its own ledger invoice,
never on a disputed invoice; and discounts settled with a credit note when paid in time.
"""
