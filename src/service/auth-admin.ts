import { create } from "@bufbuild/protobuf";
import {
  AddGroupMembersResponseSchema,
  AssignedPrincipalSchema,
  AssignRolesResponseSchema,
  CreateApiKeyResponseSchema,
  CreateGroupResponseSchema,
  CreateServiceAccountResponseSchema,
  CreateUserResponseSchema,
  DeleteGroupResponseSchema,
  DeleteServiceAccountResponseSchema,
  DeleteUserResponseSchema,
  GetCallerIdentityResponseSchema,
  GetRolesResponseSchema,
  ListApiKeysResponseSchema,
  ListAssignedPrincipalsResponseSchema,
  ListAssignedRolesResponseSchema,
  ListGroupsResponseSchema,
  ListServiceAccountsResponseSchema,
  ListUsersResponseSchema,
  PrincipalBasicSchema,
  PrincipalType,
  RemoveGroupMembersResponseSchema,
  ResourceAndRoleAssignmentsSchema,
  ResourceType,
  RevokeApiKeyResponseSchema,
  RoleAssignmentSourceSchema,
  RoleAssignmentSummarySchema,
  RoleAssignmentType,
  RoleDefinitionSchema,
  UnassignRolesResponseSchema,
  UpdateGroupResponseSchema,
  UpdateServiceAccountResponseSchema,
  UpdateUserResponseSchema,
  WorkspacePrincipalSchema,
  type AddGroupMembersRequest,
  type AddGroupMembersResponse,
  type Assignment as AssignmentMessage,
  type AssignRolesRequest,
  type AssignRolesResponse,
  type CreateApiKeyRequest,
  type CreateApiKeyResponse,
  type CreateGroupRequest,
  type CreateGroupResponse,
  type CreateServiceAccountRequest,
  type CreateServiceAccountResponse,
  type CreateUserRequest,
  type CreateUserResponse,
  type DeleteGroupRequest,
  type DeleteGroupResponse,
  type DeleteServiceAccountRequest,
  type DeleteServiceAccountResponse,
  type DeleteUserRequest,
  type DeleteUserResponse,
  type GetCallerIdentityResponse,
  type GetRolesResponse,
  type ListApiKeysRequest,
  type ListApiKeysResponse,
  type ListAssignedPrincipalsRequest,
  type ListAssignedPrincipalsResponse,
  type ListAssignedRolesRequest,
  type ListAssignedRolesResponse,
  type ListGroupsResponse,
  type ListServiceAccountsResponse,
  type ListUsersResponse,
  type Principal as PrincipalMessage,
  type PrincipalBasic,
  type RemoveGroupMembersRequest,
  type RemoveGroupMembersResponse,
  type ResourceAndRoleAssignments,
  type RevokeApiKeyRequest,
  type RevokeApiKeyResponse,
  type RoleAssignmentSource,
  type UnassignRolesRequest,
  type UnassignRolesResponse,
  type UpdateGroupRequest,
  type UpdateGroupResponse,
  type UpdateServiceAccountRequest,
  type UpdateServiceAccountResponse,
  type UpdateUserRequest,
  type UpdateUserResponse,
} from "../../gen/tessera/auth/v1/auth_service_pb.ts";
import { generateApiKey, newPrincipalId } from "../auth/api-keys.ts";
import type { LoggedAssignment } from "../auth/auth-commands.ts";
import { toLogged } from "../auth/auth-state.ts";
import type { Caller } from "../auth/caller.ts";
import { principalKey, type Actor, type Assignment, type PrincipalKind, type PrincipalRef, type ResourceKind } from "../auth/principal.ts";
import { ROLE_ORDER, roleOf, ROLES } from "../auth/roles.ts";
import { TesseraError } from "../errors/tessera-error.ts";
import type { AuditLog } from "./auth-audit.ts";
import type { ControlPlaneWriter } from "./auth-control-plane.ts";
import {
  apiKeyMessage,
  groupMessage,
  principalKindOf,
  principalMessage,
  principalTypeOf,
  resourceKindOf,
  resourceTypeOf,
  serviceAccountMessage,
  userMessage,
} from "./auth-messages.ts";
import { notAuthorized, type AccessControl } from "./authorization.ts";

/**
 * AuthService (DESIGN §5, §6): principals, API keys and role assignments, for the Connect service and
 * the Tecton authorization-service REST paths alike. Requests and replies are the AuthService
 * messages (the REST routes read and write their JSON with the proto field names, as the seed shows).
 * Every method authorizes through AccessControl, validates completely, then commits its commands;
 * every change, and every refused change, writes one audit line.
 *
 * Limits: at most 100 assignments per AssignRoles / UnassignRoles and 1000 members per membership
 * change; names 1–128 characters without control characters; descriptions up to 1024 characters;
 * login emails up to 254 characters with an `@`, unique (case-insensitively); group names unique.
 */

