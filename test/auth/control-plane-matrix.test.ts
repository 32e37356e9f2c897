import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PrincipalType } from "../../gen/tessera/auth/v1/auth_service_pb.ts";
import type { SpawnedServer } from "../helpers/spawn-server.ts";
import {
  ADMIN_KEY,
  assign,
  clients,
  connectOutcome,
  ORG,
  rest,
  restOutcome,
  serviceAccount,
  spawnAuthServer,
  UNKNOWN_KEY,
  waitForAudit,
  withKey,
  WS,
  type Account,
  type Clients,
  type Outcome,
} from "./helpers.ts";

/**
 * Every AuthService and WorkspaceService RPC (Connect) and every authorization-service REST route ×
 * every kind of credential, on one server: who may manage principals, keys, groups and role
 * assignments (DESIGN §6). Mutating calls get fresh targets, so each cell is independent.
 */

interface Cred {
  readonly name: string;
  key: string | undefined;
  id: string;
  readonly authenticates: boolean;
  readonly admin?: boolean;
  /** Owner of workspace prod (directly or through a group). */
  readonly owner?: boolean;
  /** Created the target service account T. */
  readonly creator?: boolean;
  /** Is T. */
  readonly isTarget?: boolean;
  readonly bootstrap?: boolean;
}

const CREDS: Cred[] = [
  { name: "no credential", key: undefined, id: "", authenticates: false },
  { name: "unknown key", key: UNKNOWN_KEY, id: "", authenticates: false },
  { name: "deactivated account", key: "", id: "", authenticates: false },
  { name: "no role", key: "", id: "", authenticates: true },
  { name: "editor of prod", key: "", id: "", authenticates: true },
  { name: "owner of prod", key: "", id: "", authenticates: true, owner: true },
  { name: "owner of prod through a group", key: "", id: "", authenticates: true, owner: true },
  { name: "creator of T", key: "", id: "", authenticates: true, creator: true },
  { name: "T itself", key: "", id: "", authenticates: true, isTarget: true },
  { name: "admin (assigned)", key: "", id: "", authenticates: true, admin: true },
  { name: "admin (bootstrap key)", key: ADMIN_KEY, id: "bootstrap-admin", authenticates: true, admin: true, bootstrap: true },
];

const cred = (name: string): Cred => CREDS.find((c) => c.name === name)!;

type Rule = (c: Cred) => boolean | Outcome;
const anyone: Rule = () => true;
const adminOnly: Rule = (c) => c.admin === true;
const ownerOrAdmin: Rule = (c) => c.admin === true || c.owner === true;
const managesT: Rule = (c) => c.admin === true || c.creator === true;
const managesTKeys: Rule = (c) => c.admin === true || c.creator === true || c.isTarget === true;

function expected(c: Cred, rule: Rule): Outcome {
  if (!c.authenticates) return "unauthenticated";
  const r = rule(c);
  return r === true ? "ok" : r === false ? "permission_denied" : r;
}

let server: SpawnedServer;
let k: Clients;
let target: Account;
let dummy: Account;
let n = 0;
const fresh = (what: string) => `${what}-${++n}`;
const admin = withKey(ADMIN_KEY);
const T = () => ({ principalType: PrincipalType.SERVICE_ACCOUNT, id: target.id });
const viewerOfProd = () => ({ resourceType: WS, resourceId: "prod", role: "viewer", principalType: PrincipalType.SERVICE_ACCOUNT, principalId: dummy.id });

interface Operation {
  readonly name: string;
  readonly rule: Rule;
  readonly call: (c: Cred) => Promise<Outcome>;
}

