import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { PrincipalType } from "../../gen/tessera/auth/v1/auth_service_pb.ts";
import type { SpawnedServer } from "../helpers/spawn-server.ts";
import { ADMIN_KEY, clients, connectOutcome, rest, spawnAuthServer, waitForAudit, withKey, type Clients } from "../auth/helpers.ts";

/**
 * The seed document 000 (Tecton HTTP API: Secrets Service, role assignments): each request sample is
 * sent as printed and each response sample is reproduced exactly (ids are ours, so they are
 * substituted). Then the seed's semantics — creator gets manage, ALREADY_EXISTS, FAILED_PRECONDITION
 * for a non-empty scope, idempotent put — and the documented limits, on REST and Connect.
 */

let server: SpawnedServer;
let k: Clients;
const admin = withKey(ADMIN_KEY);
let userId: string;
let userKey: string;
let saId: string;

const AUTHZ = "/api/v1/authorization-service";
const SECRETS = "/api/v1/secrets-service";

before(async () => {
  server = await spawnAuthServer(["--log-level", "warn"]);
  k = clients(server);
  await k.workspaces.create({ name: "my-workspace" }, admin);
  // The seed's service account was created by a user.
  const user = await k.auth.createUser({ loginEmail: "user@example.com", firstName: "Some", lastName: "User" }, admin);
  userId = user.user!.id;
  userKey = (await k.auth.createApiKey({ owner: { principalType: PrincipalType.USER, id: userId } }, admin)).key;
  saId = (await k.auth.createServiceAccount({ name: "my-service-account", description: "desc" }, withKey(userKey))).serviceAccount!.id;
});

after(async () => {
  await server.stop();
});

