"""The four work ledgers A–D (QD-ANNEX): what is kept in each, who keeps it, and how it is read."""
