import assert from "node:assert/strict";
import { once } from "node:events";
import { pack } from "msgpackr";
import { after, before, beforeEach, describe, test } from "node:test";
import { spawnServer, type SpawnedServer } from "../helpers/spawn-server.ts";
import { body, eventNode, frame, FrameSocket, JSON_CT, MSGPACK_CT, OP, tableNode, type Frame } from "../helpers/tcp-frames.ts";

const TXN = eventNode("txn", { user: "str", amt: "f64" });
const USER_TXN = tableNode("user_txn", "txn", ["user"], { cnt: { op: "count" }, amt_sum: { op: "sum", params: { field: "amt" } } });
const REGISTER = frame(OP.REGISTER, JSON_CT, { nodes: [TXN, USER_TXN], force: true });
const PING = frame(OP.PING, JSON_CT);
const MAX_PAYLOAD = 4 * 1024 * 1024;

let server: SpawnedServer;
before(async () => {
  server = await spawnServer();
});
after(async () => {
  await server.stop();
});
beforeEach(async () => {
  const c = await FrameSocket.open(server.tcp!);
  assert.equal((await c.call(OP.RESET, JSON_CT)).op, OP.GET_RESPONSE);
  c.close();
});

function push(user: string, amt: number, ct = JSON_CT): Buffer {
  return frame(OP.PUSH, ct, { event: "txn", body: { user, amt } });
}

function get(user: string, ct = JSON_CT): Buffer {
  return frame(OP.GET, ct, { table: "user_txn", key: user });
}

function errorCode(f: Frame): string {
  assert.equal(f.op, OP.ERROR, `expected an error frame, got op ${f.op}`);
  return body(f).error.code;
}

/**
 * A round trip on another connection: the server has read whatever was written before it on any
 * connection, so the next bytes of a split frame arrive in a read of their own.
 */
async function barrier(): Promise<void> {
  const c = await FrameSocket.open(server.tcp!);
  assert.equal((await c.call(OP.PING, JSON_CT)).op, OP.PING);
  c.close();
}

describe("pipelining", () => {
  test("mixed requests in one write are answered in request order", async () => {
    const c = await FrameSocket.open(server.tcp!);
    const n = 200;
    const pushes = Array.from({ length: n }, (_, i) => push("pipe", i, i % 3 === 0 ? MSGPACK_CT : JSON_CT));
    c.send(
      REGISTER,
      PING,
      ...pushes,
      get("pipe"),
      frame(0x4242, JSON_CT, {}),
      frame(OP.PUSH, JSON_CT, { event: "nope", body: {} }),
      frame(OP.PUSH, 0x09, {}),
      get("pipe", MSGPACK_CT),
    );
    const replies = await c.take(n + 7);
    assert.equal(replies[0]!.op, OP.REGISTER);
    assert.equal(replies[1]!.op, OP.PING);
    let last = 0;
    for (let i = 0; i < n; i++) {
      const r = replies[2 + i]!;
      assert.equal(r.op, OP.PUSH);
      assert.equal(r.ct, i % 3 === 0 ? MSGPACK_CT : JSON_CT, "each push is answered in its own content type");
      const ack = body(r);
      assert.ok(ack.ack_lsn > last, "acks come back in push order");
      last = ack.ack_lsn;
    }
    const sum = (n * (n - 1)) / 2;
    assert.deepEqual(body(replies[n + 2]!), { cnt: n, amt_sum: sum });
    assert.equal(errorCode(replies[n + 3]!), "unknown_op");
    assert.equal(errorCode(replies[n + 4]!), "event_not_found");
    assert.equal(errorCode(replies[n + 5]!), "unsupported_content_type");
    assert.deepEqual([replies[n + 6]!.op, replies[n + 6]!.ct], [OP.GET_RESPONSE, MSGPACK_CT]);
    assert.deepEqual(body(replies[n + 6]!), { cnt: n, amt_sum: sum });
    c.close();
  });

  test("thousands of frames in flight, written in odd-sized slices, keep their order", async () => {
    const c = await FrameSocket.open(server.tcp!);
    c.send(REGISTER);
    assert.equal((await c.next()).op, OP.REGISTER);
    const n = 5000;
    const frames: Buffer[] = [];
    for (let i = 0; i < n; i++) frames.push(i % 2 === 0 ? push("many", 1) : frame(OP.GET, JSON_CT, { table: "user_txn", key: "many", features: ["cnt"] }));
    const stream = Buffer.concat(frames);
    // Slices of 997 bytes cut frames (and headers) at every possible offset.
    for (let at = 0; at < stream.length; at += 997) c.socket.write(stream.subarray(at, at + 997));
    const replies = await c.take(n);
    for (let i = 0; i < n; i++) {
      const r = replies[i]!;
      if (i % 2 === 0) assert.equal(r.op, OP.PUSH);
      else assert.deepEqual(body(r), { cnt: (i + 1) / 2 });
    }
    c.close();
  });
});

