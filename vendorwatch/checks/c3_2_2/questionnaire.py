"""3.2.2 in the questionnaires: gaps the vendor declares, and answers the telemetry contradicts."""

from __future__ import annotations

from vendorwatch.checks.answers import contradiction_check, declared_gap_check

declared_gap = declared_gap_check("3.2.2", __name__)
contradicted_mfa = contradiction_check("console_users_have_mfa", __name__)
