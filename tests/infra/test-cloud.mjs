#!/usr/bin/env node
// Skyport's local test cloud: one Node process holding the OIDC provider, the cloud token-service doubles and
// the S3, Azure Blob (Azurite) and GCS (firebase-tools) emulators, each on its own ephemeral port on 127.0.0.1, plus an admin API.
// Prints one JSON line with the URLs once everything listens, then runs until it is killed, its stdin closes
// (run with --detach to ignore stdin) or its parent process dies.
import { spawn } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listen, readJson, router, sendJson } from './lib/http.mjs';
import { startOidc } from './lib/oidc.mjs';
import { startAwsSts } from './lib/aws-sts.mjs';
import { startEntra } from './lib/entra.mjs';
import { startGoogle } from './lib/google.mjs';
import { startS3 } from './lib/s3.mjs';
import { startAzureBlob } from './lib/azure-blob.mjs';
import { startGcs } from './lib/gcs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const certDir = process.env.TEST_CLOUD_CERT_DIR ?? join(here, '.certs');
const detach = process.argv.includes('--detach');

// s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 17+) offers only through its
// legacy provider, and that can only be enabled at startup: without it paging answers 500. So run again with it.
if (!desAvailable()) await runAgainWithLegacyOpenssl();

function desAvailable() {
  try {
    createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return true;
  } catch {
    return false;
  }
}

