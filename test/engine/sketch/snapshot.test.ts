import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { deserialize, serialize } from "node:v8";
import { bloomAdd, bloomCreate, bloomMightContain } from "../../../src/engine/sketch/bloom-filter.ts";
import { distinctAddHash, distinctCreate, distinctEstimate } from "../../../src/engine/sketch/distinct-counter.ts";
import { hashValue } from "../../../src/engine/sketch/hash.ts";
import { quantileAdd, quantileCreate, quantileQuery } from "../../../src/engine/sketch/quantile-sketch.ts";
import { topKAdd, topKCreate, topKResult } from "../../../src/engine/sketch/top-k.ts";

/** Every state must survive node:v8 serialisation (snapshots) and keep working afterwards. */
function roundTrip<S>(s: S): S {
  return deserialize(serialize(s)) as S;
}

describe("sketch states are plain data", () => {
  it("distinct counter, exact and promoted", () => {
    for (const n of [10, 5000]) {
      const s = distinctCreate(12);
      for (let i = 0; i < n; i++) distinctAddHash(s, hashValue(i));
      const t = roundTrip(s);
      assert.deepEqual(t, s);
      distinctAddHash(s, hashValue("more"));
      distinctAddHash(t, hashValue("more"));
      assert.equal(distinctEstimate(t), distinctEstimate(s));
    }
  });

  it("quantile sketch, exact and promoted", () => {
    for (const n of [10, 5000]) {
      const s = quantileCreate();
      for (let i = 0; i < n; i++) quantileAdd(s, i - n / 3);
      const t = roundTrip(s);
      assert.deepEqual(t, s);
      quantileAdd(s, 1e9);
      quantileAdd(t, 1e9);
      assert.equal(quantileQuery(t, 0.9), quantileQuery(s, 0.9));
    }
  });

  it("top-k, exact and promoted", () => {
    for (const n of [10, 5000]) {
      const s = topKCreate(5);
      for (let i = 0; i < n; i++) topKAdd(s, i % 7 === 0 ? "hot" : i % 2 === 0 ? i : `v${i}`);
      const t = roundTrip(s);
      assert.deepEqual(t, s);
      topKAdd(s, true);
      topKAdd(t, true);
      assert.deepEqual(topKResult(t), topKResult(s));
    }
  });

  it("bloom filter", () => {
    const s = bloomCreate();
    bloomAdd(s, hashValue("a"));
    const t = roundTrip(s);
    assert.deepEqual(t, s);
    assert.ok(bloomMightContain(t, hashValue("a")));
  });
});
