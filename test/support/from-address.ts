import http from 'node:http';

export interface AddressedResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/**
 * POSTs a form to the server at `baseUrl` from the local address `from` (the socket is bound to it), on a
 * connection of its own unless an `agent` (keep-alive, to reuse a connection) is given. On Linux every 127.x.y.z
 * address is loopback, so 127.0.0.2 is "another client address" for a server listening on 127.0.0.1:
 * per-address limits can be tested without a second machine.
 */
export function postFrom(from: string, baseUrl: string, path: string, form: Record<string, string> | string, headers: Record<string, string> = {}, agent: http.Agent | false = false): Promise<AddressedResponse> {
  const url = new URL(path, baseUrl);
  const body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        method: 'POST',
        localAddress: from,
        agent,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Record<string, unknown>;
          try {
            parsed = JSON.parse(text) as Record<string, unknown>;
          } catch {
            parsed = { raw: text };
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
