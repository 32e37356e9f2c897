import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bloomAdd, bloomBytes, bloomCreate, bloomMightContain } from "../../../src/engine/sketch/bloom-filter.ts";
import { hashValue } from "../../../src/engine/sketch/hash.ts";

describe("Bloom filter", () => {
  it("sizes from capacity and fpr (defaults 1024, 0.01)", () => {
    const s = bloomCreate();
    assert.equal(s.m, Math.ceil((-1024 * Math.log(0.01)) / Math.LN2 ** 2));
    assert.equal(s.k, 7);
    assert.ok(bloomBytes(s) < 1226 + 512);
    for (const [capacity, fpr] of [[0, 0.01], [10, 0], [10, 1], [10, Number.NaN], [1.5, 0.1], [1e9, 1e-9]]) {
      assert.throws(() => bloomCreate(capacity, fpr), RangeError);
    }
  });

  it("has no false negatives, and add reports whether the value was already there", () => {
    const s = bloomCreate(5000, 0.001);
    for (let i = 0; i < 5000; i++) {
      const h = hashValue(`dev-${i}`);
      const before = bloomMightContain(s, h);
      assert.equal(bloomAdd(s, h), before);
    }
    for (let i = 0; i < 5000; i++) {
      assert.ok(bloomMightContain(s, hashValue(`dev-${i}`)));
      assert.equal(bloomAdd(s, hashValue(`dev-${i}`)), true);
    }
  });

  for (const [capacity, fpr] of [[1024, 0.01], [10_000, 0.01], [10_000, 0.001], [2000, 0.1]] as const) {
    it(`empirical FPR near ${fpr} at capacity ${capacity}`, () => {
      const s = bloomCreate(capacity, fpr);
      let firstTimeHits = 0;
      for (let i = 0; i < capacity; i++) if (bloomAdd(s, hashValue(i))) firstTimeHits++;
      const trials = 200_000;
      let hits = 0;
      for (let i = 0; i < trials; i++) if (bloomMightContain(s, hashValue(`absent-${i}`))) hits++;
      const rate = hits / trials;
      // The filter's own FPR varies around the target; allow ±35 % (many standard deviations of the trials).
      assert.ok(rate > fpr * 0.65 && rate < fpr * 1.35, `FPR ${rate} for target ${fpr}`);
      // While filling, "already present" answers are false positives against a partial filter: fewer.
      assert.ok(firstTimeHits / capacity < fpr, `fill-time false positives ${firstTimeHits}`);
    });
  }
});
