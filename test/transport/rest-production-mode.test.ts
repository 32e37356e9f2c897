import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { eventNode, ok, post, registerAll, table } from "./rest-helpers.ts";

let server: SpawnedServer;
before(async () => {
  server = await spawnServer([], { TESSERA_TEST_MODE: "0" });
});
after(async () => {
  await server.stop();
});

test("/reset and /test/clock are 403 reset_disabled_in_production outside test mode", async () => {
  for (const [path, body] of [
    ["/reset", undefined],
    ["/reset", { workspace: "prod" }],
    ["/test/clock", { now_ms: 0 }],
    ["/test/clock", { wall: true }],
  ] as const) {
    const reply = await post(server, path, body);
    assert.equal(reply.status, 403, path);
    assert.equal(reply.body.error.code, "reset_disabled_in_production");
    assert.match(reply.body.error.reason, /test mode/);
  }
});

test("the data plane keeps working on the wall clock", async () => {
  await registerAll(server, [eventNode("hit", { user: "str" }), table("hits", "hit", ["user"], { n_1h: { op: "count", params: { window: "1h" } } })]);
  await ok(server, "/push", { event: "hit", data: { user: "u" } });
  assert.deepEqual(await ok(server, "/get", { table: "hits", key: "u" }), { n_1h: 1 });
  assert.equal((await ok(server, "/ping")).pong, true);
});
