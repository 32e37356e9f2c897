/**
 * Principals (DESIGN §6): users, service accounts, groups (whose members inherit their roles) and
 * workspaces (which may hold secret-scope roles). Records are mutable objects owned by AuthState; a
 * Caller keeps a reference to its principal's record, so deactivating or deleting a principal takes
 * effect on the very next request of every connection that authenticated as it.
 */

export type PrincipalKind = "user" | "service_account" | "group" | "workspace";
export type ResourceKind = "workspace" | "organization" | "secret_scope";

/** A reference to a principal, as commands and assignments store it. */
export interface PrincipalRef {
  readonly type: PrincipalKind;
  readonly id: string;
}

/** Effective permissions of a principal: its direct roles and its groups' roles, merged. */
export interface Grants {
  /** Instance admin. */
  readonly admin: boolean;
  /** Workspace permission bits granted on every workspace (organization-level workspace roles). */
  readonly allWorkspaces: number;
  /** Workspace permission bits per workspace (not including allWorkspaces). */
  readonly workspaces: ReadonlyMap<string, number>;
  /** Secret-scope permission bits per scope. */
  readonly scopes: ReadonlyMap<string, number>;
}

/** What users and service accounts share: they can hold API keys and make requests. */
export interface ActorRecord {
  readonly type: "user" | "service_account";
  readonly id: string;
  isActive: boolean;
  /** Set when the principal is deleted; cached callers holding the record see it. */
  deleted: boolean;
  readonly createTime: number;
  /** The built-in bootstrap admin: always admin, cannot be changed or deleted. */
  readonly builtin: boolean;
  /** Grants cache: valid while grantsVersion equals AuthState's version. */
  grants: Grants | undefined;
  grantsVersion: number;
}

export interface UserRecord extends ActorRecord {
  readonly type: "user";
  readonly loginEmail: string;
  firstName: string;
  lastName: string;
}

export interface ServiceAccountRecord extends ActorRecord {
  readonly type: "service_account";
  name: string;
  description: string;
  /** Who created it; the creator manages it (update, deactivate, delete, keys). Null for the bootstrap admin. */
  readonly creator: PrincipalRef | null;
}

export type Actor = UserRecord | ServiceAccountRecord;

export interface GroupRecord {
  readonly id: string;
  name: string;
  description: string;
  /** principalKey(member) -> member; only users and service accounts are members. */
  readonly members: Map<string, PrincipalRef>;
  readonly createTime: number;
}

export interface ApiKeyRecord {
  readonly id: string;
  readonly owner: PrincipalRef;
  readonly description: string;
  /** The non-secret beginning of the key, to recognise it in listings. */
  readonly prefix: string;
  /** SHA-256 of the whole key. The key itself is never stored. */
  readonly hash: Buffer;
  readonly createTime: number;
  revoked: boolean;
}

/** One role held by one principal on one resource (empty resourceId for organization). */
export interface Assignment {
  readonly resourceType: ResourceKind;
  readonly resourceId: string;
  readonly role: string;
  readonly principalType: PrincipalKind;
  readonly principalId: string;
}

export function principalKey(p: PrincipalRef): string {
  return `${p.type}:${p.id}`;
}

export function assignmentKey(a: Assignment): string {
  return `${a.resourceType}\u0000${a.resourceId}\u0000${a.role}\u0000${a.principalType}\u0000${a.principalId}`;
}

/** Id of the built-in bootstrap admin service account. */
export const BOOTSTRAP_ADMIN_ID = "bootstrap-admin";