/** Never returns: this process only relays signals to the child (which gets its stdin/stdout) and exits with it. */
function runAgainWithLegacyOpenssl() {
  if (process.execArgv.includes('--openssl-legacy-provider')) {
    throw new Error('DES is unavailable even with --openssl-legacy-provider; s3rver cannot page listings');
  }
  const child = spawn(process.execPath, ['--openssl-legacy-provider', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return new Promise(() => {});
}

function loadTls() {
  const cert = join(certDir, 'cert.pem');
  const key = join(certDir, 'key.pem');
  if (!existsSync(cert) || !existsSync(key)) {
    throw new Error(`TLS certificate missing in ${certDir}: run tests/infra/install.sh (./test.sh does)`);
  }
  return { files: { cert, key }, tls: { cert: readFileSync(cert), key: readFileSync(key) } };
}

// Events between the parts of this process, e.g. 'aws:credentials-issued' (STS keys for the S3 emulator) and
// 'google:access-token-issued'. Storage emulators added to this process subscribe here.
const hub = new EventEmitter();

const { tls, files: tlsFiles } = loadTls();
const oidc = await startOidc();
const sts = await startAwsSts({ hub });
const entra = await startEntra({ tls });
const google = await startGoogle({ hub });
const s3 = await startS3({ hub });
const azure = await startAzureBlob({ tls, tlsFiles, entra });
const gcs = await startGcs({ hub });

const admin = await listen(
  router([
    ['GET', '/health', (req, res) => sendJson(res, 200, { ok: true })],
    ['POST', '/oidc/claims', json((body) => ({ claims: oidc.setClaims(body) }))],
    ['DELETE', '/oidc/claims', json(() => ({ claims: oidc.resetClaims() }))],
    ['POST', '/oidc/tokens', json(async (body) => ({ id_token: await oidc.mintIdToken(body) }))],
    ['POST', '/oidc/refresh-failures', json((body) => (oidc.failRefresh(body), { ok: true }))],
    ['POST', '/sts/roles', json((body) => ({ role: sts.registerRole(body) }))],
    ['POST', '/sts/lifetime', json((body) => ({ lifetime: sts.setLifetime(body) }))],
    ['DELETE', '/sts/lifetime', json(() => ({ lifetime: sts.setLifetime({ seconds: null }) }))],
    ['GET', '/sts/issued', json(() => ({ issued: sts.issued().map(({ secret_access_key, session_token, ...rest }) => rest) }))],
    ['POST', '/entra/apps', json((body) => ({ app: entra.registerApp(body) }))],
    ['POST', '/entra/tokens', json(async (body) => ({ access_token: await entra.mintAccessToken(body) }))],
    ['POST', '/google/pools', json((body) => ({ pool: google.registerPool(body) }))],
    ['POST', '/google/service-accounts', json((body) => ({ service_account: google.registerServiceAccount(body) }))],
    ['POST', '/s3/buckets', json(async (body) => ({ bucket: await s3.createBucket(body) }))],
    ['POST', '/s3/objects', json((body) => s3.putObject(body))],
    ['POST', '/s3/keys', json(() => s3.createStaticKey())],
    ['POST', '/s3/objects/corrupt', json((body) => s3.corruptObject(body))],
    ['POST', '/s3/denied-buckets', json((body) => (s3.denyBucket(body), { ok: true }))],
    ['DELETE', '/s3/denied-buckets/{bucket}', (req, res, { bucket }) => (s3.allowBucket(decodeURIComponent(bucket)), sendJson(res, 200, { ok: true }))],
    ['POST', '/s3/faults/drop', json((body) => (s3.dropConnections(body), { ok: true }))],
    ['POST', '/s3/faults/refuse', json(async (body) => (await s3.refuseConnections(body), { ok: true }))],
    ['POST', '/s3/faults/errors', json((body) => (s3.failRequests(body), { ok: true }))],
    ['POST', '/s3/faults/latency', json((body) => (s3.delayRequests(body), { ok: true }))],
    ['GET', '/s3/requests', query((q) => ({ requests: s3.requests(q) }))],
    ['DELETE', '/s3/requests', json(() => (s3.clearRequests(), { ok: true }))],
    ['GET', '/s3/multipart-uploads', query(async (q) => ({ uploads: await s3.multipartUploads(q) }))],
    ['DELETE', '/s3/faults', json(async () => (await s3.clearFaults(), { ok: true }))],
    ['POST', '/azure/containers', json(async (body) => ({ container: await azure.createContainer(body) }))],
    ['POST', '/azure/blobs', json((body) => azure.putBlob(body))],
    ['POST', '/azure/blobs/corrupt', json((body) => azure.corruptBlob(body))],
    ['DELETE', /^\/azure\/blobs\/(?<container>[^/]+)\/(?<name>.+)$/, (req, res, { container, name }) =>
      json(async () => (await azure.deleteBlob({ container: decodeURIComponent(container), name: decodeURIComponent(name) }), { ok: true }))(req, res)],
    ['POST', '/azure/faults/drop', json((body) => (azure.dropConnections(body), { ok: true }))],
    ['POST', '/azure/faults/refuse', json(async (body) => (await azure.refuseConnections(body), { ok: true }))],
    ['POST', '/azure/faults/errors', json((body) => (azure.failRequests(body), { ok: true }))],
    ['POST', '/azure/faults/latency', json((body) => (azure.delayRequests(body), { ok: true }))],
    ['DELETE', '/azure/faults', json(async () => (await azure.clearFaults(), { ok: true }))],
    ['GET', '/azure/requests', query((q) => ({ requests: azure.requests(q) }))],
    ['DELETE', '/azure/requests', json(() => (azure.clearRequests(), { ok: true }))],
    ['POST', '/gcs/objects', json((body) => gcs.putObject(body))],
    ['POST', '/gcs/objects/corrupt', json((body) => gcs.corruptObject(body))],
    ['POST', '/gcs/faults/drop', json((body) => (gcs.dropConnections(body), { ok: true }))],
    ['POST', '/gcs/faults/refuse', json(async (body) => (await gcs.refuseConnections(body), { ok: true }))],
    ['POST', '/gcs/faults/errors', json((body) => (gcs.failRequests(body), { ok: true }))],
    ['POST', '/gcs/faults/latency', json((body) => (gcs.delayRequests(body), { ok: true }))],
    ['DELETE', '/gcs/faults', json(async () => (await gcs.clearFaults(), { ok: true }))],
    ['GET', '/gcs/requests', query((q) => ({ requests: gcs.requests(q) }))],
    ['DELETE', '/gcs/requests', json(() => (gcs.clearRequests(), { ok: true }))],
    ['GET', '/gcs/uploads', query((q) => ({ uploads: gcs.uploads(q) }))],
  ]),
);

/** Admin GET handler: the query string's parameters in (first value of each), JSON out. */
function query(handler) {
  return json((_, req) => handler(Object.fromEntries(new URL(req.url, 'http://x').searchParams)));
}

/** Admin handler: JSON in, JSON out; a thrown Error is the caller's mistake (400). */
function json(handler) {
  return async (req, res) => {
    const body = req.method === 'GET' || req.method === 'DELETE' ? {} : await readJson(req);
    if (body === undefined || typeof body !== 'object' || body === null) return sendJson(res, 400, { error: 'body must be a JSON object' });
    let result;
    try {
      result = await handler(body, req);
    } catch (err) {
      return sendJson(res, 400, { error: String(err?.message ?? err) });
    }
    sendJson(res, 200, result);
  };
}

const servers = [oidc.server, sts.server, entra.server, ...google.servers, s3.server, azure.server, gcs.server, admin.server];

let stopping = false;
function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const s of servers) {
    try {
      s.closeAllConnections?.();
      s.close?.();
      s.stop?.();
    } catch {
      // already closed
    }
  }
  s3.removeStore();
  azure.removeStore();
  gcs.removeStore();
  process.exit(code);
}

process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
if (!detach) {
  process.stdin.on('end', () => shutdown(0));
  process.stdin.on('close', () => shutdown(0));
  process.stdin.on('error', () => shutdown(0));
  process.stdin.resume();
}
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) shutdown(0);
}, 1000).unref?.();
// The interval above is unref'd; the listening servers keep the process alive.

process.stdout.write(
  `${JSON.stringify({
    oidc: oidc.issuer,
    sts: sts.url,
    entra: entra.url,
    google_sts: google.stsUrl,
    google_iam: google.iamUrl,
    s3: s3.url,
    azure_blob: azure.url,
    gcs: gcs.url,
    admin: admin.url,
  })}\n`,
);
