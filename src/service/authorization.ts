import type { AuthState } from "../auth/auth-state.ts";
import { INVALID_KEY_MESSAGE, MISSING_KEY_MESSAGE } from "../auth/authenticator.ts";
import { AUTH_OFF_CALLER, isValidCaller, type Caller } from "../auth/caller.ts";
import type { PrincipalRef, ResourceKind } from "../auth/principal.ts";
import { requiredScopeRole, requiredWorkspaceRole, SCOPE, WS } from "../auth/roles.ts";
import { TesseraError } from "../errors/tessera-error.ts";

/**
 * THE permission table (DESIGN §6) and the one place it is enforced. Every service method calls one
 * of AccessControl's checks with the Caller its transport authenticated; transports never decide.
 *
 * | operation                                   | needs                                                  |
 * |---------------------------------------------|--------------------------------------------------------|
 * | register, push, push_batch (PushStream)     | editor on the workspace                                |
 * | get, batch_get, GetFeatures(Batch)          | consumer on the workspace                              |
 * | Metadata, registry read                     | viewer on the workspace                                |
 * | reset, test clock                           | admin (and test mode, checked by the data plane)       |
 * | create/delete workspaces, users, groups     | admin                                                  |
 * | ping, list workspaces, GetRoles, identity   | any authenticated principal                            |
 * | create service account                      | any principal (its creator manages it)                 |
 * | create/list/revoke API keys                 | the key's owner, the owning account's creator, admin   |
 * | assign / list roles on a workspace          | admin or owner of it                                   |
 * | assign / list roles on the organization     | admin                                                  |
 * | create scope, list scopes                   | any principal (the creator gets manage)                |
 * | assign / list roles on a scope              | manage on it, or admin                                 |
 * | delete scope                                | manage on it                                           |
 * | put / delete secret                         | write on the scope                                     |
 * | list keys of a scope                        | write on it, or admin                                  |
 * | read a secret value                         | read on the scope (admin alone does not suffice)       |
 *
 * Admin holds every workspace permission on every workspace (tecton-behaviour §6.4). Roles of a
 * principal's groups count as its own. With `--auth off` every check passes.
 */

export type WorkspaceOperation =
  | "register"
  | "push"
  | "push_batch"
  | "get"
  | "batch_get"
  | "get_features"
  | "get_features_batch"
  | "metadata"
  | "registry_read"
  | "manage_roles";

const WORKSPACE_TABLE: Readonly<Record<WorkspaceOperation, number>> = {
  register: WS.WRITE,
  push: WS.WRITE,
  push_batch: WS.WRITE,
  get: WS.READ_FEATURES,
  batch_get: WS.READ_FEATURES,
  get_features: WS.READ_FEATURES,
  get_features_batch: WS.READ_FEATURES,
  metadata: WS.VIEW,
  registry_read: WS.VIEW,
  manage_roles: WS.MANAGE,
};

export type InstanceOperation = "reset" | "test_clock" | "manage_workspaces" | "manage_users" | "manage_groups" | "manage_organization_roles" | "manage_any_principal";

export type ScopeOperation = "read_secret" | "put_secret" | "delete_secret" | "list_secrets" | "delete_scope" | "manage_roles";

const SCOPE_TABLE: Readonly<Record<ScopeOperation, { readonly bits: number; readonly admin: boolean }>> = {
  read_secret: { bits: SCOPE.READ, admin: false },
  put_secret: { bits: SCOPE.WRITE, admin: false },
  delete_secret: { bits: SCOPE.WRITE, admin: false },
  list_secrets: { bits: SCOPE.WRITE, admin: true },
  delete_scope: { bits: SCOPE.MANAGE, admin: false },
  manage_roles: { bits: SCOPE.MANAGE, admin: true },
};

/** Tecton's 403 text (tecton-behaviour §1.5). Role changes apply at once here; the note is Tecton's. */
export const NOT_AUTHORIZED_MESSAGE = "Not Authorized. Note that access control changes may take up to 60 seconds to apply.";

export function notAuthorized(details: Record<string, unknown>): TesseraError {
  return new TesseraError("permission_denied", NOT_AUTHORIZED_MESSAGE, details);
}

export class AccessControl {
  /** `--auth off`: everything is allowed and every request runs as AUTH_OFF_CALLER. */
  readonly required: boolean;
  private readonly state: AuthState | undefined;

