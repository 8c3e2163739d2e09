// S3 emulator: @20minutes/s3rver (real SigV4 checks, multipart, ranges, copy, ListObjectsV2) behind a thin front
// that adds what the real service does and s3rver does not (only STS-issued keys, their session tokens and
// expiry, no anonymous access) and the faults that transfer tests need (dropped connections, refused
// connections, 503 SlowDown / 500, a bucket policy that denies everything, silently corrupted objects). It also
// answers ListParts and AbortMultipartUpload, which s3rver 5.0.0 refuses with MethodNotAllowed.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from '@20minutes/s3rver';
import authentication from '@20minutes/s3rver/lib/middleware/authentication.js';
import AWSAccount from '@20minutes/s3rver/lib/models/account.js';
import S3Error from '@20minutes/s3rver/lib/models/error.js';
import S3Object from '@20minutes/s3rver/lib/models/object.js';
import { listen } from './http.mjs';

const ERRORS = {
  503: ['SlowDown', 'Please reduce your request rate.'],
  500: ['InternalError', 'We encountered an internal error. Please try again.'],
};

export async function startS3({ hub }) {
  const directory = mkdtempSync(join(tmpdir(), 'skyport-s3-'));
  const s3rver = new S3rver({ silent: true, directory, vhostBuckets: false });
  const store = s3rver.store;
  // Before s3rver's router (the last middleware), which answers these two with MethodNotAllowed.
  s3rver.middleware.splice(s3rver.middleware.length - 1, 0, multipartUploadExtras(store));
  const emulator = s3rver.callback();

  // Only keys that STS issued sign requests: s3rver's well-known S3RVER/S3RVER pair would let anything in.
  AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
  const accounts = new Map(); // account id -> AWSAccount
  const sessions = new Map(); // access key id -> { session_token, expiration }
  hub.on('aws:credentials-issued', (c) => {
    let account = accounts.get(c.account_id);
    if (!account) accounts.set(c.account_id, (account = new AWSAccount(Number(c.account_id), c.account_id)));
    account.createKeyPair(c.access_key_id, c.secret_access_key);
    sessions.set(c.access_key_id, { session_token: c.session_token, expiration: Date.parse(c.expiration) });
  });

  const denied = new Set();
  // A fault applies to requests after the first `after` ones it sees, to `remaining` of them and/or for `seconds`
  // counted from the first request it applies to.
  let drop = null;
  let failure = null;
  let latency = null; // { ms, ...fault }: matching requests wait before they are served
  let refusal = null; // timer while the listener is closed
  const applies = (fault, entry) => {
    if (!fault) return false;
    if (fault.operations && !fault.operations.includes(entry?.operation)) return false;
    if (fault.until !== undefined && Date.now() >= fault.until) return false;
    if (fault.after > 0) return (fault.after--, false);
    if (fault.seconds !== undefined && fault.until === undefined) fault.until = Date.now() + fault.seconds * 1000;
    if (fault.remaining === undefined) return true;
    if (fault.remaining <= 0) return false;
    fault.remaining--;
    return true;
  };

  // Every request the front sees, in arrival order, for tests that count what a client sent (e.g. which parts).
  const requests = [];
  const front = async (req, res) => {
    const entry = describe(req);
    requests.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    if (applies(drop)) {
      // No response at all: the client sees the connection reset, as in a network outage.
      entry.fault = 'dropped';
      req.socket.destroy();
      return;
    }
    if (applies(failure, entry)) return ((entry.fault = 'error'), sendError(req, res, new S3Error(...ERRORS[failure.status])));
    // Credentials are checked on arrival, as S3 does; a slow store then takes its time.
    const refused = authorize(req);
    if (refused) return sendError(req, res, refused);
    if (applies(latency)) {
      entry.delayed_ms = latency.ms;
      await new Promise((resolve) => setTimeout(resolve, latency.ms));
      if (req.destroyed || req.socket.destroyed) return;
    }
    return emulator(req, res);
  };

  // What S3 checks before s3rver's own signature check: the key's session token and expiry, the bucket policy.
  const authorize = (req) => {
    const url = new URL(req.url, 'http://x');
    const authorization = req.headers.authorization ?? '';
    const accessKeyId =
      /Credential=([^/,\s]+)\//.exec(authorization)?.[1] ?? url.searchParams.get('X-Amz-Credential')?.split('/')[0] ?? url.searchParams.get('AWSAccessKeyId');
    if (!accessKeyId) {
      if (req.method === 'OPTIONS') return null;
      return new S3Error('AccessDenied', 'Access Denied');
    }
    const session = sessions.get(accessKeyId);
    if (session) {
      const token = req.headers['x-amz-security-token'] ?? url.searchParams.get('X-Amz-Security-Token');
      if (!token) return new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: accessKeyId });
      if (token !== session.session_token) return new S3Error('InvalidToken', 'The provided token is malformed or otherwise invalid.');
      if (Date.now() >= session.expiration) return new S3Error('ExpiredToken', 'The provided token has expired.');
    }
    const buckets = [bucketOf(url.pathname), bucketOf(req.headers['x-amz-copy-source'] ?? '')];
    if (buckets.some((b) => b && denied.has(b))) return new S3Error('AccessDenied', 'Access Denied');
    return null;
  };

  const { server, url } = await listen(front);
  const port = server.address().port;

  const reopen = () =>
    new Promise((resolve) => {
      if (!refusal) return resolve();
      clearTimeout(refusal);
      refusal = null;
      server.once('error', (err) => process.stderr.write(`test-cloud: S3 could not listen again on ${port}: ${err}\n`));
      server.listen(port, '127.0.0.1', resolve);
    });

  const objectExists = async (bucket, key) => {
    if (!(await store.existsObject(bucket, key))) throw new Error(`no object ${key} in bucket ${bucket}`);
  };

  return {
    url,
    server,
    removeStore: () => rmSync(directory, { recursive: true, force: true }),

    async createBucket({ name }) {
      if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name)) throw new Error('name must be a valid S3 bucket name');
      await store.putBucket(name);
      return name;
    },

    /** Stores an object as S3 would after a PUT (ETag = MD5), without a request; metadata keys become x-amz-meta-*. */
    async putObject({ bucket, key, content_base64: content = '', content_type: contentType, metadata = {} }) {
      if (typeof key !== 'string' || key === '') throw new Error('key is required');
      if (!(await store.getBucket(bucket))) throw new Error(`no bucket ${bucket}: create it first`);
      const headers = { 'content-type': contentType ?? 'binary/octet-stream' };
      for (const [name, value] of Object.entries(metadata)) headers[`x-amz-meta-${name.toLowerCase()}`] = String(value);
      const { md5, size } = await store.putObject(new S3Object(bucket, key, Buffer.from(content, 'base64'), headers));
      return { etag: `"${md5}"`, size };
    },

    /** Changes one stored byte in place; size, ETag and metadata stay as recorded, as after silent media corruption. */
    async corruptObject({ bucket, key, offset }) {
      await objectExists(bucket, key);
      const { 'content-length': size } = await store.getMetadata(bucket, key); // also pins the recorded MD5
      if (size === 0) throw new Error('an empty object has no byte to corrupt');
      const at = offset ?? Math.floor(size / 2);
      if (!Number.isInteger(at) || at < 0 || at >= size) throw new Error(`offset must be within 0..${size - 1}`);
      const file = await open(store.getResourcePath(bucket, key, 'object'), 'r+');
      try {
        const byte = Buffer.alloc(1);
        await file.read(byte, 0, 1, at);
        byte[0] ^= 0xff;
        await file.write(byte, 0, 1, at);
      } finally {
        await file.close();
      }
      return { offset: at, size };
    },

    /** A long-lived key pair of its own account (no session token), as an administrator would create for a site's bucket. */
    createStaticKey() {
      const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
      const secretAccessKey = randomBytes(30).toString('base64');
      const accountId = String(100000000000 + Math.floor(Math.random() * 800000000000));
      const account = new AWSAccount(Number(accountId), accountId);
      accounts.set(accountId, account);
      account.createKeyPair(accessKeyId, secretAccessKey);
      return { access_key_id: accessKeyId, secret_access_key: secretAccessKey };
    },

    denyBucket({ bucket }) {
      if (typeof bucket !== 'string' || bucket === '') throw new Error('bucket is required');
      denied.add(bucket);
    },
    allowBucket: (bucket) => denied.delete(bucket),

    /** Destroys the connection of matching requests without answering. */
    dropConnections({ requests, seconds, after }) {
      drop = fault({ requests, seconds, after });
    },

    /** Delays matching requests by `ms` before they are served (after the credential check); without requests/seconds, until cleared. */
    delayRequests({ ms, requests, seconds, after }) {
      if (!(Number.isInteger(ms) && ms > 0 && ms <= 60000)) throw new Error('ms must be an integer in 1..60000');
      latency = { ...fault({ requests, seconds, after, unlimited: true }), ms };
    },

    /** The requests seen so far (optionally of one bucket and key), oldest first. */
    requests: ({ bucket, key } = {}) => requests.filter((r) => (bucket === undefined || r.bucket === bucket) && (key === undefined || r.key === key)),
    clearRequests: () => void (requests.length = 0),

    /** Multipart uploads started and neither completed nor aborted: [{bucket, key, upload_id}]. */
    async multipartUploads({ bucket }) {
      const buckets = bucket === undefined ? (await store.listBuckets()).map((b) => b.name) : [bucket];
      const uploads = [];
      for (const name of buckets) {
        const dir = store.getResourcePath(name, undefined, 'uploads');
        const ids = await readdir(dir).catch(() => []);
        for (const id of ids) {
          const key = await readFile(join(dir, id, 'key'), 'utf8').catch(() => null);
          uploads.push({ bucket: name, key, upload_id: id });
        }
      }
      return uploads;
    },

    /** Answers matching requests with 503 SlowDown or 500 InternalError; with `operations`, only requests of those operations match (and count). */
    failRequests({ status, requests, after, operations }) {
      if (!ERRORS[status]) throw new Error('status must be 503 (SlowDown) or 500 (InternalError)');
      if (requests == null) throw new Error('requests is required');
      failure = { ...fault({ requests, after, operations }), status };
    },

    /** Closes the listener (and every open connection) so that connecting is refused, then listens again. */
    async refuseConnections({ seconds }) {
      if (typeof seconds !== 'number' || seconds <= 0 || seconds > 600) throw new Error('seconds must be in (0, 600]');
      if (!refusal) {
        const closed = new Promise((resolve) => server.close(resolve));
        server.closeAllConnections();
        await closed;
      } else {
        clearTimeout(refusal);
      }
      refusal = setTimeout(reopen, seconds * 1000);
    },

    async clearFaults() {
      drop = null;
      failure = null;
      latency = null;
      await reopen();
    },
  };
}

