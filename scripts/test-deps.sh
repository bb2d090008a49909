#!/usr/bin/env bash
# Installs what helpr's tests need that Go cannot fetch itself, idempotently:
# Debian's redis-server (the tests start their own instances on free loopback
# ports; nothing is left running). The MongoDB-wire test server (FerretDB) is a
# Go program built on demand by internal/testsvc from its nested module.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

if ! have redis-server; then
  if [ "$(id -u)" -ne 0 ] && ! have sudo; then
    echo "test-deps: redis-server is missing; install Debian's redis-server package" >&2
    exit 1
  fi
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "test-deps: installing redis-server (Debian package)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi
redis-server --version | head -n1
