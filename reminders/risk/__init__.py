"""How risky each customer is, in words: the rules that turn payment behaviour into a risk class and
a segment (``classes``), and the standing stored per customer after syncs and nightly (``standing``)."""
