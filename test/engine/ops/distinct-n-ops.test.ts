import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { firstDistinctNOp, lastDistinctNOp } from "../../../src/engine/aggregate/ops/distinct-n-ops.ts";
import type { Value } from "../../../src/engine/types.ts";
import { assertCode, ctx, drive, series, xRows as rowsOf } from "./helpers.ts";
import type { AnyDef } from "./helpers.ts";

const T0 = 1_700_000_000_000;
const DEFS: AnyDef[] = [firstDistinctNOp, lastDistinctNOp];

/** Few distinct values so repeats are common; 1 and "1" must stay distinct. */
const valueArb: fc.Arbitrary<Value | undefined> = fc.oneof(
  fc.integer({ min: 0, max: 4 }),
  fc.constantFrom("0", "1", "a", "b"),
  fc.boolean(),
  fc.constantFrom<Value>([1], { k: 1 }),
  fc.constant(null),
  fc.constant(undefined),
);

const key = (v: Value): string => `${typeof v}:${JSON.stringify(v)}`;

function oracleFirst(vals: readonly (Value | undefined)[], n: number): Value[] {
  const out: Value[] = [];
  for (const v of vals) if (v !== undefined && v !== null && !out.some((o) => key(o) === key(v))) out.push(v);
  return out.slice(0, n);
}

function oracleLast(vals: readonly (Value | undefined)[], n: number): Value[] {
  let out: Value[] = [];
  for (const v of vals) {
    if (v === undefined || v === null) continue;
    out = out.filter((o) => key(o) !== key(v));
    out.push(v);
  }
  return out.slice(-n);
}

describe("first_distinct_n / last_distinct_n", () => {
  it("validate field and n", () => {
    for (const def of DEFS) {
      assertCode(() => def.parse({ n: 2 }, ctx(), undefined), "aggregation_unknown_field");
      assertCode(() => def.parse({ field: "device" }, ctx(), undefined), "aggregation_unknown_field");
      assertCode(() => def.parse({ field: "device", n: 1025 }, ctx(), undefined), "aggregation_unknown_field");
    }
  });

  it("keep first / latest appearances in time order", () => {
    const evs = series("device", ["a", "b", "a", "c", null, "b", "d"]);
    assert.deepEqual(drive(firstDistinctNOp, { field: "device", n: 3 }).push(...evs).read(), ["a", "b", "c"]);
    assert.deepEqual(drive(lastDistinctNOp, { field: "device", n: 3 }).push(...evs).read(), ["c", "b", "d"]);
    assert.deepEqual(drive(lastDistinctNOp, { field: "device", n: 9 }).push(...evs).read(), ["a", "c", "b", "d"]);
  });

  it("treat 1 and \"1\" as different values", () => {
    const evs = rowsOf([1, "1", 1]);
    assert.deepEqual(drive(firstDistinctNOp, { field: "x", n: 5 }).push(...evs).read(), [1, "1"]);
    assert.deepEqual(drive(lastDistinctNOp, { field: "x", n: 5 }).push(...evs).read(), ["1", 1]);
  });

  it("match a naive oracle (property)", () => {
    fc.assert(
      fc.property(fc.array(valueArb, { maxLength: 60 }), fc.integer({ min: 1, max: 6 }), (vals, n) => {
        assert.deepEqual(drive(firstDistinctNOp, { field: "x", n }).push(...rowsOf(vals)).read(), oracleFirst(vals, n));
        assert.deepEqual(drive(lastDistinctNOp, { field: "x", n }).push(...rowsOf(vals)).read(), oracleLast(vals, n));
      }),
    );
  });

  it("merge of a split stream (oldest → newest) equals one stream (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(valueArb, { maxLength: 15 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 5 }),
        (buckets, n) => {
          for (const def of DEFS) {
            const p = def.parse({ field: "x", n }, ctx(), undefined);
            const states = buckets.map((b) => drive(def, { field: "x", n }).push(...rowsOf(b)).s);
            const merged = states.reduce((acc, s) => def.merge!(acc, s, p), def.create(p));
            assert.deepEqual(def.read(merged, p, T0), drive(def, { field: "x", n }).push(...rowsOf(buckets.flat())).read());
          }
        },
      ),
    );
  });
});
