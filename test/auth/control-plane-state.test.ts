import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { Packr } from "msgpackr";
import { generateApiKey } from "../../src/auth/api-keys.ts";
import type { LoggedAssignment } from "../../src/auth/auth-commands.ts";
import { encodeAuthState } from "../../src/auth/auth-state-codec.ts";
import { Authenticator } from "../../src/auth/authenticator.ts";
import { isValidCaller, type Caller } from "../../src/auth/caller.ts";
import { BOOTSTRAP_ADMIN_ID, type Actor, type PrincipalRef, type ResourceKind } from "../../src/auth/principal.ts";
import { ROLES } from "../../src/auth/roles.ts";
import { TesseraError } from "../../src/errors/tessera-error.ts";
import { seal } from "../../src/secrets/cipher.ts";
import { encodeSecretStore } from "../../src/secrets/secret-store-codec.ts";
import { AccessControl, type ScopeOperation, type WorkspaceOperation } from "../../src/service/authorization.ts";
import { ControlPlane, type ControlPlaneCommand } from "../../src/service/auth-control-plane.ts";

/**
 * ControlPlane.exportState / fromState: a control plane restored from a snapshot is the one that was
 * exported, record for record and in map order, and decides every authentication and authorization
 * the same way, before and after further commands.
 */

const MASTER_KEY = Buffer.alloc(32, 7);
const ADMIN_KEY = "bootstrap-admin-key-0123456789";
const T0 = 1_700_000_000_000;

const USERS = ["u0", "u1", "u2", "u3"];
const ACCOUNTS = ["s0", "s1", "s2", "s3"];
const GROUPS = ["g0", "g1", "g2"];
const WORKSPACES = ["w0", "w1"];
const SCOPES = ["sc0", "sc1"];
const SECRET_KEYS = ["k0", "k1", "k2"];
const API_KEYS = Array.from({ length: 6 }, () => generateApiKey());

const WORKSPACE_OPERATIONS: readonly WorkspaceOperation[] = ["register", "push", "push_batch", "get", "batch_get", "get_features", "get_features_batch", "metadata", "registry_read", "manage_roles"];
const SCOPE_OPERATIONS: readonly ScopeOperation[] = ["read_secret", "put_secret", "delete_secret", "list_secrets", "delete_scope", "manage_roles"];

// ---------------------------------------------------------------- generating commands

/** One step of a history: a control-plane command, or a workspace deleted on the data plane. */
type Step = { readonly command: ControlPlaneCommand } | { readonly workspaceDeleted: string };

const user = fc.constantFrom(...USERS).map((id): PrincipalRef => ({ type: "user", id }));
const account = fc.constantFrom(...ACCOUNTS, BOOTSTRAP_ADMIN_ID).map((id): PrincipalRef => ({ type: "service_account", id }));
const actorRef = fc.oneof(user, account);
const anyRef = fc.oneof(
  actorRef,
  fc.constantFrom(...GROUPS).map((id): PrincipalRef => ({ type: "group", id })),
  fc.constantFrom(...WORKSPACES).map((id): PrincipalRef => ({ type: "workspace", id })),
);
/** Mostly users and service accounts, the members that count; the others are skipped on apply. */
const member = fc.oneof({ weight: 4, arbitrary: actorRef }, { weight: 1, arbitrary: anyRef });
const text = fc.string({ maxLength: 8 });
const role = fc.constantFrom(...ROLES.map((r) => r.id), "secret_scope_reader", " Editor ", "no_such_role");
const resource = fc.oneof(
  fc.constantFrom(...WORKSPACES).map((id) => ({ type: "workspace" as ResourceKind, id })),
  fc.constant({ type: "organization" as ResourceKind, id: "" }),
  fc.constantFrom(...SCOPES).map((id) => ({ type: "secret_scope" as ResourceKind, id })),
);
const assignments = fc.array(
  fc.tuple(resource, role, anyRef).map(([r, roleName, p]): LoggedAssignment => ({ resource_type: r.type, resource_id: r.id, role: roleName, principal_type: p.type, principal_id: p.id })),
  { minLength: 1, maxLength: 3 },
);
const cmd = <T extends ControlPlaneCommand>(a: fc.Arbitrary<T>): fc.Arbitrary<Step> => a.map((command) => ({ command }));

