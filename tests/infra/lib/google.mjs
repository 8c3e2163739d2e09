// Google workload identity federation doubles: the Security Token Service (RFC 8693 token exchange of an OIDC
// id token for a federated access token) and IAM Credentials generateAccessToken (service account
// impersonation by a federated principal granted on that account).
import { randomBytes } from 'node:crypto';
import { listen, readBody, router, sendJson } from './http.mjs';
import { audienceIncludes, peek, verifyIdToken } from './jwt.mjs';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const SUBJECT_TOKEN_TYPES = ['urn:ietf:params:oauth:token-type:jwt', 'urn:ietf:params:oauth:token-type:id_token'];
const PROVIDER = /^\/\/iam\.googleapis\.com\/projects\/(?<project>\d+)\/locations\/global\/workloadIdentityPools\/(?<pool>[a-z0-9-]{4,32})\/providers\/(?<provider>[a-z0-9-]{4,32})$/;
const GENERATE = /^\/v1\/projects\/(?<project>[^/]+)\/serviceAccounts\/(?<account>[^/]+):generateAccessToken$/;

class GoogleStsError extends Error {
  constructor(error, description) {
    super(description);
    this.error = error;
  }
}

export async function startGoogle({ hub }) {
  const pools = new Map(); // provider audience -> { audience, issuer, allowed_audiences, project, pool }
  const federatedTokens = new Map(); // token -> { principal, subject, poolSet, expires }
  const serviceAccounts = new Map(); // email -> { email, members }

  const exchange = async (form) => {
    if (form.grant_type !== TOKEN_EXCHANGE) throw new GoogleStsError('unsupported_grant_type', `Invalid value for "grant_type": ${form.grant_type ?? 'null'}.`);
    if (form.requested_token_type !== ACCESS_TOKEN_TYPE) throw new GoogleStsError('invalid_request', 'Invalid value for "requested_token_type".');
    if (!SUBJECT_TOKEN_TYPES.includes(form.subject_token_type)) throw new GoogleStsError('invalid_request', 'Invalid value for "subject_token_type".');
    if (!form.subject_token) throw new GoogleStsError('invalid_request', 'Missing required parameter: "subject_token".');
    const match = PROVIDER.exec(form.audience ?? '');
    if (!match) {
      throw new GoogleStsError('invalid_request', 'Invalid value for "audience". This value should be the full resource name of the Identity Provider. See https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token for the list of possible formats.');
    }
    const pool = pools.get(form.audience);
    if (!pool) {
      throw new GoogleStsError('invalid_target', 'The target service indicated by the "audience" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn\'t exist.');
    }
    const parts = peek(form.subject_token);
    if (!parts) throw new GoogleStsError('invalid_grant', 'Unable to parse the ID Token.');
    const { iss, aud } = parts.claims;
    if (iss !== pool.issuer) throw new GoogleStsError('invalid_grant', `The issuer in ID Token ${iss} does not match the expected ones: ${pool.issuer}`);
    if (!pool.allowed_audiences.some((a) => audienceIncludes(aud, a))) {
      throw new GoogleStsError('invalid_grant', `The audience in ID Token [${[aud].flat().join(', ')}] does not match the expected audience ${pool.allowed_audiences.join(', ')}.`);
    }
    const verified = await verifyIdToken(form.subject_token, iss);
    if (!verified.ok) {
      switch (verified.reason) {
        case 'expired':
          throw new GoogleStsError('invalid_grant', `ID Token expired at ${verified.claims.exp}; the current time is ${verified.now}.`);
        case 'not_yet_valid':
          throw new GoogleStsError('invalid_grant', `ID Token is not valid before ${verified.claims.nbf}; the current time is ${verified.now}.`);
        case 'keys_unavailable':
          throw new GoogleStsError('invalid_grant', `Unable to fetch the public keys of the issuer ${iss}.`);
        default:
          throw new GoogleStsError('invalid_grant', 'Invalid ID Token: the signature could not be verified.');
      }
    }
    const sub = verified.claims.sub;
    if (typeof sub !== 'string' || sub === '') throw new GoogleStsError('invalid_grant', 'The ID Token has no "sub" claim, which "google.subject" is mapped from.');

    const poolName = `projects/${match.groups.project}/locations/global/workloadIdentityPools/${match.groups.pool}`;
    const expiresIn = Math.max(1, Math.min(3600, verified.claims.exp - verified.now));
    const accessToken = `ya29.d.${randomBytes(48).toString('base64url')}`;
    federatedTokens.set(accessToken, {
      subject: sub,
      principal: `principal://iam.googleapis.com/${poolName}/subject/${sub}`,
      poolSet: `principalSet://iam.googleapis.com/${poolName}/*`,
      expires: Date.now() + expiresIn * 1000,
    });
    hub.emit('google:sts-token-issued', { access_token: accessToken, expires_in: expiresIn, principal: `principal://iam.googleapis.com/${poolName}/subject/${sub}` });
    return { access_token: accessToken, issued_token_type: ACCESS_TOKEN_TYPE, token_type: 'Bearer', expires_in: expiresIn };
  };

  const stsToken = async (req, res) => {
    const text = await readBody(req);
    let form;
    if ((req.headers['content-type'] ?? '').includes('application/json')) {
      try {
        form = JSON.parse(text);
      } catch {
        return sendJson(res, 400, { error: 'invalid_request', error_description: 'Invalid JSON payload received.' });
      }
    } else {
      form = Object.fromEntries(new URLSearchParams(text));
    }
    try {
      sendJson(res, 200, await exchange(form));
    } catch (err) {
      if (!(err instanceof GoogleStsError)) throw err;
      sendJson(res, 400, { error: err.error, error_description: err.message });
    }
  };

  const googleError = (res, code, status, message, details) =>
    sendJson(res, code, { error: { code, message, status, ...(details ? { details } : {}) } });

  const generateAccessToken = async (req, res, { account }) => {
    const email = decodeURIComponent(account);
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const caller = bearer && federatedTokens.get(bearer);
    if (!caller || caller.expires <= Date.now()) {
      return googleError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.');
    }
    let body;
    try {
      body = JSON.parse((await readBody(req)) || '{}');
    } catch {
      return googleError(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
    }
    if (!Array.isArray(body.scope) || body.scope.length === 0) return googleError(res, 400, 'INVALID_ARGUMENT', 'Scope required.');
    let lifetime = 3600;
    if (body.lifetime !== undefined) {
      const m = /^(\d+)(?:\.\d+)?s$/.exec(String(body.lifetime));
      if (!m) return googleError(res, 400, 'INVALID_ARGUMENT', `Invalid value at 'lifetime' (type.googleapis.com/google.protobuf.Duration), Field 'lifetime', Illegal duration format; duration must end with 's'`);
      lifetime = Number(m[1]);
      if (lifetime < 1 || lifetime > 3600) return googleError(res, 400, 'INVALID_ARGUMENT', 'The lifetime must be between 1s and 3600s.');
    }
    const sa = serviceAccounts.get(email);
    const granted = sa?.members.some((m) => m === caller.principal || m === caller.subject || m === caller.poolSet);
    if (!granted) {
      return googleError(res, 403, 'PERMISSION_DENIED', "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).", [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', domain: 'iam.googleapis.com', metadata: { permission: 'iam.serviceAccounts.getAccessToken' } },
      ]);
    }
    const expireTime = new Date(Math.floor(Date.now() / 1000 + lifetime) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const accessToken = `ya29.c.${randomBytes(64).toString('base64url')}`;
    hub.emit('google:access-token-issued', { access_token: accessToken, service_account: email, scopes: body.scope, expire_time: expireTime, principal: caller.principal });
    sendJson(res, 200, { accessToken, expireTime });
  };

  const sts = await listen(router([['POST', '/v1/token', stsToken]]));
  const iam = await listen(router([['POST', GENERATE, generateAccessToken]]));

  return {
    stsUrl: sts.url,
    iamUrl: iam.url,
    servers: [sts.server, iam.server],
    /** Registers a workload identity pool provider: `audience` is its full resource name (//iam.googleapis.com/projects/N/...). */
    registerPool({ audience, issuer, allowed_audiences: allowed }) {
      if (!PROVIDER.test(audience ?? '')) throw new Error('audience must be //iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/X');
      if (typeof issuer !== 'string') throw new Error('issuer is required');
      const pool = { audience, issuer, allowed_audiences: allowed?.length ? allowed : [`https:${audience}`] };
      pools.set(audience, pool);
      return pool;
    },
    /** Registers a service account and who may impersonate it (principal://..., principalSet://.../*, or a bare subject). */
    registerServiceAccount({ email, members = [] }) {
      if (typeof email !== 'string' || !email.includes('@')) throw new Error('email is required');
      if (!Array.isArray(members)) throw new Error('members must be an array');
      const sa = { email, members };
      serviceAccounts.set(email, sa);
      return sa;
    },
  };
}
