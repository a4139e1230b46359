"""Checks: one small function per condition, grouped by control (``c3_2_N``) and family.

See ``model.py`` for what a check is, ``discovery.py`` for how they are found, ``engine.py`` for how an
evaluation runs them, and ``transfers.py`` for the derivation of transfers that control 3.2.4 reads.
"""
