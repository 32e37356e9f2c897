import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Feature, T0 } from "./helpers.ts";

const H = 3_600_000;
const B = H / 64; // bucket of a 1h continuous window

describe("continuous windows", () => {
  it("count a bucket iff 0 <= now - bucket_start < W", () => {
    const start = Math.ceil(T0 / B) * B;
    const f = new Feature("count", { window: "1h" }).push({}, start + 10);
    assert.equal(f.read(start + 10), 1);
    assert.equal(f.read(start + H - 1), 1);
    assert.equal(f.read(start + H), 0);
    assert.equal(f.read(start - 1), 0, "a bucket after the read time does not count");
  });
  it("allocate nothing before the first event and keep at most 64 buckets", () => {
    const f = new Feature("sum", { field: "amt", window: "1h" });
    assert.equal(f.nums, undefined);
    assert.equal(f.read(T0), null);
    for (let i = 0; i < 500; i++) f.push({ amt: 1 }, T0 + i * B);
    assert.ok(f.buckets().length <= 64, String(f.buckets().length));
    const v = f.read(T0 + 499 * B) as number;
    assert.ok(v === 64 || v === 63, String(v));
  });
  it("evict out-of-window buckets on update", () => {
    const f = new Feature("count", { window: "1h" });
    f.push({}, T0).push({}, T0 + 2 * H);
    assert.deepEqual(f.buckets(), [Math.floor((T0 + 2 * H) / B)]);
    assert.equal(f.read(T0 + 2 * H), 1);
  });
  it("drop expired buckets from the ring when a newer bucket starts", () => {
    const f = new Feature("count", { window: "1h" });
    // The first bucket moves into the ring, then both are out of the window at T0 + 2H.
    f.push({}, T0).push({}, T0 + B).push({}, T0 + 2 * H);
    assert.deepEqual(f.buckets(), [Math.floor((T0 + 2 * H) / B)]);
    // A steady stream, one event per bucket for 5 windows: only live buckets are kept.
    const g = new Feature("sum", { field: "amt", window: "1h" });
    for (let i = 0; i < 320; i++) {
      g.push({ amt: 1 }, T0 + i * B);
      const idx = g.buckets();
      const newest = Math.floor((T0 + i * B) / B);
      assert.ok(idx.length <= 64 && idx.every((x) => x > newest - 64), `after ${i}: ${idx.length} buckets from ${idx[0]}`);
    }
  });
  it("keep the 64 newest buckets when the clock steps back (older events are then not counted)", () => {
    const f = new Feature("count", { window: "1h" });
    const start = Math.ceil(T0 / B) * B;
    for (let i = 0; i < 64; i++) f.push({}, start + i * B);
    assert.equal(f.buckets().length, 64);
    // Older than all 64 kept buckets: not counted, and the 64 stay.
    f.push({}, start - 5 * B);
    assert.equal(f.read(start + 63 * B), 64);
    assert.equal(f.buckets()[0], start / B);
  });
  it("accept an out-of-order time into its own bucket", () => {
    const f = new Feature("count", { window: "1h" });
    f.push({}, T0 + 10 * B).push({}, T0 + 2 * B).push({}, T0 + 10 * B);
    assert.equal(f.read(T0 + 10 * B), 3);
    const idx = f.buckets();
    assert.deepEqual(idx, [...new Set(idx)].sort((a, b) => a - b));
    assert.equal(idx.length, 2);
  });
});

describe("tiled windows", () => {
  const I = 600_000; // 10m
  const base = Math.floor(T0 / 86_400_000) * 86_400_000;
  it("count only complete tiles, ending at floor(now/interval)*interval", () => {
    const f = new Feature("count", { window: "1h", interval: "10m" }).push({}, base + 5 * 60_000);
    assert.equal(f.read(base + 9 * 60_000), 0, "the partial tile is excluded");
    assert.equal(f.read(base + I), 1);
    assert.equal(f.read(base + 6 * I), 1);
    assert.equal(f.read(base + 7 * I), 0);
    assert.equal(f.effectiveTime(base + I + 5), base + I);
  });
  it("end at an explicit window end (LATEST_EVENT_TIME) aligned to the tile", () => {
    const f = new Feature("sum", { field: "amt", window: "1h", interval: "10m" });
    f.push({ amt: 1 }, base + 1).push({ amt: 2 }, base + I + 1).push({ amt: 4 }, base + 2 * I + 1);
    assert.equal(f.read(base + 3 * I), 7);
    assert.equal(f.read(base + 3 * I, base + 2 * I + 1), 3);
    assert.equal(f.effectiveTime(base + 3 * I, base + 2 * I + 1), base + 2 * I);
  });
  it("prune tiles that can no longer be read", () => {
    const f = new Feature("count", { window: "1h", interval: "10m" });
    for (let i = 0; i < 100; i++) f.push({}, base + i * I);
    assert.ok(f.buckets().length <= 7, String(f.buckets().length));
    assert.equal(f.read(base + 100 * I), 6);
  });
});

describe("lifetime", () => {
  it("is one inline number per accumulator, no bucket ring", () => {
    const f = new Feature("count").push({}).push({});
    // [last event time, object slot (none), count]
    assert.deepEqual(f.nums, [0, NaN, 2]);
    assert.deepEqual(f.buckets(), []);
  });
});
