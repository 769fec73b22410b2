"""Installed policy: every version of a pack stored, immutable, and the cycle's own version read back.

store.py reads the stored versions; install.py installs a pack file (and the shipped ones);
listing.py is `xinyu pack list`; diff.py is `xinyu pack diff`.
"""
