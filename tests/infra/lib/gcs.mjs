// Google Cloud Storage emulator: the storage emulator of firebase-tools 15.34.2 (GCS JSON API), run in this process
// without `firebase emulators:start` (that needs Java for the Firebase rules runtime, which the GCS JSON API never
// consults): its express app is served by our own listener on an ephemeral port. The emulator does no auth, so a
// front requires what GCS does: a bearer token that Google issued, here one the STS or IAM double issued and not
// yet expired. The front also injects faults and logs requests, and serves the chunks of resumable uploads itself,
// as GCS does (the emulator finalizes a session at its first PUT, keeping only the first chunk, and cannot cancel
// one): chunks append to the emulator's session and answer 308 with the persisted Range; the last one (or a status
// query once everything arrived) finalizes through the emulator's own upload path; DELETE cancels the session.
// Objects live in a temporary folder (metadata in memory).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen, sendJson } from './http.mjs';
import { createFaults, createRequestLog } from './faults.mjs';

const require = createRequire(import.meta.url);
const { StorageEmulator } = require('firebase-tools/lib/emulator/storage/index.js');
const { createApp } = require('firebase-tools/lib/emulator/storage/server.js');
const { EmulatorRegistry } = require('firebase-tools/lib/emulator/registry.js');
const { CloudStorageObjectMetadata } = require('firebase-tools/lib/emulator/storage/metadata.js');

const PROJECT = 'skyport-test';
const OWNER = 'Bearer owner'; // the emulator's own admin credential

