import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  quantileAdd,
  quantileAlpha,
  quantileBytes,
  quantileCount,
  quantileCreate,
  quantileMerge,
  quantileQuery,
  quantileResetSketch,
  type QuantileOptions,
  type QuantileSketch,
} from "../../../src/engine/sketch/quantile-sketch.ts";
import { normal, rng, type Rng } from "../../../bench/lib/random.ts";

/** numpy.quantile(values, q, method="linear"), without its overflow between opposite-sign extremes. */
function numpyLinear(sorted: readonly number[], q: number): number {
  const r = q * (sorted.length - 1);
  const f = Math.floor(r);
  const t = r - f;
  if (t === 0) return sorted[f];
  const a = sorted[f];
  const d = sorted[f + 1] - a;
  if (d === Infinity) return a * (1 - t) + sorted[f + 1] * t;
  return t >= 0.5 ? sorted[f + 1] - d * (1 - t) : a + d * t;
}

function sketchOf(values: readonly number[], options?: QuantileOptions): QuantileSketch {
  const s = quantileCreate(options);
  for (const v of values) quantileAdd(s, v);
  return s;
}

const QS = [0, 0.001, 0.01, 0.05, 0.1, 0.25, 1 / 3, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1, ...Array.from({ length: 99 }, (_, i) => (i + 1) / 100 + 0.0037)];

/**
 * The documented guarantee: with r = q(n−1), f = ⌊r⌋, t = r − f, the answer is within
 * α·((1−t)|x_f| + t|x_{f+1}|) of numpy's linear interpolation (DDSketch's "within α of x_f" at t = 0).
 */
function assertWithinGuarantee(s: QuantileSketch, sorted: readonly number[], label: string): void {
  const alpha = quantileAlpha(s);
  for (const q of QS) {
    const r = q * (sorted.length - 1);
    const f = Math.floor(r);
    const t = r - f;
    const bound = alpha * ((1 - t) * Math.abs(sorted[f]) + (t === 0 ? 0 : t * Math.abs(sorted[f + 1])));
    const truth = numpyLinear(sorted, q);
    const got = quantileQuery(s, q) as number;
    assert.ok(Math.abs(got - truth) <= bound * (1 + 1e-9) + 1e-300, `${label} q=${q}: got ${got}, true ${truth}, bound ${bound} (α=${alpha})`);
  }
}

function draw(r: Rng, n: number, f: (r: Rng) => number): number[] {
  return Array.from({ length: n }, () => f(r));
}

