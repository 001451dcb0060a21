import type { RotateOutcome } from '../../types.js';
import type { NewToken } from '../refresh-rows.js';

/**
 * The common case of a refresh-token rotation, in as few statements as the engine allows: the presented token
 * is live (liveness.ts), so the compare-and-set moves it from active to rotated and the successor is inserted,
 * atomically. Resolves to undefined when the compare-and-set did not win: nothing was written then, and the
 * store's judgement (refresh-tokens.ts) decides between a retry, reuse and invalid.
 *
 * One per engine, chosen when the store opens (index.ts): `sqlite.ts`, `postgres.ts`, and `kysely.ts` inside a
 * caller's transaction.
 */
export type LiveRotation = (hash: string, successor: NewToken, now: number) => Promise<RotateOutcome | undefined>;
