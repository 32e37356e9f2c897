import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { PushResult } from "../../src/client/index.ts";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { clientError, clientFor, NODES, TXN, WIRES, type Wire } from "./fixtures.ts";

/**
 * The whole data-plane surface through each wire of the client against one real server. Every wire
 * must give the same results, so the expectations are written once.
 */
describe("client round trip on every wire", () => {
  let server: SpawnedServer;
  before(async () => {
    server = await spawnServer();
  });
  after(async () => {
    await server.stop();
  });

  for (const wire of WIRES) {
    test(`${wire}: reset, register, push, get, batchGet, ping, errors, reset`, async () => {
      const client = clientFor(server, wire);
      try {
        await roundTrip(client, wire);
      } finally {
        await client.close();
      }
    });
  }
});

async function roundTrip(client: ReturnType<typeof clientFor>, wire: Wire): Promise<void> {
  const cleared = await client.reset();
  assert.equal(cleared.reset, true);
  const v0 = cleared.registryVersion;

  const dry = await client.register(NODES, { dryRun: true });
  assert.deepEqual(dry, {
    diff: {
      additive: [
        { kind: "new_descriptor", descriptorKind: "derivation", name: "user_txn" },
        { kind: "new_descriptor", descriptorKind: "event", name: "txn" },
      ],
      destructive: [],
      alreadyPresent: [],
    },
    wouldApply: false,
  });

  const registered = await client.register(NODES);
  assert.deepEqual(registered, { status: "ok", registryVersion: v0 + 1, registeredDescriptors: ["txn", "user_txn"], added: ["user_txn", "txn"], alreadyPresent: [] });
  const again = await client.register(NODES);
  assert.deepEqual(again, { status: "ok", registryVersion: v0 + 1, registeredDescriptors: ["txn", "user_txn"], added: [], alreadyPresent: ["txn", "user_txn"] });

  const p1 = await client.push("txn", { user_id: "u1", amount: 10 });
  const p2 = await client.push("txn", { user_id: "u1", amount: 2.5, note: "second" }, { workspace: "prod" });
  assert.deepEqual(Object.keys(p1).sort(), ["ackLsn", "idempotentReplay", "registryVersion"]);
  assert.equal(p1.idempotentReplay, false);
  assert.equal(p1.registryVersion, v0 + 1);
  assert.ok(p2.ackLsn > p1.ackLsn, `ack LSNs increase: ${p1.ackLsn} then ${p2.ackLsn}`);

  const batch = await client.pushBatch([
    { event: "txn", data: { user_id: "u2", amount: 1 } },
    { event: "no_such_event", data: {} },
    { event: "txn", data: { user_id: "u1", amount: "not a number" } },
  ]);
  assert.equal(batch.registryVersion, v0 + 1);
  assert.equal(batch.outcomes.length, 3);
  const [ok, unknown, invalid] = batch.outcomes;
  assert.equal(ok!.error, undefined);
  assert.ok((ok as PushResult).ackLsn > p2.ackLsn);
  assert.equal(unknown!.error?.code, "event_not_found");
  assert.equal(invalid!.error?.code, "invalid_event");

  assert.deepEqual(await client.get("user_txn", "u1"), { txn_count: 2, amount_sum: 12.5 });
  assert.deepEqual(await client.get("user_txn", ["u1"]), { txn_count: 2, amount_sum: 12.5 }, "a key given as segments");
  assert.deepEqual(await client.get("user_txn", "u1", { features: ["amount_sum"] }), { amount_sum: 12.5 });
  assert.deepEqual(await client.get("user_txn", "u1", { features: [] }), {});
  assert.deepEqual(await client.get("user_txn", "nobody"), {}, "cold start");

  const rows = await client.batchGet([
    { table: "user_txn", key: "u1" },
    { table: "user_txn", key: "u2", features: ["txn_count"] },
    { table: "no_such_table", key: "u1" },
    { table: "user_txn", key: "nobody" },
  ]);
  assert.equal(rows.results.length, 4);
  assert.deepEqual(rows.results[0], { features: { txn_count: 2, amount_sum: 12.5 } });
  assert.deepEqual(rows.results[1], { features: { txn_count: 1 } });
  assert.equal(rows.results[2]!.error?.code, "unknown_table");
  assert.equal(typeof rows.results[2]!.error?.message, "string");
  assert.deepEqual(rows.results[3], { features: {} });

  const pong = await client.ping();
  assert.equal(pong.pong, true);
  assert.equal(typeof pong.serverVersion, "string");
  assert.ok(pong.serverVersion.length > 0);
  assert.equal(pong.registryVersion, v0 + 1);

  // Errors: the Tessera code on every wire, plus the wire's own status.
  const notFound = await clientError(() => client.push("no_such_event", { a: 1 }));
  assert.equal(notFound.code, "event_not_found");
  assert.equal(notFound.transport, client.transport);
  if (wire === "http") assert.equal(notFound.status, 404);
  else assert.equal(notFound.status, undefined);
  if (client.transport === "connect") assert.equal(notFound.grpcCode, 5);
  else assert.equal(notFound.grpcCode, undefined);

  const missingFeature = await clientError(() => client.get("user_txn", "u1", { features: ["bogus"] }));
  assert.equal(missingFeature.code, "feature_not_found", "beava's rendering (internal_error + reason) is read back as the Tessera code");
  assert.match(missingFeature.message, /bogus/);

  const noWorkspace = await clientError(() => client.get("user_txn", "u1", { workspace: "no_such_workspace" }));
  assert.equal(noWorkspace.code, "workspace_not_found");

  const destructive = await clientError(() => client.register([TXN]));
  assert.equal(destructive.code, "force_required");
  {
    // The beava body carries the diff next to the code and the registry version beside the error;
    // Connect carries the same details as a Struct error detail.
    assert.deepEqual(destructive.details["diff"], { additive: [], destructive: [{ kind: "agg_removal", table: "user_txn", agg: "" }], already_present: ["txn"] });
    assert.equal(destructive.details["registry_version"], v0 + 1);
  }

  const reset = await client.reset();
  assert.deepEqual(reset, { reset: true, registryVersion: v0 + 2 });
  assert.equal((await clientError(() => client.get("user_txn", "u1"))).code, "unknown_table");
}
