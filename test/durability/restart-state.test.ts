import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { FsyncMode } from "../../src/config.ts";
import { startDurable, tempDataDir, type DurableServer } from "./durable-server.ts";
import { TXN, USER_STATS } from "./txn-workload.ts";

/** A day boundary, so 10m tiles and 1h continuous buckets start exactly here. */
const T0 = 1_699_920_000_000;
const MIN = 60_000;
/** The two read times: within an hour of every push, and after the earliest pushes left the windows. */
const READ_AT = [T0 + 50 * MIN, T0 + 85 * MIN];

const USER_WINDOWS = {
  kind: "derivation",
  name: "user_windows",
  output_kind: "table",
  upstreams: ["txn"],
  table_primary_key: ["user"],
  ops: [
    {
      op: "group_by",
      keys: ["user"],
      agg: {
        cnt_1h: { op: "count", params: { window: "1h" } },
        amt_sum_1h: { op: "sum", params: { field: "amt", window: "1h" } },
        cnt_tiled: { op: "count", params: { window: "1h", interval: "10m" } },
        amt_mean_tiled: { op: "mean", params: { field: "amt", window: "1h", interval: "10m" } },
      },
    },
  ],
};
/** An additive change registered later, so the registry version is not just 1. */
const USER_WINDOWS_V2 = structuredClone(USER_WINDOWS);
(USER_WINDOWS_V2.ops[0]!.agg as Record<string, unknown>)["amt_max_1h"] = { op: "max", params: { field: "amt", window: "1h" } };

async function call(server: DurableServer, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const reply: unknown = await res.json();
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(reply)}`);
  return reply;
}

/** Everything a restart must bring back, read at the pinned READ_AT times. */
async function observe(server: DurableServer): Promise<unknown> {
  const registry: unknown = await (await fetch(`${server.adminUrl}/registry`)).json();
  const workspaces: unknown = await call(server, "/tessera.workspace.v1.WorkspaceService/List", {});
  const ping: unknown = await call(server, "/ping", {});
  const rows: unknown[] = [];
  for (const at of READ_AT) {
    await call(server, "/test/clock", { now_ms: at });
    for (const table of ["user_stats", "user_windows"]) {
      rows.push(await call(server, "/batch_get", { requests: ["ann", "bob", "cyd"].map((key) => ({ table, key })) }));
    }
    rows.push(await call(server, "/batch_get", { workspace: "canary", requests: [{ table: "user_stats", key: "ann" }] }));
  }
  return { registry, workspaces, ping, rows };
}

function scenario(fsync: FsyncMode, stop: "SIGTERM" | "SIGKILL"): void {
  test(`--fsync ${fsync}, ${stop}: registry, workspaces, lifetime and windowed features, dedupe`, { timeout: 60_000 }, async (t) => {
    const dir = tempDataDir(t);
    const first = await startDurable(dir, { fsync });
    t.after(() => first.kill());
    await call(first, "/test/clock", { now_ms: T0 });
    await call(first, "/tessera.workspace.v1.WorkspaceService/Create", { name: "staging" });
    await call(first, "/tessera.workspace.v1.WorkspaceService/Create", { name: "canary", live: true });
    await call(first, "/register", { nodes: [TXN, USER_STATS, USER_WINDOWS] });
    await call(first, "/register", { workspace: "staging", nodes: [TXN] });
    await call(first, "/register", { workspace: "canary", nodes: [TXN, USER_STATS] });

    // Pushes spread over 45 minutes of test clock, some before and some after the additive change.
    const users = ["ann", "bob", "cyd"];
    let original: { ack_lsn: number } | undefined;
    let lastAck = 0;
    for (let i = 0; i < 30; i++) {
      if (i === 15) await call(first, "/register", { nodes: [TXN, USER_STATS, USER_WINDOWS_V2] });
      await call(first, "/test/clock", { now_ms: T0 + i * 90_000 });
      const data = { id: `t-${i}`, user: users[i % 3]!, amt: 1 + i * 2.5, merchant: `m${i % 4}` };
      const reply = await call(first, "/push", { event: "txn", data });
      if (i === 0) original = reply;
      lastAck = reply.ack_lsn;
      if (i % 10 === 0) await call(first, "/push", { workspace: "canary", event: "txn", data });
    }
    const before = await observe(first);

    if (stop === "SIGTERM") assert.equal(await first.stop(), 0);
    else await first.kill();
    const second = await startDurable(dir, { fsync });
    t.after(() => second.kill());
    assert.deepEqual(await observe(second), before);

    const replay = await call(second, "/push", { event: "txn", data: { id: "t-0", user: "ann", amt: 1, merchant: "m0" } });
    assert.equal(replay.idempotent_replay, true, "the dedupe cache survived the restart");
    assert.equal(replay.ack_lsn, original!.ack_lsn, "a replay answers the original ack_lsn");
    const fresh = await call(second, "/push", { event: "txn", data: { id: "t-new", user: "ann", amt: 1, merchant: "m0" } });
    assert.equal(fresh.idempotent_replay, false);
    assert.ok(fresh.ack_lsn > lastAck, "LSNs continue after the recovered ones");
    assert.equal(await second.stop(), 0);
  });
}

describe("a restart brings back everything the log holds", () => {
  scenario("interval", "SIGTERM");
  scenario("always", "SIGKILL");
});
