import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { body, eventNode, frame, FrameSocket, JSON_CT, MSGPACK_CT, OP, tableNode } from "../helpers/tcp-frames.ts";

/**
 * With `--fsync always` a push is acknowledged only once its batch is fsynced, so its reply is
 * produced after later requests' (pings, gets, errors) are; the wire must still answer in request order.
 */

const TXN = eventNode("txn", { user: "str", amt: "f64" });
const USER_TXN = tableNode("user_txn", "txn", ["user"], { cnt: { op: "count" }, amt_sum: { op: "sum", params: { field: "amt" } } });

let server: SpawnedServer;
let dataDir: string;
before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "tessera-tcp-"));
  server = await spawnServer(["--data-dir", dataDir, "--fsync", "always"], { TESSERA_MEMORY_ONLY: "0" });
});
after(async () => {
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
});

function push(user: string, amt: number, ct = JSON_CT): Buffer {
  return frame(OP.PUSH, ct, { event: "txn", body: { user, amt } });
}

test("durable acks and immediate replies interleaved in one pipeline come back in request order", async () => {
  const c = await FrameSocket.open(server.tcp!);
  const requests: Buffer[] = [frame(OP.REGISTER, JSON_CT, { nodes: [TXN, USER_TXN], force: true })];
  const expected: number[] = [OP.REGISTER];
  for (let i = 0; i < 100; i++) {
    requests.push(push("order", 1, i % 2 === 0 ? JSON_CT : MSGPACK_CT));
    expected.push(OP.PUSH);
    if (i % 10 === 0) {
      requests.push(frame(OP.PING, JSON_CT), frame(OP.GET, JSON_CT, { table: "user_txn", key: "order", features: ["cnt"] }), frame(0x4242, JSON_CT, {}));
      expected.push(OP.PING, OP.GET_RESPONSE, OP.ERROR);
    }
  }
  c.send(...requests);
  const replies = await c.take(expected.length);
  assert.deepEqual(
    replies.map((r) => r.op),
    expected,
  );
  let pushes = 0;
  let lastLsn = 0;
  for (const r of replies) {
    if (r.op === OP.PUSH) {
      const ack = body(r);
      assert.ok(ack.ack_lsn > lastLsn, "acks in push order");
      lastLsn = ack.ack_lsn;
      pushes++;
    } else if (r.op === OP.GET_RESPONSE) {
      // A get is applied when it is read, after every push before it was applied.
      assert.deepEqual(body(r), { cnt: pushes });
    }
  }
  c.close();
});

test("a pipeline deeper than the reply queue limit (4096 unfinished replies) loses nothing and keeps order", async () => {
  const c = await FrameSocket.open(server.tcp!);
  c.send(frame(OP.REGISTER, JSON_CT, { nodes: [TXN, USER_TXN], force: true }));
  assert.equal((await c.next()).op, OP.REGISTER);
  const n = 10_000;
  const requests: Buffer[] = [];
  for (let i = 0; i < n; i++) requests.push(i % 100 === 99 ? frame(OP.PING, MSGPACK_CT) : push("deep", 1));
  c.send(...requests, frame(OP.GET, JSON_CT, { table: "user_txn", key: "deep", features: ["cnt"] }));
  const replies = await c.take(n + 1);
  let lastLsn = 0;
  for (let i = 0; i < n; i++) {
    const r = replies[i]!;
    if (i % 100 === 99) assert.deepEqual([r.op, r.ct], [OP.PING, MSGPACK_CT], `reply ${i}`);
    else {
      assert.equal(r.op, OP.PUSH, `reply ${i}`);
      const ack = body(r);
      assert.ok(ack.ack_lsn > lastLsn);
      lastLsn = ack.ack_lsn;
    }
  }
  assert.deepEqual(body(replies[n]!), { cnt: n - n / 100 });
  c.close();
});