describe("seed 000 samples, reproduced", () => {
  test("Create a secret scope: POST .../scopes/{scope} → {}", async () => {
    const r = await rest(server, "POST", `${SECRETS}/scopes/my-secret-scope`, undefined, userKey);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {});
  });

  test("Assign role(s) on secret scope(s): the sample request → {}", async () => {
    const r = await rest(server, "POST", `${AUTHZ}/assign-roles`, {
      assignments: [
        { principal_type: "PRINCIPAL_TYPE_WORKSPACE", principal_id: "my-workspace", resource_type: "RESOURCE_TYPE_SECRET_SCOPE", resource_id: "my-secret-scope", role: "read_scope_role" },
      ],
    }, userKey);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, {});
  });

  test("View principals with access to a secret scope: the sample response", async () => {
    await rest(server, "POST", `${AUTHZ}/assign-roles`, {
      assignments: [{ principal_type: "PRINCIPAL_TYPE_SERVICE_ACCOUNT", principal_id: saId, resource_type: "RESOURCE_TYPE_SECRET_SCOPE", resource_id: "my-secret-scope", role: "read_scope_role" }],
    }, userKey);
    const r = await rest(server, "POST", `${AUTHZ}/list-assigned-principals`, {
      resource_type: "RESOURCE_TYPE_SECRET_SCOPE",
      resource_id: "my-secret-scope",
      principal_types: ["PRINCIPAL_TYPE_SERVICE_ACCOUNT"],
    }, userKey);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, {
      assignments: [
        {
          principal: {
            service_account: { id: saId, name: "my-service-account", description: "desc", is_active: true, creator: { principal_type: "PRINCIPAL_TYPE_USER", id: userId } },
          },
          role_assignments: [
            {
              resource_type: "RESOURCE_TYPE_SECRET_SCOPE",
              resource_id: "my-secret-scope",
              roles_granted: [{ role: "read_scope_role", role_assignment_sources: [{ assignment_type: "ROLE_ASSIGNMENT_TYPE_DIRECT" }] }],
            },
          ],
        },
      ],
    });
  });

  test("View a principal's role(s) on secret scope(s): the sample response", async () => {
    await rest(server, "POST", `${AUTHZ}/unassign-roles`, {
      assignments: [{ principal_type: "PRINCIPAL_TYPE_SERVICE_ACCOUNT", principal_id: saId, resource_type: "RESOURCE_TYPE_SECRET_SCOPE", resource_id: "my-secret-scope", role: "read_scope_role" }],
    }, userKey);
    await rest(server, "POST", `${AUTHZ}/assign-roles`, {
      assignments: [{ principal_type: "PRINCIPAL_TYPE_SERVICE_ACCOUNT", principal_id: saId, resource_type: "RESOURCE_TYPE_SECRET_SCOPE", resource_id: "my-secret-scope", role: "write_scope_role" }],
    }, userKey);
    const r = await rest(server, "POST", `${AUTHZ}/list-assigned-roles`, {
      principal_type: "PRINCIPAL_TYPE_SERVICE_ACCOUNT",
      principal_id: saId,
      resource_type: "RESOURCE_TYPE_SECRET_SCOPE",
    }, userKey);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, {
      assignments: [
        {
          resource_type: "RESOURCE_TYPE_SECRET_SCOPE",
          resource_id: "my-secret-scope",
          roles_granted: [{ role: "write_scope_role", role_assignment_sources: [{ assignment_type: "ROLE_ASSIGNMENT_TYPE_DIRECT" }] }],
        },
      ],
    });
  });

  test("Unassign role(s) on secret scope(s): the sample request → {}, and the workspace no longer holds the role", async () => {
    const r = await rest(server, "POST", `${AUTHZ}/unassign-roles`, {
      assignments: [
        { principal_type: "PRINCIPAL_TYPE_WORKSPACE", principal_id: "my-workspace", resource_type: "RESOURCE_TYPE_SECRET_SCOPE", resource_id: "my-secret-scope", role: "read_scope_role" },
      ],
    }, userKey);
    assert.deepEqual([r.status, r.body], [200, {}]);
    const left = await rest(server, "POST", `${AUTHZ}/list-assigned-principals`, {
      resource_type: "RESOURCE_TYPE_SECRET_SCOPE",
      resource_id: "my-secret-scope",
      principal_types: ["PRINCIPAL_TYPE_WORKSPACE"],
    }, userKey);
    assert.deepEqual(left.body, { assignments: [] });
  });

  test("Put a secret value: {\"value\":\"shhh\"} → {}; Get a secret value → {\"value\":\"shhh\"}; List secrets → {\"keys\":[{\"name\":\"sample-key\"}]}", async () => {
    const put = await rest(server, "PUT", `${SECRETS}/scopes/my-secret-scope/keys/sample-key`, { value: "shhh" }, userKey);
    assert.deepEqual([put.status, put.body], [200, {}]);
    assert.deepEqual((await rest(server, "GET", `${SECRETS}/scopes/my-secret-scope/keys/sample-key`, undefined, userKey)).body, { value: "shhh" });
    assert.deepEqual((await rest(server, "GET", `${SECRETS}/scopes/my-secret-scope/keys`, undefined, userKey)).body, { keys: [{ name: "sample-key" }] });
  });

  test("List all secret scopes → {\"scopes\":[{\"name\":\"my-secret-scope\"}]}", async () => {
    assert.deepEqual((await rest(server, "GET", `${SECRETS}/scopes`, undefined, userKey)).body, { scopes: [{ name: "my-secret-scope" }] });
  });

  test("Delete a secret → {}; Delete a secret scope → {}", async () => {
    assert.deepEqual((await rest(server, "DELETE", `${SECRETS}/scopes/my-secret-scope/keys/sample-key`, undefined, userKey)).body, {});
    assert.deepEqual((await rest(server, "DELETE", `${SECRETS}/scopes/my-secret-scope`, undefined, userKey)).body, {});
    assert.deepEqual((await rest(server, "GET", `${SECRETS}/scopes`, undefined, userKey)).body, { scopes: [] });
  });
});

