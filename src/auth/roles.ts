import type { PrincipalKind, ResourceKind } from "./principal.ts";

/**
 * The roles of DESIGN §6 and what each grants, as permission bits.
 *
 * Workspace roles: owner ⊃ editor ⊃ {operator, consumer} ⊃ viewer, on one workspace or (as an
 * organization assignment) on all of them, including workspaces created later.
 * Secret-scope roles: manage_scope_role ⊃ write_scope_role ⊃ read_scope_role; Tecton's
 * secret_scope_manager / secret_scope_writer / secret_scope_reader are accepted as aliases on input,
 * and the canonical ids are what is stored and emitted.
 * Instance role: admin (an organization assignment).
 */

/** Workspace permission bits. */
export const WS = {
  /** Metadata, registry reads. */
  VIEW: 1,
  /** get, batch_get, GetFeatures(Batch). */
  READ_FEATURES: 2,
  /** Operational actions (no data access); nothing in DESIGN §6 needs it beyond viewer yet. */
  OPERATE: 4,
  /** register, push, push_batch. */
  WRITE: 8,
  /** Assign and list roles on the workspace. */
  MANAGE: 16,
} as const;

export const WS_ALL = WS.VIEW | WS.READ_FEATURES | WS.OPERATE | WS.WRITE | WS.MANAGE;

/** Secret-scope permission bits. */
export const SCOPE = {
  /** Read secret values. */
  READ: 1,
  /** Put and delete secrets, list keys. */
  WRITE: 2,
  /** Delete the scope, assign and list roles on it. */
  MANAGE: 4,
} as const;

export interface RoleSpec {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly kind: "instance" | "workspace" | "scope";
  /** Permission bits (workspace or scope bits by kind; 0 for admin). */
  readonly bits: number;
  readonly aliases: readonly string[];
  readonly assignableOn: readonly ResourceKind[];
  readonly assignableTo: readonly PrincipalKind[];
  readonly permissions: readonly { readonly id: string; readonly description: string }[];
}

const PEOPLE: readonly PrincipalKind[] = ["user", "service_account", "group"];
const WORKSPACE_ON: readonly ResourceKind[] = ["workspace", "organization"];

const P = {
  view: { id: "workspace.view", description: "Read feature service metadata and the registry" },
  read: { id: "workspace.read_features", description: "Read features: get, batch_get, GetFeatures, GetFeaturesBatch" },
  operate: { id: "workspace.operate", description: "Operational actions on the workspace" },
  write: { id: "workspace.write", description: "Register, push and push_batch" },
  manage: { id: "workspace.manage_roles", description: "Assign and list roles on the workspace" },
  admin: { id: "instance.admin", description: "Manage workspaces, users, groups, service accounts, API keys and organization roles; reset and test clock in test mode" },
  scopeRead: { id: "secret_scope.read", description: "Read secret values" },
  scopeWrite: { id: "secret_scope.write", description: "Put and delete secrets, list keys" },
  scopeManage: { id: "secret_scope.manage", description: "Delete the scope; assign and list roles on it" },
} as const;

/** In the order GetRoles lists them. */
export const ROLES: readonly RoleSpec[] = [
  { id: "admin", name: "Admin", description: "Instance administrator", kind: "instance", bits: 0, aliases: [], assignableOn: ["organization"], assignableTo: PEOPLE, permissions: [P.admin] },
  { id: "owner", name: "Owner", description: "Everything in a workspace, including its role assignments", kind: "workspace", bits: WS_ALL, aliases: [], assignableOn: WORKSPACE_ON, assignableTo: PEOPLE, permissions: [P.view, P.read, P.operate, P.write, P.manage] },
  { id: "editor", name: "Editor", description: "Register and push; includes operator and consumer", kind: "workspace", bits: WS.VIEW | WS.READ_FEATURES | WS.OPERATE | WS.WRITE, aliases: [], assignableOn: WORKSPACE_ON, assignableTo: PEOPLE, permissions: [P.view, P.read, P.operate, P.write] },
  { id: "operator", name: "Operator", description: "Operational actions; includes viewer", kind: "workspace", bits: WS.VIEW | WS.OPERATE, aliases: [], assignableOn: WORKSPACE_ON, assignableTo: PEOPLE, permissions: [P.view, P.operate] },
  { id: "consumer", name: "Consumer", description: "Read features; includes viewer", kind: "workspace", bits: WS.VIEW | WS.READ_FEATURES, aliases: [], assignableOn: WORKSPACE_ON, assignableTo: PEOPLE, permissions: [P.view, P.read] },
  { id: "viewer", name: "Viewer", description: "Read metadata and the registry", kind: "workspace", bits: WS.VIEW, aliases: [], assignableOn: WORKSPACE_ON, assignableTo: PEOPLE, permissions: [P.view] },
  { id: "manage_scope_role", name: "Secret Scope Manager", description: "Full access to a secret scope", kind: "scope", bits: SCOPE.READ | SCOPE.WRITE | SCOPE.MANAGE, aliases: ["secret_scope_manager"], assignableOn: ["secret_scope"], assignableTo: [...PEOPLE, "workspace"], permissions: [P.scopeRead, P.scopeWrite, P.scopeManage] },
  { id: "write_scope_role", name: "Secret Scope Writer", description: "Read and write secrets of a scope", kind: "scope", bits: SCOPE.READ | SCOPE.WRITE, aliases: ["secret_scope_writer"], assignableOn: ["secret_scope"], assignableTo: [...PEOPLE, "workspace"], permissions: [P.scopeRead, P.scopeWrite] },
  { id: "read_scope_role", name: "Secret Scope Reader", description: "Read secret values of a scope", kind: "scope", bits: SCOPE.READ, aliases: ["secret_scope_reader"], assignableOn: ["secret_scope"], assignableTo: [...PEOPLE, "workspace"], permissions: [P.scopeRead] },
];

const BY_NAME = new Map<string, RoleSpec>();
for (const r of ROLES) {
  BY_NAME.set(r.id, r);
  for (const a of r.aliases) BY_NAME.set(a, r);
}

/** The role a name (canonical id or alias, any case, surrounding spaces ignored) denotes; undefined if none. */
export function roleOf(name: string): RoleSpec | undefined {
  return BY_NAME.get(name.trim().toLowerCase());
}

/** Definition order, so listings are stable. */
export const ROLE_ORDER: ReadonlyMap<string, number> = new Map(ROLES.map((r, i) => [r.id, i]));

/** The workspace role names, for messages. */
export function requiredWorkspaceRole(bits: number): string {
  if (bits & WS.MANAGE) return "owner";
  if (bits & WS.WRITE) return "editor";
  if (bits & WS.READ_FEATURES) return "consumer";
  if (bits & WS.OPERATE) return "operator";
  return "viewer";
}

export function requiredScopeRole(bits: number): string {
  if (bits & SCOPE.MANAGE) return "manage_scope_role";
  if (bits & SCOPE.WRITE) return "write_scope_role";
  return "read_scope_role";
}
