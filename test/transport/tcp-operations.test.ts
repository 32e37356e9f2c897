import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { body, eventNode, FrameSocket, JSON_CT, MSGPACK_CT, OP, tableNode } from "../helpers/tcp-frames.ts";

const TXN = eventNode("txn", { user: "str", amt: "f64" });
const USER_TXN = tableNode("user_txn", "txn", ["user"], { cnt: { op: "count" }, amt_sum: { op: "sum", params: { field: "amt" } } });

let server: SpawnedServer;
let conn: FrameSocket;

before(async () => {
  server = await spawnServer();
});
after(async () => {
  await server.stop();
});
beforeEach(async () => {
  conn?.close();
  conn = await FrameSocket.open(server.tcp!);
  const reset = await conn.call(OP.RESET, JSON_CT);
  assert.equal(reset.op, OP.GET_RESPONSE);
});

async function register(nodes: unknown[] = [TXN, USER_TXN]): Promise<any> {
  const reply = await conn.call(OP.REGISTER, JSON_CT, { nodes, force: true });
  assert.equal(reply.op, OP.REGISTER, JSON.stringify(body(reply)));
  return body(reply);
}

/** The reply must be an error frame (JSON, op 0xFFFF); returns its body. */
function errorBody(f: { op: number; ct: number }, reply: any): any {
  assert.equal(f.op, OP.ERROR, `expected an error frame, got op ${f.op}: ${JSON.stringify(reply)}`);
  assert.equal(f.ct, JSON_CT, "error frames are JSON");
  return reply;
}

async function httpPost(path: string, payload: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: payload });
  return { status: res.status, body: JSON.parse(await res.text()) };
}

