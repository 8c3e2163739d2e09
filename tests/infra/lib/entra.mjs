// Microsoft Entra ID token endpoint double (HTTPS, as MSAL requires): client credentials with a client secret
// or with a federated client assertion (an id token of a trusted OIDC issuer matching a federated identity
// credential). Access tokens are JWTs signed by the double, with the claims Azure Storage checks.
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, compactVerify, exportJWK, generateKeyPair } from 'jose';
import { listen, readForm, router, sendJson } from './http.mjs';
import { audienceIncludes, peek, verifyIdToken } from './jwt.mjs';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const DEFAULT_FIC_AUDIENCE = 'api://AzureADTokenExchange';
const KNOWN_RESOURCES = ['https://storage.azure.com', 'https://management.azure.com', 'https://graph.microsoft.com'];
const WIF_DOC = 'https://learn.microsoft.com/entra/workload-id/workload-identity-federation';

class EntraError extends Error {
  constructor(status, error, code, description) {
    super(description);
    Object.assign(this, { status, error, code });
  }
}

export async function startEntra({ tls }) {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' };
  const apps = new Map(); // `${tenant}/${client_id}` -> app
  const tenants = () => new Set([...apps.values()].map((a) => a.tenant_id));

  let url;
  const host = () => new URL(url).host;

  const openIdConfiguration = (req, res, { tenant }) =>
    sendJson(res, 200, {
      token_endpoint: `${url}/${tenant}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${url}/${tenant}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${url}/${tenant}/v2.0`,
      authorization_endpoint: `${url}/${tenant}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${url}/${tenant}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${url}/${tenant}/oauth2/v2.0/logout`,
      tenant_region_scope: 'EU',
    });

  const instanceDiscovery = (req, res) => {
    const authority = new URL(new URL(req.url, url).searchParams.get('authorization_endpoint') ?? `${url}/common/oauth2/v2.0/authorize`);
    const tenant = authority.pathname.split('/')[1] || 'common';
    sendJson(res, 200, {
      tenant_discovery_endpoint: `${url}/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: host(), preferred_cache: host(), aliases: [host()] }],
    });
  };

  const token = async (req, res, { tenant }) => {
    const form = await readForm(req);
    try {
      const body = await issue(tenant, form);
      sendJson(res, 200, body, { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache' });
    } catch (err) {
      if (!(err instanceof EntraError)) throw err;
      const traceId = randomUUID();
      const correlationId = form['client-request-id'] ?? req.headers['client-request-id'] ?? randomUUID();
      const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
      sendJson(res, err.status, {
        error: err.error,
        error_description: `AADSTS${err.code}: ${err.message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
        error_codes: [err.code],
        timestamp,
        trace_id: traceId,
        correlation_id: correlationId,
        error_uri: `${url}/error?code=${err.code}`,
      });
    }
  };

  const issue = async (tenant, form) => {
    const missing = (name) => new EntraError(400, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`);
    if (!tenants().has(tenant)) {
      throw new EntraError(400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    }
    if (!form.grant_type) throw missing('grant_type');
    if (form.grant_type !== 'client_credentials') throw new EntraError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${form.grant_type}'.`);
    if (!form.client_id) throw missing('client_id');
    if (!form.scope) throw missing('scope');
    const scopes = form.scope.split(' ').filter(Boolean);
    if (scopes.length !== 1 || !scopes[0].endsWith('/.default')) {
      throw new EntraError(400, 'invalid_scope', 1002012, `The provided value for scope ${form.scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    }
    const resource = scopes[0].slice(0, -'/.default'.length).replace(/\/$/, '');
    if (!KNOWN_RESOURCES.includes(resource)) {
      throw new EntraError(400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`);
    }
    const app = apps.get(`${tenant}/${form.client_id}`);
    if (!app) {
      throw new EntraError(400, 'unauthorized_client', 700016, `Application with identifier '${form.client_id}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
    }

    let appidacr;
    if (form.client_assertion !== undefined || form.client_assertion_type !== undefined) {
      if (form.client_assertion_type !== ASSERTION_TYPE) {
        throw new EntraError(400, 'invalid_request', 7000216, `'client_assertion_type' must be '${ASSERTION_TYPE}' when a 'client_assertion' is sent.`);
      }
      if (!form.client_assertion) throw missing('client_assertion');
      await checkAssertion(app, form.client_assertion);
      appidacr = '2';
    } else if (form.client_secret !== undefined) {
      if (!app.client_secret || form.client_secret !== app.client_secret) {
        throw new EntraError(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.client_id}'.`);
      }
      appidacr = '1';
    } else {
      throw new EntraError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }

    const lifetime = 3599;
    const accessToken = await signAccessToken({ tenant, clientId: app.client_id, objectId: app.object_id, resource, appidacr, lifetime });
    return { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken };
  };

  // An app-only access token as Entra issues them (v1 format, which Azure Storage takes), valid for `lifetime` seconds
  // from now; a negative lifetime gives a token that expired that long ago.
  const signAccessToken = ({ tenant, clientId, objectId, resource, appidacr, lifetime }) => {
    const now = Math.floor(Date.now() / 1000);
    const start = lifetime > 0 ? now : now + lifetime - 3600;
    const sts = `https://sts.windows.net/${tenant}/`;
    return new SignJWT({
      aud: resource,
      iss: sts,
      iat: start,
      nbf: start,
      exp: now + lifetime,
      aio: randomUUID(),
      appid: clientId,
      appidacr,
      idp: sts,
      idtyp: 'app',
      oid: objectId,
      rh: '0.test.',
      sub: objectId,
      tid: tenant,
      uti: randomUUID().replaceAll('-', '').slice(0, 22),
      ver: '1.0',
    })
      .setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid, x5t: kid })
      .sign(privateKey);
  };

  const checkAssertion = async (app, assertion) => {
    const parts = peek(assertion);
    if (!parts) throw new EntraError(400, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
    const { iss, sub } = parts.claims;
    const aud = Array.isArray(parts.claims.aud) ? parts.claims.aud.join(',') : parts.claims.aud;
    const byIssuer = app.federated.filter((f) => f.issuer === iss);
    if (byIssuer.length === 0) {
      throw new EntraError(401, 'invalid_client', 700211, `No matching federated identity record found for presented assertion issuer '${iss}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${WIF_DOC}`);
    }
    const byAudience = byIssuer.filter((f) => f.audiences.some((a) => audienceIncludes(parts.claims.aud, a)));
    if (byAudience.length === 0) {
      throw new EntraError(401, 'invalid_client', 700212, `No matching federated identity record found for presented assertion audience '${aud}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${WIF_DOC}`);
    }
    if (!byAudience.some((f) => f.subject === sub)) {
      throw new EntraError(400, 'invalid_request', 70021, `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${aud}'. ${WIF_DOC}`);
    }
    const verified = await verifyIdToken(assertion, iss);
    if (verified.ok) return;
    const iso = (t) => (typeof t === 'number' ? new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : 'unknown');
    switch (verified.reason) {
      case 'expired':
      case 'not_yet_valid':
        throw new EntraError(401, 'invalid_client', 700024, `Client assertion is not within its valid time range. Current time: ${iso(verified.now)}, assertion valid from ${iso(verified.claims.nbf ?? verified.claims.iat)}, expiry time of assertion ${iso(verified.claims.exp)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`);
      case 'keys_unavailable':
        throw new EntraError(401, 'invalid_client', 50166, `Request to External OIDC endpoint failed. Issuer: '${iss}'.`);
      case 'malformed':
        throw new EntraError(400, 'invalid_client', 50027, 'JWT token is invalid or malformed.');
      default:
        throw new EntraError(401, 'invalid_client', 5002738, `Invalid JWT token. The token signature could not be validated with the keys of issuer '${iss}'.`);
    }
  };

  const started = await listen(
    router([
      ['GET', '/{tenant}/v2.0/.well-known/openid-configuration', openIdConfiguration],
      ['GET', '/{tenant}/.well-known/openid-configuration', openIdConfiguration],
      ['GET', '/{tenant}/discovery/v2.0/keys', (req, res) => sendJson(res, 200, { keys: [publicJwk] })],
      ['GET', '/common/discovery/instance', instanceDiscovery],
      ['POST', '/{tenant}/oauth2/v2.0/token', token],
    ]),
    { tls },
  );
  url = started.url;

  return {
    url,
    server: started.server,
    publicJwk,
    /** True when `token` carries this double's signature (claims unchecked). */
    async signedHere(token) {
      try {
        await compactVerify(token, publicKey);
        return true;
      } catch {
        return false;
      }
    },
    /** An access token signed by the double without a token request; `expires_in` < 0 gives an expired one. */
    mintAccessToken({ tenant_id: tenantId, client_id: clientId, resource = 'https://storage.azure.com', expires_in: expiresIn = 3599 }) {
      if (typeof tenantId !== 'string' || typeof clientId !== 'string') throw new Error('tenant_id and client_id are required');
      if (!Number.isInteger(expiresIn) || expiresIn === 0) throw new Error('expires_in must be a non-zero integer');
      return signAccessToken({ tenant: tenantId, clientId, objectId: uuidFrom(`${tenantId}/${clientId}`), resource, appidacr: '1', lifetime: expiresIn });
    },
    /** Registers (or replaces) an app registration: a client secret and/or federated identity credentials. */
    registerApp({ tenant_id: tenantId, client_id: clientId, client_secret: clientSecret, federated = [] }) {
      if (typeof tenantId !== 'string' || typeof clientId !== 'string') throw new Error('tenant_id and client_id are required');
      if (!Array.isArray(federated)) throw new Error('federated must be an array');
      const app = {
        tenant_id: tenantId,
        client_id: clientId,
        client_secret: clientSecret ?? null,
        object_id: uuidFrom(`${tenantId}/${clientId}`),
        federated: federated.map((f) => {
          if (typeof f.issuer !== 'string' || typeof f.subject !== 'string') throw new Error('each federated credential needs issuer and subject');
          return { issuer: f.issuer, subject: f.subject, audiences: f.audiences ?? [f.audience ?? DEFAULT_FIC_AUDIENCE] };
        }),
      };
      apps.set(`${tenantId}/${clientId}`, app);
      return { ...app, client_secret: app.client_secret ? '***' : null };
    },
  };
}

function uuidFrom(text) {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
