#!/usr/bin/env bash
# Set up, seed the demo database (SQLite, the demo registry and data) and serve the dashboard on 127.0.0.1
# until Ctrl-C; it prints the URL and a demo manager's sign-in.
#   scripts/demo.sh               seed, print the summary, serve the dashboard (http://127.0.0.1:8501/)
#   scripts/demo.sh --port 8600   on another port
#   scripts/demo.sh --no-serve    seed and print the summary only
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
serve=--serve
for argument in "$@"; do
  [ "$argument" = "--no-serve" ] && serve=""
done
exec .venv/bin/vendorwatch demo ${serve:+"$serve"} "$@"