describe("opcodes and reply opcodes", () => {
  test("PING answers 0x0000 with pong, server_version and registry_version, whatever its content type", async () => {
    const json = await conn.call(OP.PING, JSON_CT);
    assert.equal(json.op, OP.PING);
    assert.equal(json.ct, JSON_CT);
    const pong = body(json);
    assert.deepEqual(Object.keys(pong), ["pong", "server_version", "registry_version"]);
    assert.equal(pong.pong, true);
    assert.equal(typeof pong.server_version, "string");
    assert.equal(typeof pong.registry_version, "number");

    const mp = await conn.call(OP.PING, MSGPACK_CT);
    assert.deepEqual([mp.op, mp.ct], [OP.PING, MSGPACK_CT], "a msgpack ping gets a msgpack pong");
    assert.deepEqual(body(mp), pong);

    // PING ignores its content type and payload entirely.
    const odd = await conn.call(OP.PING, 0x07, "not json at all");
    assert.deepEqual([odd.op, odd.ct], [OP.PING, JSON_CT]);
    assert.deepEqual(body(odd), pong);
  });

  test("REGISTER → PUSH → GET round trip over JSON: 0x0001, 0x0010 and 0x0023 with the beava bodies", async () => {
    const reg = await register();
    assert.equal(reg.status, "ok");
    assert.deepEqual(reg.registered_descriptors, ["txn", "user_txn"]);
    const version = reg.registry_version;
    assert.equal(body(await conn.call(OP.PING, JSON_CT)).registry_version, version);

    const cold = await conn.call(OP.GET, JSON_CT, { table: "user_txn", key: "alice" });
    assert.deepEqual([cold.op, cold.ct], [OP.GET_RESPONSE, JSON_CT]);
    assert.deepEqual(body(cold), {}, "cold start is {}");

    // beava's TCP key is `body`; `data` is accepted too (DESIGN §5).
    const first = await conn.call(OP.PUSH, JSON_CT, { event: "txn", body: { user: "alice", amt: 10 } });
    assert.deepEqual([first.op, first.ct], [OP.PUSH, JSON_CT]);
    const ack = body(first);
    assert.deepEqual(Object.keys(ack), ["ack_lsn", "idempotent_replay", "registry_version"]);
    assert.equal(ack.idempotent_replay, false);
    assert.equal(ack.registry_version, version);
    const second = body(await conn.call(OP.PUSH, JSON_CT, { event: "txn", data: { user: "alice", amt: 5.5 } }));
    assert.ok(second.ack_lsn > ack.ack_lsn, "ack_lsn increases");

    const row = await conn.call(OP.GET, JSON_CT, { table: "user_txn", key: "alice" });
    assert.equal(row.op, OP.GET_RESPONSE);
    assert.deepEqual(body(row), { cnt: 2, amt_sum: 15.5 });
    assert.deepEqual(body(await conn.call(OP.GET, JSON_CT, { table: "user_txn", entity_id: "alice", features: ["cnt"] })), { cnt: 2 });
  });

  test("msgpack in, msgpack out for PUSH and GET", async () => {
    await register();
    const push = await conn.call(OP.PUSH, MSGPACK_CT, { event: "txn", body: { user: "bob", amt: 2.25 } });
    assert.deepEqual([push.op, push.ct], [OP.PUSH, MSGPACK_CT]);
    const ack = body(push);
    assert.equal(ack.idempotent_replay, false);
    assert.equal(typeof ack.ack_lsn, "number");

    const get = await conn.call(OP.GET, MSGPACK_CT, { table: "user_txn", key: "bob" });
    assert.deepEqual([get.op, get.ct], [OP.GET_RESPONSE, MSGPACK_CT]);
    assert.deepEqual(body(get), { cnt: 1, amt_sum: 2.25 });

    // The same event sent as JSON lands in the same row.
    await conn.call(OP.PUSH, JSON_CT, { event: "txn", body: { user: "bob", amt: 1 } });
    assert.deepEqual(body(await conn.call(OP.GET, JSON_CT, { table: "user_txn", key: "bob" })), { cnt: 2, amt_sum: 3.25 });
  });

  test("BATCH_GET answers 0x0023 {results} in request order, always JSON, with per-entry errors", async () => {
    await register();
    await conn.call(OP.PUSH, JSON_CT, { event: "txn", body: { user: "alice", amt: 1 } });
    const requests = [
      { table: "user_txn", key: "alice" },
      { table: "nope", key: "alice" },
      { table: "user_txn", entity_id: "carol", features: ["cnt"] },
    ];
    for (const ct of [JSON_CT, MSGPACK_CT]) {
      const reply = await conn.call(OP.BATCH_GET, ct, { requests });
      assert.deepEqual([reply.op, reply.ct], [OP.GET_RESPONSE, JSON_CT], "BATCH_GET replies are JSON even for msgpack (beava)");
      const { results } = body(reply);
      assert.deepEqual(results[0], { cnt: 1, amt_sum: 1 });
      assert.equal(results[1].error.code, "unknown_table");
      assert.deepEqual(results[2], {});
    }
    assert.deepEqual(body(await conn.call(OP.BATCH_GET, JSON_CT, { requests: [] })), { results: [] });
  });

  test("PUSH_BATCH answers 0x0012 with per-event outcomes in order (JSON and msgpack)", async () => {
    await register();
    const events = [
      { event: "txn", data: { user: "dan", amt: 1 } },
      { event: "nope", data: {} },
      { event: "txn", body: { user: "dan", amt: 2 } },
      { event: "txn", data: { user: "dan", amt: "x" } },
    ];
    for (const ct of [JSON_CT, MSGPACK_CT]) {
      const reply = await conn.call(OP.PUSH_BATCH, ct, { events });
      assert.deepEqual([reply.op, reply.ct], [OP.PUSH_BATCH, ct]);
      const { outcomes, registry_version } = body(reply);
      assert.equal(typeof registry_version, "number");
      assert.equal(outcomes.length, 4);
      assert.equal(outcomes[0].idempotent_replay, false);
      assert.equal(outcomes[1].error.code, "event_not_found");
      assert.ok(outcomes[2].ack_lsn > outcomes[0].ack_lsn);
      assert.equal(outcomes[3].error.code, "invalid_event");
    }
    assert.deepEqual(body(await conn.call(OP.GET, JSON_CT, { table: "user_txn", key: "dan" })), { cnt: 4, amt_sum: 6 });
  });

  test("RESET answers 0x0023 {reset, registry_version}; an empty payload resets everything", async () => {
    const reg = await register();
    const reply = await conn.call(OP.RESET, JSON_CT);
    assert.equal(reply.op, OP.GET_RESPONSE);
    const r = body(reply);
    assert.equal(r.reset, true);
    assert.equal(r.registry_version, reg.registry_version + 1);
    const gone = await conn.call(OP.GET, JSON_CT, { table: "user_txn", key: "alice" });
    assert.equal(errorBody(gone, body(gone)).error.code, "unknown_table");

    await register();
    const mp = await conn.call(OP.RESET, MSGPACK_CT, { workspace: "prod" });
    assert.deepEqual([mp.op, mp.ct], [OP.GET_RESPONSE, MSGPACK_CT]);
    assert.equal(body(mp).reset, true);
  });

  test("OP_AUTH with auth off answers 0x0002 {authenticated:false, auth:\"off\"} and the connection serves on", async () => {
    for (const ct of [JSON_CT, MSGPACK_CT]) {
      const reply = await conn.call(OP.AUTH, ct, { api_key: "whatever" });
      assert.deepEqual([reply.op, reply.ct], [OP.AUTH, ct]);
      assert.deepEqual(body(reply), { authenticated: false, auth: "off" });
    }
    assert.equal((await conn.call(OP.PING, JSON_CT)).op, OP.PING);
  });

  test("PUSH_SYNC is op_not_implemented and other opcodes unknown_op; the connection stays open", async () => {
    const sync = await conn.call(OP.PUSH_SYNC, JSON_CT, { event: "txn", body: {} });
    const s = errorBody(sync, body(sync));
    assert.equal(s.error.code, "op_not_implemented");
    assert.equal(s.error.op, 17);
    assert.equal(typeof s.error.message, "string");

    const unknown = await conn.call(0x4242, JSON_CT, {});
    assert.deepEqual(errorBody(unknown, body(unknown)), {
      error: { code: "unknown_op", message: "opcode 0x4242 is not recognised by this server", op: 16962 },
    });
    // Reply-only and legacy opcodes are not requests.
    for (const op of [OP.GET_RESPONSE, OP.ERROR, 0x0021, 0x0022, 0x0030, 0x0031, 0x0003]) {
      const f = await conn.call(op, JSON_CT, {});
      const e = errorBody(f, body(f));
      assert.equal(e.error.code, "unknown_op", `op ${op}`);
      assert.equal(e.error.op, op);
    }
    assert.equal((await conn.call(OP.PING, JSON_CT)).op, OP.PING);
  });

  test("an unknown content type is unsupported_content_type, REGISTER refuses msgpack, and the connection stays open", async () => {
    const version = body(await conn.call(OP.PING, JSON_CT)).registry_version;
    const bad = await conn.call(OP.PUSH, 0x07, { event: "txn", body: {} });
    assert.deepEqual(errorBody(bad, body(bad)), { error: { code: "unsupported_content_type", message: "unsupported content_type: 0x07" } });
    for (const op of [OP.GET, OP.BATCH_GET, OP.PUSH_BATCH, OP.RESET, OP.AUTH]) {
      const f = await conn.call(op, 0x00, {});
      assert.equal(errorBody(f, body(f)).error.code, "unsupported_content_type", `op ${op}`);
    }
    const reg = await conn.call(OP.REGISTER, MSGPACK_CT, { nodes: [TXN] });
    const r = errorBody(reg, body(reg));
    assert.equal(r.error.code, "unsupported_content_type");
    assert.match(r.error.message, /^unsupported content_type: 0x02/);
    assert.equal(body(await conn.call(OP.PING, JSON_CT)).registry_version, version, "nothing was registered");
  });
});

