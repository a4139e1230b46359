#!/usr/bin/env bash
# Set up (Python packages, and Debian's slapd as root) and run the whole test suite.
# The storage tests run on SQLite and on PostgreSQL (VENDORWATCH_TEST_POSTGRES_URL, default
# postgresql+psycopg://postgres@127.0.0.1:5432/test); PostgreSQL is started here if it is installed but down.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
fi
# Two workers (pytest-xdist): the suite is long and this kind of machine has two cores;
# VENDORWATCH_TEST_WORKERS=0 runs it in one process.
exec .venv/bin/pytest -q -n "${VENDORWATCH_TEST_WORKERS:-2}" "$@"
