import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { Connection, eventNode, MIN, ok, pinClock, post, registerAll, T0, table } from "./rest-helpers.ts";

let server: SpawnedServer;
before(async () => {
  server = await spawnServer();
});
after(async () => {
  await server.stop();
});
beforeEach(async () => {
  await ok(server, "/reset");
  await pinClock(server, T0);
});

const TXN = eventNode("txn", { user: "str", amt: "f64", id: "str" }, ["id"], { dedupe_key: "id" });
const USER_TXN = table("user_txn", "txn", ["user"], {
  cnt_1h: { op: "count", params: { window: "1h" } },
  amt_sum_1h: { op: "sum", params: { field: "amt", window: "1h" } },
  amt_mean_1h: { op: "mean", params: { field: "amt", window: "1h" } },
  cnt_tiled: { op: "count", params: { window: "1h", interval: "10m" } },
  amt_mean_tiled: { op: "mean", params: { field: "amt", window: "1h", interval: "10m" } },
  cnt: { op: "count" },
  amt_sum: { op: "sum", params: { field: "amt" } },
});

function push(data: Record<string, unknown>, eventName = "txn"): Promise<any> {
  return ok(server, "/push", { event: eventName, data });
}

function get(key: unknown, features?: string[], tableName = "user_txn"): Promise<any> {
  return ok(server, "/get", features === undefined ? { table: tableName, key } : { table: tableName, key, features });
}

describe("register → push → get over HTTP", () => {
  test("register answers the beava success body and bumps the version", async () => {
    const reply = await post(server, "/register", { nodes: [TXN, USER_TXN] }, { "content-type": "Application/JSON ; charset=utf-8" });
    assert.equal(reply.status, 200);
    const { registry_version, ...rest } = reply.body;
    assert.deepEqual(rest, { status: "ok", registered_descriptors: ["txn", "user_txn"], added: ["user_txn", "txn"], already_present: [] });
    const again = await ok(server, "/register", { nodes: [TXN, USER_TXN] });
    assert.equal(again.registry_version, registry_version, "an unchanged registry is a no-op");
    assert.deepEqual(again.already_present, ["txn", "user_txn"]);
    const dry = await ok(server, "/register", { nodes: [TXN], dry_run: true });
    assert.equal(dry.would_apply, false);
    assert.deepEqual(dry.diff.destructive, [{ kind: "agg_removal", table: "user_txn", agg: "" }]);
    assert.equal((await ok(server, "/ping")).registry_version, registry_version, "a dry run changes nothing");
  });

  test("count, sum and mean over continuous, tiled and lifetime windows as the test clock moves", async () => {
    await registerAll(server, [TXN, USER_TXN]);
    assert.deepEqual(await get("alice"), {}, "cold start is 200 {}");
    await push({ user: "alice", amt: 10 });
    await push({ user: "alice", amt: 30 });
    assert.deepEqual(await get("alice"), {
      cnt_1h: 2,
      amt_sum_1h: 40,
      amt_mean_1h: 20,
      // The tile [T0, T0+10m) is not complete yet.
      cnt_tiled: 0,
      amt_mean_tiled: null,
      cnt: 2,
      amt_sum: 40,
    });

    await pinClock(server, T0 + 10 * MIN);
    assert.deepEqual(await get("alice", ["cnt_tiled", "amt_mean_tiled"]), { cnt_tiled: 2, amt_mean_tiled: 20 });
    await push({ user: "alice", amt: 60 });
    assert.deepEqual(await get("alice", ["cnt_1h", "amt_sum_1h", "cnt_tiled", "cnt"]), { cnt_1h: 3, amt_sum_1h: 100, cnt_tiled: 2, cnt: 3 });

    // At T0+1h the first bucket is exactly W old and leaves the continuous window; the tiled
    // window [T0, T0+1h) still holds all six complete tiles.
    await pinClock(server, T0 + 60 * MIN);
    assert.deepEqual(await get("alice"), { cnt_1h: 1, amt_sum_1h: 60, amt_mean_1h: 60, cnt_tiled: 3, amt_mean_tiled: 100 / 3, cnt: 3, amt_sum: 100 });

    await ok(server, "/test/clock", { advance_ms: 10 * MIN });
    assert.deepEqual(await get("alice"), { cnt_1h: 0, amt_sum_1h: null, amt_mean_1h: null, cnt_tiled: 1, amt_mean_tiled: 60, cnt: 3, amt_sum: 100 });

    await pinClock(server, T0 + 80 * MIN);
    assert.deepEqual(await get("alice", ["cnt_tiled", "amt_mean_tiled", "cnt"]), { cnt_tiled: 0, amt_mean_tiled: null, cnt: 3 });
    assert.deepEqual(await get("bob"), {}, "another entity stays cold");
  });

  test("/get accepts entity_id for key and `features: []` narrows to {}", async () => {
    await registerAll(server, [TXN, USER_TXN]);
    await push({ user: "alice", amt: 5 });
    assert.deepEqual(await ok(server, "/get", { table: "user_txn", entity_id: "alice", features: ["cnt"] }), { cnt: 1 });
    assert.deepEqual(await get("alice", []), {});
  });

  test("the query string and a trailing slash do not change the route", async () => {
    await registerAll(server, [TXN, USER_TXN]);
    await ok(server, "/push/?source=test", { event: "txn", data: { user: "alice", amt: 1 } });
    assert.deepEqual(await ok(server, "/get/?x=1", { table: "user_txn", key: "alice", features: ["cnt"] }), { cnt: 1 });
  });
});

