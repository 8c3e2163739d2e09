// Verification of incoming id tokens the way the cloud token services do it: the issuer's keys are found
// through its discovery document (OIDC) and fetched over HTTP; the signature, then the times, are checked.
// Failures come back as a reason code so each double can phrase them in its own service's words.
import { compactVerify, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors } from 'jose';

const jwksByIssuer = new Map();

async function issuerKeys(issuer) {
  let keys = jwksByIssuer.get(issuer);
  if (!keys) {
    const discovery = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const response = await fetch(discovery, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`discovery ${discovery} answered ${response.status}`);
    const { jwks_uri: jwksUri } = await response.json();
    if (typeof jwksUri !== 'string') throw new Error(`discovery ${discovery} has no jwks_uri`);
    keys = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 5000, cooldownDuration: 0 });
    jwksByIssuer.set(issuer, keys);
  }
  return keys;
}

/** Reads header and claims without verifying anything; undefined when the token is not a JWS compact JWT. */
export function peek(token) {
  if (typeof token !== 'string' || token.split('.').length !== 3) return undefined;
  try {
    return { header: decodeProtectedHeader(token), claims: decodeJwt(token) };
  } catch {
    return undefined;
  }
}

/**
 * Verifies the signature of `token` with the keys published by `issuer`, then exp/nbf.
 * Returns { ok: true, claims } or { ok: false, reason, detail } with reason one of
 * malformed | unsupported_alg | keys_unavailable | signature | expired | not_yet_valid.
 */
export async function verifyIdToken(token, issuer, { allowedAlgs = ['RS256', 'RS384', 'RS512', 'ES256', 'ES384'], skewSeconds = 5 } = {}) {
  const parts = peek(token);
  if (!parts) return { ok: false, reason: 'malformed', detail: 'not a JWT' };
  if (!allowedAlgs.includes(parts.header.alg)) return { ok: false, reason: 'unsupported_alg', detail: String(parts.header.alg) };
  let keys;
  try {
    keys = await issuerKeys(issuer);
  } catch (err) {
    return { ok: false, reason: 'keys_unavailable', detail: String(err.message ?? err) };
  }
  try {
    await compactVerify(token, keys, { algorithms: allowedAlgs });
  } catch (err) {
    const signatureCodes = ['ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWS_INVALID', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'ERR_JOSE_ALG_NOT_ALLOWED'];
    if (err instanceof errors.JOSEError && signatureCodes.includes(err.code)) return { ok: false, reason: 'signature', detail: err.code };
    return { ok: false, reason: 'keys_unavailable', detail: String(err?.message ?? err) };
  }
  const claims = parts.claims;
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number') return { ok: false, reason: 'malformed', detail: 'no exp claim' };
  if (claims.exp <= now - skewSeconds) return { ok: false, reason: 'expired', detail: `exp ${claims.exp} <= now ${now}`, now, claims };
  if (typeof claims.nbf === 'number' && claims.nbf > now + skewSeconds) return { ok: false, reason: 'not_yet_valid', detail: `nbf ${claims.nbf} > now ${now}`, now, claims };
  return { ok: true, claims, header: parts.header, now };
}

/** True when `aud` (string or array) contains `expected`. */
export const audienceIncludes = (aud, expected) => (Array.isArray(aud) ? aud.includes(expected) : aud === expected);

/** The first audience, as services echo it back. */
export const firstAudience = (aud) => (Array.isArray(aud) ? aud[0] : aud);