/** ListParts (GET) and AbortMultipartUpload (DELETE) on /bucket/key?uploadId=..., signature-checked by s3rver's own middleware. */
function multipartUploadExtras(store) {
  const authenticate = authentication();
  return async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    if (typeof uploadId !== 'string' || !['GET', 'DELETE'].includes(ctx.method)) return next();
    const [bucket, ...keyParts] = ctx.path.slice(1).split('/').map(decodeURIComponent);
    const key = keyParts.join('/');
    if (!key) return next();
    ctx.params = { bucket, key };
    await authenticate(ctx, async () => {
      if (!(await store.getBucket(bucket))) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
      const dir = join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
      const uploadKey = /^[0-9a-f]+$/.test(uploadId) ? await readFile(join(dir, 'key'), 'utf8').catch(() => null) : null;
      if (uploadKey !== key) {
        throw new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });
      }
      if (ctx.method === 'DELETE') {
        await rm(dir, { recursive: true, force: true });
        ctx.status = 204;
        return;
      }
      const numbers = (await readdir(dir)).filter((f) => /^\d+$/.test(f)).map(Number).sort((a, b) => a - b);
      const parts = await Promise.all(
        numbers.map(async (n) => {
          const [info, md5] = await Promise.all([stat(join(dir, String(n))), readFile(join(dir, `${n}.md5`), 'utf8')]);
          return { PartNumber: n, LastModified: info.mtime.toISOString(), ETag: `"${md5}"`, Size: info.size };
        }),
      );
      ctx.body = {
        ListPartsResult: {
          '@': { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumberMarker: 0,
          NextPartNumberMarker: numbers.at(-1) ?? 0,
          MaxParts: 1000,
          IsTruncated: false,
          StorageClass: 'STANDARD',
          Part: parts,
        },
      };
    });
  };
}

