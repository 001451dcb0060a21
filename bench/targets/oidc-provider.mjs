// Comparison target: panva/oidc-provider 9 configured for client_credentials only.
//   --mode jwt    -> JWT access tokens (EdDSA / Ed25519) via resource indicators
//   --mode opaque -> opaque access tokens (stored in the default in-memory adapter)
// oidc-provider only issues JWT access tokens for client_credentials when the
// token is bound to a resource server, so both modes use resourceIndicators
// with a defaultResource and differ only in accessTokenFormat.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';
import { CLIENT_ID, CLIENT_SECRET, SCOPE, TOKEN_PATH, INTROSPECT_PATH } from '../lib/constants.mjs';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    mode: { type: 'string', default: 'jwt' },
  },
  strict: true,
});
const mode = values.mode;
if (mode !== 'jwt' && mode !== 'opaque') {
  console.error(`unknown --mode ${mode} (jwt|opaque)`);
  process.exit(2);
}

// Fresh Ed25519 signing key per process (jwks config).
const { privateKey } = generateKeyPairSync('ed25519');
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-ed25519', alg: 'EdDSA', use: 'sig' };

const RESOURCE = 'urn:tessera:bench:api';

function resourceServerInfo() {
  const info = { scope: SCOPE, audience: RESOURCE, accessTokenTTL: 3600, accessTokenFormat: mode };
  if (mode === 'jwt') info.jwt = { sign: { alg: 'EdDSA' } };
  return info;
}

const server = http.createServer();
server.keepAliveTimeout = 65_000;
await new Promise((resolve) => server.listen(Number(values.port), values.host, resolve));
const { address, port } = server.address();

const provider = new Provider(`http://${address}:${port}`, {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      // Only an Ed25519 key is configured, so the client's (unused) ID token
      // alg must not default to RS256.
      id_token_signed_response_alg: 'EdDSA',
      scope: SCOPE,
    },
  ],
  jwks: { keys: [signingJwk] },
  scopes: SCOPE.split(' '),
  routes: { token: TOKEN_PATH, introspection: INTROSPECT_PATH },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => RESOURCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resourceIndicator) => {
        if (resourceIndicator !== RESOURCE) throw new Provider.errors.InvalidTarget();
        return resourceServerInfo();
      },
    },
  },
  ttl: { ClientCredentials: 3600 },
});
provider.on('server_error', (_ctx, err) => console.error('server_error', err));

server.on('request', provider.callback());
console.log(`LISTENING ${address}:${port} mode=${mode}`);

const stop = () => { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref(); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