const OPERATIONS: Operation[] = [
  { name: "GetRoles", rule: anyone, call: (c) => connectOutcome(k.auth.getRoles({}, withKey(c.key))) },
  { name: "GetCallerIdentity", rule: anyone, call: (c) => connectOutcome(k.auth.getCallerIdentity({}, withKey(c.key))) },
  { name: "CreateServiceAccount", rule: anyone, call: (c) => connectOutcome(k.auth.createServiceAccount({ name: fresh("sa") }, withKey(c.key))) },
  { name: "ListServiceAccounts", rule: anyone, call: (c) => connectOutcome(k.auth.listServiceAccounts({}, withKey(c.key))) },
  { name: "UpdateServiceAccount T", rule: managesT, call: (c) => connectOutcome(k.auth.updateServiceAccount({ id: target.id, description: fresh("d") }, withKey(c.key))) },
  {
    name: "DeleteServiceAccount (one created by the creator of T)",
    rule: managesT,
    call: async (c) => {
      const victim = await serviceAccount(k, fresh("victim"), cred("creator of T").key);
      return connectOutcome(k.auth.deleteServiceAccount({ id: victim.id }, withKey(c.key)));
    },
  },
  {
    name: "CreateApiKey for oneself",
    rule: (c) => (c.bootstrap ? "FailedPrecondition:the bootstrap admin authenticates with its bootstrap key only" : true),
    call: (c) => connectOutcome(k.auth.createApiKey({ description: "mine" }, withKey(c.key))),
  },
  { name: "CreateApiKey for T", rule: managesTKeys, call: (c) => connectOutcome(k.auth.createApiKey({ owner: T() }, withKey(c.key))) },
  { name: "ListApiKeys of oneself", rule: anyone, call: (c) => connectOutcome(k.auth.listApiKeys({}, withKey(c.key))) },
  { name: "ListApiKeys of T", rule: managesTKeys, call: (c) => connectOutcome(k.auth.listApiKeys({ owner: T() }, withKey(c.key))) },
  {
    name: "RevokeApiKey of T",
    rule: managesTKeys,
    call: async (c) => {
      const created = await k.auth.createApiKey({ owner: T(), description: "to revoke" }, admin);
      return connectOutcome(k.auth.revokeApiKey({ id: created.apiKey!.id }, withKey(c.key)));
    },
  },
  { name: "CreateUser", rule: adminOnly, call: (c) => connectOutcome(k.auth.createUser({ loginEmail: `${fresh("u")}@example.com` }, withKey(c.key))) },
  { name: "ListUsers", rule: adminOnly, call: (c) => connectOutcome(k.auth.listUsers({}, withKey(c.key))) },
  {
    name: "UpdateUser",
    rule: adminOnly,
    call: async (c) => {
      const u = (await k.auth.createUser({ loginEmail: `${fresh("u")}@example.com` }, admin)).user!;
      return connectOutcome(k.auth.updateUser({ id: u.id, firstName: "Renamed" }, withKey(c.key)));
    },
  },
  {
    name: "DeleteUser",
    rule: adminOnly,
    call: async (c) => {
      const u = (await k.auth.createUser({ loginEmail: `${fresh("u")}@example.com` }, admin)).user!;
      return connectOutcome(k.auth.deleteUser({ id: u.id }, withKey(c.key)));
    },
  },
  { name: "CreateGroup", rule: adminOnly, call: (c) => connectOutcome(k.auth.createGroup({ name: fresh("g") }, withKey(c.key))) },
  { name: "ListGroups", rule: adminOnly, call: (c) => connectOutcome(k.auth.listGroups({}, withKey(c.key))) },
  {
    name: "UpdateGroup / AddGroupMembers / RemoveGroupMembers / DeleteGroup",
    rule: adminOnly,
    call: async (c) => {
      const g = (await k.auth.createGroup({ name: fresh("g") }, admin)).group!;
      const outcomes = [
        await connectOutcome(k.auth.updateGroup({ id: g.id, description: "x" }, withKey(c.key))),
        await connectOutcome(k.auth.addGroupMembers({ groupId: g.id, members: [T()] }, withKey(c.key))),
        await connectOutcome(k.auth.removeGroupMembers({ groupId: g.id, members: [T()] }, withKey(c.key))),
        await connectOutcome(k.auth.deleteGroup({ id: g.id }, withKey(c.key))),
      ];
      return new Set(outcomes).size === 1 ? outcomes[0]! : outcomes.join(",");
    },
  },
  { name: "AssignRoles on prod", rule: ownerOrAdmin, call: (c) => connectOutcome(k.auth.assignRoles({ assignments: [viewerOfProd()] }, withKey(c.key))) },
  { name: "UnassignRoles on prod", rule: ownerOrAdmin, call: (c) => connectOutcome(k.auth.unassignRoles({ assignments: [viewerOfProd()] }, withKey(c.key))) },
  {
    name: "AssignRoles on the organization",
    rule: adminOnly,
    call: (c) => connectOutcome(k.auth.assignRoles({ assignments: [{ ...viewerOfProd(), resourceType: ORG, resourceId: "" }] }, withKey(c.key))),
  },
  {
    name: "AssignRoles: owner of prod cannot grant on another workspace",
    rule: adminOnly,
    call: (c) => connectOutcome(k.auth.assignRoles({ assignments: [{ ...viewerOfProd(), resourceId: "dev" }] }, withKey(c.key))),
  },
  { name: "ListAssignedPrincipals on prod", rule: ownerOrAdmin, call: (c) => connectOutcome(k.auth.listAssignedPrincipals({ resourceType: WS, resourceId: "prod" }, withKey(c.key))) },
  {
    name: "ListAssignedRoles of another principal (filtered, never refused)",
    rule: anyone,
    call: (c) => connectOutcome(k.auth.listAssignedRoles({ principalType: PrincipalType.SERVICE_ACCOUNT, principalId: dummy.id }, withKey(c.key))),
  },
  { name: "WorkspaceService.List", rule: anyone, call: (c) => connectOutcome(k.workspaces.list({}, withKey(c.key))) },
  { name: "WorkspaceService.Create", rule: adminOnly, call: (c) => connectOutcome(k.workspaces.create({ name: fresh("ws") }, withKey(c.key))) },
  {
    name: "WorkspaceService.Delete",
    rule: adminOnly,
    call: async (c) => {
      const name = fresh("ws");
      await k.workspaces.create({ name }, admin);
      return connectOutcome(k.workspaces.delete({ name }, withKey(c.key)));
    },
  },
  // Tecton's authorization service on REST.
  { name: "REST get-roles", rule: anyone, call: async (c) => restOutcome(await rest(server, "POST", "/api/v1/authorization-service/get-roles", {}, c.key)) },
  {
    name: "REST assign-roles on prod",
    rule: ownerOrAdmin,
    call: async (c) => restOutcome(await rest(server, "POST", "/api/v1/authorization-service/assign-roles", { assignments: [restViewer()] }, c.key)),
  },
  {
    name: "REST unassign-roles on prod",
    rule: ownerOrAdmin,
    call: async (c) => restOutcome(await rest(server, "POST", "/api/v1/authorization-service/unassign-roles", { assignments: [restViewer()] }, c.key)),
  },
  {
    name: "REST list-assigned-principals on prod",
    rule: ownerOrAdmin,
    call: async (c) =>
      restOutcome(await rest(server, "POST", "/api/v1/authorization-service/list-assigned-principals", { resource_type: "RESOURCE_TYPE_WORKSPACE", resource_id: "prod" }, c.key)),
  },
  {
    name: "REST list-assigned-roles",
    rule: anyone,
    call: async (c) =>
      restOutcome(await rest(server, "POST", "/api/v1/authorization-service/list-assigned-roles", { principal_type: "PRINCIPAL_TYPE_SERVICE_ACCOUNT", principal_id: dummy.id }, c.key)),
  },
];

