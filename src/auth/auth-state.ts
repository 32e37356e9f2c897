import type { AuthCommand, LoggedAssignment } from "./auth-commands.ts";
import {
  assignmentKey,
  BOOTSTRAP_ADMIN_ID,
  principalKey,
  type Actor,
  type ApiKeyRecord,
  type Assignment,
  type Grants,
  type GroupRecord,
  type PrincipalRef,
  type ServiceAccountRecord,
  type UserRecord,
} from "./principal.ts";
import { roleOf, WS_ALL } from "./roles.ts";

/**
 * Principals, API keys and role assignments in memory: the state machine of the auth commands. The
 * service layer validates a command completely before it is logged; `apply` then cannot fail, and on
 * replay it tolerates what a validated command cannot contain (a member that no longer exists is
 * skipped), so recovery never stops on auth state.
 *
 * `version` changes whenever effective grants may change (assignments, memberships, deletions); each
 * actor caches its merged grants against it, so an authorization check is a couple of property reads
 * and one Map lookup.
 */
export class AuthState {
  readonly users = new Map<string, UserRecord>();
  readonly serviceAccounts = new Map<string, ServiceAccountRecord>();
  readonly groups = new Map<string, GroupRecord>();
  readonly apiKeys = new Map<string, ApiKeyRecord>();
  /** assignmentKey -> assignment. */
  readonly assignments = new Map<string, Assignment>();
  /** principalKey(member) -> ids of the groups it belongs to. */
  private readonly memberOf = new Map<string, Set<string>>();
  private grantsVersion = 1;
  /** The built-in admin the bootstrap key authenticates as (never logged). */
  readonly bootstrapAdmin: ServiceAccountRecord;

  constructor() {
    this.bootstrapAdmin = {
      type: "service_account",
      id: BOOTSTRAP_ADMIN_ID,
      name: "bootstrap admin",
      description: "Built-in instance admin; authenticates with TESSERA_ADMIN_KEY or <data-dir>/admin.key",
      isActive: true,
      deleted: false,
      createTime: 0,
      builtin: true,
      creator: null,
      grants: undefined,
      grantsVersion: 0,
    };
    this.serviceAccounts.set(BOOTSTRAP_ADMIN_ID, this.bootstrapAdmin);
  }

  get version(): number {
    return this.grantsVersion;
  }

  actor(ref: PrincipalRef): Actor | undefined {
    if (ref.type === "user") return this.users.get(ref.id);
    if (ref.type === "service_account") return this.serviceAccounts.get(ref.id);
    return undefined;
  }

  groupsOf(ref: PrincipalRef): ReadonlySet<string> {
    return this.memberOf.get(principalKey(ref)) ?? EMPTY_SET;
  }

  /** The merged grants of an actor: its own assignments and those of its groups. */
  grantsOf(actor: Actor): Grants {
    if (actor.grants !== undefined && actor.grantsVersion === this.grantsVersion) return actor.grants;
    const holders = [principalKey(actor), ...[...this.groupsOf(actor)].map((g) => principalKey({ type: "group", id: g }))];
    let admin = actor.builtin;
    let allWorkspaces = 0;
    const workspaces = new Map<string, number>();
    const scopes = new Map<string, number>();
    for (const a of this.assignments.values()) {
      if (!holders.includes(`${a.principalType}:${a.principalId}`)) continue;
      const role = roleOf(a.role);
      if (role === undefined) continue;
      if (role.id === "admin") admin = true;
      else if (role.kind === "workspace") {
        if (a.resourceType === "organization") allWorkspaces |= role.bits;
        else workspaces.set(a.resourceId, (workspaces.get(a.resourceId) ?? 0) | role.bits);
      } else if (role.kind === "scope") scopes.set(a.resourceId, (scopes.get(a.resourceId) ?? 0) | role.bits);
    }
    // An admin may do everything on every workspace (tecton-behaviour §6.4: "treat admin as allowed").
    if (admin) allWorkspaces = WS_ALL;
    const grants: Grants = { admin, allWorkspaces, workspaces, scopes };
    actor.grants = grants;
    actor.grantsVersion = this.grantsVersion;
    return grants;
  }