export const MAX_ASSIGNMENTS_PER_REQUEST = 100;
export const MAX_MEMBERS_PER_REQUEST = 1000;
const MAX_NAME = 128;
const MAX_DESCRIPTION = 1024;
const MAX_EMAIL = 254;

export interface AuthAdminOptions {
  readonly writer: ControlPlaneWriter;
  readonly access: AccessControl;
  readonly audit: AuditLog;
  /** Whether a workspace exists (the engine owns workspaces). */
  readonly workspaceExists: (name: string) => boolean;
  /** Whether a secret scope exists. */
  readonly scopeExists: (name: string) => boolean;
}

const KIND_ORDER: Readonly<Record<PrincipalKind, number>> = { user: 0, service_account: 1, group: 2, workspace: 3 };
const RESOURCE_ORDER: Readonly<Record<ResourceKind, number>> = { organization: 0, workspace: 1, secret_scope: 2 };

export class AuthAdmin {
  private readonly writer: ControlPlaneWriter;
  private readonly access: AccessControl;
  private readonly audit: AuditLog;
  private readonly workspaceExists: (name: string) => boolean;
  private readonly scopeExists: (name: string) => boolean;

  constructor(options: AuthAdminOptions) {
    this.writer = options.writer;
    this.access = options.access;
    this.audit = options.audit;
    this.workspaceExists = options.workspaceExists;
    this.scopeExists = options.scopeExists;
  }

  private get state() {
    return this.writer.state.auth;
  }

  // ---------------------------------------------------------------- role assignments

  assignRoles(caller: Caller | undefined, req: AssignRolesRequest): Promise<AssignRolesResponse> {
    return this.change(caller, "assign_roles", () => ({ assignments: req.assignments.map(loggable) }), async (c) => {
      const assignments = this.assignmentsOf(c, req.assignments, true);
      if (assignments.length > 0) await this.writer.commit({ type: "assign_roles", assignments: assignments.map(toLogged) });
      return create(AssignRolesResponseSchema);
    });
  }

  unassignRoles(caller: Caller | undefined, req: UnassignRolesRequest): Promise<UnassignRolesResponse> {
    return this.change(caller, "unassign_roles", () => ({ assignments: req.assignments.map(loggable) }), async (c) => {
      const assignments = this.assignmentsOf(c, req.assignments, false);
      if (assignments.length > 0) await this.writer.commit({ type: "unassign_roles", assignments: assignments.map(toLogged) });
      return create(UnassignRolesResponseSchema);
    });
  }

  /**
   * Principals holding roles on one resource: direct holders (including groups), and the members of
   * holding groups with FROM_PRINCIPAL_GROUP sources; a role held directly and through two groups has
   * three sources. Organization-level ("all workspaces") grants are listed on the organization only.
   */
  listAssignedPrincipals(caller: Caller | undefined, req: ListAssignedPrincipalsRequest): ListAssignedPrincipalsResponse {
    const c = this.access.authenticated(caller);
    const resource = requiredResource(req.resourceType, "resource_type");
    const id = resource === "organization" ? "" : requiredString(req.resourceId, "resource_id");
    const roles = roleFilter(req.roles);
    const kinds = new Set<PrincipalKind>();
    for (const t of req.principalTypes) kinds.add(requiredPrincipalKind(t, "principal_types"));
    this.access.manageRoles(c, resource, id);
    this.requireResource(resource, id);

    type Holder = { ref: PrincipalRef; roles: Map<string, RoleAssignmentSource[]> };
    const holders = new Map<string, Holder>();
    const add = (ref: PrincipalRef, role: string, source: RoleAssignmentSource): void => {
      const key = principalKey(ref);
      let h = holders.get(key);
      if (h === undefined) holders.set(key, (h = { ref, roles: new Map() }));
      let sources = h.roles.get(role);
      if (sources === undefined) h.roles.set(role, (sources = []));
      sources.push(source);
    };
    const direct = create(RoleAssignmentSourceSchema, { assignmentType: RoleAssignmentType.DIRECT });
    const onResource = [...this.state.assignments.values()].filter((a) => a.resourceType === resource && a.resourceId === id && (roles === undefined || roles.has(a.role)));
    for (const a of onResource) add({ type: a.principalType, id: a.principalId }, a.role, direct);
    for (const a of onResource) {
      if (a.principalType !== "group") continue;
      const group = this.state.groups.get(a.principalId);
      if (group === undefined) continue;
      const viaGroup = create(RoleAssignmentSourceSchema, {
        assignmentType: RoleAssignmentType.FROM_PRINCIPAL_GROUP,
        principalGroupName: group.name,
        principalGroupId: group.id,
      });
      for (const m of group.members.values()) add(m, a.role, viaGroup);
    }
    const out = [...holders.values()]
      .filter((h) => kinds.size === 0 || kinds.has(h.ref.type))
      .map((h) => ({ h, basic: this.basicOf(h.ref) }))
      .filter((x): x is { h: Holder; basic: PrincipalBasic } => x.basic !== undefined)
      .sort((x, y) => KIND_ORDER[x.h.ref.type] - KIND_ORDER[y.h.ref.type] || x.h.ref.id.localeCompare(y.h.ref.id))
      .map(({ h, basic }) =>
        create(AssignedPrincipalSchema, {
          principal: basic,
          roleAssignments: [resourceAssignments(resource, id, h.roles)],
        }),
      );
    return create(ListAssignedPrincipalsResponseSchema, { assignments: out });
  }

