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
    assert.equal(f.states[0], undefined);
    assert.equal(f.read(T0), null);
    for (let i = 0; i < 500; i++) f.push({ amt: 1 }, T0 + i * B);
    assert.ok((f.states[0] as unknown as unknown[]).length <= 128);
    const v = f.read(T0 + 499 * B) as number;
    assert.ok(v === 64 || v === 63, String(v));
  });
  it("evict out-of-window buckets on update", () => {
    const f = new Feature("count", { window: "1h" });
    f.push({}, T0).push({}, T0 + 2 * H);
    assert.equal((f.states[0] as unknown[]).length, 2);
    assert.equal(f.read(T0 + 2 * H), 1);
  });
  it("accept an out-of-order time into its own bucket", () => {
    const f = new Feature("count", { window: "1h" });
    f.push({}, T0 + 10 * B).push({}, T0 + 2 * B).push({}, T0 + 10 * B);
    assert.equal(f.read(T0 + 10 * B), 3);
    const idx = (f.states[0] as number[]).filter((_x, i) => i % 2 === 0);
    assert.deepEqual(idx, [...idx].sort((a, b) => a - b));
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
    assert.equal(f.rt.effectiveTime(base + I + 5, undefined), base + I);
  });
  it("end at an explicit window end (LATEST_EVENT_TIME) aligned to the tile", () => {
    const f = new Feature("sum", { field: "amt", window: "1h", interval: "10m" });
    f.push({ amt: 1 }, base + 1).push({ amt: 2 }, base + I + 1).push({ amt: 4 }, base + 2 * I + 1);
    assert.equal(f.read(base + 3 * I), 7);
    assert.equal(f.read(base + 3 * I, base + 2 * I + 1), 3);
    assert.equal(f.rt.effectiveTime(base + 3 * I, base + 2 * I + 1), base + 2 * I);
  });
  it("prune tiles that can no longer be read", () => {
    const f = new Feature("count", { window: "1h", interval: "10m" });
    for (let i = 0; i < 100; i++) f.push({}, base + i * I);
    assert.ok((f.states[0] as unknown[]).length <= 2 * 7);
    assert.equal(f.read(base + 100 * I), 6);
  });
});

describe("lifetime", () => {
  it("is the op state itself", () => {
    const f = new Feature("count").push({}).push({});
    assert.equal(f.states[0], 2);
  });
});