describe("partial frames", () => {
  test("half a header, then the rest later", async () => {
    const c = await FrameSocket.open(server.tcp!);
    c.send(REGISTER);
    await c.next();
    const f = push("half", 7);
    c.socket.write(f.subarray(0, 2));
    await barrier();
    c.socket.write(f.subarray(2, 6));
    await barrier();
    c.socket.write(Buffer.concat([f.subarray(6), PING.subarray(0, 5)]));
    await barrier();
    c.socket.write(PING.subarray(5));
    const [ack, pong] = await c.take(2);
    assert.equal(ack!.op, OP.PUSH);
    assert.equal(pong!.op, OP.PING);
    c.close();
  });

  test("frames written one byte at a time", async () => {
    const c = await FrameSocket.open(server.tcp!);
    c.send(REGISTER);
    await c.next();
    const bytes = Buffer.concat([push("bytes", 2), frame(OP.PING, MSGPACK_CT), get("bytes")]);
    for (let i = 0; i < bytes.length; i++) {
      c.socket.write(bytes.subarray(i, i + 1));
      await barrier();
    }
    const [ack, pong, row] = await c.take(3);
    assert.equal(ack!.op, OP.PUSH);
    assert.deepEqual([pong!.op, pong!.ct], [OP.PING, MSGPACK_CT]);
    assert.deepEqual(body(row!), { cnt: 1, amt_sum: 2 });
    c.close();
  });

  test("a payload of exactly the 4 MiB limit is accepted, even in small chunks", async () => {
    const c = await FrameSocket.open(server.tcp!);
    c.send(REGISTER);
    await c.next();
    const json = JSON.stringify({ event: "txn", body: { user: "big", amt: 1 } });
    // JSON allows trailing whitespace, so the payload is padded to exactly the limit.
    const payload = Buffer.alloc(MAX_PAYLOAD, 0x20);
    payload.write(json, 0, "utf8");
    const f = frame(OP.PUSH, JSON_CT, payload);
    assert.equal(f.readUInt32BE(0), MAX_PAYLOAD + 3);
    for (let at = 0; at < f.length; at += 64 * 1024 - 1) c.socket.write(f.subarray(at, at + 64 * 1024 - 1));
    c.send(get("big"));
    const [ack, row] = await c.take(2);
    assert.equal(ack!.op, OP.PUSH);
    assert.deepEqual(body(row!), { cnt: 1, amt_sum: 1 });
    c.close();
  });

  test("a client that half-closes after its frames still gets every reply, then the server ends", async () => {
    const c = await FrameSocket.open(server.tcp!);
    c.send(REGISTER, push("eof", 1), push("eof", 2), get("eof"));
    c.socket.end();
    const replies = await c.take(4);
    assert.deepEqual(
      replies.map((r) => r.op),
      [OP.REGISTER, OP.PUSH, OP.PUSH, OP.GET_RESPONSE],
    );
    assert.deepEqual(body(replies[3]!), { cnt: 2, amt_sum: 3 });
    await c.closed;
  });
});