const restViewer = () => ({ resource_type: "RESOURCE_TYPE_WORKSPACE", resource_id: "prod", role: "viewer", principal_type: "PRINCIPAL_TYPE_SERVICE_ACCOUNT", principal_id: dummy.id });

before(async () => {
  server = await spawnAuthServer(["--log-level", "warn"]);
  k = clients(server);
  await k.workspaces.create({ name: "dev" }, admin);
  const set = async (name: string, a: Account) => {
    cred(name).key = a.key;
    cred(name).id = a.id;
    return a;
  };
  const deactivated = await set("deactivated account", await serviceAccount(k, "deactivated"));
  await k.auth.updateServiceAccount({ id: deactivated.id, isActive: false }, admin);
  await set("no role", await serviceAccount(k, "no-role"));
  const editor = await set("editor of prod", await serviceAccount(k, "editor"));
  await assign(k, [{ resourceType: WS, resourceId: "prod", role: "editor", principalId: editor.id }]);
  const owner = await set("owner of prod", await serviceAccount(k, "owner"));
  await assign(k, [{ resourceType: WS, resourceId: "prod", role: "owner", principalId: owner.id }]);
  const viaGroup = await set("owner of prod through a group", await serviceAccount(k, "group-owner"));
  const owners = (await k.auth.createGroup({ name: "owners" }, admin)).group!;
  await k.auth.addGroupMembers({ groupId: owners.id, members: [{ principalType: PrincipalType.SERVICE_ACCOUNT, id: viaGroup.id }] }, admin);
  await assign(k, [{ resourceType: WS, resourceId: "prod", role: "owner", principalType: PrincipalType.GROUP, principalId: owners.id }]);
  const creator = await set("creator of T", await serviceAccount(k, "creator"));
  target = await set("T itself", await serviceAccount(k, "T", creator.key));
  const admin2 = await set("admin (assigned)", await serviceAccount(k, "admin2"));
  await assign(k, [{ resourceType: ORG, resourceId: "", role: "admin", principalId: admin2.id }]);
  dummy = await serviceAccount(k, "dummy");
});