export async function startGcs({ hub }) {
  const directory = mkdtempSync(join(tmpdir(), 'skyport-gcs-'));
  // Its default folder, $TMPDIR/firebase/storage/blobs, would be shared by every test cloud on the machine.
  class Emulator extends StorageEmulator {
    getPersistenceTmpDir() {
      return directory;
    }
  }
  const emulator = new Emulator({ projectId: PROJECT, host: '127.0.0.1', port: 0, rules: { name: 'storage.rules', content: '' } });
  const app = await createApp(PROJECT, emulator);

  const tokens = new Map(); // access token -> expiry (ms)
  hub.on('google:access-token-issued', (t) => tokens.set(t.access_token, Date.parse(t.expire_time)));
  hub.on('google:sts-token-issued', (t) => tokens.set(t.access_token, Date.now() + t.expires_in * 1000));

  let faults;
  const log = createRequestLog();
  const sessions = new Map(); // upload_id -> { bucket, name }, from the initiating request
  const { server, url } = await listen(async (req, res) => {
    const entry = log.record(describe(req, sessions), res);
    if (entry.operation === 'InitiateResumableUpload') {
      res.on('finish', () => {
        const location = res.getHeader('location');
        const params = location ? new URL(String(location)).searchParams : null;
        const id = params?.get('upload_id');
        if (!id) return;
        entry.upload_id = id;
        entry.name ??= params.get('name');
        sessions.set(id, { bucket: entry.bucket, name: entry.name });
      });
    }
    if (faults.intercept(req, res, entry)) return;
    const refused = authorize(req);
    if (refused) return googleError(res, 401, refused, 'authError', { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/"' });
    if (!(await faults.delay(req, entry))) return;
    if (entry.upload_id && entry.operation !== 'InitiateResumableUpload') return resumable(req, res, entry);
    app(req, res);
  });

  /** A PUT (chunk or status query) or DELETE (cancel) on a resumable session's URI, as GCS answers them. */
  const resumable = async (req, res, entry) => {
    let upload;
    try {
      upload = emulator.uploadService.getResumableUpload(entry.upload_id);
    } catch {
      return googleError(res, 404, 'No such upload session.', 'notFound');
    }
    if (req.method === 'DELETE') {
      if (upload.status === 'final') return googleError(res, 400, 'The upload has already completed.', 'invalid');
      emulator.uploadService.cancelResumableUpload(upload.id);
      res.writeHead(499, { 'Content-Length': 0 });
      return res.end();
    }
    if (req.method !== 'PUT') return googleError(res, 405, 'Method not allowed on an upload session.', 'invalid');
    if (upload.status === 'cancelled') return googleError(res, 499, 'The upload session was cancelled.', 'clientClosedRequest');
    const body = await readBody(req);
    if (body === null) return; // the client went away mid-body: nothing of it is kept
    if (upload.status === 'final') return finished(res, upload);
    const range = /^bytes (?:\*|(\d+)-(\d+))\/(\*|\d+)$/.exec(req.headers['content-range'] ?? '');
    if (!range) return googleError(res, 400, `Bad Content-Range: ${req.headers['content-range']}`, 'invalid');
    const total = range[3] === '*' ? null : Number(range[3]);
    if (range[1] !== undefined) {
      const first = Number(range[1]);
      if (Number(range[2]) - first + 1 !== body.length) return googleError(res, 400, 'Content-Range does not match the body length.', 'invalid');
      if (first > upload.size) return googleError(res, 400, `Chunk starts at ${first} but only ${upload.size} bytes were received.`, 'invalid');
      // Bytes the session already holds (a chunk sent again after a lost answer) are skipped, as GCS does.
      const fresh = body.subarray(upload.size - first);
      if (fresh.length > 0) emulator.uploadService.continueResumableUpload(upload.id, fresh);
    }
    if (total !== null && upload.size > total) return googleError(res, 400, 'More bytes were sent than the declared size.', 'invalid');
    if (total !== null && upload.size === total) {
      emulator.uploadService.finalizeResumableUpload(upload.id);
      await emulator.adminStorageLayer.uploadObject(upload);
      return finished(res, upload);
    }
    res.writeHead(308, { 'Content-Length': 0, ...(upload.size > 0 ? { Range: `bytes=0-${upload.size - 1}` } : {}) });
    res.end();
  };
  const finished = (res, upload) =>
    sendJson(res, 200, new CloudStorageObjectMetadata(emulator.adminStorageLayer.getMetadata(upload.bucketId, upload.objectId)));
  faults = createFaults({
    server,
    name: 'GCS',
    errors: {
      503: (req, res) => googleError(res, 503, 'We encountered an internal error. Please try again.', 'backendError'),
      500: (req, res) => googleError(res, 500, 'We encountered an internal error. Please try again.', 'backendError'),
    },
  });
  // The emulator builds selfLink/mediaLink from its registered address.
  emulator.args.port = server.address().port;
  EmulatorRegistry.set('storage', emulator);

  const authorize = (req) => {
    const query = new URL(req.url, 'http://x').searchParams;
    // A resumable upload's session URI is itself the capability, as in GCS.
    if (query.has('upload_id')) return null;
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer) return 'Anonymous caller does not have storage access to the Google Cloud Storage resource.';
    const expires = tokens.get(bearer);
    if (expires === undefined || expires <= Date.now()) return 'Invalid Credentials';
    return null;
  };

  const objectName = (bucket, name) => {
    if (typeof bucket !== 'string' || !/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/.test(bucket)) throw new Error('bucket must be a valid bucket name');
    if (typeof name !== 'string' || name === '') throw new Error('name is required');
  };

  return {
    url,
    server,
    removeStore: () => rmSync(directory, { recursive: true, force: true }),

    /** Stores an object as an upload would (md5Hash and crc32c computed); metadata becomes the object's custom metadata. */
    async putObject({ bucket, name, content_base64: content = '', content_type: contentType, metadata }) {
      objectName(bucket, name);
      emulator.adminStorageLayer.createBucket(bucket);
      const upload = emulator.uploadService.multipartUpload({
        bucketId: bucket,
        objectId: name,
        dataRaw: Buffer.from(content, 'base64'),
        metadata: { contentType: contentType ?? 'application/octet-stream', ...(metadata ? { metadata } : {}) },
        authorization: OWNER,
      });
      // As the JSON API shows it: md5Hash and crc32c in base64.
      const stored = new CloudStorageObjectMetadata(await emulator.adminStorageLayer.uploadObject(upload));
      return { size: Number(stored.size), md5_hash: stored.md5Hash, crc32c: stored.crc32c, generation: String(stored.generation) };
    },

    /** Changes one stored byte in place; size, md5Hash, crc32c and metadata stay as recorded. */
    async corruptObject({ bucket, name, offset }) {
      objectName(bucket, name);
      const stored = emulator.adminStorageLayer.getMetadata(bucket, name);
      if (!stored) throw new Error(`no object ${name} in bucket ${bucket}`);
      const size = Number(stored.size);
      if (size === 0) throw new Error('an empty object has no byte to corrupt');
      const at = offset ?? Math.floor(size / 2);
      if (!Number.isInteger(at) || at < 0 || at >= size) throw new Error(`offset must be within 0..${size - 1}`);
      const file = await open(emulator._persistence.getDiskPath(emulator.adminStorageLayer.path(bucket, name)), 'r+');
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

    /** The requests seen so far (optionally of one bucket and object name), oldest first. */
    requests: ({ bucket, name } = {}) => log.list({ bucket, name }),
    clearRequests: () => log.clear(),

    /** Resumable upload sessions (optionally of one bucket and object name): bytes received and status (active, final, cancelled). */
    uploads: ({ bucket, name } = {}) =>
      [...emulator.uploadService._uploads.values()]
        .filter((u) => u.type === 2 /* UploadType.RESUMABLE */ && (bucket === undefined || u.bucketId === bucket) && (name === undefined || u.objectId === name))
        .map((u) => ({ upload_id: u.id, bucket: u.bucketId, name: u.objectId, size: u.size, status: u.status })),

    delayRequests: (body) => faults.delayRequests(body),
    dropConnections: (body) => faults.drop(body),
    refuseConnections: (body) => faults.refuse(body),
    failRequests: (body) => faults.fail(body),
    clearFaults: () => faults.clear(),
  };
}

function googleError(res, code, message, reason, headers = {}) {
  sendJson(res, code, { error: { code, message, errors: [{ message, domain: 'global', reason }] } }, { 'X-GUploader-UploadID': randomUUID(), ...headers });
}

/** The whole request body, or null when the connection ended before it all arrived. */
function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('aborted', () => resolve(null));
    req.on('error', () => resolve(null));
  });
}

