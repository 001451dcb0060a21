/** Shared pieces of the store records: status, and the compare-and-set condition of admin writes (If-Match). */

export type Status = 'active' | 'disabled';

/** A compare-and-set condition: the write applies only if the record's version is still this one. */
export interface IfVersion {
  ifVersion?: number;
}
