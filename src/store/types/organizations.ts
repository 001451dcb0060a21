/** Organisations and the installations that authorise apps in them (Cobo org tokens). */
import type { IfVersion, Status } from './common.js';

export interface Organization {
  id: string;
  name: string;
  status: Status;
  /** Operator data claim templates may reference (`{{org.metadata.tier}}`); bounded (admin/metadata.ts). */
  metadata?: Record<string, unknown> | null;
  createdAt: number;
  updatedAt: number;
  /** 1 on creation, incremented by every update: what a compare-and-set write (ifVersion) compares. */
  version: number;
}

export interface OrganizationStore {
  get(id: string): Promise<Organization | undefined>;
  list(opts?: { limit?: number; after?: string }): Promise<Organization[]>;
  create(org: Omit<Organization, 'createdAt' | 'updatedAt' | 'version'>): Promise<Organization>;
  /**
   * The updated organisation, or undefined when it does not exist. With `ifVersion`, a compare-and-set in one
   * statement: one whose version is another throws VersionConflictError and nothing is written.
   */
  update(id: string, patch: Partial<Pick<Organization, 'name' | 'status' | 'metadata'>>, cond?: IfVersion): Promise<Organization | undefined>;
  /**
   * Deletes an organisation in one transaction: 'missing' when there is none; 'has_installations' (nothing
   * deleted) when it has installations and `withInstallations` is false; else its installations go with it, their
   * refresh-token families revoked, and every deleted record is published on the change feed. With `ifVersion`,
   * an organisation whose version is another throws VersionConflictError and nothing is deleted.
   */
  delete(id: string, opts: { withInstallations: boolean } & IfVersion): Promise<'deleted' | 'missing' | 'has_installations'>;
}

export interface Installation {
  id: string;
  orgId: string;
  clientId: string;
  scope: string[];
  status: 'active' | 'revoked';
  createdAt: number;
  approvedAt: number | null;
  revokedAt: number | null;
  /** Operator data claim templates may reference (`{{installation.metadata.plan}}`); bounded (admin/metadata.ts). */
  metadata?: Record<string, unknown> | null;
  /** 1 on creation, incremented by every update: what a compare-and-set write (ifVersion) compares. */
  version: number;
}

export interface InstallationStore {
  get(id: string): Promise<Installation | undefined>;
  find(orgId: string, clientId: string): Promise<Installation | undefined>;
  list(opts?: { orgId?: string; clientId?: string }): Promise<Installation[]>;
  create(inst: Omit<Installation, 'createdAt' | 'version'>): Promise<Installation>;
  /**
   * The updated installation, or undefined when it does not exist. With `ifVersion`, a compare-and-set in one
   * statement: one whose version is another throws VersionConflictError and nothing is written.
   */
  update(id: string, patch: Partial<Pick<Installation, 'scope' | 'status' | 'approvedAt' | 'revokedAt' | 'metadata'>>, cond?: IfVersion): Promise<Installation | undefined>;
  /**
   * Deletes an installation, revoking its refresh-token families in the same transaction; false when missing.
   * With `ifVersion`, VersionConflictError when it changed (nothing deleted, nothing revoked).
   */
  delete(id: string, cond?: IfVersion): Promise<boolean>;
}