describe("quantile sketch", () => {
  it("is null when empty and ignores non-finite values", () => {
    const s = sketchOf([Number.NaN, Infinity, -Infinity]);
    assert.equal(quantileCount(s), 0);
    assert.equal(quantileQuery(s, 0.5), null);
    quantileAdd(s, 3);
    assert.equal(quantileQuery(s, 0.5), 3);
    assert.throws(() => quantileQuery(s, 1.5), RangeError);
    assert.throws(() => quantileQuery(s, Number.NaN), RangeError);
  });

  it("matches numpy linear interpolation exactly up to 256 values", () => {
    assert.equal(quantileQuery(sketchOf([1, 2, 3, 4]), 0.5), 2.5);
    assert.equal(quantileQuery(sketchOf([4, 1, 3, 2]), 0.25), 1.75);
    assert.equal(quantileQuery(sketchOf([10, -5]), 0.9), 8.5);
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }), { minLength: 1, maxLength: 256 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, q) => {
          const s = sketchOf(values);
          assert.equal(quantileAlpha(s), 0);
          const sorted = values.map((v) => (v === 0 ? 0 : v)).sort((a, b) => a - b);
          assert.equal(quantileQuery(s, q), numpyLinear(sorted, q));
        },
      ),
    );
  });

  const distributions: [string, (r: Rng) => number][] = [
    ["uniform(0, 1000)", (r) => r.next() * 1000],
    ["lognormal(0, 2)", (r) => Math.exp(2 * normal(r))],
    ["normal(0, 100) with 10% zeros", (r) => (r.next() < 0.1 ? 0 : 100 * normal(r))],
    ["negative lognormal", (r) => -Math.exp(normal(r))],
    ["integers 0..20 (heavy ties)", (r) => Math.floor(r.next() * 21)],
  ];
  for (const [name, f] of distributions) {
    it(`sketch mode: every quantile of ${name} is within the relative-error guarantee`, () => {
      for (const [n, seed] of [[257, 1], [5000, 2], [60_000, 3]]) {
        const values = draw(rng(seed * 31 + name.length), n, f);
        const s = sketchOf(values);
        assert.equal(quantileAlpha(s), Math.tanh(Math.log(1.01 / 0.99) / 2)); // no collapse: α stays 0.01
        assertWithinGuarantee(s, values.sort((a, b) => a - b), `${name} n=${n}`);
      }
    });
  }

  it("honours a finer relative accuracy (approx_percentile precision)", () => {
    const values = draw(rng(11), 20_000, (r) => 50 + 10 * normal(r));
    const s = sketchOf(values, { alpha: 0.001 });
    assert.ok(Math.abs(quantileAlpha(s) - 0.001) < 1e-12);
    assertWithinGuarantee(s, values.sort((a, b) => a - b), "alpha=0.001");
  });

  it("collapses uniformly when over the bucket budget: α grows, the guarantee holds at every quantile", () => {
    // 1e-50..1e50 spans ~11.5k buckets at α=0.01; fitting 2048 takes 3 collapses: γ^8, α = tanh(4·ln γ) ≈ 0.08.
    const positive = draw(rng(12), 30_000, (r) => 10 ** (100 * r.next() - 50));
    const s = sketchOf(positive);
    assert.ok(Math.abs(quantileAlpha(s) - Math.tanh(4 * Math.log(1.01 / 0.99))) < 1e-12, `α=${quantileAlpha(s)}`);
    const pos = s.pos as NonNullable<QuantileSketch["pos"]>;
    assert.ok(pos.hi - pos.lo + 1 <= 2048);
    assertWithinGuarantee(s, positive.sort((a, b) => a - b), "collapsed");
    // Both signs over 1e-200..1e200 share the budget and collapse much further (α ≈ 0.56).
    const both = draw(rng(13), 30_000, (r) => (r.next() < 0.5 ? -1 : 1) * 10 ** (400 * r.next() - 200));
    const t = sketchOf(both);
    const tp = t.pos as NonNullable<QuantileSketch["pos"]>;
    const tn = t.neg as NonNullable<QuantileSketch["neg"]>;
    assert.ok(tp.hi - tp.lo + 1 + (tn.hi - tn.lo + 1) <= 2048);
    assertWithinGuarantee(t, both.sort((a, b) => a - b), "collapsed, both signs");
  });

  it("stays bounded with a tiny bucket budget and extreme values", () => {
    const values = [5e-324, 1.7e308, -5e-324, -1.7e308, 1, -1, 0, 2, 3, 1e-10];
    const s = sketchOf(values, { maxBuckets: 4, exactCapacity: 0 });
    assert.equal(quantileQuery(s, 0), -1.7e308);
    assert.equal(quantileQuery(s, 1), 1.7e308);
    for (const q of QS) assert.ok(Number.isFinite(quantileQuery(s, q)));
    assertWithinGuarantee(s, values.sort((a, b) => a - b), "maxBuckets=4");
  });

  it("merges into exactly the sketch of the concatenated stream", () => {
    const r = rng(13);
    const mk = (n: number, scale: number) => draw(r, n, (g) => (g.next() < 0.2 ? -1 : 1) * scale * Math.exp(3 * normal(g)));
    const cases: [number[], number[]][] = [
      [mk(100, 1), mk(100, 1)], // exact + exact, stays exact
      [mk(200, 1), mk(100, 1)], // exact + exact, promoted by the merge
      [mk(5000, 1), mk(50, 1)], // sketch + exact
      [mk(50, 1), mk(5000, 1)], // exact + sketch
      [mk(5000, 1), mk(7000, 1e5)], // sketch + sketch
      [mk(3000, 1e-150), mk(3000, 1e150)], // each fits, the union forces a collapse
      [draw(r, 3000, (g) => 10 ** (300 * g.next() - 150)), mk(3000, 1)], // different collapse levels
    ];
    for (const [a, b] of cases) {
      const merged = sketchOf(a);
      const from = sketchOf(b);
      const fromBefore = QS.map((q) => quantileQuery(from, q));
      quantileMerge(merged, from);
      const whole = sketchOf([...a, ...b]);
      assert.equal(quantileCount(merged), a.length + b.length);
      assert.equal(quantileAlpha(merged), quantileAlpha(whole));
      assert.deepEqual(
        QS.map((q) => quantileQuery(merged, q)),
        QS.map((q) => quantileQuery(whole, q)),
      );
      assert.deepEqual(QS.map((q) => quantileQuery(from, q)), fromBefore, "merge must not modify `from`");
    }
    assert.throws(() => quantileMerge(quantileCreate(), quantileCreate({ alpha: 0.02 })), RangeError);
  });

  it("answers between the values around the rank when their difference overflows (opposite-sign extremes)", () => {
    for (const options of [undefined, { exactCapacity: 0, maxBuckets: 4 }]) {
      const s = sketchOf([-8.98128139290624e292, 1.797693134862315e308], options);
      const got = quantileQuery(s, 0.001) as number;
      assert.ok(Number.isFinite(got), String(got));
      assertWithinGuarantee(s, [-8.98128139290624e292, 1.797693134862315e308], "extremes");
    }
  });

  it("property: merge equals the concatenated stream and the guarantee holds, under heavy collapsing", () => {
    const value = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer({ min: -1000, max: 1000 }),
      fc.constant(0),
    );
    fc.assert(
      fc.property(
        fc.array(value, { maxLength: 120 }),
        fc.array(value, { maxLength: 120 }),
        fc.constantFrom(4, 16, 64, 2048),
        fc.constantFrom(0, 5, 256),
        (a, b, maxBuckets, exactCapacity) => {
          const options = { maxBuckets, exactCapacity };
          const merged = sketchOf(a, options);
          quantileMerge(merged, sketchOf(b, options));
          const whole = sketchOf([...a, ...b], options);
          assert.deepEqual(
            QS.map((q) => quantileQuery(merged, q)),
            QS.map((q) => quantileQuery(whole, q)),
          );
          if (a.length + b.length > 0) assertWithinGuarantee(whole, [...a, ...b].map((v) => (v === 0 ? 0 : v)).sort((x, y) => x - y), "property");
        },
      ),
      { numRuns: 300 },
    );
  });

  it("property: a reset sketch reused as a merge target equals a fresh one (buffers reused, never stale)", () => {
    const value = fc.oneof(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.integer({ min: -1000, max: 1000 }), fc.constant(0));
    const target = quantileCreate({ maxBuckets: 64 });
    fc.assert(
      fc.property(fc.array(fc.array(value, { maxLength: 300 }), { minLength: 1, maxLength: 4 }), (parts) => {
        const options = { maxBuckets: 64 };
        quantileResetSketch(target);
        for (const part of parts) quantileMerge(target, sketchOf(part, options));
        assert.equal(quantileCount(target), parts.flat().length);
        assert.deepEqual(
          QS.map((q) => quantileQuery(target, q)),
          QS.map((q) => quantileQuery(fresh(parts, options), q)),
        );
      }),
      { numRuns: 200 },
    );
    /** The same merges into a new sketch forced into sketch mode. */
    function fresh(parts: readonly (readonly number[])[], options: QuantileOptions): QuantileSketch {
      const s = quantileCreate(options);
      quantileResetSketch(s);
      for (const part of parts) quantileMerge(s, sketchOf(part, options));
      return s;
    }
  });

  it("is compact", () => {
    const exact = sketchOf(Array.from({ length: 256 }, (_, i) => i));
    assert.ok(quantileBytes(exact) <= 2048 + 512, `exact ${quantileBytes(exact)}`);
    const uniform = sketchOf(draw(rng(14), 100_000, (r) => 1 + r.next() * 999));
    const lognormal = sketchOf(draw(rng(15), 100_000, (r) => Math.exp(2 * normal(r))));
    // 1..1000 spans ~350 buckets at α=0.01 (8 B each, plus 25 % slack); lognormal(0,2) ~1700, capped at 2048.
    assert.ok(quantileBytes(uniform) < 4.5 * 1024, `uniform ${quantileBytes(uniform)}`);
    assert.ok(quantileBytes(lognormal) <= 8 * 2048 + 1024, `lognormal ${quantileBytes(lognormal)}`);
  });
});