/**
 * A request as the JSON API names it: operation (GetObject, ListObjects, DownloadObject, InitiateResumableUpload,
 * UploadChunk, QueryUpload, CancelUpload, DeleteObject, ...), bucket, name, upload_id, content_range and range.
 * A session's chunks carry no object name in their URI; it is taken from the request that started the session.
 */
function describe(req, sessions) {
  const url = new URL(req.url, 'http://x');
  const q = url.searchParams;
  const decode = (s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const path = /^\/(?:(upload|download)\/)?(?:storage\/v1\/)?b\/([^/]+)(?:\/o(?:\/(.+))?)?$/.exec(url.pathname);
  const [, kind, bucketPart, namePart] = path ?? [];
  const uploadId = q.get('upload_id');
  const session = uploadId ? sessions.get(uploadId) : undefined;
  const bucket = session?.bucket ?? (bucketPart ? decode(bucketPart) : null);
  const name = session?.name ?? (namePart ? decode(namePart) : kind === 'upload' ? q.get('name') : null);
  const contentRange = req.headers['content-range'] ?? null;
  const m = req.method;
  const operation = kind === 'upload'
    ? uploadId
      ? m === 'DELETE' ? 'CancelUpload' : /^bytes \*\//.test(contentRange ?? '') ? 'QueryUpload' : 'UploadChunk'
      : q.get('uploadType') === 'resumable' ? 'InitiateResumableUpload' : 'InsertObject'
    : !namePart
      ? m === 'GET' ? 'ListObjects' : `${m}Bucket`
      : m === 'GET' ? kind === 'download' || q.get('alt') === 'media' ? 'DownloadObject' : 'GetObject'
        : m === 'DELETE' ? 'DeleteObject' : m === 'POST' ? 'RewriteObject' : m === 'PATCH' ? 'PatchObject' : m;
  return { operation, method: m, bucket, name, upload_id: uploadId, content_range: contentRange, range: req.headers.range ?? null };
}
