// Google Cloud Storage emulator: the storage emulator of firebase-tools 15.34.2 (GCS JSON API), run in this process
// without `firebase emulators:start` (that needs Java for the Firebase rules runtime, which the GCS JSON API never
// consults): its express app is served by our own listener on an ephemeral port. The emulator does no auth, so a
// front requires what GCS does: a bearer token that Google issued, here one the STS or IAM double issued and not
// yet expired. The front also injects faults. Objects live in a temporary folder (metadata in memory).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen, sendJson } from './http.mjs';
import { createFaults } from './faults.mjs';

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
  const { server, url } = await listen((req, res) => {
    if (faults.intercept(req, res)) return;
    const refused = authorize(req);
    if (refused) return googleError(res, 401, refused, 'authError', { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/"' });
    app(req, res);
  });
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

    dropConnections: (body) => faults.drop(body),
    refuseConnections: (body) => faults.refuse(body),
    failRequests: (body) => faults.fail(body),
    clearFaults: () => faults.clear(),
  };
}

function googleError(res, code, message, reason, headers = {}) {
  sendJson(res, code, { error: { code, message, errors: [{ message, domain: 'global', reason }] } }, { 'X-GUploader-UploadID': randomUUID(), ...headers });
}