  /**
   * The roles one principal holds, per resource, directly and through its groups. Callers see all of
   * them when they are admin or asking about themselves; otherwise only those on resources whose
   * roles they may manage.
   */
  listAssignedRoles(caller: Caller | undefined, req: ListAssignedRolesRequest): ListAssignedRolesResponse {
    const c = this.access.authenticated(caller);
    const kind = requiredPrincipalKind(req.principalType, "principal_type");
    const id = requiredString(req.principalId, "principal_id");
    const resource = req.resourceType === ResourceType.UNSPECIFIED ? undefined : requiredResource(req.resourceType, "resource_type");
    const ids = req.resourceIds.length === 0 ? undefined : new Set(req.resourceIds);
    const roles = roleFilter(req.roles);
    const ref: PrincipalRef = { type: kind, id };
    if (!this.principalExists(ref)) throw new TesseraError("not_found", `${kindText(kind)} \`${id}\` not found`);
    const self = c.actor.type === kind && c.actor.id === id;
    const seeAll = self || this.access.isAdmin(c);

    const holders = [{ key: principalKey(ref), source: create(RoleAssignmentSourceSchema, { assignmentType: RoleAssignmentType.DIRECT }) }];
    if (kind === "user" || kind === "service_account") {
      for (const gid of this.state.groupsOf(ref)) {
        const g = this.state.groups.get(gid);
        if (g === undefined) continue;
        holders.push({
          key: principalKey({ type: "group", id: gid }),
          source: create(RoleAssignmentSourceSchema, { assignmentType: RoleAssignmentType.FROM_PRINCIPAL_GROUP, principalGroupName: g.name, principalGroupId: g.id }),
        });
      }
    }
    const byResource = new Map<string, { type: ResourceKind; id: string; roles: Map<string, RoleAssignmentSource[]> }>();
    for (const a of this.state.assignments.values()) {
      const holder = holders.find((h) => h.key === `${a.principalType}:${a.principalId}`);
      if (holder === undefined) continue;
      if (resource !== undefined && a.resourceType !== resource) continue;
      if (ids !== undefined && !ids.has(a.resourceId)) continue;
      if (roles !== undefined && !roles.has(a.role)) continue;
      if (!seeAll && !this.access.canManageRoles(c, a.resourceType, a.resourceId)) continue;
      const rkey = `${a.resourceType}\u0000${a.resourceId}`;
      let r = byResource.get(rkey);
      if (r === undefined) byResource.set(rkey, (r = { type: a.resourceType, id: a.resourceId, roles: new Map() }));
      let sources = r.roles.get(a.role);
      if (sources === undefined) r.roles.set(a.role, (sources = []));
      sources.push(holder.source);
    }
    const assignments = [...byResource.values()]
      .sort((x, y) => RESOURCE_ORDER[x.type] - RESOURCE_ORDER[y.type] || x.id.localeCompare(y.id))
      .map((r) => resourceAssignments(r.type, r.id, r.roles));
    return create(ListAssignedRolesResponseSchema, { assignments });
  }

  getRoles(caller: Caller | undefined): GetRolesResponse {
    this.access.authenticated(caller);
    return create(GetRolesResponseSchema, {
      roles: ROLES.map((r) =>
        create(RoleDefinitionSchema, {
          id: r.id,
          name: r.name,
          description: r.description,
          assignableOnResourceTypes: r.assignableOn.map(resourceTypeOf),
          assignableToPrincipalTypes: r.assignableTo.map(principalTypeOf),
          permissions: r.permissions.map((p) => ({ id: p.id, description: p.description })),
          aliases: [...r.aliases],
        }),
      ),
    });
  }

