import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Feature, T0 } from "./helpers.ts";

const amts = (...xs: (number | null)[]) => xs.map((amt) => (amt === null ? { amt: null } : { amt }));

describe("count", () => {
  it("is 0 when empty and counts matched events", () => {
    assert.equal(new Feature("count").read(), 0);
    assert.equal(new Feature("count").pushAll([{}, {}, { amt: null }]).read(), 3);
    assert.equal(new Feature("count", { where: "amt > 1" }).pushAll(amts(1, 2, 3, null)).read(), 2);
  });
});

describe("sum", () => {
  it("is null when empty (not 0) and skips nulls and non-numbers", () => {
    assert.equal(new Feature("sum", { field: "amt" }).read(), null);
    assert.equal(new Feature("sum", { field: "amt" }).pushAll(amts(null)).read(), null);
    assert.equal(new Feature("sum", { field: "amt" }).pushAll([...amts(1.5, null, 2), { amt: "x" as never }]).read(), 3.5);
  });
  it("over an i64 field is i64 (values truncated)", () => {
    const f = new Feature("sum", { field: "n" });
    assert.equal(f.info.outputType.kind, "i64");
    assert.equal(f.pushAll([{ n: 2 }, { n: 3 }, { n: 1.5 }]).read(), 6);
    assert.equal(new Feature("sum", { field: "amt" }).info.outputType.kind, "f64");
  });
  it("honours where", () => {
    assert.equal(new Feature("sum", { field: "amt", where: "amt > 1" }).pushAll(amts(1, 2, 3)).read(), 5);
  });
});

describe("mean", () => {
  it("is sum/n, null when empty", () => {
    assert.equal(new Feature("mean", { field: "amt" }).read(), null);
    assert.equal(new Feature("mean", { field: "n" }).pushAll([{ n: 1 }, { n: 2 }, { n: null }]).read(), 1.5);
  });
});

describe("min / max", () => {
  it("compare numbers numerically across i64 and f64 (5 then 3.5 gives 3.5)", () => {
    assert.equal(new Feature("min", { field: "j" }).pushAll([{ j: 5 }, { j: 3.5 }]).read(), 3.5);
    assert.equal(new Feature("max", { field: "amt" }).pushAll(amts(5, 7.25, null, -1)).read(), 7.25);
  });
  it("compare strings lexicographically and keep the field type", () => {
    const f = new Feature("max", { field: "s" }).pushAll([{ s: "b" }, { s: "ab" }, { s: "c" }]);
    assert.equal(f.read(), "c");
    assert.equal(f.info.outputType.kind, "str");
    assert.equal(new Feature("min", { field: "s" }).pushAll([{ s: "b" }, { s: "ab" }]).read(), "ab");
  });
  it("are null when empty and ignore values of another kind", () => {
    assert.equal(new Feature("min", { field: "amt" }).read(), null);
    assert.equal(new Feature("min", { field: "j" }).pushAll([{ j: 3 }, { j: "1" }, { j: [0] }]).read(), 3);
  });
  it("over a numeric field keep only numbers (an optional field is not type-checked on push)", () => {
    for (const window of [undefined, "1h"]) {
      const params = window === undefined ? { field: "n" } : { field: "n", window };
      assert.equal(new Feature("min", params).pushAll([{ n: "x" as never }, { n: 3 }, { n: 2 }], T0).read(T0), 2);
      assert.equal(new Feature("max", params).pushAll([{ n: true as never }], T0).read(T0), null);
    }
  });
});

describe("var / std (sample) and var_pop / std_pop", () => {
  const xs = amts(2, 4, 4, 4, 5, 5, 7, 9);
  it("sample statistics need n >= 2", () => {
    assert.equal(new Feature("var", { field: "amt" }).pushAll(amts(1)).read(), null);
    assert.equal(new Feature("std", { field: "amt" }).read(), null);
    assert.ok(Math.abs((new Feature("var", { field: "amt" }).pushAll(xs).read() as number) - 32 / 7) < 1e-12);
    assert.ok(Math.abs((new Feature("stddev_samp", { field: "amt" }).pushAll(xs).read() as number) - Math.sqrt(32 / 7)) < 1e-12);
  });
  it("population statistics need n >= 1", () => {
    assert.equal(new Feature("var_pop", { field: "amt" }).read(), null);
    assert.equal(new Feature("var_pop", { field: "amt" }).pushAll(amts(3)).read(), 0);
    assert.ok(Math.abs((new Feature("std_pop", { field: "amt" }).pushAll(xs).read() as number) - 2) < 1e-12);
  });
  it("merge buckets exactly (windowed)", () => {
    const f = new Feature("var", { field: "amt", window: "1h" });
    xs.forEach((r, i) => f.push(r, T0 + i * 60_000));
    assert.ok(Math.abs((f.read(T0 + 8 * 60_000) as number) - 32 / 7) < 1e-9);
  });
});

