#!/usr/bin/env bash
# Installs the test cloud's Node packages (from the committed lock) and makes its TLS certificate:
# .certs/cert.pem + key.pem (self-signed, SAN 127.0.0.1 and localhost) and .certs/ca-bundle.pem (the system
# bundle plus that certificate; export SSL_CERT_FILE=<it> before `dotnet test` so .NET trusts the HTTPS doubles).
# Idempotent; prints one summary line on success.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
fail() { echo "tests/infra/install.sh: $1" >&2; cat "$log" >&2; exit 1; }

command -v node >/dev/null || fail "node is not installed (Node 20 or later is needed)"
command -v openssl >/dev/null || fail "openssl is not installed"

# Reinstall only when the lock changed since the last install (its hash is stamped into node_modules): firebase-tools
# is large, so an unchanged install is skipped. Optional dependencies are omitted: the only one that matters is re2
# (firebase-tools -> superstatic, for the hosting emulator), whose prebuilt binary cannot be downloaded here, so npm
# would compile it from source for minutes on every install.
stamp="node_modules/.skyport-install-stamp"
want="$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  if [[ -f package-lock.json ]]; then
    npm ci --omit=optional --no-audit --no-fund --loglevel=error >"$log" 2>&1 || fail "npm ci failed"
  else
    npm install --omit=optional --no-audit --no-fund --loglevel=error >"$log" 2>&1 || fail "npm install failed"
    want="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
  fi
  echo "$want" >"$stamp"
  installed="installed"
else
  installed="up to date"
fi

# s3rver drops the trailing slash of a bucket-level path (/bucket/) when it builds the SigV4 canonical URI, but
# the AWS SDKs sign it with the slash, so every bucket-level request (ListObjectsV2, CreateBucket, ...) would
# fail with SignatureDoesNotMatch. Keep the slash when the request has one. Re-applied after every install.
auth_js="node_modules/@20minutes/s3rver/lib/middleware/authentication.js"
[[ -f "$auth_js" ]] || fail "$auth_js is missing after npm ci"
node - "$auth_js" >"$log" 2>&1 <<'JS' || fail "could not patch $auth_js (s3rver changed?)"
const fs = require('node:fs');
const file = process.argv[2];
const original = '        canonicalizedResource += `/${ctx.params.bucket}`\n';
const patched = '        canonicalizedResource += `/${ctx.params.bucket}${!ctx.params.key && ctx.path.endsWith(\'/\') ? \'/\' : \'\'}` // skyport: keep /bucket/\n';
const text = fs.readFileSync(file, 'utf8');
if (text.includes(patched)) process.exit(0);
if (text.split(original).length !== 2) throw new Error(`the line to patch was not found exactly once in ${file}: ${original.trim()}`);
fs.writeFileSync(file, text.replace(original, patched));
JS

certs="$here/.certs"
mkdir -p "$certs"
system_bundle="/etc/ssl/certs/ca-certificates.crt"
# A certificate is reused while it has more than a day left.
if [[ ! -s "$certs/cert.pem" || ! -s "$certs/key.pem" ]] || ! openssl x509 -in "$certs/cert.pem" -noout -checkend 86400 >/dev/null 2>&1; then
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 825 \
    -keyout "$certs/key.pem" -out "$certs/cert.pem" \
    -subj "/CN=Skyport test cloud" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign" \
    -addext "extendedKeyUsage=serverAuth" >"$log" 2>&1 || fail "openssl could not make the certificate"
  chmod 600 "$certs/key.pem"
fi
[[ -f "$system_bundle" ]] || fail "system CA bundle $system_bundle is missing (apt-get install ca-certificates)"
cat "$system_bundle" "$certs/cert.pem" >"$certs/ca-bundle.pem.tmp"
mv "$certs/ca-bundle.pem.tmp" "$certs/ca-bundle.pem"

echo "test cloud: node packages ${installed}; CA bundle ${certs}/ca-bundle.pem"