  // ---------------------------------------------------------------- service accounts

  /** Any principal may create one; it becomes its creator and gets the account's first API key. */
  createServiceAccount(caller: Caller | undefined, req: CreateServiceAccountRequest): Promise<CreateServiceAccountResponse> {
    return this.change(caller, "create_service_account", () => ({ name: req.name }), async (c) => {
      const name = validName(req.name, "name");
      const description = validDescription(req.description);
      const id = newPrincipalId();
      const creator: PrincipalRef = { type: c.actor.type, id: c.actor.id };
      const key = generateApiKey();
      const owner: PrincipalRef = { type: "service_account", id };
      await this.writer.commit(
        { type: "create_service_account", id, name, description, creator },
        { type: "create_api_key", id: key.id, owner, description: "created with the account", prefix: key.prefix, sha256: key.hash.toString("hex") },
      );
      return create(CreateServiceAccountResponseSchema, { serviceAccount: serviceAccountMessage(this.state.serviceAccounts.get(id)!), apiKey: key.key });
    }, (r) => ({ service_account_id: r.serviceAccount?.id }));
  }

  /** Admins see every account; others the accounts they created (and themselves). */
  listServiceAccounts(caller: Caller | undefined): ListServiceAccountsResponse {
    const c = this.access.authenticated(caller);
    const all = [...this.state.serviceAccounts.values()].filter((sa) => this.access.canManagePrincipal(c, sa, true));
    all.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    return create(ListServiceAccountsResponseSchema, { serviceAccounts: all.map((sa) => serviceAccountMessage(sa)) });
  }

  updateServiceAccount(caller: Caller | undefined, req: UpdateServiceAccountRequest): Promise<UpdateServiceAccountResponse> {
    return this.change(caller, "update_service_account", () => ({ service_account_id: req.id, is_active: req.isActive }), async (c) => {
      const sa = this.managedActor(c, { type: "service_account", id: req.id });
      const name = req.name === undefined ? undefined : validName(req.name, "name");
      const description = req.description === undefined ? undefined : validDescription(req.description);
      await this.writer.commit({
        type: "update_service_account",
        id: sa.id,
        ...(name === undefined ? {} : { name }),
        ...(description === undefined ? {} : { description }),
        ...(req.isActive === undefined ? {} : { is_active: req.isActive }),
      });
      return create(UpdateServiceAccountResponseSchema, { serviceAccount: serviceAccountMessage(this.state.serviceAccounts.get(sa.id)!) });
    });
  }

  deleteServiceAccount(caller: Caller | undefined, req: DeleteServiceAccountRequest): Promise<DeleteServiceAccountResponse> {
    return this.change(caller, "delete_service_account", () => ({ service_account_id: req.id }), async (c) => {
      const sa = this.managedActor(c, { type: "service_account", id: req.id });
      await this.writer.commit({ type: "delete_service_account", id: sa.id });
      return create(DeleteServiceAccountResponseSchema);
    });
  }

  // ---------------------------------------------------------------- users (admin)

  createUser(caller: Caller | undefined, req: CreateUserRequest): Promise<CreateUserResponse> {
    return this.change(caller, "create_user", () => ({}), async (c) => {
      this.access.instance(c, "manage_users");
      const email = req.loginEmail.trim();
      if (email === "" || email.length > MAX_EMAIL || !email.includes("@") || /[\s\p{Cc}]/u.test(email)) {
        throw new TesseraError("invalid_argument", `login_email must be an email address of at most ${MAX_EMAIL} characters`);
      }
      const lower = email.toLowerCase();
      for (const u of this.state.users.values()) {
        if (u.loginEmail.toLowerCase() === lower) throw new TesseraError("already_exists", `a user with login_email \`${email}\` already exists`);
      }
      const first = validOptionalName(req.firstName, "first_name");
      const last = validOptionalName(req.lastName, "last_name");
      const id = newPrincipalId();
      await this.writer.commit({ type: "create_user", id, login_email: email, first_name: first, last_name: last });
      return create(CreateUserResponseSchema, { user: userMessage(this.state.users.get(id)!) });
    }, (r) => ({ user_id: r.user?.id }));
  }

  listUsers(caller: Caller | undefined): ListUsersResponse {
    this.access.instance(caller, "manage_users");
    const users = [...this.state.users.values()].sort((a, b) => a.loginEmail.localeCompare(b.loginEmail));
    return create(ListUsersResponseSchema, { users: users.map(userMessage) });
  }

