"""3.2.5 in the questionnaires: gaps the vendor declares, and answers the telemetry contradicts."""

from __future__ import annotations

from vendorwatch.checks.answers import contradiction_check, declared_gap_check

declared_gap = declared_gap_check("3.2.5", __name__)
contradicted_sharing = contradiction_check("no_shared_accounts", __name__)
contradicted_leavers = contradiction_check("leavers_removed", __name__)
