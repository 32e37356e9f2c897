import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { hashValue } from "../../../src/engine/sketch/hash.ts";
import {
  distinctAddHash,
  distinctBytes,
  distinctCreate,
  distinctEstimate,
  distinctMerge,
  type DistinctCounter,
} from "../../../src/engine/sketch/distinct-counter.ts";
import { rng } from "../../../bench/lib/random.ts";

type Scalar = string | number | boolean | null;

const scalar = fc.oneof(
  fc.integer({ min: -50, max: 50 }),
  fc.constantFrom(0.5, -0, 1e300, 2 ** 53),
  fc.string({ maxLength: 3 }),
  fc.boolean(),
  fc.constant(null),
);

function counterOf(values: readonly Scalar[], p = 12, threshold?: number): DistinctCounter {
  const s = distinctCreate(p, threshold);
  for (const v of values) distinctAddHash(s, hashValue(v));
  return s;
}

describe("distinct counter", () => {
  it("is exact below the threshold, with the type participating", () => {
    fc.assert(
      fc.property(fc.array(scalar, { maxLength: 300 }), (values) => {
        // A JS Set already distinguishes 1 / "1" / true and folds -0 into 0, like the hash.
        assert.equal(distinctEstimate(counterOf(values)), new Set(values).size);
      }),
    );
    assert.equal(distinctEstimate(counterOf([1, "1", true, "true", null, "null", 1, -0, 0])), 7);
  });

  it("stays exact at exactly the threshold and promotes on the next distinct value", () => {
    const values = Array.from({ length: 1024 }, (_, i) => `v${i}`);
    const s = counterOf([...values, ...values]);
    assert.equal(distinctEstimate(s), 1024);
    assert.notEqual(s.hashes, null);
    distinctAddHash(s, hashValue("one more"));
    assert.equal(s.hashes, null);
    assert.notEqual(s.hll, null);
    assert.ok(distinctEstimate(s) >= 1025);
    assert.ok(Math.abs(distinctEstimate(s) / 1025 - 1) < 3 * (1.04 / 64));
  });

  it("estimates within 3 standard errors after promotion (p=12, several cardinalities)", () => {
    const r = rng(7);
    for (const n of [1500, 5000, 40_000, 300_000]) {
      for (let run = 0; run < 5; run++) {
        const base = Math.floor(r.next() * 1e12);
        const s = distinctCreate(12);
        for (let i = 0; i < n; i++) distinctAddHash(s, hashValue(base + i));
        assert.ok(Math.abs(distinctEstimate(s) / n - 1) < 3 * (1.04 / 64), `n=${n}: ${distinctEstimate(s)}`);
      }
    }
  });

  it("uses the requested precision once promoted (approx_count_distinct default p=8)", () => {
    const s = counterOf(Array.from({ length: 5000 }, (_, i) => i), 8);
    assert.equal(s.hll?.registers.length, 256);
    assert.ok(Math.abs(distinctEstimate(s) / 5000 - 1) < 3 * (1.04 / 16));
  });

  it("never reports fewer than threshold + 1 once promoted", () => {
    const s = counterOf(Array.from({ length: 1100 }, (_, i) => i), 4);
    assert.ok(distinctEstimate(s) >= 1025);
  });

  it("threshold 0 is a plain HLL from the start", () => {
    const s = counterOf([1, 2, 3], 12, 0);
    assert.equal(s.hashes, null);
    assert.equal(distinctEstimate(s), 3);
  });

  it("merges exact + exact exactly while within the threshold", () => {
    fc.assert(
      fc.property(fc.array(scalar, { maxLength: 200 }), fc.array(scalar, { maxLength: 200 }), (a, b) => {
        const s = counterOf(a);
        distinctMerge(s, counterOf(b));
        assert.equal(distinctEstimate(s), new Set([...a, ...b]).size);
        assert.notEqual(s.hashes, null);
        // Still a well-formed exact counter: further adds keep working.
        distinctAddHash(s, hashValue("sentinel-value"));
        assert.equal(distinctEstimate(s), new Set([...a, ...b, "sentinel-value"]).size);
      }),
    );
  });

  it("merges across modes into the same sketch as the concatenated stream", () => {
    const ints = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    const splits: [number[], number[]][] = [
      [ints(0, 800), ints(500, 1300)], // exact + exact, union over the threshold
      [ints(0, 3000), ints(2500, 2900)], // sketch + exact
      [ints(0, 100), ints(50, 5000)], // exact + sketch
      [ints(0, 4000), ints(3000, 9000)], // sketch + sketch
    ];
    for (const [a, b] of splits) {
      const merged = counterOf(a);
      distinctMerge(merged, counterOf(b));
      const whole = counterOf([...a, ...b]);
      assert.deepEqual(merged.hll?.registers, whole.hll?.registers);
      assert.equal(distinctEstimate(merged), distinctEstimate(whole));
    }
    assert.throws(() => distinctMerge(distinctCreate(12), distinctCreate(8)), RangeError);
  });

  it("is compact: about 8 KB at 1024 exact values, 4 KB once promoted at p=12", () => {
    const empty = distinctCreate(12);
    const full = counterOf(Array.from({ length: 1024 }, (_, i) => i));
    const promoted = counterOf(Array.from({ length: 2000 }, (_, i) => i));
    assert.ok(distinctBytes(empty) < 512, `empty ${distinctBytes(empty)}`);
    assert.ok(distinctBytes(full) <= 8192 + 512, `exact ${distinctBytes(full)}`);
    assert.ok(distinctBytes(promoted) <= 4096 + 1024, `hll ${distinctBytes(promoted)}`);
  });
});
