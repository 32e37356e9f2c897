import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ChunkReader } from "../../../src/engine/snapshot/chunk-reader.ts";
import { ChunkWriter } from "../../../src/engine/snapshot/chunk-writer.ts";
import { readValue, writeValue } from "../../../src/engine/snapshot/value-codec.ts";
import { TesseraError } from "../../../src/errors/tessera-error.ts";

/** The value codec round-trips plain data exactly (deepStrictEqual: -0 ≠ 0, Map ≠ object, 1 ≠ "1"). */

function roundTrip(v: unknown): unknown {
  const w = new ChunkWriter();
  writeValue(w, v);
  w.string("end");
  w.seal(true);
  const [chunk] = w.take();
  const r = new ChunkReader(chunk!, 0);
  const out = readValue(r);
  assert.equal(r.string(), "end");
  assert.ok(r.atEnd);
  return out;
}

describe("snapshot value codec", () => {
  it("round-trips arbitrary plain data", () => {
    const value = fc.anything({
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withBoxedValues: false,
      withBigInt: false,
      withDate: false,
      withNullPrototype: false,
      withObjectString: false,
      withSparseArray: false,
      maxDepth: 4,
    });
    fc.assert(
      fc.property(value, (v) => assert.deepStrictEqual(roundTrip(v), v)),
      { numRuns: 500 },
    );
  });

  it("keeps the numbers and strings the engine can observe", () => {
    const tricky = [-0, 0, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31), 2 ** 31 - 1, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 2, 0.1];
    assert.deepStrictEqual(roundTrip(tricky), tricky);
    assert.deepStrictEqual(roundTrip(tricky.map((x) => ({ x }))), tricky.map((x) => ({ x })));
    for (const s of ["", "a", "ü", "\ud800", "a\udc00b", "😀", "x".repeat(40) + "\ud83d", "é".repeat(100), "\u0000"]) assert.equal(roundTrip(s), s);
    const m = new Map<unknown, unknown>([[1, "a"], ["1", "b"], [true, -0], [-0, NaN]]);
    assert.deepStrictEqual(roundTrip(m), m);
    const proto = JSON.parse('{"__proto__": {"x": 1}, "y": [1, "2"]}') as unknown;
    const back = roundTrip(proto) as Record<string, unknown>;
    assert.deepStrictEqual(Object.keys(back), ["__proto__", "y"]);
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
    const f64 = new Float64Array([NaN, -0, 1e300]);
    const sub = new Int32Array([1, 2, 3, 4]).subarray(1, 3);
    assert.deepStrictEqual(roundTrip([f64, sub, new Uint8Array(0)]), [f64, new Int32Array([2, 3]), new Uint8Array(0)]);
    // Holes read back as undefined (states never tell them apart).
    assert.deepStrictEqual(roundTrip(new Array(3)), [undefined, undefined, undefined]);
  });

  it("refuses what is not plain data", () => {
    for (const v of [() => 1, Symbol("s"), 1n, new Date(0), new (class Foo {})(), new BigInt64Array(1)]) {
      assert.throws(() => roundTrip(v), (err: unknown) => err instanceof TesseraError && err.code === "internal_error");
    }
  });
});
