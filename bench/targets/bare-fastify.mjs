// Baseline: Fastify token route returning a fixed JSON body.
// Uses the fastify installed for Tessera itself (root node_modules).
import Fastify from 'fastify';
import { targetArgs, tokenResponse, introspectResponse, TOKEN_HEADERS, onShutdown } from './bare-common.mjs';
import { TOKEN_PATH, INTROSPECT_PATH, HEALTH_PATH, FORM_CONTENT_TYPE } from '../lib/constants.mjs';

const { host, port } = targetArgs();
const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });

// Minimal form parser, like a real token route would register.
app.addContentTypeParser(FORM_CONTENT_TYPE, { parseAs: 'string' }, (_req, body, done) => {
  done(null, new URLSearchParams(body));
});

function reply(rep, { status, body, headers }) {
  return rep.code(status).headers({ ...TOKEN_HEADERS, ...headers }).send(body);
}

app.get(HEALTH_PATH, async () => ({ status: 'ok' }));
app.post(TOKEN_PATH, (req, rep) => {
  const params = req.body instanceof URLSearchParams ? req.body : new URLSearchParams();
  return reply(rep, tokenResponse(req.headers.authorization, params));
});
app.post(INTROSPECT_PATH, (req, rep) => {
  const params = req.body instanceof URLSearchParams ? req.body : new URLSearchParams();
  return reply(rep, introspectResponse(req.headers.authorization, params));
});

const address = await app.listen({ host, port });
console.log(`LISTENING ${address.replace(/^http:\/\//, '')}`);
onShutdown((cb) => app.close().then(() => cb(), () => cb()));