  apply(c: AuthCommand, now: number): void {
    switch (c.type) {
      case "create_user":
        this.users.set(c.id, {
          type: "user",
          id: c.id,
          loginEmail: c.login_email,
          firstName: c.first_name,
          lastName: c.last_name,
          isActive: true,
          deleted: false,
          createTime: now,
          builtin: false,
          grants: undefined,
          grantsVersion: 0,
        });
        return;
      case "update_user": {
        const u = this.users.get(c.id);
        if (u === undefined) return;
        if (c.first_name !== undefined) u.firstName = c.first_name;
        if (c.last_name !== undefined) u.lastName = c.last_name;
        if (c.is_active !== undefined) u.isActive = c.is_active;
        return;
      }
      case "delete_user":
        this.deleteActor({ type: "user", id: c.id });
        return;
      case "create_service_account":
        this.serviceAccounts.set(c.id, {
          type: "service_account",
          id: c.id,
          name: c.name,
          description: c.description,
          isActive: true,
          deleted: false,
          createTime: now,
          builtin: false,
          creator: c.creator,
          grants: undefined,
          grantsVersion: 0,
        });
        return;
      case "update_service_account": {
        const sa = this.serviceAccounts.get(c.id);
        if (sa === undefined || sa.builtin) return;
        if (c.name !== undefined) sa.name = c.name;
        if (c.description !== undefined) sa.description = c.description;
        if (c.is_active !== undefined) sa.isActive = c.is_active;
        return;
      }
      case "delete_service_account":
        if (c.id !== BOOTSTRAP_ADMIN_ID) this.deleteActor({ type: "service_account", id: c.id });
        return;
      case "create_group":
        this.groups.set(c.id, { id: c.id, name: c.name, description: c.description, members: new Map(), createTime: now });
        return;
      case "update_group": {
        const g = this.groups.get(c.id);
        if (g === undefined) return;
        if (c.name !== undefined) g.name = c.name;
        if (c.description !== undefined) g.description = c.description;
        return;
      }
      case "delete_group": {
        const g = this.groups.get(c.id);
        if (g === undefined) return;
        for (const m of g.members.values()) this.memberOf.get(principalKey(m))?.delete(g.id);
        this.groups.delete(c.id);
        this.dropAssignments((a) => a.principalType === "group" && a.principalId === c.id);
        this.grantsVersion++;
        return;
      }
      case "add_group_members": {
        const g = this.groups.get(c.group_id);
        if (g === undefined) return;
        for (const m of c.members) {
          const actor = this.actor(m);
          if (actor === undefined) continue;
          const key = principalKey(m);
          g.members.set(key, { type: m.type, id: m.id });
          let set = this.memberOf.get(key);
          if (set === undefined) this.memberOf.set(key, (set = new Set()));
          set.add(g.id);
        }
        this.grantsVersion++;
        return;
      }
      case "remove_group_members": {
        const g = this.groups.get(c.group_id);
        if (g === undefined) return;
        for (const m of c.members) {
          const key = principalKey(m);
          g.members.delete(key);
          this.memberOf.get(key)?.delete(g.id);
        }
        this.grantsVersion++;
        return;
      }
      case "create_api_key":
        this.apiKeys.set(c.id, {
          id: c.id,
          owner: c.owner,
          description: c.description,
          prefix: c.prefix,
          hash: Buffer.from(c.sha256, "hex"),
          createTime: now,
          revoked: false,
        });
        return;
      case "revoke_api_key": {
        const k = this.apiKeys.get(c.id);
        if (k === undefined) return;
        k.revoked = true;
        this.apiKeys.delete(c.id);
        return;
      }
      case "assign_roles":
        for (const a of c.assignments) {
          const role = roleOf(a.role);
          if (role === undefined) continue;
          const assignment = fromLogged(a, role.id);
          this.assignments.set(assignmentKey(assignment), assignment);
        }
        this.grantsVersion++;
        return;
      case "unassign_roles":
        for (const a of c.assignments) {
          const role = roleOf(a.role);
          if (role !== undefined) this.assignments.delete(assignmentKey(fromLogged(a, role.id)));
        }
        this.grantsVersion++;
        return;
    }
  }

  /**
   * Snapshot restore (auth-state-codec.ts), once the records are in place: rebuilds the membership
   * index from the groups and continues the grants version where the snapshot left it.
   */
  restored(grantsVersion: number): void {
    this.memberOf.clear();
    for (const g of this.groups.values()) {
      for (const key of g.members.keys()) {
        let set = this.memberOf.get(key);
        if (set === undefined) this.memberOf.set(key, (set = new Set()));
        set.add(g.id);
      }
    }
    this.grantsVersion = grantsVersion;
  }

  /** A workspace was deleted: roles on it and roles it held go with it. */
  workspaceDeleted(name: string): void {
    this.dropAssignments((a) => (a.resourceType === "workspace" && a.resourceId === name) || (a.principalType === "workspace" && a.principalId === name));
    this.grantsVersion++;
  }

  /** A secret scope was deleted: the roles on it go with it. */
  scopeDeleted(scope: string): void {
    this.dropAssignments((a) => a.resourceType === "secret_scope" && a.resourceId === scope);
    this.grantsVersion++;
  }

  private deleteActor(ref: PrincipalRef): void {
    const actor = this.actor(ref);
    if (actor === undefined) return;
    actor.deleted = true;
    if (ref.type === "user") this.users.delete(ref.id);
    else this.serviceAccounts.delete(ref.id);
    const key = principalKey(ref);
    for (const gid of this.memberOf.get(key) ?? []) this.groups.get(gid)?.members.delete(key);
    this.memberOf.delete(key);
    for (const k of [...this.apiKeys.values()]) {
      if (k.owner.type === ref.type && k.owner.id === ref.id) {
        k.revoked = true;
        this.apiKeys.delete(k.id);
      }
    }
    this.dropAssignments((a) => a.principalType === ref.type && a.principalId === ref.id);
    this.grantsVersion++;
  }

  private dropAssignments(match: (a: Assignment) => boolean): void {
    for (const [k, a] of this.assignments) if (match(a)) this.assignments.delete(k);
  }
}

const EMPTY_SET: ReadonlySet<string> = new Set();

function fromLogged(a: LoggedAssignment, role: string): Assignment {
  return {
    resourceType: a.resource_type,
    resourceId: a.resource_type === "organization" ? "" : a.resource_id,
    role,
    principalType: a.principal_type,
    principalId: a.principal_id,
  };
}

export function toLogged(a: Assignment): LoggedAssignment {
  return { resource_type: a.resourceType, resource_id: a.resourceId, role: a.role, principal_type: a.principalType, principal_id: a.principalId };
}
