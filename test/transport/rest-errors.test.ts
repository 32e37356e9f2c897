import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { eventNode, ok, parseRawResponse, pinClock, post, rawExchange, registerAll, T0, table } from "./rest-helpers.ts";

let server: SpawnedServer;
let version: number;

const TXN = eventNode("txn", { user: "str", amt: "f64", tag: "str" }, ["tag"]);
const USER_TXN = table("user_txn", "txn", ["user"], { cnt: { op: "count" }, amt_sum: { op: "sum", params: { field: "amt" } } });

before(async () => {
  server = await spawnServer();
  await pinClock(server, T0);
  version = (await registerAll(server, [TXN, USER_TXN])).registry_version;
});
after(async () => {
  await server.stop();
});

/** Asserts status and error code and returns the body for further checks. */
async function expectError(path: string, body: unknown, status: number, code: string, headers?: Record<string, string>): Promise<any> {
  const reply = await post(server, path, body, headers);
  assert.equal(reply.status, status, `${path} ${JSON.stringify(reply.body)}`);
  assert.equal(reply.body.error.code, code, `${path} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

const deepArray = (depth: number): string => "[".repeat(depth) + "]".repeat(depth);

describe("register errors", () => {
  test("415 unsupported_media_type unless the media type is application/json", async () => {
    const expected = { error: { code: "unsupported_media_type", path: "/register", reason: "expected application/json" }, registry_version: version };
    const rejected: Record<string, string>[] = [{}, { "content-type": "text/plain" }, { "content-type": "application/jsonx" }, { "content-type": "application/x-www-form-urlencoded" }];
    for (const headers of rejected) {
      const reply = await post(server, "/register", { nodes: [TXN, USER_TXN] }, headers);
      assert.equal(reply.status, 415, JSON.stringify(headers));
      assert.deepEqual(reply.body, expected);
    }
    for (const type of ["application/json", "APPLICATION/JSON", "application/json; charset=utf-8", " application/json ;foo=bar"]) {
      const reply = await post(server, "/register", { nodes: [TXN, USER_TXN] }, { "content-type": type });
      assert.equal(reply.status, 200, type);
    }
  });

  test("409 force_required carries the diff and the registry version at the top level", async () => {
    const changed = eventNode("txn", { user: "str", amt: "i64", tag: "str" }, ["tag"]);
    const body = await expectError("/register", { nodes: [changed, USER_TXN] }, 409, "force_required");
    assert.equal(body.registry_version, version);
    assert.equal(body.error.reason, "Destructive registry change requires force=true. See diff for details.");
    assert.deepEqual(body.error.diff.destructive, [{ kind: "type_change", field: "txn.amt", from: "f64", to: "i64" }]);
    assert.deepEqual(body.error.diff.additive, []);
  });

  test("400 invalid_registration for bad shapes and for a body that is not JSON", async () => {
    const noNodes = await expectError("/register", { descriptors: [] }, 400, "invalid_registration");
    assert.equal(noNodes.registry_version, version);
    const notJson = await expectError("/register", "{\"nodes\": [", 400, "invalid_registration");
    assert.equal(notJson.error.path, "<body>");
    assert.equal(notJson.registry_version, version);
    await expectError("/register", { nodes: [eventNode("txn", { user: "int" })], force: true }, 400, "invalid_registration");
  });

  test("400 unknown_field_event_time_v0 for a node-level event_time_field", async () => {
    const body = await expectError("/register", { nodes: [{ ...(TXN as object), event_time_field: "ts" }, USER_TXN] }, 400, "unknown_field_event_time_v0");
    assert.equal(body.error.path, "nodes[0].event_time_field");
  });
});

describe("push errors", () => {
  test("404 event_not_found, with the registry version", async () => {
    const body = await expectError("/push", { event: "nope", data: {} }, 404, "event_not_found");
    assert.equal(body.registry_version, version);
    await expectError("/push/user_txn", { user: "a" }, 404, "event_not_found");
  });

  test("400 unknown_field_v0 and unknown_field_event_time_v0 for fields outside the schema", async () => {
    const body = await expectError("/push", { event: "txn", data: { user: "a", amt: 1, color: "red" } }, 400, "unknown_field_v0");
    assert.equal(body.error.field, "color");
    await expectError("/push", { event: "txn", data: { user: "a", amt: 1, event_time: 5 } }, 400, "unknown_field_event_time_v0");
    await expectError("/push", { event: "txn", data: { user: "a", amt: 1, event_time_ms: 5 } }, 400, "unknown_field_event_time_v0");
  });

  test("400 invalid_event for a missing, null or mistyped field and for data that is not an object", async () => {
    await expectError("/push", { event: "txn", data: { amt: 1 } }, 400, "invalid_event");
    await expectError("/push", { event: "txn", data: { user: null, amt: 1 } }, 400, "invalid_event");
    await expectError("/push", { event: "txn", data: { user: "a", amt: "12" } }, 400, "invalid_event");
    await expectError("/push", { event: "txn", data: null }, 400, "invalid_event");
    await expectError("/push", { event: "txn", data: [1, 2] }, 400, "invalid_event");
    await expectError("/push/txn", "\"just a string\"", 400, "invalid_event");
  });

  test("400 missing_event_name_in_body when event is absent or not a string", async () => {
    await expectError("/push", { data: { user: "a", amt: 1 } }, 400, "missing_event_name_in_body");
    await expectError("/push", { event: 7, data: {} }, 400, "missing_event_name_in_body");
    await expectError("/push", "[]", 400, "missing_event_name_in_body");
    const batch = await ok(server, "/push_batch", { events: [{ event: ["txn"], data: {} }] });
    assert.equal(batch.outcomes[0].error.code, "missing_event_name_in_body");
  });

  test("400 control_character_in_string anywhere in the event, \\t and \\n included", async () => {
    await expectError("/push", { event: "txn", data: { user: "a\tb", amt: 1 } }, 400, "control_character_in_string");
    await expectError("/push", { event: "txn", data: { user: "a", amt: 1, tag: "line\n" } }, 400, "control_character_in_string");
    await expectError("/push", { event: "tx\u0000n", data: {} }, 400, "control_character_in_string");
  });

  test("/push_batch without an events array is unsupported_request_shape", async () => {
    await expectError("/push_batch", { events: "txn" }, 400, "unsupported_request_shape");
    await expectError("/push_batch", [{ event: "txn", data: {} }], 400, "unsupported_request_shape");
  });
});

describe("read errors", () => {
  test("404 unknown_table, also for an event name", async () => {
    await expectError("/get", { table: "nope", key: "a" }, 404, "unknown_table");
    await expectError("/get", { table: "txn", key: "a" }, 404, "unknown_table");
  });

  test("404 key_parse_failure for a key of the wrong arity or type", async () => {
    const body = await expectError("/get", { table: "user_txn", key: "a|b" }, 404, "key_parse_failure");
    assert.equal(typeof body.error.reason, "string");
    await expectError("/get", { table: "user_txn", key: { user: "a" } }, 404, "key_parse_failure");
  });

  test("an unknown feature is 500 internal_error with the feature_not_found reason", async () => {
    const reply = await post(server, "/get", { table: "user_txn", key: "a", features: ["cnt", "bogus", "nah"] });
    assert.equal(reply.status, 500);
    const reason = 'feature_not_found: missing=["bogus","nah"] table=user_txn';
    assert.deepEqual(reply.body, { error: { code: "internal_error", message: reason, reason } });
  });

  test("400 unsupported_request_shape for beava's legacy get shapes and wrong field types", async () => {
    await expectError("/get", { keys: ["a"], features: ["cnt"] }, 400, "unsupported_request_shape");
    await expectError("/get", { feature: "cnt", key: "a" }, 400, "unsupported_request_shape");
    await expectError("/get", { table: 5, key: "a" }, 400, "unsupported_request_shape");
    await expectError("/get", { table: "user_txn" }, 400, "unsupported_request_shape");
    await expectError("/get", { table: "user_txn", key: "a", features: "cnt" }, 400, "unsupported_request_shape");
    await expectError("/get", { table: "user_txn", key: "a", entity_id: "a" }, 400, "unsupported_request_shape");
    await expectError("/batch_get", { requests: { table: "user_txn", key: "a" } }, 400, "unsupported_request_shape");
  });
});

describe("malformed bodies get a clear 4xx and the server keeps serving", () => {
  test("invalid_json_body: truncated, empty, not UTF-8", async () => {
    for (const path of ["/push", "/push/txn", "/push_batch", "/get", "/batch_get", "/test/clock"]) {
      await expectError(path, '{"event":"txn","data":{"user":"a"', 400, "invalid_json_body");
      await expectError(path, "", 400, "invalid_json_body");
      await expectError(path, new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), 400, "invalid_json_body");
    }
    await expectError("/reset", '{"workspace":', 400, "invalid_json_body");
    const bytes = Buffer.concat([Buffer.from('{"event":"txn","data":{"user":"'), Buffer.from([0xc3, 0x28]), Buffer.from('","amt":1}}')]);
    const body = await expectError("/push", bytes, 400, "invalid_json_body");
    assert.match(body.error.message, /UTF-8/);
  });

  test("10k-deep nesting is rejected without harm", async () => {
    await expectError("/push", deepArray(10_000), 400, "missing_event_name_in_body");
    const deepData = await expectError("/push", `{"event":"txn","data":{"user":"a","amt":1,"tag":${deepArray(10_000)}}}`, 400, "invalid_event");
    assert.equal(deepData.error.limit, 64);
    const batch = await ok(server, "/push_batch", `{"events":${deepArray(10_000)}}`);
    assert.equal(batch.outcomes[0].error.code, "missing_event_name_in_body");
    await expectError("/get", `{"table":"user_txn","key":${deepArray(10_000)}}`, 404, "key_parse_failure");
    await expectError("/get", `{"table":"user_txn","key":"a","features":${deepArray(10_000)}}`, 400, "unsupported_request_shape");
    await expectError("/register", `{"nodes":${deepArray(10_000)}}`, 400, "invalid_registration");
    await expectError("/test/clock", `{"now_ms":${deepArray(10_000)}}`, 400, "invalid_argument");
  });

  test("the server still answers after all of the above", async () => {
    assert.equal((await ok(server, "/ping")).registry_version, version);
    await ok(server, "/push", { event: "txn", data: { user: "survivor", amt: 2 } });
    assert.deepEqual(await ok(server, "/get", { table: "user_txn", key: "survivor" }), { cnt: 1, amt_sum: 2 });
  });
});

describe("routing and transport errors", () => {
  test("404 not_found for an unknown route, with its path", async () => {
    assert.deepEqual((await post(server, "/nope?x=1", "{}")).body, { error: { code: "not_found", path: "/nope" } });
    const reply = await post(server, "/push_many", "{}");
    assert.equal(reply.status, 404);
    assert.deepEqual(reply.body, { error: { code: "not_found", path: "/push_many" } });
  });

  test("405 method_not_allowed on every beava route for another method", async () => {
    for (const path of ["/register", "/push", "/push-sync", "/push/txn", "/push-sync/txn", "/push_batch", "/get", "/batch_get", "/ping", "/reset", "/test/clock"]) {
      for (const method of ["GET", "PUT", "DELETE"]) {
        const res = await fetch(`${server.url}${path}`, { method });
        assert.equal(res.status, 405, `${method} ${path}`);
        assert.deepEqual(await res.json(), { error: { code: "method_not_allowed", method, path } });
      }
    }
  });

  test("400 http_protocol_error for a body over 4 MiB, then the connection is closed", async () => {
    const { response, closedByServer } = await rawExchange(
      server,
      `POST /push HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${4 * 1024 * 1024 + 1}\r\n\r\n`,
    );
    const parsed = parseRawResponse(response);
    assert.equal(parsed.status, 400);
    assert.equal(parsed.headers["connection"], "close");
    assert.equal(parsed.body.error.code, "http_protocol_error");
    assert.equal(parsed.body.error.limit, 4 * 1024 * 1024);
    assert.ok(closedByServer);
    assert.equal((await ok(server, "/ping")).pong, true);
  });

  test("a body of exactly 4 MiB is read", async () => {
    const filler = "x".repeat(4 * 1024 * 1024 - 64);
    const body = JSON.stringify({ event: "txn", data: { user: "big", amt: 1, tag: filler } }).padEnd(4 * 1024 * 1024, " ");
    assert.equal(Buffer.byteLength(body), 4 * 1024 * 1024);
    assert.equal((await post(server, "/push", body)).status, 200);
  });
});
