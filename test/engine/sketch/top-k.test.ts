import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CMS_WIDTH,
  compareTopKValues,
  topKAdd,
  topKBytes,
  topKCreate,
  topKMerge,
  topKResult,
  type TopK,
  type TopKEntry,
  type TopKValue,
} from "../../../src/engine/sketch/top-k.ts";
import { rng, zipf } from "../../../bench/lib/random.ts";

function topKOf(values: readonly TopKValue[], k: number): TopK {
  const s = topKCreate(k);
  for (const v of values) topKAdd(s, v);
  return s;
}

function trueCounts(values: readonly TopKValue[]): Map<TopKValue, number> {
  const m = new Map<TopKValue, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return m;
}

function reference(values: readonly TopKValue[], k: number): TopKEntry[] {
  return [...trueCounts(values)]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || compareTopKValues(a.value, b.value))
    .slice(0, k);
}

const EPSILON = Math.E / CMS_WIDTH;

/** A zipf stream of `n` events over `domain` values, mixing strings and numbers. */
function zipfStream(seed: number, n: number, domain: number): TopKValue[] {
  const draw = zipf(rng(seed), domain, 1.1);
  return Array.from({ length: n }, () => {
    const i = draw();
    return i % 3 === 0 ? i : `item-${i}`;
  });
}

/** Sketch-mode checks: the true top k recovered, every reported count in [true, true + εN]. */
function assertHeavyHitters(s: TopK, values: readonly TopKValue[], k: number): void {
  const truth = trueCounts(values);
  const got = topKResult(s);
  assert.equal(got.length, k);
  assert.deepEqual(
    got.map((e) => e.value).sort(compareTopKValues),
    reference(values, k).map((e) => e.value).sort(compareTopKValues),
  );
  for (const { value, count } of got) {
    const t = truth.get(value) ?? 0;
    assert.ok(count >= t && count <= t + EPSILON * values.length, `${String(value)}: ${count} vs true ${t}`);
  }
  for (let i = 1; i < got.length; i++) assert.ok(got[i - 1].count >= got[i].count);
}

describe("top-k", () => {
  it("rejects k outside [1, 1024]", () => {
    for (const k of [0, 1025, 2.5]) assert.throws(() => topKCreate(k), RangeError);
  });

  it("is exact in exact mode, keeping typed values apart", () => {
    const value = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constantFrom("1", "a", "b", "", "-1"), fc.boolean(), fc.constant(1.5));
    fc.assert(
      fc.property(fc.array(value, { maxLength: 300 }), fc.integer({ min: 1, max: 20 }), (values, k) => {
        assert.deepEqual(topKResult(topKOf(values, k)), reference(values, k));
      }),
    );
    assert.deepEqual(topKResult(topKCreate(3)), []);
  });

  it("orders by count desc, then strings < numbers < booleans, then by value", () => {
    const s = topKOf([true, 2, "b", false, 10, "a", 2, "z", "z"], 10);
    assert.deepEqual(topKResult(s), [
      { value: "z", count: 2 },
      { value: 2, count: 2 },
      { value: "a", count: 1 },
      { value: "b", count: 1 },
      { value: 10, count: 1 },
      { value: false, count: 1 },
      { value: true, count: 1 },
    ]);
  });

  it("stays exact at 1024 distinct values and promotes on the next", () => {
    const values = Array.from({ length: 1024 }, (_, i) => i);
    const s = topKOf([...values, 7, 7, 7, 9], 2);
    assert.notEqual(s.exact, null);
    assert.deepEqual(topKResult(s), [{ value: 7, count: 4 }, { value: 9, count: 2 }]);
    topKAdd(s, "new");
    assert.equal(s.exact, null);
    // Now approximate: 7 still leads; counts may overestimate by up to εN (ties can reorder the rest).
    const [first] = topKResult(s);
    assert.equal(first.value, 7);
    assert.ok(first.count >= 4 && first.count <= 4 + EPSILON * 1029);
  });

  for (const k of [1, 10, 50]) {
    it(`sketch mode recovers the heavy hitters of a zipf stream (k=${k}) with counts within εN`, () => {
      const values = zipfStream(100 + k, 200_000, 100_000);
      assertHeavyHitters(topKOf(values, k), values, k);
    });
  }

  it("sketch-mode candidate counts never undercount", () => {
    const values = zipfStream(5, 100_000, 50_000);
    const s = topKOf(values, 20);
    const truth = trueCounts(values);
    const sk = s.sketch as NonNullable<TopK["sketch"]>;
    for (let i = 0; i < sk.size; i++) assert.ok(sk.counts[i] >= (truth.get(sk.values[i]) ?? 0));
  });

  it("merges exact + exact into exactly the result of the concatenated stream", () => {
    const value = fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom("x", "y", true));
    fc.assert(
      fc.property(fc.array(value, { maxLength: 200 }), fc.array(value, { maxLength: 200 }), (a, b) => {
        const s = topKOf(a, 5);
        topKMerge(s, topKOf(b, 5));
        assert.deepEqual(topKResult(s), reference([...a, ...b], 5));
      }),
    );
  });

  it("merges sketches (and mixed modes) within the sketch bounds", () => {
    const a = zipfStream(21, 120_000, 60_000);
    const b = zipfStream(22, 80_000, 60_000);
    const small = [...Array.from({ length: 900 }, (_, i) => `item-${i + 1}`), "item-1", "item-2"];
    // 600 singletons plus 12 hot values (20..240 events): exact on its own, promoted by the merge.
    const hot = (prefix: string) => [
      ...Array.from({ length: 600 }, (_, i) => `${prefix}-${i}`),
      ...Array.from({ length: 12 }, (_, j) => Array.from({ length: 20 * (j + 1) }, () => `hot-${j}`)).flat(),
    ];
    for (const [x, y] of [[a, b], [a, small], [small, b], [hot("x"), hot("y")]]) {
      const s = topKOf(x, 10);
      const from = topKOf(y, 10);
      const before = topKResult(from);
      topKMerge(s, from);
      assert.deepEqual(topKResult(from), before, "merge must not modify `from`");
      const all = [...x, ...y];
      if (s.exact !== null) assert.deepEqual(topKResult(s), reference(all, 10));
      else assertHeavyHitters(s, all, 10);
    }
    assert.throws(() => topKMerge(topKCreate(10), topKCreate(11)), RangeError);
  });

  it("reports its memory", () => {
    const exact = topKOf(Array.from({ length: 1024 }, (_, i) => `v${i}`), 10);
    const sketch = topKOf(Array.from({ length: 2000 }, (_, i) => `v${i}`), 10);
    assert.ok(topKBytes(topKCreate(10)) < 512);
    assert.ok(topKBytes(exact) > 1024 * 36 && topKBytes(exact) < 1024 * 80, `exact ${topKBytes(exact)}`);
    // 4 × 2048 float64 counters dominate.
    assert.ok(topKBytes(sketch) > 65536 && topKBytes(sketch) < 65536 + 8192, `sketch ${topKBytes(sketch)}`);
  });
});
