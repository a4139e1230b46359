"""Risk per vendor: severity-weighted open findings and monitoring coverage, rolled up to parents (3.2.7)."""