describe("same answers as the HTTP routes", () => {
  test("error bodies are the bodies of the beava HTTP routes for the same payload", async () => {
    await register();
    const cases: [number, string, string][] = [
      [OP.PUSH, "/push", JSON.stringify({ event: "nope", data: {} })],
      [OP.PUSH, "/push", JSON.stringify({ data: {} })],
      [OP.PUSH, "/push", JSON.stringify({ event: "txn", data: null })],
      [OP.PUSH, "/push", JSON.stringify({ event: "txn", data: { user: "a", amt: "x" } })],
      [OP.PUSH, "/push", JSON.stringify({ event: "txn", data: { user: "a", amt: 1, extra: 1 } })],
      [OP.PUSH, "/push", "{not json"],
      [OP.GET, "/get", JSON.stringify({ table: "nope", key: "a" })],
      [OP.GET, "/get", JSON.stringify({ table: "user_txn", key: "a", features: ["bogus"] })],
      [OP.GET, "/get", JSON.stringify({ keys: ["a"], features: ["cnt"] })],
      [OP.BATCH_GET, "/batch_get", JSON.stringify({})],
      [OP.PUSH_BATCH, "/push_batch", JSON.stringify({ events: "no" })],
      [OP.REGISTER, "/register", "nope"],
      [OP.REGISTER, "/register", JSON.stringify({ nodes: [{ kind: "bogus", name: "x" }] })],
    ];
    for (const [op, path, payload] of cases) {
      const f = await conn.call(op, JSON_CT, payload);
      const tcp = errorBody(f, body(f));
      const http = await httpPost(path, payload);
      assert.notEqual(http.status, 200, `${path} ${payload}`);
      assert.deepEqual(tcp, http.body, `${path} ${payload}`);
    }
  });

  test("success bodies are the HTTP routes' bodies", async () => {
    await register();
    await conn.call(OP.PUSH, JSON_CT, { event: "txn", body: { user: "eve", amt: 3 } });
    const get = JSON.stringify({ table: "user_txn", key: "eve" });
    assert.deepEqual(body(await conn.call(OP.GET, JSON_CT, get)), (await httpPost("/get", get)).body);
    const batch = JSON.stringify({ requests: [{ table: "user_txn", key: "eve" }, { table: "x", key: "" }] });
    assert.deepEqual(body(await conn.call(OP.BATCH_GET, JSON_CT, batch)), (await httpPost("/batch_get", batch)).body);
    assert.deepEqual(body(await conn.call(OP.PING, JSON_CT)), (await httpPost("/ping", "")).body);
  });
});

