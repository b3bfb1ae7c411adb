"""Jobs that keep Relance's mirror of each connected ledger right: inbox events and cursors in,
customers, invoices, credit notes and payments out."""
