#!/usr/bin/env bash
# Set up and run the VendorWatch demo on the embedded default (SQLite, the demo registry and data).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/vendorwatch demo "$@"
