import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { generateApiKey, hashKey } from "../../src/auth/api-keys.ts";
import { AuthState } from "../../src/auth/auth-state.ts";
import { Authenticator } from "../../src/auth/authenticator.ts";
import { roleOf } from "../../src/auth/roles.ts";
import { open, seal } from "../../src/secrets/cipher.ts";
import { AccessControl } from "../../src/service/authorization.ts";
import { ControlPlane, isControlPlaneCommand, type ControlPlaneCommand } from "../../src/service/auth-control-plane.ts";
import type { Command } from "../../src/service/commands.ts";
import { decodeCommand, encodeCommand, MSGPACK_FORMAT } from "../../src/storage/command-codec.ts";
import { TesseraError } from "../../src/errors/tessera-error.ts";

/** The auth and secrets domain without a server: codec, authenticator, access table, cipher. */

const ADMIN = "bootstrap-admin-key-0123456789";

function roundTrip(c: Command): Command {
  const bytes = Buffer.concat([Buffer.from([MSGPACK_FORMAT]), encodeCommand(c)]);
  return decodeCommand(bytes, 0, bytes.length);
}

function code(f: () => unknown): string {
  try {
    f();
    return "ok";
  } catch (e) {
    assert.ok(e instanceof TesseraError, String(e));
    return e.code;
  }
}

const key = generateApiKey();
const sealed = seal(Buffer.alloc(32, 1), "s", "k", "v");
const COMMANDS: ControlPlaneCommand[] = [
  { type: "create_user", id: "u1", login_email: "a@b.c", first_name: "A", last_name: "B" },
  { type: "update_user", id: "u1", is_active: false },
  { type: "create_service_account", id: "sa1", name: "sa", description: "d", creator: { type: "user", id: "u1" } },
  { type: "create_service_account", id: "sa2", name: "sa2", description: "", creator: null },
  { type: "update_service_account", id: "sa1", name: "renamed" },
  { type: "create_group", id: "g1", name: "g", description: "" },
  { type: "add_group_members", group_id: "g1", members: [{ type: "service_account", id: "sa1" }] },
  { type: "remove_group_members", group_id: "g1", members: [{ type: "service_account", id: "sa1" }] },
  { type: "create_api_key", id: key.id, owner: { type: "service_account", id: "sa1" }, description: "", prefix: key.prefix, sha256: key.hash.toString("hex") },
  { type: "revoke_api_key", id: key.id },
  { type: "assign_roles", assignments: [{ resource_type: "workspace", resource_id: "prod", role: "editor", principal_type: "group", principal_id: "g1" }] },
  { type: "unassign_roles", assignments: [{ resource_type: "organization", resource_id: "", role: "admin", principal_type: "user", principal_id: "u1" }] },
  { type: "delete_group", id: "g1" },
  { type: "delete_service_account", id: "sa1" },
  { type: "delete_user", id: "u1" },
  { type: "create_secret_scope", scope: "s", creator: { type: "user", id: "u1" } },
  { type: "put_secret", scope: "s", key: "k", nonce: sealed.nonce, ciphertext: sealed.ciphertext },
  { type: "delete_secret", scope: "s", key: "k" },
  { type: "delete_secret_scope", scope: "s" },
];

describe("control-plane commands", () => {
  test("every control-plane command round-trips through the log codec and is routed to the control plane", () => {
    for (const c of COMMANDS) {
      assert.deepEqual(roundTrip(c), c);
      assert.ok(isControlPlaneCommand(c), c.type);
    }
    assert.ok(!isControlPlaneCommand({ type: "reset" }));
  });

  test("a logged API key is its SHA-256 only", () => {
    const bytes = encodeCommand(COMMANDS[8]!);
    assert.equal(bytes.indexOf(Buffer.from(key.key)), -1);
    assert.notEqual(bytes.indexOf(Buffer.from(key.hash.toString("hex"))), -1);
  });

  test("applying the sequence leaves consistent state", () => {
    const cp = new ControlPlane();
    for (const c of COMMANDS) cp.apply(c, 1000);
    assert.equal(cp.auth.users.size, 0);
    assert.deepEqual([...cp.auth.serviceAccounts.keys()].sort(), ["bootstrap-admin", "sa2"]);
    assert.equal(cp.auth.assignments.size, 0, "deleting the group, the user and the scope dropped their assignments");
    assert.equal(cp.secrets.scopes.size, 0);
  });
});