  updateUser(caller: Caller | undefined, req: UpdateUserRequest): Promise<UpdateUserResponse> {
    return this.change(caller, "update_user", () => ({ user_id: req.id, is_active: req.isActive }), async (c) => {
      this.access.instance(c, "manage_users");
      const u = this.state.users.get(req.id);
      if (u === undefined) throw new TesseraError("not_found", `user \`${req.id}\` not found`);
      const first = req.firstName === undefined ? undefined : validOptionalName(req.firstName, "first_name");
      const last = req.lastName === undefined ? undefined : validOptionalName(req.lastName, "last_name");
      await this.writer.commit({
        type: "update_user",
        id: u.id,
        ...(first === undefined ? {} : { first_name: first }),
        ...(last === undefined ? {} : { last_name: last }),
        ...(req.isActive === undefined ? {} : { is_active: req.isActive }),
      });
      return create(UpdateUserResponseSchema, { user: userMessage(u) });
    });
  }

  deleteUser(caller: Caller | undefined, req: DeleteUserRequest): Promise<DeleteUserResponse> {
    return this.change(caller, "delete_user", () => ({ user_id: req.id }), async (c) => {
      this.access.instance(c, "manage_users");
      if (!this.state.users.has(req.id)) throw new TesseraError("not_found", `user \`${req.id}\` not found`);
      await this.writer.commit({ type: "delete_user", id: req.id });
      return create(DeleteUserResponseSchema);
    });
  }

  // ---------------------------------------------------------------- groups (admin)

  createGroup(caller: Caller | undefined, req: CreateGroupRequest): Promise<CreateGroupResponse> {
    return this.change(caller, "create_group", () => ({ name: req.name }), async (c) => {
      this.access.instance(c, "manage_groups");
      const name = validName(req.name, "name");
      this.requireUniqueGroupName(name);
      const id = newPrincipalId();
      await this.writer.commit({ type: "create_group", id, name, description: validDescription(req.description) });
      return create(CreateGroupResponseSchema, { group: groupMessage(this.state.groups.get(id)!) });
    }, (r) => ({ group_id: r.group?.id }));
  }

  listGroups(caller: Caller | undefined): ListGroupsResponse {
    this.access.instance(caller, "manage_groups");
    const groups = [...this.state.groups.values()].sort((a, b) => a.name.localeCompare(b.name));
    return create(ListGroupsResponseSchema, { groups: groups.map((g) => groupMessage(g)) });
  }

  updateGroup(caller: Caller | undefined, req: UpdateGroupRequest): Promise<UpdateGroupResponse> {
    return this.change(caller, "update_group", () => ({ group_id: req.id }), async (c) => {
      this.access.instance(c, "manage_groups");
      const g = this.group(req.id);
      const name = req.name === undefined ? undefined : validName(req.name, "name");
      if (name !== undefined && name !== g.name) this.requireUniqueGroupName(name);
      const description = req.description === undefined ? undefined : validDescription(req.description);
      await this.writer.commit({ type: "update_group", id: g.id, ...(name === undefined ? {} : { name }), ...(description === undefined ? {} : { description }) });
      return create(UpdateGroupResponseSchema, { group: groupMessage(g) });
    });
  }

  deleteGroup(caller: Caller | undefined, req: DeleteGroupRequest): Promise<DeleteGroupResponse> {
    return this.change(caller, "delete_group", () => ({ group_id: req.id }), async (c) => {
      this.access.instance(c, "manage_groups");
      this.group(req.id);
      await this.writer.commit({ type: "delete_group", id: req.id });
      return create(DeleteGroupResponseSchema);
    });
  }

  addGroupMembers(caller: Caller | undefined, req: AddGroupMembersRequest): Promise<AddGroupMembersResponse> {
    return this.change(caller, "add_group_members", () => ({ group_id: req.groupId, members: req.members.map(refText) }), async (c) => {
      this.access.instance(c, "manage_groups");
      const g = this.group(req.groupId);
      const members = this.membersOf(req.members, true);
      await this.writer.commit({ type: "add_group_members", group_id: g.id, members });
      return create(AddGroupMembersResponseSchema, { group: groupMessage(g) });
    });
  }

  removeGroupMembers(caller: Caller | undefined, req: RemoveGroupMembersRequest): Promise<RemoveGroupMembersResponse> {
    return this.change(caller, "remove_group_members", () => ({ group_id: req.groupId, members: req.members.map(refText) }), async (c) => {
      this.access.instance(c, "manage_groups");
      const g = this.group(req.groupId);
      const members = this.membersOf(req.members, false);
      await this.writer.commit({ type: "remove_group_members", group_id: g.id, members });
      return create(RemoveGroupMembersResponseSchema, { group: groupMessage(g) });
    });
  }

  // ---------------------------------------------------------------- API keys

