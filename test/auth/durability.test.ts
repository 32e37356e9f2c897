import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { PrincipalType } from "../../gen/tessera/auth/v1/auth_service_pb.ts";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { clients, connectOutcome, NODES, ORG, rest, restOutcome, SCOPE, WS, withKey } from "./helpers.ts";

/**
 * Principals, keys, roles, scopes and secrets are commands in the durable log: a restart keeps them.
 * Secret values reach the log only as ciphertext and API keys only as hashes: no file under the data
 * dir holds either, and neither appears in the server's logs. Key files are created 0600.
 */

const SECRET = "plaintext-SECRET-value-7f3a9c";
const SECRET_2 = "second-plaintext-ü-value-b41e";

function durable(dir: string, env: Record<string, string> = {}): Promise<SpawnedServer> {
  return spawnServer(["--data-dir", dir, "--log-level", "info"], { TESSERA_MEMORY_ONLY: "0", TESSERA_AUTH: "required", TESSERA_FSYNC: "always", ...env });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

function assertNowhere(dir: string, needles: readonly string[]): void {
  for (const file of filesUnder(dir)) {
    const bytes = readFileSync(file);
    for (const n of needles) {
      for (const form of [Buffer.from(n, "utf8"), Buffer.from(n, "utf16le"), Buffer.from(Buffer.from(n).toString("base64"))]) {
        assert.equal(bytes.indexOf(form), -1, `${file} holds ${JSON.stringify(n)}`);
      }
    }
  }
}

test("restart keeps principals, keys, roles and secrets; no plaintext secret or API key is stored or logged", { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tessera-auth-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  // --- first run: no TESSERA_ADMIN_KEY, so the bootstrap key is generated into <data-dir>/admin.key.
  let server = await durable(dir);
  const adminKeyFile = join(dir, "admin.key");
  assert.equal(statSync(adminKeyFile).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, "master.key")).mode & 0o777, 0o600);
  const adminKey = readFileSync(adminKeyFile, "utf8").trim();
  assert.ok(adminKey.length >= 40);
  assert.ok(server.stderr().includes(adminKeyFile), "the key file's path is logged");
  const admin = withKey(adminKey);
  let k = clients(server);

  assert.equal((await rest(server, "POST", "/register", { nodes: NODES }, adminKey)).status, 200);
  const consumer = await k.auth.createServiceAccount({ name: "consumer" }, admin);
  await k.auth.assignRoles({ assignments: [{ resourceType: WS, resourceId: "prod", role: "consumer", principalType: PrincipalType.SERVICE_ACCOUNT, principalId: consumer.serviceAccount!.id }] }, admin);
  const member = await k.auth.createServiceAccount({ name: "member" }, admin);
  const group = (await k.auth.createGroup({ name: "editors" }, admin)).group!;
  await k.auth.addGroupMembers({ groupId: group.id, members: [{ principalType: PrincipalType.SERVICE_ACCOUNT, id: member.serviceAccount!.id }] }, admin);
  await k.auth.assignRoles({ assignments: [{ resourceType: ORG, resourceId: "", role: "editor", principalType: PrincipalType.GROUP, principalId: group.id }] }, admin);
  const user = (await k.auth.createUser({ loginEmail: "reader@example.com" }, admin)).user!;
  const userKey = (await k.auth.createApiKey({ owner: { principalType: PrincipalType.USER, id: user.id }, description: "laptop" }, admin)).key;
  const gone = await k.auth.createServiceAccount({ name: "deactivated" }, admin);
  await k.auth.updateServiceAccount({ id: gone.serviceAccount!.id, isActive: false }, admin);
  const second = await k.auth.createApiKey({ owner: { principalType: PrincipalType.SERVICE_ACCOUNT, id: consumer.serviceAccount!.id }, description: "to revoke" }, admin);
  await k.auth.revokeApiKey({ id: second.apiKey!.id }, admin);

  await k.secrets.createSecretScope({ scope: "payments" }, admin);
  await k.secrets.putSecretValue({ scope: "payments", key: "stripe", value: SECRET }, admin);
  await k.secrets.putSecretValue({ scope: "payments", key: "other", value: SECRET_2 }, admin);
  await k.auth.assignRoles({ assignments: [{ resourceType: SCOPE, resourceId: "payments", role: "secret_scope_reader", principalType: PrincipalType.USER, principalId: user.id }] }, admin);
  assert.equal((await k.secrets.getSecretValue({ scope: "payments", key: "stripe" }, withKey(userKey))).value, SECRET);
  const principalsBefore = await k.auth.listAssignedPrincipals({ resourceType: SCOPE, resourceId: "payments" }, admin);

  assert.equal(await server.stop(), 0);
  const keys = [consumer.apiKey, member.apiKey, userKey, gone.apiKey, second.key];
  assertNowhere(join(dir, "log"), [SECRET, SECRET_2, ...keys, adminKey]);
  assertNowhere(dir, [SECRET, SECRET_2, ...keys]);
  for (const needle of [SECRET, SECRET_2, ...keys, adminKey]) assert.ok(!server.stderr().includes(needle), "not in the logs");

  // --- second run: the same data dir; admin.key and master.key are reused.
  server = await durable(dir);
  t.after(() => server.stop());
  k = clients(server);
  assert.equal((await k.auth.getCallerIdentity({}, admin)).isAdmin, true);
  assert.equal(restOutcome(await rest(server, "POST", "/api/v1/feature-service/get-features", { params: { featureServiceName: "fraud", joinKeyMap: { user: "u" } } }, consumer.apiKey)), "ok");
  assert.equal(restOutcome(await rest(server, "POST", "/push", { event: "txn", data: { user: "u", amt: 1 } }, consumer.apiKey)), "permission_denied");
  assert.equal(restOutcome(await rest(server, "POST", "/push", { event: "txn", data: { user: "u", amt: 1 } }, member.apiKey)), "ok", "group-derived org role survives");
  assert.equal(restOutcome(await rest(server, "POST", "/ping", {}, gone.apiKey)), "unauthenticated", "still deactivated");
  assert.equal(restOutcome(await rest(server, "POST", "/ping", {}, second.key)), "unauthenticated", "still revoked");
  assert.equal((await k.secrets.getSecretValue({ scope: "payments", key: "stripe" }, withKey(userKey))).value, SECRET);
  assert.equal((await k.secrets.getSecretValue({ scope: "payments", key: "other" }, withKey(userKey))).value, SECRET_2);
  assert.deepEqual(await k.auth.listAssignedPrincipals({ resourceType: SCOPE, resourceId: "payments" }, admin), principalsBefore);
  assert.deepEqual((await k.auth.listGroups({}, admin)).groups.map((g) => [g.name, g.members.length]), [["editors", 1]]);
  assert.deepEqual((await k.auth.listApiKeys({ owner: { principalType: PrincipalType.USER, id: user.id } }, admin)).apiKeys.map((a) => a.description), ["laptop"]);
  await server.stop();

  // --- third run with another master key: the sealed values cannot be opened, and nothing leaks.
  server = await durable(dir, { TESSERA_MASTER_KEY: Buffer.alloc(32, 7).toString("base64") });
  k = clients(server);
  const wrongKey = await connectOutcome(k.secrets.getSecretValue({ scope: "payments", key: "stripe" }, withKey(userKey)));
  assert.match(wrongKey, /^FailedPrecondition:.*cannot be decrypted/);
  assert.ok(!wrongKey.includes(SECRET));
});

