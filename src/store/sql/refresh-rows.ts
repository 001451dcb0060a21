import type { Confirmation, RefreshFamily, RefreshToken } from '../types.js';
import type { RefreshFamilyRow, RefreshTokenRow } from './schema.js';
import { fromJson, num, numOrNull, splitScope } from './context.js';
import { prepared } from './prepared.js';

// The rows of refresh_tokens and refresh_families, and the hot queries over them, shared by the refresh-token
// store (refresh-tokens.ts) and its per-engine rotations (rotation/).

/** A token to insert: the store adds its family, status and rotation columns. */
export type NewToken = Omit<RefreshToken, 'familyId' | 'status' | 'rotatedAt'>;

export function familyFromRow(r: RefreshFamilyRow): RefreshFamily {
  return {
    familyId: r.family_id,
    clientId: r.client_id,
    subject: r.subject,
    userId: r.user_id,
    orgId: r.org_id,
    installationId: r.installation_id,
    scope: splitScope(r.scope),
    claims: fromJson<Record<string, unknown>>(r.claims),
    audience: fromJson<string[]>(r.audience),
    status: r.status as RefreshFamily['status'],
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    revokedAt: numOrNull(r.revoked_at),
    confirmation: fromJson<Confirmation>(r.confirmation),
  };
}

export function tokenFromRow(r: RefreshTokenRow): RefreshToken {
  return {
    hash: r.hash,
    familyId: r.family_id,
    status: r.status as RefreshToken['status'],
    scope: splitScope(r.scope),
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
    rotatedAt: numOrNull(r.rotated_at),
  };
}

/** A refresh token joined with its family, columns aliased where the two tables share a name. */
export interface JoinedRow {
  hash: string;
  family_id: string;
  t_status: string;
  t_scope: string;
  t_created_at: number;
  t_expires_at: number;
  rotated_at: number | null;
  successor: string | null;
  client_id: string;
  subject: string;
  user_id: string | null;
  org_id: string | null;
  installation_id: string | null;
  f_scope: string;
  claims: string | null;
  audience: string | null;
  f_status: string;
  f_created_at: number;
  f_expires_at: number;
  revoked_at: number | null;
  confirmation: string | null;
}

export function tokenColumns(r: JoinedRow): RefreshTokenRow {
  return { hash: r.hash, family_id: r.family_id, status: r.t_status, scope: r.t_scope, created_at: r.t_created_at, expires_at: r.t_expires_at, rotated_at: r.rotated_at, successor: r.successor };
}

export function familyColumns(r: JoinedRow): RefreshFamilyRow {
  return {
    family_id: r.family_id, client_id: r.client_id, subject: r.subject, user_id: r.user_id, org_id: r.org_id, installation_id: r.installation_id,
    scope: r.f_scope, claims: r.claims, audience: r.audience, status: r.f_status, created_at: r.f_created_at, expires_at: r.f_expires_at, revoked_at: r.revoked_at, confirmation: r.confirmation,
  };
}

export function tokenRow(familyId: string, t: NewToken): RefreshTokenRow {
  return {
    hash: t.hash,
    family_id: familyId,
    status: 'active',
    scope: t.scope.join(' '),
    created_at: t.createdAt,
    expires_at: t.expiresAt,
    rotated_at: null,
    successor: null,
  };
}

// The hot queries of the refresh grant, compiled once (sql/prepared.ts).
export const findJoined = prepared<[hash: string], JoinedRow>(1, (c, hash) =>
  c.db
    .selectFrom('refresh_tokens as t')
    .innerJoin('refresh_families as f', 'f.family_id', 't.family_id')
    .select([
      't.hash', 't.family_id', 't.status as t_status', 't.scope as t_scope', 't.created_at as t_created_at', 't.expires_at as t_expires_at',
      't.rotated_at', 't.successor', 'f.client_id', 'f.subject', 'f.user_id', 'f.org_id', 'f.installation_id', 'f.scope as f_scope', 'f.claims', 'f.audience',
      'f.status as f_status', 'f.created_at as f_created_at', 'f.expires_at as f_expires_at', 'f.revoked_at', 'f.confirmation',
    ])
    .where('t.hash', '=', hash),
);

export const familyById = prepared<[familyId: string], RefreshFamilyRow>(1, (c, familyId) => c.db.selectFrom('refresh_families').selectAll().where('family_id', '=', familyId));

export const insertToken = prepared<[hash: string, familyId: string, scope: string, createdAt: number, expiresAt: number], never>(5, (c, hash, familyId, scope, createdAt, expiresAt) =>
  c.db.insertInto('refresh_tokens').values({ hash, family_id: familyId, status: 'active', scope, created_at: createdAt, expires_at: expiresAt, rotated_at: null, successor: null }),
);
