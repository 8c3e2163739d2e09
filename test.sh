#!/usr/bin/env bash
# Installs what the test suite needs and runs all of it. Prints a closing "N passed, N failed" line.
# Safe to re-run: installs are skipped when already present.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

# Debian packages: BioBlend (the real Galaxy client the suite drives), pytest for it, and Chromium.
need_apt=()
/usr/bin/python3 -c 'import bioblend' 2>/dev/null || need_apt+=(python3-bioblend)
/usr/bin/python3 -c 'import pytest' 2>/dev/null || need_apt+=(python3-pytest)
# Headless Chromium for the web UI tests (Playwright drives it; it downloads no browser of its own).
[[ -x /usr/bin/chromium ]] || need_apt+=(chromium)
if (( ${#need_apt[@]} )); then
  echo "Installing ${need_apt[*]}..."
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# The test cloud (tests/infra): an OIDC provider and the cloud token-service doubles, with a TLS
# certificate. .NET trusts the certificate only through SSL_CERT_FILE, which OpenSSL reads once when
# the test process starts.
tests/infra/install.sh
export SSL_CERT_FILE="$root/tests/infra/.certs/ca-bundle.pem"

# A throwaway PostgreSQL 15 cluster (preinstalled) for the suites that also run on PostgreSQL; stopped by PID on exit
# (and by the script itself if this shell is killed without running its trap).
pg_dir="$(mktemp -d /tmp/skyport-test-pg.XXXXXX)"
trap 'tests/infra/postgres.sh stop "$pg_dir"' EXIT
SKYPORT_TEST_POSTGRES="$(tests/infra/postgres.sh start "$pg_dir" $$)"
export SKYPORT_TEST_POSTGRES

results="$root/.test-results"
rm -rf "$results"
status=0
dotnet test "$root/Skyport.slnx" --nologo -v quiet \
  --logger "trx;LogFileName=results.trx" --logger "console;verbosity=minimal" \
  --results-directory "$results" || status=$?

trx="$(find "$results" -name '*.trx' | head -n 1)"
if [[ -z "$trx" ]]; then
  echo "0 passed, 1 failed"
  echo "No test results were written (the build may have failed)." >&2
  exit 1
fi
counters="$(grep -o '<Counters [^>]*>' "$trx")"
count() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
passed="$(count passed)"; failed="$(count failed)"; total="$(count total)"; executed="$(count executed)"
skipped=$(( total - executed ))
if (( failed > 0 )); then
  echo "Failed tests:"
  grep -o '<UnitTestResult [^>]*outcome="Failed"[^>]*>' "$trx" | sed -n 's/.*testName="\([^"]*\)".*/  \1/p'
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if (( status != 0 || failed > 0 || passed == 0 )); then
  exit 1
fi