test("memory-only without TESSERA_ADMIN_KEY: the bootstrap key goes to a private temp file whose path is logged", async (t) => {
  const server = await spawnServer(["--log-level", "info"], { TESSERA_AUTH: "required" });
  t.after(() => server.stop());
  const logged = server.stderr().split("\n").filter((l) => l.includes("admin.key")).map((l) => JSON.parse(l) as { path: string });
  assert.equal(logged.length, 1);
  const path = logged[0]!.path;
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(join(path, "..")).mode & 0o777, 0o700);
  const key = readFileSync(path, "utf8").trim();
  assert.ok(!server.stderr().includes(key));
  assert.equal((await rest(server, "POST", "/ping", {}, key)).status, 200);
  assert.equal((await rest(server, "POST", "/ping", {}, "wrong-key-wrong-key")).status, 401);
});

test("a malformed TESSERA_MASTER_KEY or a short TESSERA_ADMIN_KEY refuses to start", async () => {
  await assert.rejects(spawnServer([], { TESSERA_AUTH: "required", TESSERA_MASTER_KEY: "c2hvcnQ=" }), /TESSERA_MASTER_KEY/);
  await assert.rejects(spawnServer([], { TESSERA_AUTH: "required", TESSERA_ADMIN_KEY: "short" }), /TESSERA_ADMIN_KEY/);
});
