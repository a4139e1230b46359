#!/usr/bin/env bash
# Create .venv at the project root and install VendorWatch into it, with the pinned versions.
#   scripts/setup.sh          runtime only
#   scripts/setup.sh --dev    runtime, test tools, the servers and browser the tests start (slapd, chromium; as root)
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "VendorWatch needs Python 3.11 or newer / Python 3.11 以上が必要です" >&2
  exit 2
fi

# Debian packages. Installed only when missing, as root:
# - always: Pango (WeasyPrint renders the digest PDF with it) and a Japanese font (IPAex Gothic) for the
#   digest, its charts and the pages chromium renders;
# - with --dev: the real peers the tests start (OpenLDAP slapd), chromium for the browser tests, and
#   poppler-utils (pdftoppm / pdftotext) that the digest tests read the PDF back with.
need=()
dpkg -s libpango-1.0-0 >/dev/null 2>&1 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
dpkg -s fonts-ipaexfont-gothic >/dev/null 2>&1 || need+=(fonts-ipaexfont-gothic)
if [ "$dev" = 1 ]; then
  command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || need+=(slapd ldap-utils)
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # policy-rc.d keeps packages from starting system-wide services (slapd); tests start their own.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    if ! apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; then
      rm -f /usr/sbin/policy-rc.d
      echo "apt-get install failed: ${need[*]} / Debian パッケージのインストールに失敗しました" >&2
      exit 1
    fi
    rm -f /usr/sbin/policy-rc.d
  elif [ "$dev" = 1 ]; then
    echo "missing Debian packages: ${need[*]} (install them as root) / 必要な Debian パッケージ: ${need[*]}" >&2
    exit 2
  else
    # The demo and the CLI run without them; only the PDF digest needs Pango and a Japanese font.
    echo "warning: missing Debian packages ${need[*]}: the PDF digest needs them (install as root)" \
         "/ 警告: PDF ダイジェストには ${need[*]} が必要です" >&2
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
