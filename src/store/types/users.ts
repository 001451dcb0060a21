/** Users, the identity providers that vouch for them, and the links between the two. */
import type { IfVersion, Status } from './common.js';

export interface User {
  id: string;
  username: string;
  passwordHash: string | null;
  status: Status;
  /** Scopes this user may be granted; null = no user-level restriction. */
  scope: string[] | null;
  email: string | null;
  emailVerified: boolean;
  /** Operator data claim templates may reference (`{{user.metadata.roles}}`); bounded (admin/metadata.ts). */
  metadata?: Record<string, unknown> | null;
  createdAt: number;
  updatedAt: number;
  /** 1 on creation, incremented by every update: what a compare-and-set write (ifVersion) compares. */
  version: number;
}

export type NewUser = Omit<User, 'createdAt' | 'updatedAt' | 'version'>;
export type UserPatch = Partial<Omit<User, 'id' | 'createdAt' | 'updatedAt' | 'version'>>;

export interface UserListOptions {
  limit?: number;
  after?: string;
  username?: string;
  email?: string;
  status?: User['status'];
}

export interface UserStore {
  get(id: string): Promise<User | undefined>;
  /** Case-insensitive lookup. */
  getByUsername(username: string): Promise<User | undefined>;
  getByEmail(email: string): Promise<User | undefined>;
  /** By username_normalized, after `after`; the filters match exactly (username and e-mail case-insensitively). */
  list(opts?: UserListOptions): Promise<User[]>;
  create(user: NewUser): Promise<User>;
  /**
   * The updated user, or undefined when it does not exist. With `ifVersion`, a compare-and-set in one statement:
   * a user whose version is another throws VersionConflictError and nothing is written (as ClientStore.update).
   */
  update(id: string, patch: UserPatch, cond?: IfVersion): Promise<User | undefined>;
  /** False when it does not exist; with `ifVersion`, VersionConflictError when it changed (nothing deleted). */
  delete(id: string, cond?: IfVersion): Promise<boolean>;
}

export interface IdentityProvider {
  name: string;
  type: 'oidc' | 'introspection' | 'jwt_bearer';
  /** Type-specific settings, validated by the federation module. */
  config: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  /** 1 on creation, incremented by every update: what a compare-and-set write (ifVersion) compares. */
  version: number;
}

export type NewIdentityProvider = Omit<IdentityProvider, 'createdAt' | 'updatedAt' | 'version'>;

export interface IdentityProviderStore {
  get(name: string): Promise<IdentityProvider | undefined>;
  list(): Promise<IdentityProvider[]>;
  /** Adds a provider; ConflictError when the name is taken (on any node: the primary key decides). */
  create(idp: NewIdentityProvider): Promise<IdentityProvider>;
  /** Adds or replaces a provider (the import document, `tessera idp add`); a replacement increments the version. */
  upsert(idp: NewIdentityProvider): Promise<IdentityProvider>;
  /**
   * Replaces the type and settings of an existing provider; undefined when it does not exist. With `ifVersion`, a
   * compare-and-set in one statement: a provider whose version is another throws VersionConflictError.
   */
  update(idp: NewIdentityProvider, cond?: IfVersion): Promise<IdentityProvider | undefined>;
  /** False when it does not exist; with `ifVersion`, VersionConflictError when it changed (nothing deleted). */
  delete(name: string, cond?: IfVersion): Promise<boolean>;
}

export interface UserLink {
  provider: string;
  subject: string;
  userId: string;
  createdAt: number;
}

export interface UserLinkStore {
  get(provider: string, subject: string): Promise<UserLink | undefined>;
  create(link: Omit<UserLink, 'createdAt'>): Promise<UserLink>;
  listForUser(userId: string): Promise<UserLink[]>;
}