// Weighted towards building state: with uniform odds deletions keep it near empty.
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: cmd(fc.record({ type: fc.constant("create_user" as const), id: fc.constantFrom(...USERS), login_email: text, first_name: text, last_name: text })) },
  { weight: 1, arbitrary: cmd(fc.record({ type: fc.constant("update_user" as const), id: fc.constantFrom(...USERS), first_name: text, is_active: fc.boolean() }, { requiredKeys: ["type", "id"] })) },
  { weight: 1, arbitrary: cmd(fc.record({ type: fc.constant("delete_user" as const), id: fc.constantFrom(...USERS) })) },
  { weight: 3, arbitrary: cmd(fc.record({ type: fc.constant("create_service_account" as const), id: fc.constantFrom(...ACCOUNTS), name: text, description: text, creator: fc.option(actorRef, { nil: null }) })) },
  { weight: 1, arbitrary: cmd(fc.record({ type: fc.constant("update_service_account" as const), id: fc.constantFrom(...ACCOUNTS, BOOTSTRAP_ADMIN_ID), name: text, is_active: fc.boolean() }, { requiredKeys: ["type", "id"] })) },
  { weight: 1, arbitrary: cmd(fc.record({ type: fc.constant("delete_service_account" as const), id: fc.constantFrom(...ACCOUNTS, BOOTSTRAP_ADMIN_ID) })) },
  { weight: 3, arbitrary: cmd(fc.record({ type: fc.constant("create_group" as const), id: fc.constantFrom(...GROUPS), name: text, description: text })) },
  { weight: 1, arbitrary: cmd(fc.record({ type: fc.constant("update_group" as const), id: fc.constantFrom(...GROUPS), description: text }, { requiredKeys: ["type", "id"] })) },
  { weight: 1, arbitrary: cmd(fc.record({ type: fc.constant("delete_group" as const), id: fc.constantFrom(...GROUPS) })) },
  { weight: 5, arbitrary: cmd(fc.record({ type: fc.constant("add_group_members" as const), group_id: fc.constantFrom(...GROUPS), members: fc.array(member, { maxLength: 3 }) })) },
  { weight: 1, arbitrary: cmd(fc.record({ type: fc.constant("remove_group_members" as const), group_id: fc.constantFrom(...GROUPS), members: fc.array(anyRef, { maxLength: 2 }) })) },
  {
    weight: 3,
    arbitrary: cmd(
      fc.tuple(fc.constantFrom(...API_KEYS), actorRef, text).map(([k, owner, description]) => ({
        type: "create_api_key" as const,
        id: k.id,
        owner,
        description,
        prefix: k.prefix,
        sha256: k.hash.toString("hex"),
      })),
    ),
  },
  { weight: 1, arbitrary: cmd(fc.constantFrom(...API_KEYS).map((k) => ({ type: "revoke_api_key" as const, id: k.id }))) },
  { weight: 5, arbitrary: cmd(assignments.map((a) => ({ type: "assign_roles" as const, assignments: a }))) },
  { weight: 1, arbitrary: cmd(assignments.map((a) => ({ type: "unassign_roles" as const, assignments: a }))) },
  { weight: 2, arbitrary: cmd(fc.record({ type: fc.constant("create_secret_scope" as const), scope: fc.constantFrom(...SCOPES), creator: fc.option(actorRef, { nil: null }) })) },
  { weight: 1, arbitrary: cmd(fc.record({ type: fc.constant("delete_secret_scope" as const), scope: fc.constantFrom(...SCOPES) })) },
  {
    weight: 3,
    arbitrary: cmd(
      fc.tuple(fc.constantFrom(...SCOPES), fc.constantFrom(...SECRET_KEYS), text).map(([scope, key, value]) => ({
        type: "put_secret" as const,
        scope,
        key,
        ...seal(MASTER_KEY, scope, key, value),
      })),
    ),
  },
  { weight: 1, arbitrary: cmd(fc.record({ type: fc.constant("delete_secret" as const), scope: fc.constantFrom(...SCOPES), key: fc.constantFrom(...SECRET_KEYS) })) },
  { weight: 1, arbitrary: fc.constantFrom(...WORKSPACES).map((name) => ({ workspaceDeleted: name })) },
);

