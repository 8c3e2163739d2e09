// The OIDC provider: oauth2-mock-server (discovery, JWKS RS256, authorization code + PKCE that redirects at
// once, refresh tokens), made stricter where clients rely on it (codes are single use, PKCE verifiers are
// required when a challenge was sent, unknown refresh tokens are refused) and steerable per test through
// the admin API: the claims of the next logins, and refresh failures.
import { randomUUID } from 'node:crypto';
import { Events, OAuth2Server } from 'oauth2-mock-server';

const DEFAULT_PROFILE = Object.freeze({ sub: 'test-user', email: 'test-user@example.org' });

export async function startOidc() {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  // The mock names loopback "localhost"; tokens must carry the address clients actually use.
  server.issuer.url = `http://127.0.0.1:${server.address().port}`;
  const issuer = server.issuer.url;

  let profile = { ...DEFAULT_PROFILE }; // claims for logins from now on
  const codes = new Map(); // code -> { profile, challenge }
  const refreshTokens = new Map(); // refresh token -> profile
  let failNextRefresh = 0;
  const failingRefreshTokens = new Set();

  server.service.on(Events.BeforeAuthorizeRedirect, (redirect, req) => {
    const code = redirect.url.searchParams.get('code');
    if (!code) return;
    const query = new URL(req.url, issuer).searchParams;
    codes.set(code, { profile: { ...profile }, challenge: query.get('code_challenge') ?? undefined });
  });

  const profileFor = (body) => {
    if (body?.grant_type === 'authorization_code') return codes.get(body.code)?.profile ?? profile;
    if (body?.grant_type === 'refresh_token') return refreshTokens.get(body.refresh_token) ?? profile;
    return profile;
  };

  server.service.on(Events.BeforeTokenSigning, (token, req) => {
    // The mock builds the access token (which has a scope claim) and then the id token (which has aud = client_id).
    const isIdToken = !('scope' in token.payload);
    const p = profileFor(req.body);
    if (isIdToken) applyProfile(token.payload, p);
    else token.payload.sub = p.sub;
  });

  server.service.on(Events.BeforeResponse, (response, req) => {
    const body = req.body ?? {};
    const sessionProfile = profileFor(body); // before the code is consumed below
    const refuse = (description) => {
      response.statusCode = 400;
      response.body = { error: 'invalid_grant', error_description: description };
    };
    if (body.grant_type === 'authorization_code') {
      const issued = codes.get(body.code);
      codes.delete(body.code);
      if (!issued) return refuse('The authorization code is invalid or has already been used.');
      if (issued.challenge && !body.code_verifier) return refuse('PKCE verification failed: code_verifier is required.');
    } else if (body.grant_type === 'refresh_token') {
      if (!refreshTokens.has(body.refresh_token)) return refuse('The refresh token is invalid.');
      if (failingRefreshTokens.delete(body.refresh_token) || (failNextRefresh > 0 && failNextRefresh--)) {
        refreshTokens.delete(body.refresh_token);
        return refuse('The refresh token has expired or been revoked.');
      }
    }
    if (response.body.refresh_token) refreshTokens.set(response.body.refresh_token, sessionProfile);
  });

  return {
    issuer,
    server,
    /** Sets the claims of id tokens for logins from now on (sticky until changed or reset). */
    setClaims(claims) {
      profile = { ...DEFAULT_PROFILE, ...claims };
      return profile;
    },
    resetClaims() {
      profile = { ...DEFAULT_PROFILE };
      return profile;
    },
    /** Makes the next refresh fail, or (with a token) that token's next refresh. */
    failRefresh({ refresh_token: token, count = 1 } = {}) {
      if (token) failingRefreshTokens.add(token);
      else failNextRefresh += count;
    },
    /** Mints an id token directly (no login), signed with the provider's key; for tests of the token services. */
    async mintIdToken(claims = {}) {
      const p = { ...DEFAULT_PROFILE, aud: 'skyport', ...claims };
      return server.issuer.buildToken({
        expiresIn: 3600,
        scopesOrTransform: (_header, payload) => applyProfile(payload, p),
      });
    },
    stop: () => server.stop(),
  };
}

/**
 * Profile fields: sub, email, aud, iss (override, e.g. to impersonate an untrusted issuer), expires_in
 * (seconds from now; negative for an expired token), nbf_offset (seconds from now), claims (extra claims).
 */
function applyProfile(payload, p) {
  const now = Math.floor(Date.now() / 1000);
  payload.sub = p.sub;
  if (p.email !== undefined && p.email !== null) {
    payload.email = p.email;
    payload.email_verified = p.email_verified ?? true;
  }
  if (p.name !== undefined) payload.name = p.name;
  if (p.aud !== undefined) payload.aud = p.aud;
  if (p.iss !== undefined) payload.iss = p.iss;
  if (typeof p.expires_in === 'number') payload.exp = now + p.expires_in;
  if (typeof p.nbf_offset === 'number') payload.nbf = now + p.nbf_offset;
  if (typeof p.iat_offset === 'number') payload.iat = now + p.iat_offset;
  if (payload.exp <= payload.iat) payload.iat = payload.exp - 60;
  if (payload.nbf !== undefined && payload.nbf > payload.iat && p.nbf_offset === undefined) payload.nbf = payload.iat - 10;
  if (p.claims && typeof p.claims === 'object') Object.assign(payload, p.claims);
  payload.jti ??= randomUUID();
}
