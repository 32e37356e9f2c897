import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  firstNOp,
  firstOp,
  lagOp,
  lastNOp,
  lastOp,
  mostRecentNOp,
  reservoirIndex,
  reservoirSampleOp,
} from "../../../src/engine/aggregate/ops/buffer-ops.ts";
import type { Value } from "../../../src/engine/types.ts";
import { assertCode, ctx, drive, series, xRows as rowsOf } from "./helpers.ts";
import type { AnyDef } from "./helpers.ts";

const T0 = 1_700_000_000_000;

/** Values as pushed, including ones the ops must skip. */
const valueArb: fc.Arbitrary<Value | undefined> = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom("a", "b", "c"),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);

const present = (vals: readonly (Value | undefined)[]): Value[] => vals.filter((v): v is Value => v !== undefined && v !== null);

describe("buffer ops: params", () => {
  const nOps: AnyDef[] = [firstNOp, lastNOp, lagOp, mostRecentNOp];
  it("require a known field (aggregation_unknown_field)", () => {
    for (const def of [firstOp, lastOp, ...nOps, reservoirSampleOp]) {
      assertCode(() => def.parse({ n: 1, samples: 1 }, ctx(), undefined), "aggregation_unknown_field");
      assertCode(() => def.parse({ field: "nope", n: 1, samples: 1 }, ctx(), undefined), "aggregation_unknown_field");
      assertCode(() => def.parse({ field: 3, n: 1, samples: 1 }, ctx(), undefined), "aggregation_unknown_field");
    }
  });

  it("require n in [1, 1024] (aggregation_unknown_field)", () => {
    for (const def of nOps) {
      for (const n of [undefined, 0, -1, 1025, 2.5, "3", null]) {
        assertCode(() => def.parse({ field: "amount", n }, ctx(), undefined), "aggregation_unknown_field");
      }
      assert.equal(def.parse({ field: "amount", n: 1024 }, ctx(), undefined).n, 1024);
      assert.equal(def.parse({ field: "amount", n: 1 }, ctx(), undefined).n, 1);
    }
  });

  it("reservoir_sample requires samples in [1, 1024]", () => {
    for (const samples of [undefined, 0, 1025, 1.5]) {
      assertCode(() => reservoirSampleOp.parse({ field: "amount", samples }, ctx(), undefined), "aggregation_unknown_field");
    }
  });

  it("value ops output the field's type", () => {
    assert.deepEqual(lastOp.outputType(lastOp.parse({ field: "qty" }, ctx(), undefined)), { kind: "i64" });
    assert.deepEqual(lagOp.outputType(lagOp.parse({ field: "device", n: 2 }, ctx(), undefined)), { kind: "str" });
    assert.deepEqual(firstNOp.fields(firstNOp.parse({ field: "device", n: 2 }, ctx(), undefined)), ["device"]);
  });
});

describe("first / last", () => {
  it("keep the first / latest non-null value as pushed", () => {
    const evs = series("qty", [null, 20, 20.5, null, "x", null]);
    assert.equal(drive(firstOp, { field: "qty" }).push(...evs).read(), 20);
    assert.equal(drive(lastOp, { field: "qty" }).push(...evs).read(), "x");
  });

  it("skip missing fields and unmatched events", () => {
    const d = drive(firstOp, { field: "qty" }).push({ row: {}, now: T0 }, { row: { qty: 1 }, now: T0 + 1, matched: false });
    assert.equal(d.read(), null);
    d.push({ row: { qty: 2 }, now: T0 + 2 });
    assert.equal(d.read(), 2);
  });

  it("keep lists and maps (json fields) as they are", () => {
    const d = drive(lastOp, { field: "payload" }).push({ row: { payload: { a: [1, 2] } }, now: T0 });
    assert.deepEqual(d.read(), { a: [1, 2] });
  });
});

