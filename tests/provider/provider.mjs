// Loopback OpenID Provider for the SDK's end-to-end tests.
//
// Built on oidc-provider 9.13.3 and tuned to behave like Auth0 where the SDK cares (audience,
// organization claims, refresh tokens without prompt=consent, claims in the ID token).
// Everything here is for tests on 127.0.0.1 only: fixed secrets, open dynamic registration, no
// real login. See README.md beside this file for the knobs and the clients.
//
// Protocol with the parent process:
//   stdout: exactly one line `OP_READY <issuer> <port>` once the provider answers requests.
//   stderr: errors only (and, with OP_DEBUG=1, every `*.error` event).
//   exit:   on SIGTERM/SIGINT, when stdin reaches EOF (the parent died or dropped us), or when
//           the parent process goes away (re-parenting is polled as a second safety net).
//           OP_DETACHED=1 turns both parent watches off, for running it by hand.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------------------------
// Configuration from the environment.

function envInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value)) {
    fail(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function fail(message) {
  process.stderr.write(`test-op: ${message}\n`);
  process.exit(2);
}

const PORT = envInt('OP_PORT', 0);
const ISSUER_SLASH = process.env.OP_ISSUER_SLASH !== '0';
const RP = (process.env.OP_RP || 'http://127.0.0.1:3000').replace(/\/+$/, '');
const PKJWT_JWKS = process.env.OP_PKJWT_JWKS || '';
const OFFLINE_MODE = process.env.OP_OFFLINE_ACCESS || 'auth0';
const RT_ROTATION = process.env.OP_RT_ROTATION === '1';
const AT_TTL = envInt('OP_AT_TTL', 3600);
const IDT_TTL = envInt('OP_IDT_TTL', 3600);
const CLOCK_OFFSET_S = envInt('OP_CLOCK_OFFSET_S', 0);
const DEBUG = process.env.OP_DEBUG === '1';
// OP_DETACHED=1 runs the provider on its own (by hand, from a script): no parent watch.
const WATCH_PARENT = process.env.OP_DETACHED !== '1';

if (!['auth0', 'oidc'].includes(OFFLINE_MODE)) {
  fail(`OP_OFFLINE_ACCESS must be "auth0" or "oidc", got ${JSON.stringify(OFFLINE_MODE)}`);
}
if (AT_TTL <= 0 || IDT_TTL <= 0) fail('OP_AT_TTL and OP_IDT_TTL must be positive');

// Shift the provider's clock: every iat/exp/auth_time it writes moves by CLOCK_OFFSET_S.
if (CLOCK_OFFSET_S !== 0) {
  const realNow = Date.now;
  Date.now = () => realNow() + CLOCK_OFFSET_S * 1000;
}

// ---------------------------------------------------------------------------------------------
// Parent watch: never outlive the test process.

let shuttingDown = false;
let server;

function shutdown(code = 0) {
  if (shuttingDown) return;
  shuttingDown = true;
  if (server) {
    server.close();
    server.closeAllConnections();
  }
  process.exit(code);
}

process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.on('SIGHUP', () => shutdown(0));

if (WATCH_PARENT) {
  process.stdin.on('end', () => shutdown(0));
  process.stdin.on('close', () => shutdown(0));
  process.stdin.on('error', () => shutdown(0));
  process.stdin.on('data', () => {}); // drain anything the parent writes
  process.stdin.resume();

  const parentAtStart = process.ppid;
  setInterval(() => {
    if (process.ppid !== parentAtStart) shutdown(0);
  }, 1000).unref();
}

// ---------------------------------------------------------------------------------------------
// Listen first: the issuer must carry the real port when OP_PORT=0.

server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(PORT, '127.0.0.1', resolve);
}).catch((err) => fail(`cannot listen on 127.0.0.1:${PORT}: ${err.message}`));
const port = server.address().port;
const ISSUER = `http://127.0.0.1:${port}${ISSUER_SLASH ? '/' : ''}`;

// Node 20 is older than the LTS line oidc-provider 9 names, and it prints a warning on import.
// It works on Node 20 (see PROVIDER.md); drop that one line so stderr only carries real errors.
const { default: Provider, errors } = await (async () => {
  const originalWarn = console.warn;
  console.warn = (...args) => {
    if (typeof args[0] === 'string' && args[0].includes('Unsupported runtime')) return;
    originalWarn(...args);
  };
  try {
    return await import('oidc-provider');
  } finally {
    console.warn = originalWarn;
  }
})().catch((err) => {
  fail(`cannot load oidc-provider (${err.code || err.message}); run \`npm ci\` in ${HERE}`);
});

