import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Command } from "../../src/service/commands.ts";
import { decodeCommand, encodeCommand, MSGPACK_FORMAT } from "../../src/storage/command-codec.ts";

/** What the log stores for a command: format byte + encoded bytes. */
function stored(command: Command): Buffer {
  return Buffer.concat([Buffer.from([MSGPACK_FORMAT]), encodeCommand(command)]);
}

function roundTrip(command: Command): Command {
  const bytes = stored(command);
  return decodeCommand(bytes, 0, bytes.length);
}

/** -0 is the one documented loss: compare against the value with -0 written as 0. */
function withoutNegativeZero(v: unknown): unknown {
  if (Object.is(v, -0)) return 0;
  if (Array.isArray(v)) return v.map(withoutNegativeZero);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutNegativeZero(x)]));
  }
  return v;
}

test("push, register and reset commands round-trip", () => {
  const commands: Command[] = [
    { type: "push", workspace: "prod", event: "txn", data: { user_id: "u1", amount: 12.5, n: 3, ok: true, tags: ["a", "b"], geo: { lat: 1.25 }, none: null } },
    { type: "register", workspace: "dev", envelope: { nodes: [{ kind: "event", name: "txn", fields: { amount: "f64" } }], force: false } },
    { type: "reset", workspace: "prod" },
    { type: "reset" },
  ];
  for (const c of commands) assert.deepEqual(roundTrip(c), c);
});

test("a push is stored as a tuple, smaller than its JSON", () => {
  const c: Command = { type: "push", workspace: "prod", event: "txn", data: { user_id: "u12345", amount: 12.5, merchant: "m42", ts: 1700000000000 } };
  assert.ok(encodeCommand(c).length < 0.7 * JSON.stringify(c).length);
});

test("numbers JSON cannot carry survive: NaN, ±Infinity, large and fractional values", () => {
  const data = { nan: NaN, inf: Infinity, ninf: -Infinity, big: 2 ** 53 - 1, neg: -(2 ** 40), tiny: 5e-324, third: 1 / 3, u32: 4294967296 };
  const back = roundTrip({ type: "push", workspace: "w", event: "e", data });
  assert.deepEqual(back, { type: "push", workspace: "w", event: "e", data });
});

test('"__proto__" stays an ordinary key, as JSON.parse leaves it', () => {
  const data = JSON.parse('{"__proto__": {"x": 1}, "nested": [{"__proto__": 2}], "plain": 1}');
  const back = roundTrip({ type: "push", workspace: "w", event: "e", data }) as Extract<Command, { type: "push" }>;
  assert.deepEqual(Object.keys(back.data), ["__proto__", "nested", "plain"]);
  assert.equal(Object.getPrototypeOf(back.data), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(back.data, "__proto__")?.value, { x: 1 });
  const inner = (back.data["nested"] as Record<string, unknown>[])[0]!;
  assert.equal(Object.getOwnPropertyDescriptor(inner, "__proto__")?.value, 2);
  const envelope = JSON.parse('{"tags": {"__proto__": "t"}}');
  const reg = roundTrip({ type: "register", workspace: "w", envelope }) as Extract<Command, { type: "register" }>;
  assert.equal(Object.getOwnPropertyDescriptor((reg.envelope as { tags: object }).tags, "__proto__")?.value, "t");
});

test("any JSON data round-trips (property)", () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.dictionary(fc.string(), fc.jsonValue()), (workspace, event, data) => {
      const c = { type: "push", workspace, event, data } as Command;
      assert.deepEqual(roundTrip(c), withoutNegativeZero(c));
    }),
    { numRuns: 300 },
  );
});

test("bytes that are not a command throw (recovery turns that into undecodable_command)", () => {
  const good = stored({ type: "reset" });
  const bad = [Buffer.from([9, ...good.subarray(1)]), good.subarray(0, good.length - 2), Buffer.from([0, 0x93, 1, 2, 3]), Buffer.from([0, 0xa3, 0x61, 0x62, 0x63])];
  for (const b of bad) assert.throws(() => decodeCommand(b, 0, b.length));
});