describe("role assignments: inputs and sources", () => {
  test("camelCase input is accepted and Tecton's secret_scope_* ids are aliases; the canonical id is emitted", async () => {
    await k.secrets.createSecretScope({ scope: "aliases" }, admin);
    const r = await rest(server, "POST", `${AUTHZ}/assign-roles`, {
      assignments: [{ principalType: "PRINCIPAL_TYPE_SERVICE_ACCOUNT", principalId: saId, resourceType: "RESOURCE_TYPE_SECRET_SCOPE", resourceId: "aliases", role: "secret_scope_reader" }],
    }, ADMIN_KEY);
    assert.equal(r.status, 200, r.text);
    const roles = await rest(server, "POST", `${AUTHZ}/list-assigned-roles`, { principalType: "PRINCIPAL_TYPE_SERVICE_ACCOUNT", principalId: saId, resourceIds: ["aliases"] }, ADMIN_KEY);
    assert.deepEqual(roles.body.assignments[0].roles_granted, [{ role: "read_scope_role", role_assignment_sources: [{ assignment_type: "ROLE_ASSIGNMENT_TYPE_DIRECT" }] }]);
    const unknownFields = await rest(server, "POST", `${AUTHZ}/list-assigned-roles`, { principal_type: "PRINCIPAL_TYPE_SERVICE_ACCOUNT", principal_id: saId, extra: 1 }, ADMIN_KEY);
    assert.equal(unknownFields.status, 200);
  });

  test("a role held directly and through two groups has three sources, with the groups' names and ids", async () => {
    await k.secrets.createSecretScope({ scope: "grouped" }, admin);
    const g1 = (await k.auth.createGroup({ name: "team-a" }, admin)).group!;
    const g2 = (await k.auth.createGroup({ name: "team-b" }, admin)).group!;
    for (const g of [g1, g2]) {
      await k.auth.addGroupMembers({ groupId: g.id, members: [{ principalType: PrincipalType.SERVICE_ACCOUNT, id: saId }] }, admin);
    }
    const assignment = (type: string, id: string) => ({ principal_type: type, principal_id: id, resource_type: "RESOURCE_TYPE_SECRET_SCOPE", resource_id: "grouped", role: "read_scope_role" });
    await rest(server, "POST", `${AUTHZ}/assign-roles`, {
      assignments: [assignment("PRINCIPAL_TYPE_SERVICE_ACCOUNT", saId), assignment("PRINCIPAL_TYPE_GROUP", g1.id), assignment("PRINCIPAL_TYPE_GROUP", g2.id)],
    }, ADMIN_KEY);
    const sources = [
      { assignment_type: "ROLE_ASSIGNMENT_TYPE_DIRECT" },
      { assignment_type: "ROLE_ASSIGNMENT_TYPE_FROM_PRINCIPAL_GROUP", principal_group_name: "team-a", principal_group_id: g1.id },
      { assignment_type: "ROLE_ASSIGNMENT_TYPE_FROM_PRINCIPAL_GROUP", principal_group_name: "team-b", principal_group_id: g2.id },
    ];
    const principals = await rest(server, "POST", `${AUTHZ}/list-assigned-principals`, { resource_type: "RESOURCE_TYPE_SECRET_SCOPE", resource_id: "grouped" }, ADMIN_KEY);
    const sa = principals.body.assignments.find((a: any) => a.principal.service_account?.id === saId);
    assert.deepEqual(sa.role_assignments[0].roles_granted, [{ role: "read_scope_role", role_assignment_sources: sources }]);
    const groups = principals.body.assignments.filter((a: any) => a.principal.group !== undefined).map((a: any) => a.principal.group);
    assert.deepEqual(groups.map((g: any) => g.name).sort(), ["team-a", "team-b"]);
    // The bootstrap admin created the scope and manages it.
    assert.ok(principals.body.assignments.some((a: any) => a.principal.service_account?.id === "bootstrap-admin" && a.role_assignments[0].roles_granted[0].role === "manage_scope_role"));
    const roles = await rest(server, "POST", `${AUTHZ}/list-assigned-roles`, { principal_type: "PRINCIPAL_TYPE_SERVICE_ACCOUNT", principal_id: saId, resource_ids: ["grouped"] }, ADMIN_KEY);
    assert.deepEqual(roles.body.assignments[0].roles_granted[0].role_assignment_sources, sources);
    // The same over Connect.
    const viaConnect = await k.auth.listAssignedRoles({ principalType: PrincipalType.SERVICE_ACCOUNT, principalId: saId, resourceIds: ["grouped"] }, admin);
    assert.equal(viaConnect.assignments[0]!.rolesGranted[0]!.roleAssignmentSources.length, 3);
  });

  test("get-roles lists every role with its aliases", async () => {
    const r = await rest(server, "POST", `${AUTHZ}/get-roles`, undefined, userKey);
    const ids = r.body.roles.map((x: any) => x.id);
    assert.deepEqual(ids, ["admin", "owner", "editor", "operator", "consumer", "viewer", "manage_scope_role", "write_scope_role", "read_scope_role"]);
    const reader = r.body.roles.find((x: any) => x.id === "read_scope_role");
    assert.deepEqual(reader.aliases, ["secret_scope_reader"]);
    assert.deepEqual(reader.assignable_on_resource_types, ["RESOURCE_TYPE_SECRET_SCOPE"]);
  });

  test("errors on the authorization routes are grpc-gateway bodies", async () => {
    const r = await rest(server, "POST", `${AUTHZ}/assign-roles`, { assignments: [{ principal_type: "PRINCIPAL_TYPE_USER", principal_id: userId, resource_type: "RESOURCE_TYPE_SECRET_SCOPE", resource_id: "nope", role: "read_scope_role" }] }, ADMIN_KEY);
    assert.equal(r.status, 404);
    assert.equal(r.body.code, 5);
    assert.equal(r.body.error, r.body.message);
    const bad = await rest(server, "POST", `${AUTHZ}/assign-roles`, { assignments: [{ principal_type: "PRINCIPAL_TYPE_NOPE" }] }, ADMIN_KEY);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 3);
  });
});