  constructor(required: boolean, state?: AuthState) {
    if (required && state === undefined) throw new Error("AccessControl: auth required needs the auth state");
    this.required = required;
    this.state = state;
  }

  /** The caller, which must be authenticated and still valid; AUTH_OFF_CALLER with auth off. */
  authenticated(caller: Caller | undefined): Caller {
    if (!this.required) return caller ?? AUTH_OFF_CALLER;
    if (caller === undefined) throw new TesseraError("unauthenticated", MISSING_KEY_MESSAGE);
    if (!isValidCaller(caller)) throw new TesseraError("unauthenticated", INVALID_KEY_MESSAGE);
    return caller;
  }

  /** The data-plane hot path: a validity check, a cached grants object and one Map lookup. */
  workspace(caller: Caller | undefined, operation: WorkspaceOperation, workspace: string): void {
    if (!this.required) return;
    const c = this.authenticated(caller);
    const need = WORKSPACE_TABLE[operation];
    if ((this.workspaceBits(c, workspace) & need) !== need) {
      throw notAuthorized({ operation, workspace, required_role: requiredWorkspaceRole(need) });
    }
  }

  canWorkspace(caller: Caller, operation: WorkspaceOperation, workspace: string): boolean {
    if (!this.required || caller.authOff) return true;
    const need = WORKSPACE_TABLE[operation];
    return (this.workspaceBits(caller, workspace) & need) === need;
  }

  instance(caller: Caller | undefined, operation: InstanceOperation): Caller {
    const c = this.authenticated(caller);
    if (!this.isAdmin(c)) throw notAuthorized({ operation, required_role: "admin" });
    return c;
  }

  isAdmin(caller: Caller): boolean {
    if (!this.required || caller.authOff) return true;
    return this.state!.grantsOf(caller.actor).admin;
  }

  scope(caller: Caller | undefined, operation: ScopeOperation, scope: string): Caller {
    const c = this.authenticated(caller);
    if (!this.canScope(c, operation, scope)) {
      const rule = SCOPE_TABLE[operation];
      throw notAuthorized({ operation, scope, required_role: requiredScopeRole(rule.bits) });
    }
    return c;
  }

  canScope(caller: Caller, operation: ScopeOperation, scope: string): boolean {
    if (!this.required || caller.authOff) return true;
    const rule = SCOPE_TABLE[operation];
    const grants = this.state!.grantsOf(caller.actor);
    if (rule.admin && grants.admin) return true;
    return ((grants.scopes.get(scope) ?? 0) & rule.bits) === rule.bits;
  }

  /** Assign, unassign or list roles on a resource: admin; owner of a workspace; manage on a scope. */
  canManageRoles(caller: Caller, resource: ResourceKind, id: string): boolean {
    if (resource === "organization") return this.isAdmin(caller);
    if (resource === "workspace") return this.canWorkspace(caller, "manage_roles", id);
    return this.canScope(caller, "manage_roles", id);
  }

  manageRoles(caller: Caller, resource: ResourceKind, id: string): void {
    if (this.canManageRoles(caller, resource, id)) return;
    const required_role = resource === "organization" ? "admin" : resource === "workspace" ? "owner" : "manage_scope_role";
    throw notAuthorized({ operation: "manage_roles", resource_type: resource, resource_id: id, required_role });
  }

  /**
   * Manage a user or service account (update, deactivate, delete, its API keys): admin; the
   * principal itself for its own keys (`self`); the creator of a service account.
   */
  canManagePrincipal(caller: Caller, target: PrincipalRef, self: boolean): boolean {
    if (this.isAdmin(caller)) return true;
    const me = caller.actor;
    if (self && me.type === target.type && me.id === target.id) return true;
    if (target.type !== "service_account") return false;
    const sa = this.state!.serviceAccounts.get(target.id);
    return sa?.creator != null && sa.creator.type === me.type && sa.creator.id === me.id;
  }

  private workspaceBits(c: Caller, workspace: string): number {
    const g = this.state!.grantsOf(c.actor);
    return g.allWorkspaces | (g.workspaces.get(workspace) ?? 0);
  }
}

/** With --auth off; also what services use when constructed without access control (unit tests). */
export const ALLOW_ALL = new AccessControl(false);
