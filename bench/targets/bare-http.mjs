// Baseline: plain node:http token route returning a fixed JSON body.
import http from 'node:http';
import { targetArgs, tokenResponse, introspectResponse, TOKEN_HEADERS, onShutdown } from './bare-common.mjs';
import { TOKEN_PATH, INTROSPECT_PATH, HEALTH_PATH, FORM_CONTENT_TYPE } from '../lib/constants.mjs';

const { host, port } = targetArgs();
const MAX_BODY = 64 * 1024;

function send(res, { status, body, headers }) {
  const payload = JSON.stringify(body);
  res.writeHead(status, { ...TOKEN_HEADERS, ...headers, 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

const server = http.createServer((req, res) => {
  const path = req.url.split('?', 1)[0];
  if (req.method === 'GET' && path === HEALTH_PATH) return send(res, { status: 200, body: { status: 'ok' } });
  const handler = path === TOKEN_PATH ? tokenResponse : path === INTROSPECT_PATH ? introspectResponse : null;
  if (!handler) return send(res, { status: 404, body: { error: 'not_found' } });
  if (req.method !== 'POST') return send(res, { status: 405, body: { error: 'invalid_request' } });
  const ct = (req.headers['content-type'] || '').split(';', 1)[0].trim().toLowerCase();
  if (ct !== FORM_CONTENT_TYPE) return send(res, { status: 400, body: { error: 'invalid_request' } });
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) { send(res, { status: 413, body: { error: 'invalid_request' } }); req.destroy(); return; }
    chunks.push(c);
  });
  req.on('end', () => {
    if (res.headersSent) return;
    const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    send(res, handler(req.headers.authorization, params));
  });
});

server.keepAliveTimeout = 65_000;
server.listen(port, host, () => {
  const a = server.address();
  console.log(`LISTENING ${a.address}:${a.port}`);
});
onShutdown((cb) => server.close(cb));
