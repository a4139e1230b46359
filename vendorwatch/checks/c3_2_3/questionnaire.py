"""3.2.3 in the questionnaires: gaps the vendor declares, and answers the telemetry contradicts."""

from __future__ import annotations

from vendorwatch.checks.answers import contradiction_check, declared_gap_check

declared_gap = declared_gap_check("3.2.3", __name__)
contradicted_logging = contradiction_check("logging_never_stopped", __name__, severity="critical")
