"""3.2.6 in the questionnaires: gaps the vendor declares."""

from __future__ import annotations

from vendorwatch.checks.answers import declared_gap_check

declared_gap = declared_gap_check("3.2.6", __name__)
