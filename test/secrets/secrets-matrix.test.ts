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
  SCOPE,
  serviceAccount,
  spawnAuthServer,
  UNKNOWN_KEY,
  withKey,
  type Account,
  type Clients,
  type Outcome,
} from "../auth/helpers.ts";

/**
 * The Secrets service × every kind of credential × REST (canonical and alias paths) and Connect:
 * DESIGN §6 — create/list scopes: any principal; list keys: write or admin; put/delete: write; read a
 * value: read (admin alone does not suffice); delete scope and its role assignments: manage (role
 * assignments also admin). Roles: manage ⊃ write ⊃ read, held directly or through a group.
 */

type Need = "any" | "read" | "write" | "manage" | "write_or_admin" | "manage_or_admin";

interface Cred {
  readonly name: string;
  key: string | undefined;
  id: string;
  /** Role on the test scopes; undefined: does not authenticate. */
  readonly role: "none" | "read" | "write" | "manage" | undefined;
  readonly admin?: boolean;
}

const CREDS: Cred[] = [
  { name: "no credential", key: undefined, id: "", role: undefined },
  { name: "unknown key", key: UNKNOWN_KEY, id: "", role: undefined },
  { name: "deactivated writer", key: "", id: "", role: undefined },
  { name: "no role", key: "", id: "", role: "none" },
  { name: "reader", key: "", id: "", role: "read" },
  { name: "writer", key: "", id: "", role: "write" },
  { name: "manager", key: "", id: "", role: "manage" },
  { name: "reader through a group", key: "", id: "", role: "read" },
  { name: "writer via Tecton alias role", key: "", id: "", role: "write" },
  { name: "admin without a scope role", key: "", id: "", role: "none", admin: true },
];
const cred = (name: string): Cred => CREDS.find((c) => c.name === name)!;

const RANK = { none: 0, read: 1, write: 2, manage: 3 } as const;

function expected(c: Cred, need: Need): Outcome {
  if (c.role === undefined) return "unauthenticated";
  const rank = RANK[c.role];
  const ok =
    need === "any" ||
    (need === "read" && rank >= 1) ||
    (need === "write" && rank >= 2) ||
    (need === "manage" && rank >= 3) ||
    (need === "write_or_admin" && (rank >= 2 || c.admin === true)) ||
    (need === "manage_or_admin" && (rank >= 3 || c.admin === true));
  return ok ? "ok" : "permission_denied";
}

let server: SpawnedServer;
let k: Clients;
let group: string;
let n = 0;
const fresh = (p: string) => `${p}-${++n}`;
const admin = withKey(ADMIN_KEY);

/** A scope the bootstrap admin created (so it manages it), with the test roles granted. */
async function grantedScope(): Promise<string> {
  const scope = fresh("scope");
  await k.secrets.createSecretScope({ scope }, admin);
  const sa = (name: string, role: string) => ({ resourceType: SCOPE, resourceId: scope, role, principalId: cred(name).id });
  await assign(k, [
    sa("deactivated writer", "write_scope_role"),
    sa("reader", "read_scope_role"),
    sa("writer", "write_scope_role"),
    sa("manager", "manage_scope_role"),
    sa("writer via Tecton alias role", "secret_scope_writer"),
    { resourceType: SCOPE, resourceId: scope, role: "secret_scope_reader", principalType: PrincipalType.GROUP, principalId: group },
  ]);
  await k.secrets.putSecretValue({ scope, key: "k1", value: "v1-secret" }, admin);
  return scope;
}

let S: string;

interface Operation {
  readonly name: string;
  readonly need: Need;
  readonly rest?: (c: Cred, prefix: string) => Promise<Outcome>;
  /** False for the authorization-service routes, which have one path. */
  readonly secretsPath?: false;
  readonly connect?: (c: Cred) => Promise<Outcome>;
}

const r = async (method: string, path: string, body: unknown, c: Cred) => restOutcome(await rest(server, method, path, body, c.key));