/** The service layer refuses to create what exists (ids are fresh); the replay of such a log never has one. */
function creatable(cp: ControlPlane, c: ControlPlaneCommand): boolean {
  switch (c.type) {
    case "create_user":
      return !cp.auth.users.has(c.id);
    case "create_service_account":
      return !cp.auth.serviceAccounts.has(c.id);
    case "create_group":
      return !cp.auth.groups.has(c.id);
    case "create_api_key":
      return !cp.auth.apiKeys.has(c.id);
    case "create_secret_scope":
      return !cp.secrets.scopes.has(c.scope);
    default:
      return true;
  }
}

/** Applies a history, each step at its own (fractional) time; returns the steps taken. */
function run(cp: ControlPlane, steps: readonly Step[], from: number): void {
  steps.forEach((s, i) => {
    if ("workspaceDeleted" in s) cp.workspaceDeleted(s.workspaceDeleted);
    else if (creatable(cp, s.command)) cp.apply(s.command, T0 + (from + i) * 1.25);
  });
}

// ---------------------------------------------------------------- comparing

/** Every map in order, records without their grants caches; memberships as sets. */
function view(cp: ControlPlane): unknown {
  const a = cp.auth;
  const actor = ({ grants: _g, grantsVersion: _v, ...record }: Actor) => record;
  const refs: PrincipalRef[] = [...USERS.map((id) => ({ type: "user" as const, id })), ...[...ACCOUNTS, BOOTSTRAP_ADMIN_ID].map((id) => ({ type: "service_account" as const, id }))];
  return {
    version: a.version,
    users: Array.from(a.users, ([k, u]) => [k, actor(u)]),
    serviceAccounts: Array.from(a.serviceAccounts, ([k, s]) => [k, actor(s)]),
    bootstrapAdmin: actor(a.bootstrapAdmin),
    groups: Array.from(a.groups, ([k, g]) => [k, { ...g, members: [...g.members] }]),
    apiKeys: [...a.apiKeys],
    assignments: [...a.assignments],
    memberOf: refs.map((r) => [...a.groupsOf(r)].sort()),
    scopes: Array.from(cp.secrets.scopes, ([k, s]) => [k, { ...s, secrets: [...s.secrets] }]),
  };
}

/** Every authorization decision over the pools (the exhaustive version of random triples). */
function decisions(cp: ControlPlane): string[] {
  const access = new AccessControl(true, cp.auth);
  const out: string[] = [];
  const actors: PrincipalRef[] = [...USERS.map((id) => ({ type: "user" as const, id })), ...[...ACCOUNTS, BOOTSTRAP_ADMIN_ID].map((id) => ({ type: "service_account" as const, id }))];
  for (const ref of actors) {
    const who = `${ref.type}:${ref.id}`;
    const actor = cp.auth.actor(ref);
    if (actor === undefined) {
      out.push(`${who} absent`);
      continue;
    }
    const caller: Caller = { actor, apiKey: null, authOff: false };
    out.push(`${who} valid=${isValidCaller(caller)} admin=${access.isAdmin(caller)}`);
    for (const ws of [...WORKSPACES, "elsewhere"]) {
      for (const op of WORKSPACE_OPERATIONS) out.push(`${who} ${op} ws ${ws}: ${access.canWorkspace(caller, op, ws)}`);
      out.push(`${who} roles on ws ${ws}: ${access.canManageRoles(caller, "workspace", ws)}`);
    }
    for (const scope of [...SCOPES, "elsewhere"]) {
      for (const op of SCOPE_OPERATIONS) out.push(`${who} ${op} scope ${scope}: ${access.canScope(caller, op, scope)}`);
    }
    out.push(`${who} roles on org: ${access.canManageRoles(caller, "organization", "")}`);
    for (const target of actors) {
      out.push(`${who} manages ${target.type}:${target.id}: ${access.canManagePrincipal(caller, target, false)}/${access.canManagePrincipal(caller, target, true)}`);
    }
  }
  return out;
}

/** Who each key (the pool's, the bootstrap key, an unknown one) authenticates as, or the error code. */
function authentications(cp: ControlPlane): string[] {
  const authenticator = new Authenticator(cp.auth, ADMIN_KEY);
  return [...API_KEYS.map((k) => k.key), ADMIN_KEY, generateApiKey().key].map((key) => {
    try {
      const c = authenticator.fromKey(key);
      return `${c.actor.type}:${c.actor.id} key=${c.apiKey?.id ?? "bootstrap"}`;
    } catch (e) {
      assert.ok(e instanceof TesseraError);
      return e.code;
    }
  });
}