describe("push routes", () => {
  test("a dedupe replay answers the original ack with idempotent_replay and the replay header", async () => {
    await registerAll(server, [TXN, USER_TXN]);
    const first = await post(server, "/push", { event: "txn", data: { user: "alice", amt: 10, id: "tx-1" } });
    assert.equal(first.status, 200);
    assert.equal(first.body.idempotent_replay, false);
    assert.equal(first.headers.get("x-beava-idempotent-replay"), null);
    assert.equal(first.headers.get("content-type"), "application/json");

    const replay = await post(server, "/push", { event: "txn", data: { user: "alice", amt: 999, id: "tx-1" } });
    assert.equal(replay.status, 200);
    assert.deepEqual(replay.body, { ...first.body, idempotent_replay: true });
    assert.equal(replay.headers.get("x-beava-idempotent-replay"), "1");
    assert.deepEqual(await get("alice", ["cnt", "amt_sum"]), { cnt: 1, amt_sum: 10 }, "a replay does not mutate state");

    const other = await ok(server, "/push", { event: "txn", data: { user: "alice", amt: 1, id: "tx-2" } });
    assert.equal(other.idempotent_replay, false);
    assert.ok(other.ack_lsn > first.body.ack_lsn, "ack_lsn increases");
  });

  test("/push-sync and the legacy /push/:event and /push-sync/:event routes (raw body = data)", async () => {
    await registerAll(server, [TXN, USER_TXN]);
    const acks = [
      await ok(server, "/push-sync", { event: "txn", data: { user: "alice", amt: 1 } }),
      await ok(server, "/push/txn", { user: "alice", amt: 2 }),
      await ok(server, "/push-sync/txn", { user: "alice", amt: 4 }),
    ];
    for (const a of acks) assert.deepEqual(Object.keys(a), ["ack_lsn", "idempotent_replay", "registry_version"]);
    assert.deepEqual(await get("alice", ["cnt", "amt_sum"]), { cnt: 3, amt_sum: 7 });
    const replay = await post(server, "/push/txn", { user: "alice", amt: 8, id: "dup" });
    const again = await post(server, "/push/txn", { user: "alice", amt: 8, id: "dup" });
    assert.equal(replay.body.idempotent_replay, false);
    assert.equal(again.headers.get("x-beava-idempotent-replay"), "1");
  });

  test("/push_batch answers one outcome per event, in order, and applies the good ones", async () => {
    await registerAll(server, [TXN, USER_TXN]);
    const reply = await ok(server, "/push_batch", {
      events: [
        { event: "txn", data: { user: "alice", amt: 1, id: "b-1" } },
        { event: "nope", data: {} },
        { event: "txn", data: { user: "alice", amt: 2, id: "b-1" } },
        { data: { user: "alice" } },
        { event: "txn", data: { user: "bob", amt: "x" } },
        { event: "txn", data: { user: "bob", amt: 3 } },
      ],
    });
    const [first, unknown, replay, unnamed, badType, last] = reply.outcomes;
    assert.equal(reply.outcomes.length, 6);
    assert.equal(typeof reply.registry_version, "number");
    assert.deepEqual(first, { ack_lsn: first.ack_lsn, idempotent_replay: false });
    assert.equal(unknown.error.code, "event_not_found");
    assert.deepEqual(replay, { ack_lsn: first.ack_lsn, idempotent_replay: true });
    assert.equal(unnamed.error.code, "missing_event_name_in_body");
    assert.equal(badType.error.code, "invalid_event");
    assert.ok(last.ack_lsn > first.ack_lsn);
    assert.deepEqual(await get("alice", ["cnt"]), { cnt: 1 });
    assert.deepEqual(await get("bob", ["cnt"]), { cnt: 1 });
  });
});

