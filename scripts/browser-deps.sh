#!/usr/bin/env bash
# Installs what helpr's browser tests need, idempotently: Debian's chromium
# (driven at /usr/bin/chromium; never a tool's own browser download) and the
# widget's npm dev dependencies (playwright-core) in widget/node_modules.
set -euo pipefail

cd "$(dirname "$0")/.."
have() { command -v "$1" >/dev/null 2>&1; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

apt_install() {
  if [ -n "$SUDO" ] && ! have sudo; then
    echo "browser-deps: $* missing; install the Debian packages: $*" >&2
    exit 1
  fi
  echo "browser-deps: installing $* (Debian packages)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ ! -x /usr/bin/chromium ]; then apt_install chromium; fi
if ! have node || ! have npm; then apt_install nodejs npm; fi

if [ ! -d widget/node_modules/playwright-core ]; then
  echo "browser-deps: npm ci in widget/"
  # PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: playwright-core downloads nothing, but be explicit.
  (cd widget && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi
/usr/bin/chromium --version 2>/dev/null | head -n1 || true
node --version
