// Minimal HTTP plumbing shared by the doubles: start a server on 127.0.0.1 with an ephemeral port,
// route by method + path pattern, read form/JSON bodies, send JSON/XML.
import http from 'node:http';
import https from 'node:https';

export async function listen(handler, { tls } = {}) {
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return { server, url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}` };
}

/**
 * A router: routes are [method, pattern, handler]; pattern is a path with `{name}` segments, or a RegExp
 * with named groups. Handlers get (req, res, params) and may be async; thrown errors become 500.
 */
export function router(routes, { notFound } = {}) {
  const compiled = routes.map(([method, pattern, handler]) => [method, toRegExp(pattern), handler]);
  return async (req, res) => {
    try {
      const { pathname } = new URL(req.url ?? '/', 'http://x');
      for (const [method, regexp, handler] of compiled) {
        const match = regexp.exec(pathname);
        if (match && req.method === method) {
          await handler(req, res, match.groups ?? {});
          return;
        }
      }
      if (notFound) await notFound(req, res);
      else sendJson(res, 404, { error: 'not_found', path: pathname });
    } catch (err) {
      process.stderr.write(`test-cloud: ${req.method} ${req.url} failed: ${err?.stack ?? err}\n`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error', message: String(err?.message ?? err) });
      else res.end();
    }
  };
}

function toRegExp(pattern) {
  if (pattern instanceof RegExp) return pattern;
  const source = pattern
    .split('/')
    .map((part) => (part.startsWith('{') && part.endsWith('}') ? `(?<${part.slice(1, -1)}>[^/]+)` : escape(part)))
    .join('/');
  return new RegExp(`^${source}/?$`);
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Form fields as a plain object (first value wins), whatever the content type says; real token endpoints insist on forms. */
export async function readForm(req) {
  return Object.fromEntries(new URLSearchParams(await readBody(req)));
}

/** JSON body, or undefined when it is not valid JSON. */
export async function readJson(req) {
  const text = await readBody(req);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendXml(res, status, xml, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(xml), ...headers });
  res.end(xml);
}

export const xmlEscape = (s) =>
  String(s).replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]);
