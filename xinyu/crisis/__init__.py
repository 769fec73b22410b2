"""Ledger C's crisis case (QD-4, GZ-5.2–6.2, GZ-A2.2.7, JN-4, JL-6): opening, the relay, the record, closing."""
