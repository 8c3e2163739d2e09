// Azure Blob Storage emulator: Azurite 3.37.0's blob service, run in this process over HTTPS (bearer tokens need
// it) with `oauth: basic`, on an ephemeral port. Its request listener is wrapped by a front that adds what Azure
// checks and Azurite does not (the access token's signature, against the Entra double's key) and the faults that
// transfer tests need; the admin side stores, corrupts and deletes blobs.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import https from 'node:https';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFaults, createRequestLog } from './faults.mjs';

const require = createRequire(import.meta.url);
const BlobServer = require('azurite/dist/src/blob/BlobServer').default;
const BlobConfiguration = require('azurite/dist/src/blob/BlobConfiguration').default;

export const ACCOUNT = 'devstoreaccount1';
const API_VERSION = '2025-01-05';
const ADMIN_HEADER = 'x-skyport-test-cloud-admin';

export async function startAzureBlob({ tls, tlsFiles, entra }) {
  const directory = mkdtempSync(join(tmpdir(), 'skyport-azurite-'));
  // (host, port, keepAliveTimeout, metadataDBPath, extentDBPath, persistencePathArray, enableAccessLog, accessLogWriteStream,
  //  enableDebugLog, debugLogFilePath, loose, skipApiVersionCheck, cert, key, pwd, oauth, disableProductStyleUrl, isMemoryPersistence)
  const config = new BlobConfiguration('127.0.0.1', 0, undefined, join(directory, 'blobs.json'), join(directory, 'extents.json'),
    [{ locationId: 'Default', locationPath: join(directory, 'extents'), maxConcurrency: 10 }],
    false, undefined, false, undefined, false, true, tlsFiles.cert, tlsFiles.key, '', 'basic', false, false);
  const azurite = new BlobServer(config);
  await azurite.start();
  const server = azurite.httpServer;
  const emulator = server.listeners('request')[0];
  const port = server.address().port;
  const url = `https://127.0.0.1:${port}/${ACCOUNT}`;

  const adminSecret = randomBytes(24).toString('hex');
  const faults = createFaults({
    server,
    name: 'Azure Blob',
    errors: {
      503: (req, res) => sendError(req, res, 503, 'ServerBusy', 'The server is currently unable to receive requests. Please retry your request.'),
      500: (req, res) => sendError(req, res, 500, 'InternalError', 'The server encountered an internal error. Please retry the request.'),
    },
  });

  const log = createRequestLog();
  server.removeAllListeners('request');
  server.on('request', async (req, res) => {
    if (req.headers[ADMIN_HEADER] === adminSecret) return emulator(req, res);
    const entry = log.record(describe(req), res);
    if (faults.intercept(req, res, entry)) return;
    // Azurite reads the claims (iss prefix, aud, times) but not the signature: check that Entra (the double) signed it.
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (bearer && !(await entra.signedHere(bearer))) {
      return sendError(req, res, 403, 'AuthenticationFailed',
        'Server failed to authenticate the request. Make sure the value of the Authorization header is formed correctly including the signature.',
        'Signature validation failed. Signature verification failed.');
    }
    if (!(await faults.delay(req, entry))) return;
    emulator(req, res);
  });

  // Admin requests go to Azurite itself, past the front, with a token whose claims it accepts.
  const adminToken = unsignedToken({ iss: 'https://sts.windows.net/skyport-test-cloud-admin/', aud: 'https://storage.azure.com' });
  const request = (method, path, { query = '', headers = {}, body } = {}) =>
    new Promise((resolve, reject) => {
      const req = https.request(
        `https://127.0.0.1:${port}/${ACCOUNT}/${path}${query}`,
        {
          method,
          ca: tls.cert,
          headers: {
            authorization: `Bearer ${adminToken}`,
            'x-ms-version': API_VERSION,
            'x-ms-date': new Date().toUTCString(),
            'content-length': body?.length ?? 0,
            [ADMIN_HEADER]: adminSecret,
            ...headers,
          },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const expect = (response, ...statuses) => {
    if (!statuses.includes(response.status)) throw new Error(`Azurite answered ${response.status}: ${response.text}`);
    return response;
  };
  const blobPath = (container, name) => {
    if (typeof container !== 'string' || container === '') throw new Error('container is required');
    if (typeof name !== 'string' || name === '') throw new Error('name is required');
    return `${container}/${name.split('/').map(encodeURIComponent).join('/')}`;
  };

  return {
    url,
    server,
    removeStore: () => rmSync(directory, { recursive: true, force: true }),

    async createContainer({ name }) {
      if (typeof name !== 'string' || !/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(name)) throw new Error('name must be a valid container name');
      expect(await request('PUT', name, { query: '?restype=container' }), 201, 409);
      return name;
    },

    /** Stores a block blob with a Put Blob request (Azurite records its Content-MD5); metadata names become x-ms-meta-*. */
    async putBlob({ container, name, content_base64: content = '', content_type: contentType, metadata = {} }) {
      const body = Buffer.from(content, 'base64');
      const headers = { 'x-ms-blob-type': 'BlockBlob', 'content-type': contentType ?? 'application/octet-stream', 'content-md5': md5(body) };
      for (const [key, value] of Object.entries(metadata)) headers[`x-ms-meta-${key}`] = String(value);
      const response = expect(await request('PUT', blobPath(container, name), { headers, body }), 201);
      return { etag: response.headers.etag, size: body.length, content_md5: headers['content-md5'] };
    },

    async deleteBlob({ container, name }) {
      expect(await request('DELETE', blobPath(container, name)), 202);
    },

    /** Changes one stored byte in place; size, ETag, Content-MD5 and metadata stay as recorded, as after silent media corruption. */
    async corruptBlob({ container, name, offset }) {
      blobPath(container, name);
      const blob = await azurite.metadataStore.getBlob(undefined, ACCOUNT, container, name);
      if (!blob) throw new Error(`no blob ${name} in container ${container}`);
      const size = blob.properties.contentLength;
      if (!size) throw new Error('an empty blob has no byte to corrupt');
      const at = offset ?? Math.floor(size / 2);
      if (!Number.isInteger(at) || at < 0 || at >= size) throw new Error(`offset must be within 0..${size - 1}`);
      // A Put Blob lives in one extent chunk; a committed block list in one per block, in order.
      const chunks = blob.committedBlocksInOrder?.length ? blob.committedBlocksInOrder.map((b) => b.persistency) : [blob.persistency];
      let start = 0;
      const chunk = chunks.find((c) => {
        if (at < start + c.count) return true;
        start += c.count;
        return false;
      });
      const location = await azurite.extentMetadataStore.getExtentLocationId(chunk.id);
      const file = await open(azurite.extentStore.generateExtentPath(location, chunk.id), 'r+');
      try {
        const byte = Buffer.alloc(1);
        const position = chunk.offset + (at - start);
        await file.read(byte, 0, 1, position);
        byte[0] ^= 0xff;
        await file.write(byte, 0, 1, position);
      } finally {
        await file.close();
      }
      return { offset: at, size };
    },

    /** The requests seen so far (optionally of one container and blob), oldest first. */
    requests: ({ container, blob } = {}) => log.list({ container, blob }),
    clearRequests: () => log.clear(),

    delayRequests: (body) => faults.delayRequests(body),
    dropConnections: (body) => faults.drop(body),
    refuseConnections: (body) => faults.refuse(body),
    failRequests: (body) => faults.fail(body),
    clearFaults: () => faults.clear(),
  };
}

/**
 * A request as the Blob service's REST API names it: operation (GetBlob, GetBlobProperties, PutBlob, PutBlock,
 * PutBlockList, GetBlockList, DeleteBlob, ListBlobs, ...), container, blob, block_id (base64, as sent) and range.
 */
function describe(req) {
  const url = new URL(req.url, 'http://x');
  const decode = (s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const [, container = null, ...rest] = url.pathname.slice(1).split('/'); // first: the account
  const blob = rest.length > 0 && rest.join('/') !== '' ? decode(rest.join('/')) : null;
  const q = url.searchParams;
  const comp = q.get('comp');
  const m = req.method;
  const operation = !blob
    ? q.get('restype') === 'container' && comp === 'list' ? 'ListBlobs' : `${m}Container`
    : m === 'PUT' && comp === 'block' ? 'PutBlock'
      : m === 'PUT' && comp === 'blocklist' ? 'PutBlockList'
        : m === 'GET' && comp === 'blocklist' ? 'GetBlockList'
          : m === 'GET' && !comp ? 'GetBlob'
            : m === 'HEAD' && !comp ? 'GetBlobProperties'
              : m === 'PUT' && !comp ? 'PutBlob'
                : m === 'DELETE' ? 'DeleteBlob' : `${m} ${comp ?? ''}`.trim();
  return {
    operation, method: m, container: container ? decode(container) : null, blob, block_id: q.get('blockid'),
    range: req.headers['x-ms-range'] ?? req.headers.range ?? null,
  };
}

const md5 = (bytes) => createHash('md5').update(bytes).digest('base64');

function unsignedToken(claims) {
  const now = Math.floor(Date.now() / 1000);
  const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  // Valid for a day: the test cloud is restarted per test class.
  return `${part({ typ: 'JWT', alg: 'RS256' })}.${part({ ...claims, iat: now - 60, nbf: now - 60, exp: now + 86400 })}.admin`;
}

function sendError(req, res, status, code, message, detail) {
  const requestId = randomUUID();
  const xml =
    `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\nRequestId:${requestId}\nTime:${new Date().toISOString()}</Message>` +
    (detail ? `<AuthenticationErrorDetail>${detail}</AuthenticationErrorDetail>` : '') +
    '</Error>';
  res.writeHead(status, {
    'Content-Type': 'application/xml',
    'Content-Length': Buffer.byteLength(xml),
    'x-ms-request-id': requestId,
    'x-ms-error-code': code,
    'x-ms-version': req.headers['x-ms-version'] ?? API_VERSION,
  });
  res.end(req.method === 'HEAD' ? undefined : xml);
}