const OPERATIONS: Operation[] = [
  {
    name: "CreateSecretScope",
    need: "any",
    rest: (c, p) => r("POST", `${p}/scopes`, { scope: fresh("new") }, c),
    connect: (c) => connectOutcome(k.secrets.createSecretScope({ scope: fresh("new") }, withKey(c.key))),
  },
  { name: "CreateSecretScope (path form)", need: "any", rest: (c, p) => r("POST", `${p}/scopes/${fresh("new")}`, undefined, c) },
  { name: "ListSecretScopes", need: "any", rest: (c, p) => r("GET", `${p}/scopes`, undefined, c), connect: (c) => connectOutcome(k.secrets.listSecretScopes({}, withKey(c.key))) },
  {
    name: "ListSecrets (keys)",
    need: "write_or_admin",
    rest: (c, p) => r("GET", `${p}/scopes/${S}/keys`, undefined, c),
    connect: (c) => connectOutcome(k.secrets.listSecrets({ scope: S }, withKey(c.key))),
  },
  {
    name: "GetSecretValue",
    need: "read",
    rest: (c, p) => r("GET", `${p}/scopes/${S}/keys/k1`, undefined, c),
    connect: (c) => connectOutcome(k.secrets.getSecretValue({ scope: S, key: "k1" }, withKey(c.key))),
  },
  {
    name: "PutSecretValue",
    need: "write",
    rest: (c, p) => r("PUT", `${p}/scopes/${S}/keys/k2`, { value: "v2" }, c),
    connect: (c) => connectOutcome(k.secrets.putSecretValue({ scope: S, key: "k2", value: "v2" }, withKey(c.key))),
  },
  {
    name: "DeleteSecret",
    need: "write",
    rest: async (c, p) => {
      const key = fresh("tmp");
      await k.secrets.putSecretValue({ scope: S, key, value: "x" }, admin);
      return r("DELETE", `${p}/scopes/${S}/keys/${key}`, undefined, c);
    },
    connect: async (c) => {
      const key = fresh("tmp");
      await k.secrets.putSecretValue({ scope: S, key, value: "x" }, admin);
      return connectOutcome(k.secrets.deleteSecret({ scope: S, key }, withKey(c.key)));
    },
  },
  {
    name: "DeleteSecretScope (empty)",
    need: "manage",
    rest: async (c, p) => {
      const scope = await grantedScope();
      await k.secrets.deleteSecret({ scope, key: "k1" }, admin);
      return r("DELETE", `${p}/scopes/${scope}`, undefined, c);
    },
    connect: async (c) => {
      const scope = await grantedScope();
      await k.secrets.deleteSecret({ scope, key: "k1" }, admin);
      return connectOutcome(k.secrets.deleteSecretScope({ scope }, withKey(c.key)));
    },
  },
  {
    name: "AssignRoles on the scope",
    need: "manage_or_admin",
    secretsPath: false,
    rest: (c) =>
      r("POST", "/api/v1/authorization-service/assign-roles", {
        assignments: [{ principal_type: "PRINCIPAL_TYPE_WORKSPACE", principal_id: "prod", resource_type: "RESOURCE_TYPE_SECRET_SCOPE", resource_id: S, role: "read_scope_role" }],
      }, c),
    connect: (c) =>
      connectOutcome(k.auth.assignRoles({ assignments: [{ principalType: PrincipalType.WORKSPACE, principalId: "prod", resourceType: SCOPE, resourceId: S, role: "read_scope_role" }] }, withKey(c.key))),
  },
  {
    name: "ListAssignedPrincipals on the scope",
    need: "manage_or_admin",
    secretsPath: false,
    rest: (c) => r("POST", "/api/v1/authorization-service/list-assigned-principals", { resource_type: "RESOURCE_TYPE_SECRET_SCOPE", resource_id: S }, c),
    connect: (c) => connectOutcome(k.auth.listAssignedPrincipals({ resourceType: SCOPE, resourceId: S }, withKey(c.key))),
  },
];

before(async () => {
  server = await spawnAuthServer();
  k = clients(server);
  const set = async (name: string): Promise<Account> => {
    const a = await serviceAccount(k, name.replaceAll(" ", "-"));
    cred(name).key = a.key;
    cred(name).id = a.id;
    return a;
  };
  for (const c of CREDS) if (c.key === "") await set(c.name);
  await k.auth.updateServiceAccount({ id: cred("deactivated writer").id, isActive: false }, admin);
  group = (await k.auth.createGroup({ name: "secret-readers" }, admin)).group!.id;
  await k.auth.addGroupMembers({ groupId: group, members: [{ principalType: PrincipalType.SERVICE_ACCOUNT, id: cred("reader through a group").id }] }, admin);
  await assign(k, [{ resourceType: ORG, resourceId: "", role: "admin", principalId: cred("admin without a scope role").id }]);
  S = await grantedScope();
});

after(async () => {
  await server.stop();
});

describe("secrets × credentials", () => {
  for (const op of OPERATIONS) {
    const wires: [string, (c: Cred) => Promise<Outcome>][] = [];
    if (op.rest !== undefined && op.secretsPath === false) wires.push(["REST", (c) => op.rest!(c, "")]);
    else if (op.rest !== undefined) {
      wires.push(["REST /api/v1/secrets-service", (c) => op.rest!(c, "/api/v1/secrets-service")]);
      wires.push(["REST /api/v1/secrets (alias)", (c) => op.rest!(c, "/api/v1/secrets")]);
    }
    if (op.connect !== undefined) wires.push(["Connect", op.connect]);
    for (const [wire, call] of wires) {
      test(`${op.name} over ${wire}`, async () => {
        const got: Record<string, Outcome> = {};
        const want: Record<string, Outcome> = {};
        for (const c of CREDS) {
          want[c.name] = expected(c, op.need);
          got[c.name] = await call(c);
        }
        assert.deepEqual(got, want);
      });
    }
  }
});
