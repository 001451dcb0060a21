import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

/** One recorded SDK exchange (test/fixtures/wire/*.json, from the seed platforms' own SDKs). */
export interface WireFixture {
  case: string;
  description: string;
  base_url: string;
  request: { method: string; target: string; path: string; query: string; headers: Array<[string, string]>; body: string } | null;
  response: { status: number; headers: Record<string, string>; body: string } | null;
  signature?: { curve: string; public_key: string; str_to_sign: string; digest_sha256_sha256_hex: string };
  sdk_result: {
    resolved: boolean;
    value?: Record<string, unknown>;
    types?: Record<string, string>;
    rejection?: { status?: number };
  };
}

export const WIRE_DIR = join(import.meta.dirname, '..', 'fixtures', 'wire');

export function fixtureNames(): string[] {
  return readdirSync(WIRE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export function loadFixture(name: string): WireFixture {
  return JSON.parse(readFileSync(join(WIRE_DIR, `${name}.json`), 'utf8')) as WireFixture;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: Record<string, unknown> | undefined;
}

function parseResponse(raw: Buffer): RawResponse {
  const end = raw.indexOf('\r\n\r\n');
  const head = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(head[0]!.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = body.indexOf('\r\n', at);
      const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (!size) break;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  }
  const text = body.toString('utf8');
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status, headers, text, json };
}

/**
 * Sends a recorded request byte for byte over a raw socket: the same request line (raw target), the same headers
 * in the same order and spelling (`<port>` filled in), the same body. `target`/`body` override the recording
 * (Content-Length follows the body).
 */
export function replay(baseUrl: string, request: NonNullable<WireFixture['request']>, override: { target?: string; body?: string } = {}): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const body = Buffer.from(override.body ?? request.body, 'utf8');
  const lines = [`${request.method} ${override.target ?? request.target} HTTP/1.1`];
  for (const [name, value] of request.headers) {
    lines.push(`${name}: ${name.toLowerCase() === 'content-length' ? String(body.length) : value.replace('<port>', url.port)}`);
  }
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    // write, not end: a half-closed socket lets the server drop a request still in progress (the recordings
    // all send Connection: close, so the server closes once it has answered).
    const socket = net.connect({ host: url.hostname, port: Number(url.port) }, () => socket.write(Buffer.concat([head, body])));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

/**
 * What the SDK makes of a 2xx JSON answer: each field it reads must be there, and converted as the SDK converts it
 * (KnetikCloud's OAuth2Resource: String() for every field) it must have the type the recording shows.
 */
export function sdkView(fixture: WireFixture, body: Record<string, unknown>): Record<string, string> {
  const types: Record<string, string> = {};
  const knetik = fixture.case.startsWith('knetik');
  for (const field of Object.keys(fixture.sdk_result.types ?? {})) {
    const v = body[field];
    if (v === undefined || v === null) continue;
    // KnetikCloud converts every field with String(); Cobo's parseFloat/String() leave JSON numbers and strings as they are.
    types[field] = typeof (knetik ? String(v) : v);
  }
  return types;
}