function fault({ requests, seconds, after, operations, unlimited = false }) {
  after ??= 0;
  requests ??= undefined;
  seconds ??= undefined;
  if (requests === undefined && seconds === undefined && !unlimited) throw new Error('requests or seconds is required');
  if (requests !== undefined && !(Number.isInteger(requests) && requests > 0)) throw new Error('requests must be a positive integer');
  if (seconds !== undefined && !(typeof seconds === 'number' && seconds > 0)) throw new Error('seconds must be positive');
  if (!(Number.isInteger(after) && after >= 0)) throw new Error('after must be a non-negative integer');
  if (operations != null && !(Array.isArray(operations) && operations.length > 0 && operations.every((o) => typeof o === 'string'))) {
    throw new Error('operations must be a non-empty list of operation names');
  }
  return { remaining: requests, seconds, after, operations: operations ?? undefined };
}

// What a request is in S3's terms, for the request log: operation, bucket, key, upload id, part number, range.
function describe(req) {
  const url = new URL(req.url, 'http://x');
  const [bucketPart, ...keyParts] = url.pathname.slice(1).split('/');
  const decode = (s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const bucket = bucketPart ? decode(bucketPart) : null;
  const key = keyParts.length > 0 && keyParts.join('/') !== '' ? decode(keyParts.join('/')) : null;
  const q = url.searchParams;
  const uploadId = q.get('uploadId');
  const partNumber = q.has('partNumber') ? Number(q.get('partNumber')) : null;
  const m = req.method;
  const operation = !key
    ? `${m}Bucket`
    : m === 'PUT' && uploadId && partNumber !== null
      ? req.headers['x-amz-copy-source'] ? 'UploadPartCopy' : 'UploadPart'
      : m === 'POST' && q.has('uploads') ? 'CreateMultipartUpload'
        : m === 'POST' && uploadId ? 'CompleteMultipartUpload'
          : m === 'DELETE' && uploadId ? 'AbortMultipartUpload'
            : m === 'GET' && uploadId ? 'ListParts'
              : m === 'GET' ? 'GetObject'
                : m === 'HEAD' ? 'HeadObject'
                  : m === 'PUT' ? req.headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject'
                    : m === 'DELETE' ? 'DeleteObject' : m;
  return {
    operation, method: m, bucket, key, upload_id: uploadId, part_number: partNumber, range: req.headers.range ?? null,
    expect: req.headers.expect ?? null,
    at: new Date().toISOString(), status: null, fault: null,
  };
}

// The bucket of a path-style request path or an x-amz-copy-source value.
function bucketOf(path) {
  const first = path.replace(/^\//, '').split(/[/?]/)[0];
  try {
    return decodeURIComponent(first);
  } catch {
    return first;
  }
}

function sendError(req, res, error) {
  const xml = error.toXML();
  res.writeHead(error.status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(xml), 'x-amz-request-id': randomId() });
  res.end(req.method === 'HEAD' ? undefined : xml);
}

const randomId = () => randomBytes(8).toString('hex').toUpperCase();
