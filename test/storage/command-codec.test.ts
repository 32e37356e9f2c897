import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Packr, Unpackr } from "msgpackr";
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

// The hand-written push writer and reader must agree byte for byte and value for value with
// msgpackr, which wrote every record before them and still handles everything they do not.
const reference = new Packr({ useRecords: false, variableMapSize: true });
const referenceObjects = new Unpackr({ useRecords: false });
const referenceMaps = new Unpackr({ useRecords: false, mapsAsObjects: false });

/** How msgpackr alone decodes a stored push (maps as Maps with define semantics when "__proto__" occurs). */
function referenceDecode(bytes: Buffer): unknown {
  const range = { start: 1, end: bytes.length };
  if (bytes.indexOf("__proto__") === -1) return referenceObjects.unpack(bytes, range);
  const defined = (v: unknown): unknown =>
    v instanceof Map ? Object.fromEntries(Array.from(v, ([k, x]) => [k, defined(x)])) : Array.isArray(v) ? v.map(defined) : v;
  return defined(referenceMaps.unpack(bytes, range));
}

const anyNumber = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.integer({ min: -(2 ** 31) - 5, max: 2 ** 32 + 5 }),
  fc.constantFrom(0, -0, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, -0x20, -0x21, -0x80, -0x81, -0x8000, -0x8001, 2 ** 53, -(2 ** 53), NaN, Infinity),
);
// "binary" strings hold any code point, lone surrogates included.
const anyString = fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "binary", minLength: 60, maxLength: 300 }));
const anyValue = fc.oneof(anyNumber, anyString, fc.boolean(), fc.constant(null), fc.jsonValue(), fc.constant(undefined));
const anyRow = fc.oneof(fc.dictionary(anyString, anyValue), fc.dictionary(fc.string(), anyValue, { minKeys: 14, maxKeys: 40 }));

test("a push is written exactly as msgpackr writes it (property)", () => {
  fc.assert(
    fc.property(anyString, anyString, anyRow, (workspace, event, data) => {
      const mine = encodeCommand({ type: "push", workspace, event, data } as Command);
      assert.deepEqual(Buffer.from(mine), reference.pack([workspace, event, data]));
    }),
    { numRuns: 1000 },
  );
});

test("maps past 15 and 65535 fields and strings past 31, 255 and 65535 bytes are written as msgpackr writes them", () => {
  const wide = (n: number): Record<string, unknown> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`f${i}`, i]));
  const rows = [wide(16), wide(65_536), { s: "é".repeat(20), t: "x".repeat(255), u: "€".repeat(100), v: "y".repeat(70_000), w: "😀".repeat(20_000) }];
  for (const data of rows) {
    assert.deepEqual(Buffer.from(encodeCommand({ type: "push", workspace: "w".repeat(40), event: "e", data } as Command)), reference.pack(["w".repeat(40), "e", data]));
  }
});

test("a stored push decodes as msgpackr decodes it (property)", () => {
  fc.assert(
    fc.property(anyString, anyString, anyRow, (workspace, event, data) => {
      const bytes = Buffer.concat([Buffer.from([MSGPACK_FORMAT]), reference.pack([workspace, event, data])]);
      const [ws, ev, row] = referenceDecode(bytes) as [string, string, Record<string, unknown>];
      const back = decodeCommand(bytes, 0, bytes.length) as Extract<Command, { type: "push" }>;
      assert.deepStrictEqual(back, { type: "push", workspace: ws, event: ev, data: row });
      assert.equal(Object.getPrototypeOf(back.data), Object.prototype);
    }),
    { numRuns: 1000 },
  );
});

test("a push is decoded from within a larger buffer, and damage inside it throws", () => {
  const bytes = stored({ type: "push", workspace: "prod", event: "txn", data: { user: "u1", amt: 12.5, n: 70_000, neg: -40_000, ok: false } });
  const framed = Buffer.concat([Buffer.from([1, 2, 3]), bytes, Buffer.from([0xc0, 0xc0])]);
  assert.deepEqual(decodeCommand(framed, 3, 3 + bytes.length), decodeCommand(bytes, 0, bytes.length));
  for (let cut = 2; cut < bytes.length; cut++) assert.throws(() => decodeCommand(framed, 3, 3 + cut), `cut at ${cut}`);
});

test('a flat "__proto__" field is an own key on the fast path too', () => {
  const data = JSON.parse('{"a": 1, "__proto__": "x", "b": null}');
  const back = roundTrip({ type: "push", workspace: "w", event: "e", data }) as Extract<Command, { type: "push" }>;
  assert.deepEqual(Object.keys(back.data), ["a", "__proto__", "b"]);
  assert.equal(Object.getPrototypeOf(back.data), Object.prototype);
  assert.equal(Object.getOwnPropertyDescriptor(back.data, "__proto__")?.value, "x");
});
