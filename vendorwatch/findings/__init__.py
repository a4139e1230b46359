"""Findings that live: fingerprints, reconciliation with each evaluation, triage, listing and export."""