describe("unframeable streams close the connection", () => {
  test("a declared length above 4 MiB + 3 gets frame_too_large, after the replies owed, then the server closes", async () => {
    const c = await FrameSocket.open(server.tcp!);
    const header = Buffer.alloc(7);
    header.writeUInt32BE(MAX_PAYLOAD + 4, 0);
    c.send(PING, header);
    assert.equal((await c.next()).op, OP.PING);
    const f = await c.next();
    assert.equal(f.op, OP.ERROR);
    assert.deepEqual(body(f), {
      error: {
        code: "frame_too_large",
        message: `declared frame length ${MAX_PAYLOAD + 4} exceeds limit ${MAX_PAYLOAD + 3}`,
        limit: MAX_PAYLOAD + 3,
        declared: MAX_PAYLOAD + 4,
      },
    });
    await c.closed;
    await assert.rejects(c.next(), /closed/);
  });

  test("frame_too_large is reported as soon as the length is read, while the client is still sending", async () => {
    const c = await FrameSocket.open(server.tcp!);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(0xffffffff, 0);
    c.send(header);
    const e = body(await c.next());
    assert.equal(e.error.code, "frame_too_large");
    assert.equal(e.error.declared, 0xffffffff);
    // Bytes sent after the error are read and dropped, so the close is orderly.
    c.socket.write(Buffer.alloc(64 * 1024));
    await c.closed;
  });

  test("a declared length below 3 gets frame_error, then the server closes", async () => {
    for (const length of [0, 2]) {
      const c = await FrameSocket.open(server.tcp!);
      const bad = Buffer.alloc(7);
      bad.writeUInt32BE(length, 0);
      c.send(push("x", 1), bad, PING);
      const [first, second] = await c.take(2);
      assert.equal(errorCode(first!), "event_not_found");
      assert.equal(second!.op, OP.ERROR);
      const e = body(second!);
      assert.equal(e.error.code, "frame_error");
      assert.equal(e.error.declared, length);
      await c.closed;
      await assert.rejects(c.next(), /closed/, "frames after the broken one are not answered");
    }
    await barrier();
  });
});

