#!/usr/bin/env bash
# Create .venv at the project root and install VendorWatch into it, with the pinned versions.
#   scripts/setup.sh          runtime only
#   scripts/setup.sh --dev    runtime, test tools and the servers the tests start (slapd, as root)
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "VendorWatch needs Python 3.11 or newer / Python 3.11 以上が必要です" >&2
  exit 2
fi

# Debian packages the test suite starts as real peers (OpenLDAP). Installed only when missing, as root.
if [ "$dev" = 1 ] && ! command -v slapd >/dev/null 2>&1 && [ ! -x /usr/sbin/slapd ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # policy-rc.d keeps the package from starting a system-wide slapd; tests start their own.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    apt-get install -y -qq --no-install-recommends slapd ldap-utils >/dev/null
    rm -f /usr/sbin/policy-rc.d
  else
    echo "slapd is missing: install Debian's slapd and ldap-utils (as root) / slapd をインストールしてください" >&2
    exit 2
  fi
fi

[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24" 2>/dev/null
extras=""
[ "$dev" = 1 ] && extras="[dev]"
log=$(mktemp)
if ! .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".${extras}" >"$log" 2>&1; then
  grep -v -e "^WARNING: Location" -e "is ignored" "$log" >&2 || true
  rm -f "$log"
  echo "pip install failed / パッケージのインストールに失敗しました" >&2
  exit 1
fi
rm -f "$log"
.venv/bin/python -c "import vendorwatch" >/dev/null
