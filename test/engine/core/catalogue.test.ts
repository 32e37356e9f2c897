import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isKnownOperator, specKey } from "../../../src/engine/aggregate/catalogue.ts";
import { compile } from "./helpers.ts";

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return "no error";
}

describe("catalogue: op names", () => {
  it("accepts the beava names and the Tecton aliases, not the old names", () => {
    for (const op of ["count", "sum", "mean", "var", "std", "n_unique", "quantile", "var_pop", "std_pop", "var_samp", "stddev_samp", "stddev_pop", "approx_count_distinct", "approx_percentile", "top_k", "entropy", "ratio", "min", "max"]) {
      assert.ok(isKnownOperator(op), op);
    }
    for (const op of ["avg", "variance", "stddev", "count_distinct", "percentile", ""]) assert.ok(!isKnownOperator(op), op);
    assert.equal(compile("var_samp", { field: "amt" }).op, "var");
    assert.equal(compile("stddev_pop", { field: "amt" }).op, "std_pop");
  });
  it("rejects an unknown op with aggregation_unknown_op", () => {
    assert.equal(code(() => compile("avg", { field: "amt" })), "aggregation_unknown_op");
  });
  it("rejects unknown params with invalid_registration naming the param", () => {
    assert.throws(() => compile("sum", { field: "amt", feild: "x" }), (e: Error & { code: string }) => e.code === "invalid_registration" && e.message.includes('"feild"'));
    assert.equal(code(() => compile("count", { field: "amt" })), "invalid_registration");
  });
});

describe("catalogue: per-op checks", () => {
  it("field: required, must exist, numeric ops need a number", () => {
    assert.equal(code(() => compile("sum")), "aggregation_unknown_field");
    assert.equal(code(() => compile("sum", { field: "nope" })), "aggregation_unknown_field");
    assert.equal(code(() => compile("sum", { field: "s" })), "aggregation_unknown_field");
    assert.equal(code(() => compile("max", { field: "s" })), "no error");
  });
  it("q strictly in (0,1); percentile in [0,1]; k in [1,1024]", () => {
    for (const q of [0, 1, -0.1, "0.5"]) assert.equal(code(() => compile("quantile", { field: "amt", q })), "invalid_percentile_q");
    assert.equal(compile("quantile", { field: "amt" }).params && (compile("quantile", { field: "amt" }).params as { q: number }).q, 0.5);
    assert.equal(code(() => compile("approx_percentile", { field: "amt" })), "invalid_percentile_q");
    assert.equal(code(() => compile("approx_percentile", { field: "amt", percentile: 0 })), "no error");
    assert.equal(code(() => compile("approx_percentile", { field: "amt", percentile: 1.5 })), "invalid_percentile_q");
    for (const k of [0, 1025, 2.5]) assert.equal(code(() => compile("top_k", { field: "s", k })), "invalid_top_k_k");
    assert.equal(code(() => compile("approx_count_distinct", { field: "s", precision: 17 })), "invalid_registration");
  });
});

describe("catalogue: windows", () => {
  it("parses continuous, tiled and lifetime windows", () => {
    assert.deepEqual(compile("count", { window: "1h" }).window, { kind: "continuous", windowMs: 3_600_000, bucketMs: 56_250 });
    assert.deepEqual(compile("count", { window: "100ms" }).window, { kind: "continuous", windowMs: 100, bucketMs: 2 });
    assert.deepEqual(compile("count", { window: "1d", interval: "10m" }).window, { kind: "tiled", windowMs: 86_400_000, intervalMs: 600_000 });
    assert.deepEqual(compile("count", { window: "forever" }).window, { kind: "lifetime" });
    assert.deepEqual(compile("count").window, { kind: "lifetime" });
  });
  it("rejects bad windows and intervals with aggregation_invalid_window", () => {
    for (const params of [{ window: "1H" }, { window: "0s" }, { window: 60 }, { window: "1h", interval: "7m" }, { interval: "1m" }, { window: "forever", interval: "1h" }, { window: "1h", interval: "2h" }, { window: "365d", interval: "1s" }]) {
      assert.equal(code(() => compile("count", params)), "aggregation_invalid_window", JSON.stringify(params));
    }
  });
});

describe("catalogue: where", () => {
  it("compiles where, and reports errors as aggregation_invalid_where", () => {
    const s = compile("count", { where: "(amt > 10)" });
    assert.equal(s.where?.({ amt: 11 }), true);
    assert.deepEqual(s.fields, ["amt"]);
    assert.equal(code(() => compile("count", { where: "(nope > 1)" })), "aggregation_invalid_where");
    assert.equal(code(() => compile("count", { where: "(amt > " })), "aggregation_invalid_where");
    assert.equal(code(() => compile("count", { where: 5 })), "aggregation_invalid_where");
  });
});

describe("catalogue: specKey", () => {
  it("is canonical: aliases, defaults and param order do not matter; window and where do", () => {
    assert.equal(compile("var_samp", { field: "amt" }).key, compile("var", { field: "amt" }).key);
    assert.equal(compile("quantile", { field: "amt" }).key, compile("quantile", { q: 0.5, field: "amt" }).key);
    assert.notEqual(compile("count", { window: "1h" }).key, compile("count", { window: "2h" }).key);
    assert.notEqual(compile("count").key, compile("count", { where: "(amt > 1)" }).key);
    assert.equal(specKey(compile("count")), compile("count").key);
  });
});