describe("keys", () => {
  const PAIR = eventNode("visit", { user: "str", merchant: "str" });
  const PAIRS = table("user_merchant", "visit", ["user", "merchant"], { visits: { op: "count" } });

  test("composite keys join segments with | and escape % and | inside a segment", async () => {
    await registerAll(server, [PAIR, PAIRS]);
    await push({ user: "alice", merchant: "m1" }, "visit");
    await push({ user: "a|b", merchant: "50%" }, "visit");
    assert.deepEqual(await get("alice|m1", undefined, "user_merchant"), { visits: 1 });
    assert.deepEqual(await get("a%7Cb|50%25", undefined, "user_merchant"), { visits: 1 });
    assert.deepEqual(await get("a%7cb|50%25", undefined, "user_merchant"), { visits: 1 }, "escapes are case-insensitive");
    assert.deepEqual(await get(["a|b", "50%"], undefined, "user_merchant"), { visits: 1 }, "an array of raw segments");
    assert.deepEqual(await get("alice|m2", undefined, "user_merchant"), {});
    const arity = await post(server, "/get", { table: "user_merchant", key: "alice" });
    assert.equal(arity.status, 404);
    assert.equal(arity.body.error.code, "key_parse_failure");
  });

  test("a global table is read with key \"\" and rejects any other key", async () => {
    const CLICK = eventNode("click", { page: "str" });
    const GLOBAL = table("all_clicks", "click", [], { clicks: { op: "count" } });
    await registerAll(server, [CLICK, GLOBAL]);
    assert.deepEqual(await get("", undefined, "all_clicks"), {}, "cold before the first event");
    await push({ page: "/a" }, "click");
    await push({ page: "/b" }, "click");
    assert.deepEqual(await get("", undefined, "all_clicks"), { clicks: 2 });
    const bad = await post(server, "/get", { table: "all_clicks", key: "x" });
    assert.equal(bad.status, 404);
    assert.equal(bad.body.error.code, "key_parse_failure");
  });

  test("integer and boolean keys are canonicalised, so they are readable", async () => {
    const LOGIN = eventNode("login", { uid: "i64", admin: "bool" });
    const BY_UID = table("by_uid", "login", ["uid"], { logins: { op: "count" } });
    const BY_ADMIN = table("by_admin", "login", ["admin"], { admin_logins: { op: "count" } });
    await registerAll(server, [LOGIN, BY_UID, BY_ADMIN]);
    await push({ uid: 42, admin: true }, "login");
    await push({ uid: 42, admin: false }, "login");
    assert.deepEqual(await get("42", undefined, "by_uid"), { logins: 2 });
    assert.deepEqual(await get(42, undefined, "by_uid"), { logins: 2 });
    assert.deepEqual(await get("true", undefined, "by_admin"), { admin_logins: 1 });
    assert.deepEqual(await get(false, undefined, "by_admin"), { admin_logins: 1 });
  });
});

