"""Speed and memory benchmarks of VendorWatch: not installed, not part of the test run.

Run from the project root once ``bash scripts/setup.sh --dev`` (or ``bash scripts/test.sh``) has made ``.venv``:

    .venv/bin/python -m benchmarks.cloudtrail_ingest   # 1,000,000 CloudTrail events into SQLite and PostgreSQL
    .venv/bin/python -m benchmarks.directory           # a 10,000-account directory, 1,000,000 stats-log lines
    .venv/bin/python -m benchmarks.checks              # every check over 1,000,000 access events
    .venv/bin/python -m benchmarks.questionnaire_saves   # 100 contacts saving answers concurrently
    .venv/bin/python -m benchmarks.dashboard           # each dashboard page over 1,000,000 events and 200 vendors
    .venv/bin/python -m benchmarks.digest              # a month's digest for 60 vendors and 5,000 findings
    .venv/bin/python -m benchmarks.portal              # 100 contacts saving answers through the real portal

Each prints its figures beside its targets. What was measured, on which machine, and the design decisions
the figures back are in docs/performance.md.
"""
