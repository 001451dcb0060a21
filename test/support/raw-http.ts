import net from 'node:net';

export interface RawExchange {
  /** Every byte the server wrote, as UTF-8. */
  raw: string;
  /** The first response's status, headers (lower-case names) and body. */
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Writes raw bytes to the server at `baseUrl` over a plain socket (for requests an HTTP client would not send:
 * malformed lines, no Host, pipelining), then `more` once they are out, if given; resolves with everything the
 * server wrote once it closes the connection.
 */
export function rawExchange(baseUrl: string, bytes: string, more?: (socket: net.Socket) => void): Promise<RawExchange> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: url.hostname, port: Number(url.port) }, () => {
      socket.write(bytes);
      more?.(socket);
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = raw.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      resolve({ raw, status: Number(statusLine.split(' ')[1]), headers, body });
    });
  });
}
