"""Speed and memory benchmarks of VendorWatch: not installed, not part of the test run.

Run from the project root once ``bash scripts/setup.sh --dev`` has made ``.venv``:

    .venv/bin/python -m benchmarks.questionnaire_saves   # 100 contacts saving answers concurrently

Each prints its figures beside its targets.
"""