describe("batch_get", () => {
  test("rows in request order with inline errors for an unknown table or a bad key", async () => {
    await registerAll(server, [TXN, USER_TXN]);
    await push({ user: "alice", amt: 3 });
    const reply = await ok(server, "/batch_get", {
      requests: [
        { table: "user_txn", key: "alice", features: ["cnt", "amt_sum"] },
        { table: "nope", key: "alice" },
        { table: "user_txn", key: "newcomer" },
        { table: "user_txn", key: "a|b" },
        { table: "user_txn", entity_id: "alice", features: ["cnt"] },
      ],
    });
    const [row, unknown, cold, badKey, alias] = reply.results;
    assert.equal(reply.results.length, 5);
    assert.deepEqual(row, { cnt: 1, amt_sum: 3 });
    assert.equal(unknown.error.code, "unknown_table");
    assert.equal(typeof unknown.error.message, "string");
    assert.deepEqual(cold, {});
    assert.equal(badKey.error.code, "key_parse_failure");
    assert.deepEqual(alias, { cnt: 1 });
    assert.deepEqual(await ok(server, "/batch_get", { requests: [] }), { results: [] });
  });

  test("windows are evaluated at the current clock, as /get does", async () => {
    await registerAll(server, [TXN, USER_TXN]);
    await push({ user: "alice", amt: 3 });
    await pinClock(server, T0 + 61 * MIN);
    assert.deepEqual(await ok(server, "/batch_get", { requests: [{ table: "user_txn", key: "alice", features: ["cnt_1h", "cnt"] }] }), { results: [{ cnt_1h: 0, cnt: 1 }] });
  });

  test("an unknown feature fails the whole call with 500 internal_error", async () => {
    await registerAll(server, [TXN, USER_TXN]);
    const reply = await post(server, "/batch_get", { requests: [{ table: "user_txn", key: "alice" }, { table: "user_txn", key: "bob", features: ["cnt", "bogus"] }] });
    assert.equal(reply.status, 500);
    const reason = 'feature_not_found: missing=["bogus"] table=user_txn';
    assert.deepEqual(reply.body, { error: { code: "internal_error", message: reason, reason } });
  });
});

describe("ping, reset and the test clock", () => {
  test("/ping answers pong with the server and registry versions, whatever the body", async () => {
    const version = (await registerAll(server, [TXN, USER_TXN])).registry_version;
    const reply = await post(server, "/ping", "not json at all", {});
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.body, { pong: true, server_version: reply.body.server_version, registry_version: version });
    assert.equal(typeof reply.body.server_version, "string");
  });

  test("/reset clears the registry and state and bumps the version; a body may name the workspace", async () => {
    const version = (await registerAll(server, [TXN, USER_TXN])).registry_version;
    await push({ user: "alice", amt: 1 });
    assert.deepEqual(await ok(server, "/reset"), { reset: true, registry_version: version + 1 });
    const gone = await post(server, "/get", { table: "user_txn", key: "alice" });
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, "unknown_table");
    assert.deepEqual(await ok(server, "/reset", { workspace: "prod" }), { reset: true, registry_version: version + 2 });
  });

  test("/test/clock pins, advances and releases the clock", async () => {
    assert.deepEqual(await ok(server, "/test/clock", { now_ms: T0 + 5 }), { now_ms: T0 + 5 });
    assert.deepEqual(await ok(server, "/test/clock", { advance_ms: 1000 }), { now_ms: T0 + 1005 });
    const wall = await ok(server, "/test/clock", { wall: true });
    assert.ok(Math.abs(wall.now_ms - Date.now()) < 60_000, "back on the wall clock");
    const bad = await post(server, "/test/clock", { now_ms: "soon" });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, "invalid_argument");
  });
});

test("read-your-writes across two connections", async () => {
  await registerAll(server, [TXN, USER_TXN]);
  const writer = new Connection(server);
  const reader = new Connection(server);
  try {
    for (let i = 1; i <= 50; i++) {
      const ack = await writer.post("/push", { event: "txn", data: { user: "carol", amt: i } });
      assert.equal(ack.status, 200);
      const row = await reader.post("/get", { table: "user_txn", key: "carol", features: ["cnt", "amt_sum"] });
      assert.deepEqual(row.body, { cnt: i, amt_sum: (i * (i + 1)) / 2 });
    }
    assert.equal(writer.localPorts.size, 1, "the writer kept one connection");
    assert.equal(reader.localPorts.size, 1, "the reader kept one connection");
    assert.notDeepEqual([...writer.localPorts], [...reader.localPorts]);
  } finally {
    writer.close();
    reader.close();
  }
});