describe("authenticator", () => {
  const state = new AuthState();
  state.apply({ type: "create_service_account", id: "sa", name: "sa", description: "", creator: null }, 0);
  state.apply({ type: "create_api_key", id: key.id, owner: { type: "service_account", id: "sa" }, description: "", prefix: key.prefix, sha256: key.hash.toString("hex") }, 0);
  const authn = new Authenticator(state, ADMIN);

  test("schemes: Tecton-key in any case, Bearer; anything else is unauthenticated", () => {
    for (const h of [`Tecton-key ${key.key}`, `tecton-KEY ${key.key}`, `Bearer ${key.key}`, `bearer   ${key.key}  `]) assert.equal(authn.fromHeader(h).actor.id, "sa", h);
    for (const h of [undefined, "", key.key, `Basic ${key.key}`, "Tecton-key ", `Tecton-key ${key.key}x`, `Tecton-key ${"a".repeat(600)}`]) {
      assert.equal(code(() => authn.fromHeader(h)), "unauthenticated", String(h));
    }
    assert.equal(authn.fromHeader(`Tecton-key ${ADMIN}`).actor.id, "bootstrap-admin");
  });

  test("a cached key stops working once revoked or its principal is deactivated, and works again when reactivated", () => {
    assert.equal(authn.fromKey(key.key).actor.id, "sa");
    state.apply({ type: "update_service_account", id: "sa", is_active: false }, 0);
    assert.equal(code(() => authn.fromKey(key.key)), "unauthenticated");
    state.apply({ type: "update_service_account", id: "sa", is_active: true }, 0);
    assert.equal(authn.fromKey(key.key).actor.id, "sa");
    state.apply({ type: "revoke_api_key", id: key.id }, 0);
    assert.equal(code(() => authn.fromKey(key.key)), "unauthenticated");
  });

  test("hashes are SHA-256 of the whole key", () => {
    assert.equal(hashKey("abc").toString("hex"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("access table", () => {
  const state = new AuthState();
  const access = new AccessControl(true, state);
  const authn = new Authenticator(state, ADMIN);
  const k = generateApiKey();
  state.apply({ type: "create_service_account", id: "sa", name: "sa", description: "", creator: null }, 0);
  state.apply({ type: "create_api_key", id: k.id, owner: { type: "service_account", id: "sa" }, description: "", prefix: k.prefix, sha256: k.hash.toString("hex") }, 0);
  const caller = authn.fromKey(k.key);
  const grant = (role: string, resource: "workspace" | "organization" | "secret_scope" = "workspace", id = "prod") =>
    state.apply({ type: "assign_roles", assignments: [{ resource_type: resource, resource_id: id, role, principal_type: "service_account", principal_id: "sa" }] }, 0);
  const reset = () => {
    for (const a of [...state.assignments.values()]) {
      state.apply({ type: "unassign_roles", assignments: [{ resource_type: a.resourceType, resource_id: a.resourceId, role: a.role, principal_type: a.principalType, principal_id: a.principalId }] }, 0);
    }
  };
  const ops = ["register", "push", "push_batch", "get", "batch_get", "get_features", "get_features_batch", "metadata", "manage_roles"] as const;
  const can = () => Object.fromEntries(ops.map((op) => [op, code(() => access.workspace(caller, op, "prod")) === "ok"]));

  test("workspace roles: owner ⊃ editor ⊃ {operator, consumer} ⊃ viewer", () => {
    const expect = (write: boolean, read: boolean, view: boolean, manage: boolean) => ({
      register: write, push: write, push_batch: write, get: read, batch_get: read, get_features: read, get_features_batch: read, metadata: view, manage_roles: manage,
    });
    const table: [string | undefined, ReturnType<typeof expect>][] = [
      [undefined, expect(false, false, false, false)],
      ["viewer", expect(false, false, true, false)],
      ["operator", expect(false, false, true, false)],
      ["consumer", expect(false, true, true, false)],
      ["editor", expect(true, true, true, false)],
      ["owner", expect(true, true, true, true)],
    ];
    for (const [role, want] of table) {
      reset();
      if (role !== undefined) grant(role);
      assert.deepEqual(can(), want, String(role));
    }
    reset();
    grant("consumer", "organization", "");
    assert.equal(code(() => access.workspace(caller, "get", "any-workspace")), "ok");
    assert.equal(code(() => access.workspace(caller, "push", "any-workspace")), "permission_denied");
  });

  test("scope roles: manage ⊃ write ⊃ read; admin lists keys and manages roles but cannot read values", () => {
    reset();
    grant("admin", "organization", "");
    assert.equal(code(() => access.scope(caller, "read_secret", "s")), "permission_denied");
    assert.equal(code(() => access.scope(caller, "list_secrets", "s")), "ok");
    assert.equal(code(() => access.scope(caller, "manage_roles", "s")), "ok");
    assert.equal(code(() => access.scope(caller, "put_secret", "s")), "permission_denied");
    reset();
    grant("secret_scope_writer", "secret_scope", "s");
    assert.equal(roleOf("secret_scope_writer")?.id, "write_scope_role");
    assert.equal(code(() => access.scope(caller, "read_secret", "s")), "ok");
    assert.equal(code(() => access.scope(caller, "put_secret", "s")), "ok");
    assert.equal(code(() => access.scope(caller, "delete_scope", "s")), "permission_denied");
    assert.equal(code(() => access.scope(caller, "read_secret", "other")), "permission_denied");
  });

  test("auth off allows everything, with or without a caller", () => {
    const off = new AccessControl(false);
    assert.equal(code(() => off.workspace(undefined, "push", "prod")), "ok");
    assert.equal(code(() => off.instance(undefined, "reset")), "ok");
    assert.equal(code(() => access.workspace(undefined, "get", "prod")), "unauthenticated");
  });
});

describe("sealing", () => {
  const master = Buffer.alloc(32, 9);
  test("AES-256-GCM with a random nonce; the AAD binds the value to its scope and key", () => {
    const a = seal(master, "scope", "key", "value ü");
    const b = seal(master, "scope", "key", "value ü");
    assert.notEqual(a.nonce, b.nonce);
    assert.notEqual(a.ciphertext, b.ciphertext);
    assert.equal(open(master, "scope", "key", a), "value ü");
    assert.equal(open(master, "scope", "other", a), undefined);
    assert.equal(open(master, "other", "key", a), undefined);
    assert.equal(open(Buffer.alloc(32, 8), "scope", "key", a), undefined);
    const tampered = Buffer.from(a.ciphertext, "base64");
    tampered[0]! ^= 1;
    assert.equal(open(master, "scope", "key", { nonce: a.nonce, ciphertext: tampered.toString("base64") }), undefined);
  });
});
