"""3.2.4 in the questionnaires: gaps the vendor declares, and answers the telemetry contradicts."""

from __future__ import annotations

from vendorwatch.checks.answers import contradiction_check, declared_gap_check

declared_gap = declared_gap_check("3.2.4", __name__)
contradicted_transfers = contradiction_check("no_unapproved_prod_to_dev", __name__)