  /** For the caller (no owner), or for a principal the caller manages; the key is in the reply only. */
  createApiKey(caller: Caller | undefined, req: CreateApiKeyRequest): Promise<CreateApiKeyResponse> {
    return this.change(caller, "create_api_key", () => ({ owner: req.owner === undefined ? "caller" : refText(req.owner) }), async (c) => {
      const owner = this.keyOwner(c, req.owner);
      const description = validDescription(req.description);
      const key = generateApiKey();
      await this.writer.commit({ type: "create_api_key", id: key.id, owner: { type: owner.type, id: owner.id }, description, prefix: key.prefix, sha256: key.hash.toString("hex") });
      return create(CreateApiKeyResponseSchema, { apiKey: apiKeyMessage(this.state.apiKeys.get(key.id)!), key: key.key });
    }, (r) => ({ api_key_id: r.apiKey?.id }));
  }

  listApiKeys(caller: Caller | undefined, req: ListApiKeysRequest): ListApiKeysResponse {
    const c = this.access.authenticated(caller);
    // The bootstrap admin and the auth-off caller hold no API keys of their own.
    if (isUnset(req.owner) && (c.authOff || c.actor.builtin)) return create(ListApiKeysResponseSchema);
    const owner = this.keyOwner(c, req.owner);
    const keys = [...this.state.apiKeys.values()]
      .filter((k) => k.owner.type === owner.type && k.owner.id === owner.id)
      .sort((a, b) => a.createTime - b.createTime || a.id.localeCompare(b.id));
    return create(ListApiKeysResponseSchema, { apiKeys: keys.map(apiKeyMessage) });
  }

  revokeApiKey(caller: Caller | undefined, req: RevokeApiKeyRequest): Promise<RevokeApiKeyResponse> {
    return this.change(caller, "revoke_api_key", () => ({ api_key_id: req.id }), async (c) => {
      const k = this.state.apiKeys.get(req.id);
      if (k === undefined) throw new TesseraError("not_found", `API key \`${req.id}\` not found`);
      if (!this.access.canManagePrincipal(c, k.owner, true)) throw notAuthorizedFor("revoke_api_key");
      await this.writer.commit({ type: "revoke_api_key", id: k.id });
      return create(RevokeApiKeyResponseSchema);
    });
  }