describe("first_n / last_n / most_recent_n / lag", () => {
  it("last_n and most_recent_n are oldest → newest", () => {
    const evs = series("amount", [1, 2, 3, 4, 5]);
    assert.deepEqual(drive(lastNOp, { field: "amount", n: 3 }).push(...evs).read(), [3, 4, 5]);
    assert.deepEqual(drive(mostRecentNOp, { field: "amount", n: 3 }).push(...evs).read(), [3, 4, 5]);
    assert.deepEqual(drive(lastNOp, { field: "amount", n: 9 }).push(...evs).read(), [1, 2, 3, 4, 5]);
    assert.deepEqual(drive(firstNOp, { field: "amount", n: 3 }).push(...evs).read(), [1, 2, 3]);
  });

  it("lag is null until n+1 values, then the value n back", () => {
    const d = drive(lagOp, { field: "device", n: 2 });
    d.push(...series("device", ["a", "b"]));
    assert.equal(d.read(), null);
    d.push(...series("device", ["c"]));
    assert.equal(d.read(), "a");
    d.push(...series("device", [null, "d", "e"]));
    assert.equal(d.read(), "c");
  });

  it("match a naive oracle that keeps every value (property)", () => {
    fc.assert(
      fc.property(fc.array(valueArb, { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), (vals, n) => {
        const kept = present(vals);
        const evs = rowsOf(vals);
        assert.deepEqual(drive(firstNOp, { field: "x", n }).push(...evs).read(), kept.slice(0, n));
        assert.deepEqual(drive(lastNOp, { field: "x", n }).push(...evs).read(), kept.slice(-n));
        assert.deepEqual(drive(mostRecentNOp, { field: "x", n }).push(...evs).read(), kept.slice(-n));
        assert.deepEqual(drive(lagOp, { field: "x", n }).push(...evs).read(), kept.length > n ? kept[kept.length - 1 - n] : null);
        assert.deepEqual(drive(firstOp, { field: "x" }).push(...evs).read(), kept[0] ?? null);
        assert.deepEqual(drive(lastOp, { field: "x" }).push(...evs).read(), kept.at(-1) ?? null);
      }),
    );
  });
});

describe("windowed merge (first_n, last_n)", () => {
  it("merging the buckets of a split stream oldest → newest equals one stream (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(valueArb, { maxLength: 12 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 6 }),
        (buckets, n) => {
          for (const def of [firstNOp, lastNOp] as AnyDef[]) {
            const p = def.parse({ field: "x", n }, ctx(), undefined);
            const states = buckets.map((b) => drive(def, { field: "x", n }).push(...rowsOf(b)).s);
            const merged = states.reduce((acc, s) => def.merge!(acc, s, p), def.create(p));
            const whole = drive(def, { field: "x", n }).push(...rowsOf(buckets.flat())).read();
            assert.deepEqual(def.read(merged, p, T0), whole);
          }
        },
      ),
    );
  });

  it("merge does not alias the newer bucket", () => {
    const p = lastNOp.parse({ field: "x", n: 2 }, ctx(), undefined);
    const from = drive(lastNOp, { field: "x", n: 2 }).push(...rowsOf([1, 2])).s;
    const merged = lastNOp.merge!(lastNOp.create(p), from, p);
    lastNOp.update(merged, p, { x: 3 }, true, T0);
    assert.deepEqual(lastNOp.read(from, p, T0), [1, 2]);
  });
});

/** beava's xorshift64 step and Algorithm R slot, in BigInt: the reference for reservoirIndex. */
function referenceIndex(seen: number): number {
  const mask = (1n << 64n) - 1n;
  let s = BigInt(seen) ^ 0xa0b1c2d3e4f50617n ^ 0x9e3779b97f4a7c15n;
  if (s === 0n) s = 0xd2b74e4572d7c2b0n;
  s ^= (s << 13n) & mask;
  s ^= s >> 7n;
  s ^= (s << 17n) & mask;
  return Number(s % BigInt(seen));
}

describe("reservoir_sample", () => {
  it("uses beava's deterministic xorshift slot (32-bit halves == BigInt reference)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })), (seen) => {
        assert.equal(reservoirIndex(seen), referenceIndex(seen));
      }),
    );
    for (const seen of [1, 2, 2 ** 32, 2 ** 37 - 1, 2 ** 37, 2 ** 37 + 1, 2 ** 53 - 1]) {
      assert.equal(reservoirIndex(seen), referenceIndex(seen), String(seen));
    }
    // The seed that xors to zero takes beava's fixed replacement state.
    const zeroSeed = Number(0xa0b1c2d3e4f50617n ^ 0x9e3779b97f4a7c15n);
    assert.ok(zeroSeed > Number.MAX_SAFE_INTEGER, "the all-zero state is out of reach of a counter");
  });

  it("follows Algorithm R against a naive replay, deterministically", () => {
    fc.assert(
      fc.property(fc.array(valueArb, { maxLength: 80 }), fc.integer({ min: 1, max: 6 }), (vals, k) => {
        const kept = present(vals);
        const oracle: Value[] = [];
        kept.forEach((v, i) => {
          if (oracle.length < k) oracle.push(v);
          else {
            const j = referenceIndex(i + 1);
            if (j < k) oracle[j] = v;
          }
        });
        const d = drive(reservoirSampleOp, { field: "x", samples: k }).push(...rowsOf(vals));
        assert.deepEqual(d.read(), oracle);
        assert.deepEqual(drive(reservoirSampleOp, { field: "x", samples: k }).push(...rowsOf(vals)).read(), oracle);
      }),
    );
  });

  it("draws slots close to uniformly (so every value is kept with probability k/N)", () => {
    // j/seen over many counters should fill ten equal bins evenly.
    const bins = new Array<number>(10).fill(0);
    const N = 100_000;
    for (let seen = 1000; seen < 1000 + N; seen++) bins[Math.floor((reservoirIndex(seen) / seen) * 10)]!++;
    for (const b of bins) assert.ok(Math.abs(b - N / 10) < N / 100, `bins ${bins.join(",")}`);
  });
});