// ---------------------------------------------------------------------------------------------
// Signing keys: RSA (RS256 and PS256) and EC P-256 (ES256), cached under .keys/.

function loadOrCreateSigningKeys() {
  const dir = path.join(HERE, '.keys');
  const file = path.join(dir, 'op-signing-keys.json');
  try {
    const cached = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (Array.isArray(cached.keys) && cached.keys.length === 2) return cached;
  } catch {
    // missing or unreadable: generate below
  }

  const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const jwks = {
    keys: [
      { ...rsa.export({ format: 'jwk' }), kid: 'op-rsa', use: 'sig' },
      { ...ec.export({ format: 'jwk' }), kid: 'op-es256', use: 'sig', alg: 'ES256' },
    ],
  };

  // Write-then-rename so concurrent first starts never read a half-written file.
  try {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(jwks), { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch (err) {
    process.stderr.write(`test-op: could not cache signing keys (${err.message}), using fresh ones\n`);
  }
  return jwks;
}

// ---------------------------------------------------------------------------------------------
// Storage adapter: a plain Map with per-entry expiry (the built-in one is a 1000-entry LRU that
// evicts live sessions and refresh tokens during long test runs).

const store = new Map(); // key -> { payload, expiresAt }
const GRANT_MEMBERS = new Set([
  'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest', 'PreAuthorizedCode',
]);

function storeGet(key) {
  const entry = store.get(key);
  if (!entry) return undefined;
  if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
    store.delete(key);
    return undefined;
  }
  return entry.payload;
}

function storeSet(key, payload, expiresIn) {
  const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : undefined;
  store.set(key, { payload, expiresAt });
}

class MapAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    storeSet(key, payload, expiresIn);

    if (this.model === 'Session' && payload.uid) {
      storeSet(`sessionUid:${payload.uid}`, id, expiresIn);
    }
    if (payload.userCode) {
      storeSet(`userCode:${payload.userCode}`, id, expiresIn);
    }
    if (GRANT_MEMBERS.has(this.model) && payload.grantId) {
      const indexKey = `grant:${payload.grantId}`;
      const members = storeGet(indexKey) ?? new Set();
      members.add(key);
      // The index lives as long as its longest member; 14 days covers every TTL used here.
      storeSet(indexKey, members, 14 * 24 * 60 * 60);
    }
  }

  async find(id) {
    return storeGet(this.key(id));
  }

  async findByUid(uid) {
    const id = storeGet(`sessionUid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = storeGet(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = storeGet(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    const indexKey = `grant:${grantId}`;
    const members = storeGet(indexKey);
    if (members) {
      for (const key of members) store.delete(key);
    }
    store.delete(indexKey);
  }
}

// ---------------------------------------------------------------------------------------------
// Organization claims. The `organization` authorize parameter is remembered per code and
// carried to the refresh and access tokens derived from it, keyed by token jti.

const orgByJti = new Map(); // jti -> { org, expiresAt }

function rememberOrg(jti, org, expSeconds) {
  if (!jti || !org) return;
  const expiresAt = (expSeconds ? expSeconds * 1000 : Date.now() + 86400000) + 60000;
  orgByJti.set(jti, { org, expiresAt });
}

function orgFor(jti) {
  return jti ? orgByJti.get(jti)?.org : undefined;
}

function orgOfSource(ctx) {
  const entities = ctx?.oidc?.entities ?? {};
  for (const name of ['AuthorizationCode', 'RotatedRefreshToken', 'RefreshToken']) {
    const org = orgFor(entities[name]?.jti);
    if (org) return org;
  }
  return undefined;
}

function orgClaims(org) {
  if (!org) return {};
  if (org === 'org_mismatch') return { org_id: 'org_other' }; // deliberate wrong claim
  if (org.startsWith('org_')) return { org_id: org };
  return { org_name: org.toLowerCase() };
}

setInterval(() => {
  const now = Date.now();
  for (const [key, entry] of store) {
    if (entry.expiresAt !== undefined && entry.expiresAt <= now) store.delete(key);
  }
  for (const [jti, entry] of orgByJti) {
    if (entry.expiresAt <= now) orgByJti.delete(jti);
  }
}, 60000).unref();

// ---------------------------------------------------------------------------------------------
// Accounts: any login_hint is a subject; user-123 is the default one.

function accountClaims(sub) {
  const isDefault = sub === 'user-123';
  return {
    sub,
    email: `${sub}@example.test`,
    email_verified: true,
    name: isDefault ? 'Test User' : `Test ${sub}`,
    given_name: 'Test',
    family_name: isDefault ? 'User' : sub,
    nickname: sub,
    updated_at: 1700000000,
  };
}

// ---------------------------------------------------------------------------------------------
// Audience (Auth0) onto resource indicators (RFC 8707).

const AUDIENCE_URN = 'urn:test-op:audience:';
const DEFAULT_RAR_API = 'https://api.example.test/';

function audienceToResource(audience) {
  if (!audience) return undefined;
  return URL.canParse(audience) ? audience : `${AUDIENCE_URN}${audience}`;
}

function resourceToAudience(resource) {
  return resource.startsWith(AUDIENCE_URN) ? resource.slice(AUDIENCE_URN.length) : resource;
}

// ---------------------------------------------------------------------------------------------
// offline_access as Auth0 treats it: kept without prompt=consent.

function rawRequestedScope(ctx) {
  const par = ctx.oidc.entities?.PushedAuthorizationRequest;
  if (par?.request) {
    try {
      const payload = JSON.parse(Buffer.from(par.request.split('.')[1], 'base64url').toString());
      if (typeof payload.scope === 'string') return payload.scope;
    } catch {
      // fall through to the query and body
    }
  }
  const fromBody = ctx.oidc.body?.scope;
  if (typeof fromBody === 'string') return fromBody;
  const fromQuery = ctx.query?.scope;
  return typeof fromQuery === 'string' ? fromQuery : '';
}

async function keepOfflineAccess(ctx, _value, client) {
  if (OFFLINE_MODE !== 'auth0') return;
  if (!rawRequestedScope(ctx).split(' ').includes('offline_access')) return;
  if (!ctx.oidc.params.response_type?.split(' ').includes('code')) return;
  if (!client.grantTypeAllowed('refresh_token')) return;

  const scopes = (ctx.oidc.params.scope ?? '').split(' ').filter(Boolean);
  if (!scopes.includes('offline_access')) scopes.push('offline_access');
  ctx.oidc.params.scope = scopes.join(' ');
}

// ---------------------------------------------------------------------------------------------
// Clients.

function staticClients() {
  const secret = (id) => `${id}-secret-0123456789abcdef0123456789abcdef`;
  const common = (id) => ({
    client_id: id,
    client_secret: secret(id),
    redirect_uris: [`${RP}/auth/callback`, `${RP}/callback`],
    post_logout_redirect_uris: [`${RP}/`, `${RP}/logout/callback`],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  });
  const backchannel = {
    backchannel_logout_uri: `${RP}/auth/backchannel-logout`,
    backchannel_logout_session_required: true,
  };

  const clients = [
    {
      ...common('rp-secret'),
      token_endpoint_auth_method: 'client_secret_basic',
      ...backchannel,
      authorization_details_types: ['money_transfer'],
    },
    { ...common('rp-post'), token_endpoint_auth_method: 'client_secret_post' },
    { ...common('rp-hs256'), id_token_signed_response_alg: 'HS256' },
    { ...common('rp-es256'), id_token_signed_response_alg: 'ES256' },
  ];

  if (PKJWT_JWKS) {
    let jwks;
    try {
      jwks = JSON.parse(fs.readFileSync(PKJWT_JWKS, 'utf8'));
    } catch (err) {
      fail(`cannot read OP_PKJWT_JWKS ${PKJWT_JWKS}: ${err.message}`);
    }
    if (Array.isArray(jwks)) jwks = { keys: jwks };
    const { client_secret: _unused, ...withoutSecret } = common('rp-pkjwt');
    clients.push({
      ...withoutSecret,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks,
      ...backchannel,
      authorization_details_types: ['money_transfer'],
    });
  }
  return clients;
}

// ---------------------------------------------------------------------------------------------
// Small pages (replacing the defaults also keeps the provider from printing notices).

function escapeHtml(value) {
  return String(value)
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

async function renderError(ctx, out) {
  ctx.type = 'html';
  const rows = Object.entries(out)
    .map(([key, value]) => `<p><b>${escapeHtml(key)}</b>: ${escapeHtml(value)}</p>`)
    .join('\n');
  ctx.body = `<!DOCTYPE html><html><head><title>error</title></head><body>\n${rows}\n</body></html>`;
}

async function logoutSource(ctx, form) {
  ctx.body = `<!DOCTYPE html><html><head><title>logout</title></head><body>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>
</body></html>`;
}

async function postLogoutSuccessSource(ctx) {
  ctx.body = '<!DOCTYPE html><html><head><title>signed out</title></head><body>signed out</body></html>';
}

// ---------------------------------------------------------------------------------------------
// The provider.

const TTL_FIXED = {
  AuthorizationCode: 60,
  RefreshToken: 14 * 24 * 60 * 60,
  // Interaction cookies expire by the shifted clock; keep them alive under a negative offset.
  Interaction: 600 + Math.max(0, -CLOCK_OFFSET_S),
  Session: 24 * 60 * 60 + Math.max(0, -CLOCK_OFFSET_S),
  Grant: 24 * 60 * 60 + Math.max(0, -CLOCK_OFFSET_S),
  ClientCredentials: 600,
  DeviceCode: 600,
  BackchannelAuthenticationRequest: 600,
  PreAuthorizedCode: 600,
};

const configuration = {
  adapter: MapAdapter,
  clients: staticClients(),
  clientDefaults: {
    grant_types: ['authorization_code', 'refresh_token'],
    id_token_signed_response_alg: 'RS256',
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  },
  jwks: loadOrCreateSigningKeys(),
  cookies: {
    keys: ['test-op-cookie-key-0123456789abcdef', 'test-op-cookie-key-previous-000000'],
  },
  claims: {
    openid: ['sub', 'org_id', 'org_name'],
    profile: ['name', 'given_name', 'family_name', 'nickname', 'picture', 'updated_at'],
    email: ['email', 'email_verified'],
    sid: null,
    auth_time: null,
    iss: null,
  },
  conformIdTokenClaims: false,
  clientBasedCORS: () => false,
  extraParams: {
    audience: null,
    organization: null,
    invitation: null,
    connection: null,
    screen_hint: null,
    __offline: keepOfflineAccess,
  },
  pkce: { required: () => true },
  enabledJWA: {
    idTokenSigningAlgValues: ['RS256', 'ES256', 'HS256', 'PS256'],
  },
  ttl: {
    ...Object.fromEntries(Object.entries(TTL_FIXED).map(([k, v]) => [k, () => v])),
    AccessToken: () => AT_TTL,
    IdToken: () => IDT_TTL,
  },
  ...(RT_ROTATION ? { rotateRefreshToken: () => true } : {}),
  interactions: {
    url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  renderError,
  features: {
    devInteractions: { enabled: false },
    claimsParameter: { enabled: true },
    introspection: {
      enabled: true,
      // Any authenticated client may introspect; public clients only their own tokens.
      allowedPolicy: async (ctx, client, token) => (
        client.clientAuthMethod !== 'none' || token.clientId === client.clientId
      ),
    },
    revocation: {
      enabled: true,
      allowedPolicy: async (ctx, client, token) => {
        if (token.clientId === client.clientId) return true;
        if (client.clientAuthMethod === 'none') return false;
        throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
      },
    },
    rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    backchannelLogout: { enabled: true },
    registration: { enabled: true },
    pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (ctx, _client, oneOf) => {
        if (oneOf) return oneOf;
        const params = ctx.oidc.params ?? {};
        const fromAudience = audienceToResource(params.audience);
        if (fromAudience) return fromAudience;
        if (params.authorization_details) return DEFAULT_RAR_API;
        return undefined;
      },
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resource) => ({
        scope: 'read:messages write:messages',
        audience: resourceToAudience(resource),
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
    richAuthorizationRequests: {
      enabled: true,
      types: {
        money_transfer: {
          validate(_ctx, detail) {
            const amount = detail.instructedAmount;
            if (
              amount === null || typeof amount !== 'object'
              || typeof amount.amount !== 'number' || typeof amount.currency !== 'string'
            ) {
              throw new errors.InvalidAuthorizationDetails(
                'money_transfer requires instructedAmount{amount:number,currency:string}',
              );
            }
          },
        },
      },
      authorizationDetailsForGrantSource: async (ctx) => ctx.oidc.grant?.rar,
      authorizationDetailsForAccessToken: async (_ctx, _token, source) => source?.rar,
      authorizationDetailsForIntrospection: async (_ctx, token) => token.rar,
    },
  },
  extraTokenClaims: async (ctx, _token) => {
    const claims = orgClaims(orgOfSource(ctx));
    return Object.keys(claims).length ? claims : undefined;
  },
  findAccount: async (_ctx, sub, token) => ({
    accountId: sub,
    claims: async () => ({ ...accountClaims(sub), ...orgClaims(orgFor(token?.jti)) }),
  }),
  // Outgoing requests (back-channel logout, jwks_uri) go to loopback only. The provider's own
  // dispatcher refuses loopback addresses, so it is dropped here in favour of this host check.
  fetch: async (url, options) => {
    const { hostname } = new URL(url);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(hostname)) {
      throw new Error(`test OP refuses an outgoing request to ${hostname}: loopback only`);
    }
    const { dispatcher: _dropped, ...rest } = options;
    return globalThis.fetch(url, rest);
  },
};

let provider;
try {
  provider = new Provider(ISSUER, configuration);
} catch (err) {
  fail(`invalid provider configuration: ${err.stack || err.message}`);
}

provider.on('authorization_code.saved', (code) => {
  rememberOrg(code.jti, Provider.ctx?.oidc?.params?.organization, code.exp);
});
provider.on('refresh_token.saved', (token) => {
  rememberOrg(token.jti, orgOfSource(Provider.ctx), token.exp);
});
provider.on('access_token.saved', (token) => {
  rememberOrg(token.jti, orgOfSource(Provider.ctx), token.exp);
});

provider.on('server_error', (_ctx, err) => {
  process.stderr.write(`test-op: server_error: ${err.stack || err.message}\n`);
});
if (DEBUG) {
  const emit = provider.emit.bind(provider);
  provider.emit = (name, ...args) => {
    if (typeof name === 'string' && name.endsWith('.error')) {
      const err = args.find((arg) => arg instanceof Error);
      const detail = !err ? '' : [
        err.error ?? err.name,
        err.error_description ?? err.message,
        err.error_detail ? `(${err.error_detail})` : '',
      ].filter(Boolean).join(' ');
      process.stderr.write(`test-op: ${name} ${detail}\n`);
    }
    return emit(name, ...args);
  };
}

// ---------------------------------------------------------------------------------------------
// Headless interactions and the test-only back-channel endpoint.

async function finishInteraction(ctx) {
  const { req, res } = ctx;
  const interaction = await provider.interactionDetails(req, res);
  const { prompt, params } = interaction;
  const hint = typeof params.login_hint === 'string' ? params.login_hint : '';

  let result;
  if (hint === 'deny') {
    result = { error: 'access_denied', error_description: 'End-User denied the request (test trigger)' };
  } else if (hint.startsWith('error:')) {
    result = { error: hint.slice('error:'.length) || 'server_error', error_description: 'test trigger' };
  } else if (prompt.name === 'login') {
    result = { login: { accountId: hint || 'user-123', amr: ['pwd'] } };
  } else if (prompt.name === 'consent') {
    const { details } = prompt;
    const grant = interaction.grantId
      ? await provider.Grant.find(interaction.grantId)
      : new provider.Grant({ accountId: interaction.session.accountId, clientId: params.client_id });
    if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
    if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    for (const detail of details.rar ?? []) grant.addRar(detail);
    result = { consent: { grantId: await grant.save() } };
  } else {
    result = { error: 'server_error', error_description: `unknown prompt ${prompt.name}` };
  }

  const returnTo = await provider.interactionResult(req, res, result, {
    mergeWithLastSubmission: false,
  });
  ctx.status = 303;
  ctx.set('location', returnTo);
  ctx.body = '';
}

async function readForm(ctx) {
  const chunks = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += chunk.length;
    if (size > 64 * 1024) throw new Error('body too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function testBackchannelLogout(ctx) {
  const form = await readForm(ctx);
  const clientId = form.get('client_id');
  const sub = form.get('sub');
  const sid = form.get('sid') ?? undefined;
  const client = clientId ? await provider.Client.find(clientId) : undefined;
  if (!client || !sub) {
    ctx.status = 400;
    ctx.body = { error: 'invalid_request', error_description: 'known client_id and sub required' };
    return;
  }
  if (!client.backchannelLogoutUri) {
    ctx.status = 400;
    ctx.body = { error: 'invalid_request', error_description: 'client has no backchannel_logout_uri' };
    return;
  }
  try {
    await client.backchannelLogout(sub, sid);
    ctx.status = 204;
  } catch (err) {
    if (DEBUG) process.stderr.write(`test-op: test back-channel logout failed: ${err.message}\n`);
    ctx.status = 502;
    ctx.body = { error: 'backchannel_failed', error_description: err.message };
  }
}

// oidc-provider accepts a client secret in the Authorization header and in the body alike,
// whatever method the client registered. Auth0 holds a client to its method, and the SDK's
// client_secret_post option must be observable, so HTTP Basic is refused for a
// client_secret_post client here (a look at the header only; the body is left to the provider).
const CLIENT_AUTH_PATHS = new Set(['/token', '/request', '/token/introspection', '/token/revocation']);

provider.middleware.unshift(async (ctx, next) => {
  const authorization = ctx.get('authorization');
  if (ctx.method === 'POST' && CLIENT_AUTH_PATHS.has(ctx.path) && /^basic /i.test(authorization)) {
    let clientId;
    try {
      const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
      clientId = decodeURIComponent(decoded.slice(0, decoded.indexOf(':')).replace(/\+/g, ' '));
    } catch {
      clientId = undefined; // malformed: the provider reports it
    }
    const client = clientId ? await provider.Client.find(clientId) : undefined;
    if (client?.clientAuthMethod === 'client_secret_post') {
      if (DEBUG) {
        process.stderr.write(`test-op: ${clientId} is client_secret_post but used HTTP Basic\n`);
      }
      ctx.status = 401;
      ctx.set('cache-control', 'no-store');
      ctx.body = { error: 'invalid_client', error_description: 'client authentication failed' };
      return undefined;
    }
  }
  return next();
});

// Every authorization request as received (query or PAR body), keyed by its state, so tests
// can see that a custom parameter really reached the provider. Bounded; oldest dropped first.
const receivedParams = new Map();
function recordParams(params) {
  if (!params || typeof params.state !== 'string') return;
  receivedParams.set(params.state, { ...params });
  if (receivedParams.size > 1000) receivedParams.delete(receivedParams.keys().next().value);
}

// Token endpoint calls per client and grant type, so tests can count refreshes.
const tokenRequests = new Map();

provider.use(async (ctx, next) => {
  if (ctx.method === 'GET' && ctx.path === '/__test/token-requests') {
    const key = `${ctx.query.client_id} ${ctx.query.grant_type}`;
    ctx.body = { count: tokenRequests.get(key) ?? 0 };
    return undefined;
  }
  if (ctx.method === 'POST' && ctx.path === '/token') {
    await next();
    const key = `${ctx.oidc?.client?.clientId} ${ctx.oidc?.params?.grant_type}`;
    tokenRequests.set(key, (tokenRequests.get(key) ?? 0) + 1);
    return undefined;
  }
  if (ctx.method === 'GET' && ctx.path === '/__test/authorization-params') {
    const found = receivedParams.get(String(ctx.query.state));
    ctx.status = found ? 200 : 404;
    ctx.body = found ?? { error: 'not_found' };
    return undefined;
  }
  if (ctx.method === 'GET' && ctx.path === '/auth') {
    recordParams(ctx.query);
  }
  if (ctx.method === 'POST' && ctx.path === '/request') {
    await next();
    recordParams(ctx.oidc?.body);
    return undefined;
  }
  if (ctx.method === 'GET' && /^\/interaction\/[^/]+$/.test(ctx.path)) {
    return finishInteraction(ctx);
  }
  if (ctx.method === 'POST' && ctx.path === '/__test/backchannel-logout') {
    return testBackchannelLogout(ctx);
  }
  return next();
});

server.on('request', provider.callback());
process.stdout.write(`OP_READY ${ISSUER} ${port}\n`);