test("read-your-writes across two connections: a push acked on one is visible to a get on the other", async () => {
  await register();
  const other = await FrameSocket.open(server.tcp!);
  try {
    for (let i = 1; i <= 50; i++) {
      const ack = await conn.call(OP.PUSH, i % 2 === 0 ? JSON_CT : MSGPACK_CT, { event: "txn", body: { user: "ryw", amt: 1 } });
      assert.equal(ack.op, OP.PUSH);
      const row = await other.call(OP.GET, JSON_CT, { table: "user_txn", key: "ryw", features: ["cnt"] });
      assert.deepEqual(body(row), { cnt: i });
    }
  } finally {
    other.close();
  }
});

test("RESET outside test mode is reset_disabled_in_production", async () => {
  const prod = await spawnServer([], { TESSERA_TEST_MODE: "0" });
  try {
    const c = await FrameSocket.open(prod.tcp!);
    const f = await c.call(OP.RESET, JSON_CT);
    const e = errorBody(f, body(f));
    assert.equal(e.error.code, "reset_disabled_in_production");
    assert.deepEqual(e, (await fetch(`${prod.url}/reset`, { method: "POST" }).then((r) => r.json())) as unknown);
    assert.equal((await c.call(OP.PING, JSON_CT)).op, OP.PING);
    c.close();
  } finally {
    await prod.stop();
  }
});