  getCallerIdentity(caller: Caller | undefined): GetCallerIdentityResponse {
    const c = this.access.authenticated(caller);
    const a = c.actor;
    const name = c.authOff ? "local (auth off)" : a.type === "user" ? a.loginEmail : a.name;
    return create(GetCallerIdentityResponseSchema, {
      principal: c.authOff ? undefined : principalMessage(a),
      name,
      isAdmin: this.access.isAdmin(c),
    });
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Runs a change as the authenticated caller and writes its audit line: ok (with `result` fields),
   * denied (permission_denied) or failed (the error code; never a message, which may echo input).
   */
  private async change<T>(
    caller: Caller | undefined,
    action: string,
    target: () => Record<string, unknown>,
    run: (c: Caller) => Promise<T>,
    result?: (r: T) => Record<string, unknown>,
  ): Promise<T> {
    const c = this.access.authenticated(caller);
    try {
      const r = await run(c);
      this.audit.record(c, `auth.${action}`, { ...target(), ...result?.(r) });
      return r;
    } catch (e) {
      const code = e instanceof TesseraError ? e.code : "internal_error";
      this.audit.record(c, `auth.${action}`, target(), code === "permission_denied" ? "denied" : "failed", code);
      throw e;
    }
  }

  /** Validates and authorizes every assignment before any is logged (all or nothing). */
  private assignmentsOf(c: Caller, messages: readonly AssignmentMessage[], assigning: boolean): Assignment[] {
    if (messages.length > MAX_ASSIGNMENTS_PER_REQUEST) {
      throw new TesseraError("invalid_argument", `at most ${MAX_ASSIGNMENTS_PER_REQUEST} assignments per request, got ${messages.length}`);
    }
    const out = messages.map((m, i) => validAssignment(m, `assignments[${i}]`));
    for (const a of out) this.access.manageRoles(c, a.resourceType, a.resourceId);
    for (const a of out) {
      this.requireResource(a.resourceType, a.resourceId);
      if (assigning && !this.principalExists({ type: a.principalType, id: a.principalId })) {
        throw new TesseraError("not_found", `${kindText(a.principalType)} \`${a.principalId}\` not found`);
      }
    }
    return out;
  }

  private requireResource(resource: ResourceKind, id: string): void {
    if (resource === "workspace" && !this.workspaceExists(id)) throw new TesseraError("workspace_not_found", `workspace \`${id}\` not found`, { workspace: id });
    if (resource === "secret_scope" && !this.scopeExists(id)) throw new TesseraError("not_found", `secret scope \`${id}\` not found`);
  }

  private principalExists(ref: PrincipalRef): boolean {
    if (ref.type === "group") return this.state.groups.has(ref.id);
    if (ref.type === "workspace") return this.workspaceExists(ref.id);
    return this.state.actor(ref) !== undefined;
  }

  private basicOf(ref: PrincipalRef): PrincipalBasic | undefined {
    switch (ref.type) {
      case "user": {
        const u = this.state.users.get(ref.id);
        return u === undefined ? undefined : create(PrincipalBasicSchema, { basic: { case: "user", value: userMessage(u) } });
      }
      case "service_account": {
        const sa = this.state.serviceAccounts.get(ref.id);
        return sa === undefined ? undefined : create(PrincipalBasicSchema, { basic: { case: "serviceAccount", value: serviceAccountMessage(sa, false) } });
      }
      case "group": {
        const g = this.state.groups.get(ref.id);
        return g === undefined ? undefined : create(PrincipalBasicSchema, { basic: { case: "group", value: groupMessage(g, false) } });
      }
      case "workspace":
        return create(PrincipalBasicSchema, { basic: { case: "workspace", value: create(WorkspacePrincipalSchema, { name: ref.id }) } });
    }
  }

  /** A user or service account the caller may manage (404 before 403: ids are not guessable). */
  private managedActor(c: Caller, ref: PrincipalRef): Actor {
    const actor = this.state.actor(ref);
    if (actor === undefined) throw new TesseraError("not_found", `${kindText(ref.type)} \`${ref.id}\` not found`);
    if (!this.access.canManagePrincipal(c, ref, false)) throw notAuthorizedFor(`manage_${ref.type}`);
    if (actor.builtin) throw new TesseraError("failed_precondition", "the bootstrap admin cannot be changed or deleted");
    return actor;
  }

  private keyOwner(c: Caller, owner: PrincipalMessage | undefined): Actor {
    if (isUnset(owner)) {
      if (c.authOff) throw new TesseraError("invalid_argument", "with --auth off there is no caller principal: name the `owner`");
      if (c.actor.builtin) throw new TesseraError("failed_precondition", "the bootstrap admin authenticates with its bootstrap key only");
      return c.actor;
    }
    const kind = requiredPrincipalKind(owner.principalType, "owner.principal_type");
    if (kind !== "user" && kind !== "service_account") throw new TesseraError("invalid_argument", "API keys belong to users and service accounts only");
    const ref = { type: kind, id: requiredString(owner.id, "owner.id") };
    const actor = this.state.actor(ref);
    if (actor === undefined) throw new TesseraError("not_found", `${kindText(kind)} \`${ref.id}\` not found`);
    if (!this.access.canManagePrincipal(c, ref, true)) throw notAuthorizedFor("manage_api_keys");
    if (actor.builtin) throw new TesseraError("failed_precondition", "the bootstrap admin authenticates with its bootstrap key only");
    return actor;
  }

  private group(id: string) {
    const g = this.state.groups.get(id);
    if (g === undefined) throw new TesseraError("not_found", `group \`${id}\` not found`);
    return g;
  }

  private requireUniqueGroupName(name: string): void {
    for (const g of this.state.groups.values()) if (g.name === name) throw new TesseraError("already_exists", `a group named \`${name}\` already exists`);
  }

  private membersOf(members: readonly PrincipalMessage[], mustExist: boolean): PrincipalRef[] {
    if (members.length > MAX_MEMBERS_PER_REQUEST) throw new TesseraError("invalid_argument", `at most ${MAX_MEMBERS_PER_REQUEST} members per request`);
    return members.map((m, i) => {
      const kind = requiredPrincipalKind(m.principalType, `members[${i}].principal_type`);
      if (kind !== "user" && kind !== "service_account") throw new TesseraError("invalid_argument", `members[${i}]: group members are users and service accounts`);
      const ref = { type: kind, id: requiredString(m.id, `members[${i}].id`) };
      if (mustExist && this.state.actor(ref) === undefined) throw new TesseraError("not_found", `${kindText(kind)} \`${ref.id}\` not found`);
      return ref;
    });
  }
}

function isUnset(owner: PrincipalMessage | undefined): owner is undefined {
  return owner === undefined || (owner.principalType === PrincipalType.UNSPECIFIED && owner.id === "");
}

function notAuthorizedFor(operation: string): TesseraError {
  return notAuthorized({ operation });
}

function resourceAssignments(type: ResourceKind, id: string, roles: Map<string, RoleAssignmentSource[]>): ResourceAndRoleAssignments {
  const granted = [...roles.entries()]
    .sort(([a], [b]) => (ROLE_ORDER.get(a) ?? 99) - (ROLE_ORDER.get(b) ?? 99))
    .map(([role, sources]) => create(RoleAssignmentSummarySchema, { role, roleAssignmentSources: sources }));
  return create(ResourceAndRoleAssignmentsSchema, { resourceType: resourceTypeOf(type), resourceId: id, rolesGranted: granted });
}

function validAssignment(m: AssignmentMessage, at: string): Assignment {
  const resourceType = requiredResource(m.resourceType, `${at}.resource_type`);
  const role = roleOf(m.role);
  if (role === undefined) throw new TesseraError("invalid_argument", `${at}.role: unknown role \`${m.role}\` (GetRoles lists the roles)`);
  if (!role.assignableOn.includes(resourceType)) {
    throw new TesseraError("invalid_argument", `${at}: role \`${role.id}\` cannot be assigned on ${resourceTypeName(resourceType)}`);
  }
  const principalType = requiredPrincipalKind(m.principalType, `${at}.principal_type`);
  if (!role.assignableTo.includes(principalType)) {
    throw new TesseraError("invalid_argument", `${at}: role \`${role.id}\` cannot be assigned to a ${kindText(principalType)}`);
  }
  let resourceId = "";
  if (resourceType === "organization") {
    if (m.resourceId !== "") throw new TesseraError("invalid_argument", `${at}.resource_id must be empty for RESOURCE_TYPE_ORGANIZATION`);
  } else resourceId = requiredString(m.resourceId, `${at}.resource_id`);
  return { resourceType, resourceId, role: role.id, principalType, principalId: requiredString(m.principalId, `${at}.principal_id`) };
}

/** What an audit line records of a requested assignment (before validation). */
function loggable(m: AssignmentMessage): LoggedAssignment | Record<string, unknown> {
  return {
    resource_type: ResourceType[m.resourceType] ?? m.resourceType,
    resource_id: m.resourceId,
    role: m.role,
    principal_type: PrincipalType[m.principalType] ?? m.principalType,
    principal_id: m.principalId,
  };
}

function refText(m: PrincipalMessage): string {
  return `${principalKindOf(m.principalType) ?? "unspecified"}:${m.id}`;
}

function requiredResource(t: ResourceType, field: string): ResourceKind {
  const k = resourceKindOf(t);
  if (k === undefined) throw new TesseraError("invalid_argument", `${field} is required (RESOURCE_TYPE_WORKSPACE, RESOURCE_TYPE_ORGANIZATION or RESOURCE_TYPE_SECRET_SCOPE)`);
  return k;
}

function requiredPrincipalKind(t: PrincipalType, field: string): PrincipalKind {
  const k = principalKindOf(t);
  if (k === undefined) {
    throw new TesseraError("invalid_argument", `${field} is required (PRINCIPAL_TYPE_USER, PRINCIPAL_TYPE_SERVICE_ACCOUNT, PRINCIPAL_TYPE_GROUP or PRINCIPAL_TYPE_WORKSPACE)`);
  }
  return k;
}

function requiredString(v: string, field: string): string {
  if (v === "") throw new TesseraError("invalid_argument", `${field} is required`);
  if (v.length > 256) throw new TesseraError("invalid_argument", `${field} is longer than 256 characters`);
  return v;
}

function roleFilter(roles: readonly string[]): Set<string> | undefined {
  if (roles.length === 0) return undefined;
  return new Set(
    roles.map((r) => {
      const role = roleOf(r);
      if (role === undefined) throw new TesseraError("invalid_argument", `roles: unknown role \`${r}\` (GetRoles lists the roles)`);
      return role.id;
    }),
  );
}

function validName(v: string, field: string): string {
  const s = v.trim();
  if (s === "" || s.length > MAX_NAME || /\p{Cc}/u.test(s)) throw new TesseraError("invalid_argument", `${field} must be 1 to ${MAX_NAME} characters without control characters`);
  return s;
}

function validOptionalName(v: string, field: string): string {
  const s = v.trim();
  if (s.length > MAX_NAME || /\p{Cc}/u.test(s)) throw new TesseraError("invalid_argument", `${field} must be at most ${MAX_NAME} characters without control characters`);
  return s;
}

function validDescription(v: string): string {
  if (v.length > MAX_DESCRIPTION) throw new TesseraError("invalid_argument", `description is longer than ${MAX_DESCRIPTION} characters`);
  return v;
}

function kindText(k: PrincipalKind): string {
  return k === "service_account" ? "service account" : k;
}

function resourceTypeName(k: ResourceKind): string {
  return k === "secret_scope" ? "a secret scope" : k === "organization" ? "the organization" : "a workspace";
}
