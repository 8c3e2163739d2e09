// AWS STS double: AssumeRoleWithWebIdentity over the Query protocol (form POST to /, anonymous, XML replies),
// validating the web identity token as STS does against roles registered through the admin API.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { listen, readBody, router, sendXml, xmlEscape } from './http.mjs';
import { audienceIncludes, firstAudience, peek, verifyIdToken } from './jwt.mjs';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const ROLE_ARN = /^arn:aws:iam::(?<account>\d{12}):role\/(?:[\w+=,.@-]+\/)*(?<name>[\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]*$/;

class StsError extends Error {
  constructor(status, code, message) {
    super(message);
    Object.assign(this, { status, code });
  }
}

export async function startAwsSts({ hub }) {
  const roles = new Map(); // role arn -> { role_arn, issuer, audience, subject, max_session_seconds }
  const issued = []; // credentials minted, newest last
  let lifetimeSeconds = null; // test-only: every issued key expires this long after issuance, whatever was asked

  const assume = async (params) => {
    if (params.Action !== 'AssumeRoleWithWebIdentity' || params.Version !== '2011-06-15') {
      throw new StsError(400, 'InvalidAction', `Could not find operation ${params.Action} for version ${params.Version}`);
    }
    validateParameters(params);
    const arn = ROLE_ARN.exec(params.RoleArn);
    if (!arn) throw new StsError(400, 'ValidationError', 'Request ARN is invalid');
    const duration = params.DurationSeconds === undefined ? 3600 : Number(params.DurationSeconds);

    const token = peek(params.WebIdentityToken);
    if (!token) throw new StsError(400, 'InvalidIdentityToken', 'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)');
    const { iss, aud } = token.claims;
    // The account's OIDC identity providers are the issuers of the registered roles, each with its client id list.
    const providerRoles = [...roles.values()].filter((r) => r.issuer === iss);
    if (providerRoles.length === 0) throw new StsError(400, 'InvalidIdentityToken', `No OpenIDConnect provider found in your account for ${iss}`);
    if (!providerRoles.some((r) => audienceIncludes(aud, r.audience))) throw new StsError(400, 'InvalidIdentityToken', 'Incorrect token audience');

    const verified = await verifyIdToken(params.WebIdentityToken, iss);
    if (!verified.ok) {
      switch (verified.reason) {
        case 'expired':
          throw new StsError(400, 'ExpiredTokenException', `Token expired: current date/time ${verified.now} must be before the expiration date/time ${verified.claims.exp}`);
        case 'not_yet_valid':
          throw new StsError(403, 'IDPRejectedClaim', `Token is not yet valid: current date/time ${verified.now} is before the not-before date/time ${verified.claims.nbf}`);
        case 'keys_unavailable':
          throw new StsError(400, 'InvalidIdentityToken', "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements");
        default:
          throw new StsError(400, 'InvalidIdentityToken', 'The web identity token signature could not be verified');
      }
    }
    const claims = verified.claims;
    if (typeof claims.sub !== 'string' || claims.sub === '') throw new StsError(403, 'IDPRejectedClaim', 'The identity token has no subject (sub) claim');

    const role = roles.get(params.RoleArn);
    const trusted = role && role.issuer === iss && audienceIncludes(aud, role.audience) && (!role.subject || role.subject === claims.sub);
    if (!trusted) throw new StsError(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
    if (duration > role.max_session_seconds) {
      throw new StsError(400, 'ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    }

    const expiration = new Date(Math.floor(Date.now() / 1000 + (lifetimeSeconds ?? duration)) * 1000);
    const credentials = {
      access_key_id: `ASIA${randomToken(16)}`,
      secret_access_key: randomBytes(30).toString('base64'),
      session_token: `FwoGZXIvYXdzE${randomBytes(96).toString('base64')}`,
      expiration: expiration.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      role_arn: role.role_arn,
      account_id: arn.groups.account,
      subject: claims.sub,
      session_name: params.RoleSessionName,
    };
    issued.push(credentials);
    // In-process hook: storage emulators in this process register the keys so that SigV4 with them works.
    hub.emit('aws:credentials-issued', credentials);

    const roleName = arn.groups.name;
    const roleId = `AROA${createHash('sha256').update(role.role_arn).digest('hex').slice(0, 17).toUpperCase()}`;
    return `<AssumeRoleWithWebIdentityResponse xmlns="${NS}">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>${xmlEscape(claims.sub)}</SubjectFromWebIdentityToken>
    <Audience>${xmlEscape(firstAudience(aud))}</Audience>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::${arn.groups.account}:assumed-role/${xmlEscape(roleName)}/${xmlEscape(params.RoleSessionName)}</Arn>
      <AssumedRoleId>${roleId}:${xmlEscape(params.RoleSessionName)}</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <SessionToken>${credentials.session_token}</SessionToken>
      <SecretAccessKey>${credentials.secret_access_key}</SecretAccessKey>
      <Expiration>${credentials.expiration}</Expiration>
      <AccessKeyId>${credentials.access_key_id}</AccessKeyId>
    </Credentials>
    <Provider>${xmlEscape(iss)}</Provider>
  </AssumeRoleWithWebIdentityResult>
  <ResponseMetadata>
    <RequestId>${randomUUID()}</RequestId>
  </ResponseMetadata>
</AssumeRoleWithWebIdentityResponse>
`;
  };

  const handle = async (req, res) => {
    const query = Object.fromEntries(new URL(req.url, 'http://x').searchParams);
    const body = req.method === 'POST' ? Object.fromEntries(new URLSearchParams(await readBody(req))) : {};
    const requestId = randomUUID();
    try {
      sendXml(res, 200, await assume({ ...query, ...body }), { 'x-amzn-RequestId': requestId });
    } catch (err) {
      if (!(err instanceof StsError)) throw err;
      sendXml(res, err.status, `<ErrorResponse xmlns="${NS}">
  <Error>
    <Type>Sender</Type>
    <Code>${err.code}</Code>
    <Message>${xmlEscape(err.message)}</Message>
  </Error>
  <RequestId>${requestId}</RequestId>
</ErrorResponse>
`, { 'x-amzn-RequestId': requestId });
    }
  };

  const { server, url } = await listen(router([['POST', '/', handle], ['GET', '/', handle]]));

  return {
    url,
    server,
    /** Registers (or replaces) a role whose trust policy admits tokens from `issuer` for `audience` (and `subject`, if set). */
    registerRole({ role_arn: roleArn, issuer, audience, subject, max_session_seconds: max = 3600 }) {
      if (typeof roleArn !== 'string' || !ROLE_ARN.test(roleArn)) throw new Error('role_arn must look like arn:aws:iam::123456789012:role/name');
      if (typeof issuer !== 'string' || typeof audience !== 'string') throw new Error('issuer and audience are required');
      if (!Number.isInteger(max) || max < 3600 || max > 43200) throw new Error('max_session_seconds must be between 3600 and 43200 (as IAM allows)');
      const role = { role_arn: roleArn, issuer, audience, subject: subject ?? null, max_session_seconds: max };
      roles.set(roleArn, role);
      return role;
    },
    issued: () => issued,
    /** Test-only: keys issued from now on expire `seconds` after issuance (the S3 emulator then answers ExpiredToken); null restores DurationSeconds. */
    setLifetime({ seconds }) {
      if (seconds !== null && !(Number.isInteger(seconds) && seconds >= 1 && seconds <= 43200)) throw new Error('seconds must be an integer in 1..43200, or null');
      lifetimeSeconds = seconds;
      return { seconds: lifetimeSeconds };
    },
  };
}

// STS's own constraint messages, accumulated as its validation layer does.
function validateParameters(p) {
  const problems = [];
  const check = (name, member, value, rules) => {
    if (value === undefined) {
      if (rules.required) problems.push(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
      return;
    }
    if (rules.min !== undefined && value.length < rules.min) problems.push(`Value '${value}' at '${member}' failed to satisfy constraint: Member must have length greater than or equal to ${rules.min}`);
    if (rules.max !== undefined && value.length > rules.max) problems.push(`Value '${name === 'WebIdentityToken' ? '***' : value}' at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${rules.max}`);
    if (rules.pattern && !rules.pattern.test(value)) problems.push(`Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`);
  };
  check('RoleArn', 'roleArn', p.RoleArn, { required: true, min: 20, max: 2048 });
  check('RoleSessionName', 'roleSessionName', p.RoleSessionName, { required: true, min: 2, max: 64, pattern: SESSION_NAME });
  check('WebIdentityToken', 'webIdentityToken', p.WebIdentityToken, { required: true, min: 4, max: 20000 });
  if (p.DurationSeconds !== undefined) {
    const d = Number(p.DurationSeconds);
    if (!Number.isInteger(d)) problems.push(`Value '${p.DurationSeconds}' at 'durationSeconds' failed to satisfy constraint: Member must be an integer`);
    else if (d < 900) problems.push(`Value '${d}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`);
    else if (d > 43200) problems.push(`Value '${d}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200`);
  }
  if (problems.length > 0) {
    throw new StsError(400, 'ValidationError', `${problems.length} validation error${problems.length > 1 ? 's' : ''} detected: ${problems.join('; ')}`);
  }
}

function randomToken(length) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return [...randomBytes(length)].map((b) => alphabet[b % alphabet.length]).join('');
}