function assertSame(original: ControlPlane, restored: ControlPlane): void {
  assert.deepStrictEqual(view(restored), view(original));
  assert.deepStrictEqual(decisions(restored), decisions(original));
  assert.deepStrictEqual(authentications(restored), authentications(original));
}

// ---------------------------------------------------------------- tests

describe("control-plane state export / import", () => {
  test("a restored control plane equals the original and decides alike, before and after more commands (property)", () => {
    fc.assert(
      // size "max": fast-check otherwise keeps arrays near 10 steps, too few to build memberships and grants.
      fc.property(fc.array(step, { maxLength: 120, size: "max" }), fc.array(step, { maxLength: 30, size: "max" }), (history, more) => {
        const original = new ControlPlane();
        run(original, history, 0);
        // Warm the original's grants caches: the restored one builds its own.
        decisions(original);
        const restored = ControlPlane.fromState(original.exportState());
        assertSame(original, restored);
        run(original, more, history.length);
        run(restored, more, history.length);
        assertSame(original, restored);
        // A snapshot of a restored control plane is the same bytes again.
        assert.deepStrictEqual(Buffer.from(ControlPlane.fromState(restored.exportState()).exportState()), Buffer.from(restored.exportState()));
      }),
      { numRuns: 150 },
    );
  });

  test("a hand-built state: order, create times, the bootstrap admin and grants through groups survive", () => {
    const key = API_KEYS[0]!;
    const original = new ControlPlane();
    const steps: ControlPlaneCommand[] = [
      { type: "create_user", id: "zed", login_email: "zed@example.com", first_name: "Zed", last_name: "Z" },
      { type: "create_user", id: "amy", login_email: "amy@example.com", first_name: "Amy", last_name: "A" },
      { type: "create_service_account", id: "bot", name: "bot", description: "", creator: { type: "user", id: "amy" } },
      { type: "create_group", id: "ops", name: "ops", description: "on call" },
      { type: "add_group_members", group_id: "ops", members: [{ type: "service_account", id: "bot" }, { type: "user", id: "zed" }] },
      { type: "assign_roles", assignments: [{ resource_type: "workspace", resource_id: "prod", role: "editor", principal_type: "group", principal_id: "ops" }] },
      { type: "create_api_key", id: key.id, owner: { type: "service_account", id: "bot" }, description: "ci", prefix: key.prefix, sha256: key.hash.toString("hex") },
      { type: "create_secret_scope", scope: "payments", creator: { type: "service_account", id: "bot" } },
    ];
    steps.forEach((c, i) => original.apply(c, T0 + i + 0.5));
    const restored = ControlPlane.fromState(original.exportState());
    assertSame(original, restored);
    assert.deepEqual([...restored.auth.users.keys()], ["zed", "amy"], "insertion order, not sorted");
    assert.deepEqual([...restored.auth.serviceAccounts.keys()], [BOOTSTRAP_ADMIN_ID, "bot"]);
    assert.equal(restored.auth.serviceAccounts.get(BOOTSTRAP_ADMIN_ID), restored.auth.bootstrapAdmin);
    assert.equal(restored.auth.users.get("amy")!.createTime, T0 + 1.5);
    assert.equal(restored.secrets.scopes.get("payments")!.createTime, T0 + 7.5);
    const bot = new Authenticator(restored.auth, ADMIN_KEY).fromKey(key.key);
    assert.equal(bot.actor, restored.auth.serviceAccounts.get("bot"));
    const access = new AccessControl(true, restored.auth);
    access.workspace(bot, "push", "prod");
    assert.throws(() => access.workspace(bot, "push", "dev"), (e) => e instanceof TesseraError && e.code === "permission_denied");
    assert.ok(access.canScope(bot, "read_secret", "payments"), "the scope's creator manages it");
    // Revocation and group changes on the restored state take effect like on the original.
    restored.apply({ type: "remove_group_members", group_id: "ops", members: [{ type: "service_account", id: "bot" }] }, T0 + 10);
    assert.ok(!access.canWorkspace(bot, "push", "prod"));
    restored.apply({ type: "revoke_api_key", id: key.id }, T0 + 11);
    assert.ok(!isValidCaller(bot));
  });

  test("secrets are exported as ciphertext only; API keys as their hash only", () => {
    const cp = new ControlPlane();
    const plaintext = "correct horse battery staple 4242";
    const sealed = seal(MASTER_KEY, "s", "k", plaintext);
    const key = API_KEYS[1]!;
    cp.apply({ type: "create_secret_scope", scope: "s", creator: null }, T0);
    cp.apply({ type: "put_secret", scope: "s", key: "k", ...sealed }, T0);
    cp.apply({ type: "create_api_key", id: key.id, owner: { type: "service_account", id: BOOTSTRAP_ADMIN_ID }, description: "", prefix: key.prefix, sha256: key.hash.toString("hex") }, T0);
    const bytes = Buffer.from(cp.exportState());
    assert.equal(bytes.indexOf(plaintext), -1);
    assert.equal(bytes.indexOf(key.key), -1);
    assert.notEqual(bytes.indexOf(sealed.ciphertext), -1);
    assert.notEqual(bytes.indexOf(key.hash), -1);
    assert.deepEqual(ControlPlane.fromState(bytes).secrets.scopes.get("s")!.secrets.get("k"), { ...sealed, updateTime: T0 });
  });

  test("an empty control plane round-trips", () => {
    const restored = ControlPlane.fromState(new ControlPlane().exportState());
    assertSame(new ControlPlane(), restored);
  });
});