describe("bad payloads are answered and the connection serves on", () => {
  test("invalid UTF-8, malformed JSON, wrong shapes and types", async () => {
    const c = await FrameSocket.open(server.tcp!);
    c.send(REGISTER);
    await c.next();
    const cases: [Buffer, string][] = [
      [frame(OP.PUSH, JSON_CT, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])), "invalid_json_body"],
      [frame(OP.PUSH, JSON_CT, '{"event":"txn",'), "invalid_json_body"],
      [frame(OP.PUSH, JSON_CT, ""), "invalid_json_body"],
      [frame(OP.GET, JSON_CT, "[1,2"), "invalid_json_body"],
      [frame(OP.PUSH, JSON_CT, "[]"), "missing_event_name_in_body"],
      [frame(OP.PUSH, JSON_CT, { event: 5, body: {} }), "missing_event_name_in_body"],
      [frame(OP.PUSH, JSON_CT, { event: "txn", body: 5 }), "invalid_event"],
      [frame(OP.PUSH, JSON_CT, { event: "txn", body: { user: 1, amt: 1 } }), "invalid_event"],
      [frame(OP.PUSH, JSON_CT, { event: "txn", body: { user: "a\nb", amt: 1 } }), "control_character_in_string"],
      [frame(OP.GET, JSON_CT, { table: 5, key: "a" }), "unsupported_request_shape"],
      [frame(OP.GET, JSON_CT, { table: "user_txn", key: "a", features: "cnt" }), "unsupported_request_shape"],
      [frame(OP.BATCH_GET, JSON_CT, { requests: 1 }), "unsupported_request_shape"],
      [frame(OP.PUSH_BATCH, JSON_CT, []), "unsupported_request_shape"],
      [frame(OP.REGISTER, JSON_CT, "[]"), "invalid_registration"],
      [frame(OP.PUSH, JSON_CT, { event: "txn", body: {}, workspace: 7 }), "invalid_argument"],
    ];
    c.send(...cases.map(([f]) => f));
    const replies = await c.take(cases.length);
    replies.forEach((r, i) => assert.equal(errorCode(r), cases[i]![1], `case ${i}`));
    c.send(push("ok", 1), get("ok"));
    const [ack, row] = await c.take(2);
    assert.equal(ack!.op, OP.PUSH);
    assert.deepEqual(body(row!), { cnt: 1, amt_sum: 1 });
    c.close();
  });

  test("malformed msgpack and msgpack that is not JSON data are invalid_json_body; nothing reaches the engine", async () => {
    const c = await FrameSocket.open(server.tcp!);
    c.send(REGISTER);
    await c.next();
    // {event: "txn", body: <data>} and {user: <value>, amt: 1}, byte by byte.
    const event = (data: Buffer): Buffer => Buffer.concat([Buffer.from("\x82\xa5event\xa3txn\xa4body", "latin1"), data]);
    const userIs = (value: Buffer): Buffer => Buffer.concat([Buffer.from("\x82\xa4user", "latin1"), value, Buffer.from("\xa3amt\x01", "latin1")]);
    let deep = Buffer.from([0xc0]);
    for (let i = 0; i < 2000; i++) deep = Buffer.concat([Buffer.from([0x91]), deep]);
    const cases: [string, Buffer][] = [
      ["empty", Buffer.alloc(0)],
      ["truncated map", Buffer.from([0x82, 0xa5])],
      ["truncated string", event(userIs(Buffer.from([0xa5, 0x61])))],
      ["trailing bytes", Buffer.concat([pack({ event: "txn", body: { user: "a", amt: 1 } }), Buffer.from([0x00])])],
      ["never-used byte 0xc1", event(userIs(Buffer.from([0xc1])))],
      ["binary", event(userIs(pack(Buffer.from("alice"))))],
      ["timestamp extension", event(userIs(pack(new Date(0))))],
      ["ext8", event(userIs(Buffer.from([0xc7, 0x01, 0x05, 0x00])))],
      ["integer map key", event(Buffer.concat([Buffer.from([0x81, 0x01]), pack("alice")]))],
      ["NaN", event(userIs(pack(Number.NaN)))],
      ["Infinity as float32", event(userIs(Buffer.from([0xca, 0x7f, 0x80, 0x00, 0x00])))],
      ["invalid UTF-8 string", event(userIs(Buffer.from([0xa2, 0xff, 0xfe])))],
      ["huge array count", Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff])],
      ["nesting 2000 deep", deep],
    ];
    c.send(...cases.map(([, payload]) => frame(OP.PUSH, MSGPACK_CT, payload)));
    const replies = await c.take(cases.length);
    replies.forEach((r, i) => {
      assert.equal(r.op, OP.ERROR, cases[i]![0]);
      const e = body(r).error;
      assert.equal(e.code, "invalid_json_body", `${cases[i]![0]}: ${e.message}`);
      assert.match(e.message, /msgpack/, cases[i]![0]);
    });
    // Nothing above was applied; a well-formed msgpack push still is.
    c.send(push("alice", 1, MSGPACK_CT), get("alice"));
    const [ack, row] = await c.take(2);
    assert.equal(ack!.op, OP.PUSH);
    assert.deepEqual(body(row!), { cnt: 1, amt_sum: 1 });
    c.close();
  });

  test("a msgpack event with wrong types gets the same code as the JSON one", async () => {
    const c = await FrameSocket.open(server.tcp!);
    c.send(REGISTER);
    await c.next();
    for (const data of [{ user: 1, amt: 1 }, { user: "a", amt: "1" }, null]) {
      const [mp, js] = [await c.call(OP.PUSH, MSGPACK_CT, { event: "txn", body: data }), await c.call(OP.PUSH, JSON_CT, { event: "txn", body: data })];
      assert.deepEqual(body(mp), body(js));
      assert.equal(errorCode(mp), "invalid_event");
    }
    c.close();
  });
});

test("a socket torn down mid-frame closes that connection only", async () => {
  const c = await FrameSocket.open(server.tcp!);
  c.socket.write(push("torn", 1).subarray(0, 10));
  c.socket.resetAndDestroy();
  await once(c.socket, "close");
  await barrier();
});

test("SIGTERM: open connections get their owed replies, then an orderly close, and the server exits 0", async () => {
  const s = await spawnServer();
  const idle = await FrameSocket.open(s.tcp!);
  const busy = await FrameSocket.open(s.tcp!);
  assert.equal((await idle.call(OP.PING, JSON_CT)).op, OP.PING);
  // A frame that never completes is not a request: it is dropped when the server drains.
  busy.send(PING, PING.subarray(0, 3));
  assert.equal((await busy.next()).op, OP.PING);
  const exited = once(s.child, "exit");
  s.child.kill("SIGTERM");
  await Promise.all([idle.closed, busy.closed]);
  const [code] = (await exited) as [number | null];
  assert.equal(code, 0);
});
