import type { Client, Confirmation } from '../../store/types.js';
import type { OAuthContext } from '../context.js';
import type { AnswerChannel } from '../kdf-admission.js';

/** RFC 6749 §5.1 success body (plus RFC 8693's issued_token_type). */
export interface TokenResponse {
  access_token: string;
  /** RFC 9449 §5: DPoP for a token bound to a DPoP key. */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  issued_token_type?: string;
}

export interface GrantRequest {
  readonly grantType: string;
  /** Only the parameters the handler declared (plus grant_type and scope). */
  readonly params: ReadonlyMap<string, string>;
  readonly ip: string;
  readonly requestId: string;
  /** The connection the answer goes back on, when served over HTTP: a KDF queued for a gone client gives its place up. */
  readonly answer?: AnswerChannel;
  /**
   * The keys this request proved possession of (RFC 7800 cnf): the DPoP proof's key (`jkt`), a client
   * certificate (`x5t#S256`). The endpoint decides it; every grant passes it into its access token (and a
   * public client's new family), so issued tokens are bound to it.
   */
  readonly confirmation?: Confirmation;
}

/**
 * One grant type. Registered by exact grant_type in grants/index.ts; declares its parameters so the endpoint
 * strips the rest before dispatch. Knows nothing about HTTP.
 */
export interface GrantHandler {
  readonly grantType: string;
  readonly parameters: ReadonlySet<string>;
  /** RFC 6749 §4.4 / §2.1: some grants are for confidential clients only. */
  readonly confidentialOnly: boolean;
  handle(req: GrantRequest, client: Client, ctx: OAuthContext): Promise<TokenResponse>;
}

/** A client is confidential when it authenticates with something it keeps secret. */
export function isConfidential(client: Client): boolean {
  return client.tokenEndpointAuthMethod !== 'none';
}

/** May this client receive refresh tokens? Only when it is allowed the refresh_token grant. */
export function mayRefresh(client: Client): boolean {
  return client.grantTypes.includes('refresh_token');
}