describe("control-plane state: bad bytes", () => {
  const packr = new Packr({ useRecords: false });
  const valid = (): { auth: Record<string, unknown>; secrets: Record<string, unknown> } => {
    const cp = new ControlPlane();
    cp.apply({ type: "create_user", id: "u", login_email: "e", first_name: "f", last_name: "l" }, T0);
    cp.apply({ type: "create_group", id: "g", name: "g", description: "" }, T0);
    cp.apply({ type: "create_secret_scope", scope: "s", creator: { type: "user", id: "u" } }, T0);
    return { auth: encodeAuthState(cp.auth) as Record<string, unknown>, secrets: encodeSecretStore(cp.secrets) as Record<string, unknown> };
  };
  const failure = (bytes: Uint8Array): TesseraError => {
    try {
      ControlPlane.fromState(bytes);
    } catch (e) {
      assert.ok(e instanceof TesseraError, String(e));
      return e;
    }
    assert.fail("expected fromState to throw");
  };
  const snapshotError = (bytes: Uint8Array, message: RegExp): void => {
    const e = failure(bytes);
    assert.equal(e.code, "internal_error");
    assert.match(e.message, /^snapshot: /);
    assert.match(e.message, message);
  };

  test("random bytes and every truncation of a valid export throw internal_error, never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => snapshotError(bytes, /./)),
      { numRuns: 500 },
    );
    const bytes = packr.pack(valid());
    for (let cut = 0; cut < bytes.length; cut++) snapshotError(bytes.subarray(0, cut), /./);
  });

  test("values of the wrong type are named", () => {
    const users = valid();
    (users.auth["users"] as Record<string, unknown>[])[0]!["createTime"] = "yesterday";
    snapshotError(packr.pack(users), /user createTime is not a number/);
    const ref = valid();
    (ref.auth["groups"] as Record<string, unknown>[])[0]!["members"] = [{ type: "robot", id: "x" }];
    snapshotError(packr.pack(ref), /group member type is not one of/);
    const secrets = valid();
    secrets.secrets["scopes"] = {};
    snapshotError(packr.pack(secrets), /scopes is not an array/);
    snapshotError(packr.pack({ auth: valid().auth }), /secret store is not an object/);
    const bootstrap = valid();
    bootstrap.auth["serviceAccounts"] = [{ id: BOOTSTRAP_ADMIN_ID, name: "", description: "", isActive: true, createTime: 0, creator: null }];
    snapshotError(packr.pack(bootstrap), /bootstrap admin/);
  });

  test("a part in a newer format is unavailable (refuse to start), an unknown older one internal_error", () => {
    const newer = valid();
    newer.secrets["format"] = 2;
    const e = failure(packr.pack(newer));
    assert.equal(e.code, "unavailable");
    assert.match(e.message, /secret store is in snapshot format 2; this build reads format 1/);
    const older = valid();
    older.auth["format"] = 0;
    snapshotError(packr.pack(older), /auth state has unknown format 0/);
  });
});