describe("Secrets service semantics", () => {
  test("the creator gets manage_scope_role: a principal with no role creates, writes, reads and deletes its own scope", async () => {
    const sa = await k.auth.createServiceAccount({ name: "self-service" }, admin);
    const key = sa.apiKey;
    assert.equal((await rest(server, "POST", `${SECRETS}/scopes`, { scope: "mine" }, key)).status, 200);
    assert.equal((await rest(server, "PUT", `${SECRETS}/scopes/mine/keys/a`, { value: "1" }, key)).status, 200);
    assert.deepEqual((await rest(server, "GET", `${SECRETS}/scopes/mine/keys/a`, undefined, key)).body, { value: "1" });
    const roles = await k.auth.listAssignedRoles({ principalType: PrincipalType.SERVICE_ACCOUNT, principalId: sa.serviceAccount!.id }, withKey(key));
    assert.deepEqual(roles.assignments.map((a) => [a.resourceId, a.rolesGranted[0]!.role]), [["mine", "manage_scope_role"]]);
  });

  test("creating an existing scope is ALREADY_EXISTS (409, code 6)", async () => {
    await k.secrets.createSecretScope({ scope: "dup" }, admin);
    const r = await rest(server, "POST", `${SECRETS}/scopes`, { scope: "dup" }, ADMIN_KEY);
    assert.deepEqual([r.status, r.body.code], [409, 6]);
    assert.match(await connectOutcome(k.secrets.createSecretScope({ scope: "dup" }, admin)), /^AlreadyExists/);
  });

  test("deleting a scope that holds secrets is FAILED_PRECONDITION (400, code 9); empty, it goes", async () => {
    await k.secrets.createSecretScope({ scope: "full" }, admin);
    await k.secrets.putSecretValue({ scope: "full", key: "a", value: "x" }, admin);
    const r = await rest(server, "DELETE", `${SECRETS}/scopes/full`, undefined, ADMIN_KEY);
    assert.deepEqual([r.status, r.body.code], [400, 9]);
    assert.match(r.body.message, /still holds 1 secret/);
    assert.match(await connectOutcome(k.secrets.deleteSecretScope({ scope: "full" }, admin)), /^FailedPrecondition/);
    await k.secrets.deleteSecret({ scope: "full", key: "a" }, admin);
    await k.secrets.deleteSecretScope({ scope: "full" }, admin);
    assert.ok(!(await k.secrets.listSecretScopes({}, admin)).scopes.some((s) => s.name === "full"));
  });

  test("put is an idempotent upsert: the same put twice succeeds; a new value overwrites", async () => {
    await k.secrets.createSecretScope({ scope: "upsert" }, admin);
    for (let i = 0; i < 2; i++) assert.equal((await rest(server, "PUT", `${SECRETS}/scopes/upsert/keys/k`, { value: "one" }, ADMIN_KEY)).status, 200);
    assert.equal((await rest(server, "POST", `${SECRETS}/scopes/upsert/keys/k`, { value: "two" }, ADMIN_KEY)).status, 200);
    assert.equal((await k.secrets.getSecretValue({ scope: "upsert", key: "k" }, admin)).value, "two");
    assert.deepEqual((await k.secrets.listSecrets({ scope: "upsert" }, admin)).keys.map((x) => x.name), ["k"]);
  });

  test("the older SDKs' POST get-secret-value answers {\"secret_value\":{\"value\"}}", async () => {
    for (const prefix of ["/api/v1/secrets-service", "/v1/secrets-service"]) {
      const r = await rest(server, "POST", `${prefix}/get-secret-value`, { scope: "upsert", key: "k" }, ADMIN_KEY);
      assert.deepEqual([r.status, r.body], [200, { secret_value: { value: "two" } }]);
    }
    assert.equal((await rest(server, "POST", `${SECRETS}/get-secret-value`, { scope: "upsert", key: "k" }, userKey)).status, 403);
  });

  test("missing scopes and keys are NOT_FOUND (404, code 5)", async () => {
    for (const [method, path] of [
      ["GET", `${SECRETS}/scopes/none/keys`],
      ["GET", `${SECRETS}/scopes/none/keys/k`],
      ["DELETE", `${SECRETS}/scopes/none`],
      ["GET", `${SECRETS}/scopes/upsert/keys/absent`],
      ["DELETE", `${SECRETS}/scopes/upsert/keys/absent`],
    ] as const) {
      const r = await rest(server, method, path, undefined, ADMIN_KEY);
      assert.deepEqual([r.status, r.body.code], [404, 5], `${method} ${path}`);
    }
    const e = await connectOutcome(k.secrets.getSecretValue({ scope: "upsert", key: "absent" }, admin));
    assert.match(e, /^NotFound/);
  });

  test("limits: names of A-Z a-z 0-9 _ . - up to 255, non-empty values up to 64 KiB", async () => {
    const bad = async (method: string, path: string, body?: unknown) => {
      const r = await rest(server, method, path, body, ADMIN_KEY);
      assert.equal(r.status, 400, `${method} ${path}: ${r.text}`);
      assert.equal(r.body.code, 3);
      return r;
    };
    await bad("POST", `${SECRETS}/scopes`, { scope: "has space" });
    await bad("POST", `${SECRETS}/scopes`, { scope: "x".repeat(256) });
    await bad("POST", `${SECRETS}/scopes`, {});
    await bad("POST", `${SECRETS}/scopes/.hidden`);
    await bad("PUT", `${SECRETS}/scopes/upsert/keys/k%2Fslash`, { value: "v" });
    await bad("PUT", `${SECRETS}/scopes/upsert/keys/k`, { value: "" });
    await bad("PUT", `${SECRETS}/scopes/upsert/keys/k`, {});
    await bad("PUT", `${SECRETS}/scopes/upsert/keys/k`, { value: 42 });
    const big = await bad("PUT", `${SECRETS}/scopes/upsert/keys/k`, { value: "s".repeat(64 * 1024 + 1) });
    assert.match(big.body.message, /65536 bytes/);
    assert.equal((await rest(server, "PUT", `${SECRETS}/scopes/upsert/keys/k`, { value: "é".repeat(32 * 1024) }, ADMIN_KEY)).status, 200);
    assert.equal((await rest(server, "POST", `${SECRETS}/scopes`, { scope: `A.b-c_${"9".repeat(249)}` }, ADMIN_KEY)).status, 200);
    assert.equal((await connectOutcome(k.secrets.putSecretValue({ scope: "upsert", key: "k", value: "" }, admin))).split(":")[0], Code[Code.InvalidArgument]);
  });

  test("a malformed body is refused without quoting it", async () => {
    const r = await rest(server, "PUT", `${SECRETS}/scopes/upsert/keys/k`, '{"value": hunter2-not-quoted}', ADMIN_KEY);
    assert.equal(r.status, 400);
    assert.ok(!r.text.includes("hunter2"), r.text);
  });

  test("a secret read is audited with who, what and when; the value never appears in the logs", async () => {
    await k.secrets.createSecretScope({ scope: "audited" }, admin);
    await k.secrets.putSecretValue({ scope: "audited", key: "db", value: "correct-horse-battery-staple" }, admin);
    await k.secrets.getSecretValue({ scope: "audited", key: "db" }, admin);
    await connectOutcome(k.secrets.getSecretValue({ scope: "audited", key: "db" }, withKey(userKey)));
    const isRead = (l: Record<string, unknown>) => l["action"] === "secrets.read_secret" && l["scope"] === "audited";
    const reads = (await waitForAudit(server, (lines) => lines.filter(isRead).length >= 2)).filter(isRead);
    assert.deepEqual(
      reads.map((l) => [l["actor"], l["secret_key"], l["outcome"]]),
      [
        ["service_account:bootstrap-admin", "db", "ok"],
        [`user:${userId}`, "db", "denied"],
      ],
    );
    for (const l of reads) assert.equal(typeof l["time"], "number");
    assert.ok(!server.stderr().includes("correct-horse-battery-staple"));
    assert.ok(!server.stderr().includes("shhh"));
  });
});