after(async () => {
  await server.stop();
});

describe("control plane × credentials", () => {
  for (const op of OPERATIONS) {
    test(op.name, async () => {
      const got: Record<string, Outcome> = {};
      const want: Record<string, Outcome> = {};
      for (const c of CREDS) {
        want[c.name] = expected(c, op.rule);
        got[c.name] = await op.call(c);
      }
      assert.deepEqual(got, want);
    });
  }
});

describe("what each caller sees", () => {
  test("GetCallerIdentity names the principal and whether it is admin", async () => {
    const me = await k.auth.getCallerIdentity({}, withKey(cred("owner of prod").key));
    assert.equal(me.principal?.id, cred("owner of prod").id);
    assert.equal(me.principal?.principalType, PrincipalType.SERVICE_ACCOUNT);
    assert.equal(me.name, "owner");
    assert.equal(me.isAdmin, false);
    assert.equal((await k.auth.getCallerIdentity({}, admin)).isAdmin, true);
    assert.equal((await k.auth.getCallerIdentity({}, withKey(cred("admin (assigned)").key))).isAdmin, true);
  });

  test("ListServiceAccounts: admins see all, a creator sees what it created", async () => {
    const mine = await k.auth.listServiceAccounts({}, withKey(cred("creator of T").key));
    assert.ok(mine.serviceAccounts.some((sa) => sa.id === target.id));
    assert.ok(!mine.serviceAccounts.some((sa) => sa.id === dummy.id));
    const all = await k.auth.listServiceAccounts({}, admin);
    assert.ok(all.serviceAccounts.some((sa) => sa.id === dummy.id));
    assert.ok(all.serviceAccounts.some((sa) => sa.id === "bootstrap-admin"));
  });

  test("ListAssignedRoles is filtered to what the caller may see", async () => {
    const req = { principalType: PrincipalType.SERVICE_ACCOUNT, principalId: cred("editor of prod").id };
    const self = await k.auth.listAssignedRoles(req, withKey(cred("editor of prod").key));
    assert.deepEqual(self.assignments.map((a) => [a.resourceId, a.rolesGranted.map((r) => r.role)]), [["prod", ["editor"]]]);
    assert.equal((await k.auth.listAssignedRoles(req, withKey(cred("no role").key))).assignments.length, 0);
    assert.equal((await k.auth.listAssignedRoles(req, withKey(cred("owner of prod").key))).assignments.length, 1);
  });

  test("a created service account's first key works at once; the key is never listed", async () => {
    const r = await k.auth.createServiceAccount({ name: "fresh", description: "d" }, withKey(cred("no role").key));
    assert.match(r.apiKey, /^tsk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    assert.equal(r.serviceAccount?.creator?.id, cred("no role").id);
    assert.equal((await rest(server, "POST", "/ping", {}, r.apiKey)).status, 200);
    const listed = await k.auth.listApiKeys({}, withKey(r.apiKey));
    assert.equal(listed.apiKeys.length, 1);
    assert.ok(r.apiKey.startsWith(listed.apiKeys[0]!.prefix));
    const shown = listed.apiKeys[0]!;
    assert.ok(![shown.id, shown.prefix, shown.description].some((v) => v.includes(r.apiKey.slice(shown.prefix.length + 1))));
  });

  test("the bootstrap admin cannot be changed or deleted", async () => {
    assert.match(await connectOutcome(k.auth.updateServiceAccount({ id: "bootstrap-admin", isActive: false }, admin)), /^FailedPrecondition/);
    assert.match(await connectOutcome(k.auth.deleteServiceAccount({ id: "bootstrap-admin" }, admin)), /^FailedPrecondition/);
  });

  test("validation: unknown roles, roles on the wrong resource, missing principals, duplicates", async () => {
    const bad = async (a: Record<string, unknown>) => connectOutcome(k.auth.assignRoles({ assignments: [{ ...viewerOfProd(), ...a }] }, admin));
    assert.match(await bad({ role: "superuser" }), /^InvalidArgument:.*unknown role/);
    assert.match(await bad({ role: "read_scope_role" }), /^InvalidArgument:.*cannot be assigned on a workspace/);
    assert.match(await bad({ resourceType: 0 }), /^InvalidArgument:.*resource_type is required/);
    assert.match(await bad({ principalId: "nobody" }), /^NotFound/);
    assert.match(await bad({ resourceId: "nope" }), /^NotFound/);
    assert.match(await bad({ principalType: PrincipalType.WORKSPACE, principalId: "dev" }), /^InvalidArgument:.*cannot be assigned to a workspace/);
    assert.match(await connectOutcome(k.auth.createGroup({ name: "owners" }, admin)), /^AlreadyExists/);
    assert.match(await connectOutcome(k.auth.createUser({ loginEmail: "not-an-email" }, admin)), /^InvalidArgument/);
    await k.auth.createUser({ loginEmail: "Same@Example.com" }, admin);
    assert.match(await connectOutcome(k.auth.createUser({ loginEmail: "same@example.com" }, admin)), /^AlreadyExists/);
    assert.match(await connectOutcome(k.auth.createServiceAccount({ name: "" }, admin)), /^InvalidArgument/);
  });

  test("deleting a workspace drops the roles on it: a new workspace of that name grants nothing", async () => {
    const a = await serviceAccount(k, "temp-owner");
    await k.workspaces.create({ name: "temp", live: true }, admin);
    await assign(k, [{ resourceType: WS, resourceId: "temp", role: "owner", principalId: a.id }]);
    assert.equal(await connectOutcome(k.auth.listAssignedPrincipals({ resourceType: WS, resourceId: "temp" }, withKey(a.key))), "ok");
    await k.workspaces.delete({ name: "temp" }, admin);
    await k.workspaces.create({ name: "temp", live: true }, admin);
    assert.equal(await connectOutcome(k.auth.listAssignedPrincipals({ resourceType: WS, resourceId: "temp" }, withKey(a.key))), "permission_denied");
  });

  test("every change and every refused change is one audit line: who, what, when; no key material", async () => {
    const lines = await waitForAudit(server, (ls) => ls.length > 50);
    assert.ok(lines.length > 50, `${lines.length} audit lines`);
    for (const l of lines) {
      assert.equal(typeof l["time"], "number");
      assert.equal(typeof l["actor"], "string");
      assert.equal(typeof l["action"], "string");
      assert.ok(["ok", "denied", "failed"].includes(l["outcome"] as string));
    }
    const denied = lines.filter((l) => l["action"] === "auth.create_user" && l["outcome"] === "denied");
    assert.ok(denied.some((l) => l["actor"] === `service_account:${cred("no role").id}`));
    const assigned = lines.find((l) => l["action"] === "auth.assign_roles" && l["outcome"] === "ok" && l["actor"] === `service_account:${cred("owner of prod").id}`);
    assert.ok(assigned !== undefined);
    const stderr = server.stderr();
    for (const c of CREDS) if (c.key !== undefined && c.key !== "") assert.ok(!stderr.includes(c.key), `${c.name}'s key is not logged`);
  });
});