describe("ratio", () => {
  it("is matched/total, 1.0 without where, null when empty", () => {
    assert.equal(new Feature("ratio").read(), null);
    assert.equal(new Feature("ratio").pushAll([{}, {}]).read(), 1);
    assert.equal(new Feature("ratio", { where: "amt > 2" }).pushAll(amts(1, 2, 3, 4)).read(), 0.5);
    assert.equal(new Feature("ratio", { where: "amt > 2" }).pushAll(amts(null)).read(), 0);
  });
});

describe("n_unique / approx_count_distinct", () => {
  it("counts distinct typed values exactly (1 and \"1\" differ), 0 when empty", () => {
    assert.equal(new Feature("n_unique", { field: "j" }).read(), 0);
    assert.equal(new Feature("n_unique", { field: "j" }).pushAll([{ j: 1 }, { j: "1" }, { j: 1 }, { j: null }, { j: true }]).read(), 3);
  });
  it("goes approximate beyond 1024 values within HLL error", () => {
    const f = new Feature("n_unique", { field: "n" });
    for (let i = 0; i < 20_000; i++) f.push({ n: i });
    const v = f.read() as number;
    assert.ok(Math.abs(v - 20_000) / 20_000 < 0.05, String(v));
  });
  it("approx_count_distinct takes precision 4..16", () => {
    const f = new Feature("approx_count_distinct", { field: "n", precision: 12 });
    for (let i = 0; i < 5000; i++) f.push({ n: i % 3000 });
    assert.ok(Math.abs((f.read() as number) - 3000) / 3000 < 0.06);
    assert.equal(new Feature("approx_count_distinct", { field: "n" }).pushAll([{ n: 1 }, { n: 2 }]).read(), 2);
  });
});

describe("quantile / approx_percentile", () => {
  it("interpolates linearly in exact mode, null when empty", () => {
    assert.equal(new Feature("quantile", { field: "amt" }).read(), null);
    assert.equal(new Feature("quantile", { field: "amt" }).pushAll(amts(1, 2, 3, 4)).read(), 2.5);
    assert.equal(new Feature("quantile", { field: "amt", q: 0.25 }).pushAll(amts(4, 3, 2, 1, null)).read(), 1.75);
    assert.equal(new Feature("approx_percentile", { field: "amt", percentile: 1 }).pushAll(amts(4, 9, 1)).read(), 9);
  });
  it("stays within 1% relative error beyond 256 values", () => {
    const f = new Feature("quantile", { field: "amt", q: 0.9 });
    for (let i = 1; i <= 10_000; i++) f.push({ amt: i });
    const v = f.read() as number;
    assert.ok(Math.abs(v - 9000.1) / 9000.1 <= 0.01, String(v));
  });
});

describe("top_k", () => {
  it("returns [{value,count}] by count desc then value asc, at most k, [] when empty", () => {
    assert.deepEqual(new Feature("top_k", { field: "s" }).read(), []);
    const f = new Feature("top_k", { field: "s", k: 2 }).pushAll(["b", "a", "c", "c", "b", null].map((s) => ({ s })));
    assert.deepEqual(f.read(), [
      { value: "b", count: 2 },
      { value: "c", count: 2 },
    ]);
    assert.equal(f.info.outputType.kind, "array");
  });
});

describe("entropy", () => {
  it("is the Shannon entropy in bits, 0 when empty or single-valued", () => {
    assert.equal(new Feature("entropy", { field: "s" }).read(), 0);
    assert.equal(new Feature("entropy", { field: "s" }).pushAll([{ s: "a" }, { s: "a" }]).read(), 0);
    assert.equal(new Feature("entropy", { field: "s" }).pushAll(["a", "b", "c", "d"].map((s) => ({ s }))).read(), 2);
  });
  it("stringifies values (1 and \"1\" are one category)", () => {
    assert.equal(new Feature("entropy", { field: "j" }).pushAll([{ j: 1 }, { j: "1" }]).read(), 0);
  });
});
