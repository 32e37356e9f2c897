import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { TcpDataPlaneClient, type PushResult } from "../../src/client/index.ts";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { clientError, NODES } from "./fixtures.ts";

/** The TCP transport's own behaviour: pipelining, the pool, frame limits and reconnecting. */
describe("TCP client", () => {
  let server: SpawnedServer;
  before(async () => {
    server = await spawnServer();
  });
  after(async () => {
    await server.stop();
  });
  beforeEach(async () => {
    const admin = tcpClient();
    try {
      await admin.reset();
      await admin.register(NODES);
    } finally {
      await admin.close();
    }
  });

  function tcpClient(options: Partial<ConstructorParameters<typeof TcpDataPlaneClient>[0]> = {}): TcpDataPlaneClient {
    return new TcpDataPlaneClient({ host: server.tcp!.host, port: server.tcp!.port, ...options });
  }

  /** Fires `n` pushes without waiting for any reply; all are in flight at once. */
  function burst(client: TcpDataPlaneClient, n: number, user: (i: number) => string): Promise<PushResult[]> {
    return Promise.all(Array.from({ length: n }, (_, i) => client.push("txn", { user_id: user(i), amount: 1 })));
  }

  function assertIncreasing(lsns: readonly number[], what: string): void {
    for (let i = 1; i < lsns.length; i++) assert.ok(lsns[i]! > lsns[i - 1]!, `${what}: ack ${i} (${lsns[i]}) follows ack ${i - 1} (${lsns[i - 1]})`);
  }

  for (const encoding of ["msgpack", "json"] as const) {
    test(`1000 pipelined pushes on one ${encoding} connection are acknowledged in submission order`, async () => {
      const client = tcpClient({ encoding });
      try {
        const acks = await burst(client, 1000, (i) => `u${i % 10}`);
        assert.equal(acks.length, 1000);
        assertIncreasing(
          acks.map((a) => a.ackLsn),
          encoding,
        );
        assert.ok(acks.every((a) => a.idempotentReplay === false));
        assert.deepEqual(await client.get("user_txn", "u3"), { txn_count: 100, amount_sum: 100 });
      } finally {
        await client.close();
      }
    });
  }

  test("a pool spreads requests round-robin; each connection keeps its own submission order", async () => {
    const poolSize = 4;
    const client = tcpClient({ poolSize });
    try {
      const acks = await burst(client, 1000, (i) => `u${i % poolSize}`);
      const lsns = acks.map((a) => a.ackLsn);
      assert.equal(new Set(lsns).size, 1000, "every push got its own LSN");
      for (let c = 0; c < poolSize; c++) {
        assertIncreasing(
          lsns.filter((_, i) => i % poolSize === c),
          `connection ${c}`,
        );
      }
      for (let c = 0; c < poolSize; c++) assert.deepEqual(await client.get("user_txn", `u${c}`), { txn_count: 250, amount_sum: 250 });
    } finally {
      await client.close();
    }
  });

  test("a payload over the limit is refused by the client, and the connection carries on", async () => {
    const client = tcpClient({ maxPayloadBytes: 1024 });
    try {
      const before = await client.push("txn", { user_id: "u1", amount: 1 });
      const tooLarge = await clientError(() => client.push("txn", { user_id: "u1", amount: 1, note: "x".repeat(2000) }));
      assert.equal(tooLarge.code, "frame_too_large");
      assert.equal(tooLarge.details["limit"], 1024);
      const next = await client.push("txn", { user_id: "u1", amount: 1 });
      assert.ok(next.ackLsn > before.ackLsn);
      assert.deepEqual(await client.get("user_txn", "u1"), { txn_count: 2, amount_sum: 2 }, "the refused push was never sent");
    } finally {
      await client.close();
    }
  });

  test("after the server closes a connection (frame_too_large), pending requests fail clearly and the next request reconnects", async () => {
    // A client limit above the server's 4 MiB, so the oversized frame reaches the server.
    const client = tcpClient({ maxPayloadBytes: 16 * 1024 * 1024 });
    try {
      const first = client.push("txn", { user_id: "u1", amount: 1 });
      const huge = client.push("txn", { user_id: "u1", amount: 1, note: "x".repeat(5 * 1024 * 1024) });
      const behind = client.push("txn", { user_id: "u1", amount: 1 });
      const [a, b, c] = await Promise.allSettled([first, huge, behind]);
      assert.equal(a.status, "fulfilled", "the request before the bad frame is answered");
      assert.equal(b.status, "rejected");
      assert.equal((b as PromiseRejectedResult).reason.code, "frame_too_large", "the server's error frame arrives before the close");
      assert.equal(c.status, "rejected");
      const lost = (c as PromiseRejectedResult).reason;
      assert.equal(lost.code, "unavailable");
      assert.match(lost.message, /closed .* unanswered; each may or may not have been applied/);

      const after = await client.push("txn", { user_id: "u1", amount: 1 });
      assert.ok(after.ackLsn > (a as PromiseFulfilledResult<PushResult>).value.ackLsn, "a new connection serves the next push");
      assert.equal((await client.ping()).pong, true);
      assert.deepEqual(await client.get("user_txn", "u1"), { txn_count: 2, amount_sum: 2 });
    } finally {
      await client.close();
    }
  });

  test("with an API key, OP_AUTH opens every connection and its reply does not shift the FIFO", async () => {
    const client = tcpClient({ apiKey: "not-checked-with-auth-off", poolSize: 2 });
    try {
      const [pong, ack, row] = await Promise.all([client.ping(), client.push("txn", { user_id: "u9", amount: 3 }), client.get("user_txn", "u9")]);
      assert.equal(pong.pong, true);
      assert.equal(ack.idempotentReplay, false);
      assert.ok(row !== null && typeof row === "object");
      assert.deepEqual(await client.get("user_txn", "u9"), { txn_count: 1, amount_sum: 3 });
    } finally {
      await client.close();
    }
  });
});
