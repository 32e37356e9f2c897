import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  dowHourHistogramOp,
  eventTypeMixOp,
  histogramOp,
  hourOfDayHistogramOp,
  seasonalDeviationOp,
} from "../../../src/engine/aggregate/ops/histogram-ops.ts";
import type { Value } from "../../../src/engine/types.ts";
import { assertClose, assertCode, ctx, drive, series } from "./helpers.ts";
import type { Ev } from "./helpers.ts";

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** 2024-01-01T00:00Z, a Monday. */
const MONDAY = Date.UTC(2024, 0, 1);

describe("histogram", () => {
  it("validates buckets (invalid_registration) and the field", () => {
    for (const buckets of [undefined, [], [2, 1], [1, 1], [1, "2"], [1, Infinity], "1,2", Array.from({ length: 1025 }, (_, i) => i)]) {
      assertCode(() => histogramOp.parse({ field: "amount", buckets }, ctx(), undefined), "invalid_registration");
    }
    assertCode(() => histogramOp.parse({ buckets: [1] }, ctx(), undefined), "aggregation_unknown_field");
    assertCode(() => histogramOp.parse({ field: "device", buckets: [1] }, ctx(), undefined), "aggregation_unknown_field");
  });

  it("counts [lo, hi) cells with beava's labels", () => {
    const d = drive(histogramOp, { field: "amount", buckets: [10, 20, 50] });
    d.push(...series("amount", [5, 9.99, 10, 15, 19.99, 20, 35, 49.99, 50, 100, null, "7"]));
    assert.deepEqual(d.read(), { "<10": 2, "10-20": 3, "20-50": 3, ">=50": 2 });
    assert.deepEqual(Object.keys(drive(histogramOp, { field: "amount", buckets: [-1.5, 0, 2.25] }).read()!), ["<-1.5", "-1.5-0", "0-2.25", ">=2.25"]);
  });

  it("matches counting each value's cell (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 6 }).map((a) => a.sort((x, y) => x - y)),
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { maxLength: 50 }),
        (edges, xs) => {
          const got = drive(histogramOp, { field: "amount", buckets: edges }).push(...series("amount", xs)).read() as Record<string, number>;
          const counts = Object.values(got);
          assert.equal(counts.reduce((a, b) => a + b, 0), xs.length);
          for (let i = 0; i <= edges.length; i++) {
            const lo = i === 0 ? -Infinity : edges[i - 1]!;
            const hi = i === edges.length ? Infinity : edges[i]!;
            assert.equal(counts[i], xs.filter((x) => x >= lo && x < hi).length);
          }
        },
      ),
    );
  });
});

describe("hour_of_day_histogram / dow_hour_histogram", () => {
  it("bucket by UTC hour and weekday of the processing time", () => {
    const evs: Ev[] = [MONDAY + 3 * HOUR, MONDAY + 3 * HOUR + 59 * 60_000, MONDAY + 6 * DAY + 23 * HOUR, 0].map((now) => ({ row: {}, now }));
    const h = drive(hourOfDayHistogramOp, {}).push(...evs).read() as number[];
    assert.equal(h.length, 24);
    assert.deepEqual([h[3], h[23], h[0]], [2, 1, 1]);
    const w = drive(dowHourHistogramOp, {}).push(...evs).read() as Record<string, number>;
    assert.deepEqual([w["Mon-03"], w["Sun-23"], w["Thu-00"], w["Mon-00"]], [2, 1, 1, 0]);
    assert.equal(Object.keys(w)[0], "Mon-00");
    assert.equal(Object.keys(w).length, 168);
  });

  it("map times before 1970 to a valid hour", () => {
    const h = drive(hourOfDayHistogramOp, {}).push({ row: {}, now: -HOUR }).read() as number[];
    assert.equal(h[23], 1);
  });
});

describe("seasonal_deviation", () => {
  it("is the z-score of the latest value within its UTC hour (beava's example)", () => {
    const at3 = MONDAY + 3 * HOUR;
    const d = drive(seasonalDeviationOp, { field: "amount" });
    d.push(...[100, 100, 100].map((amount, i) => ({ row: { amount }, now: at3 + i })));
    assert.equal(d.read(), null, "zero variance");
    d.push({ row: { amount: 150 }, now: at3 + 10 });
    assertClose(d.read(), 1.5);
    // Another hour's single value: n < 2 there.
    d.push({ row: { amount: 7 }, now: at3 + HOUR });
    assert.equal(d.read(), null);
  });

  it("matches a per-hour two-pass oracle (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ h: fc.integer({ min: 0, max: 3 }), x: fc.integer({ min: -1e6, max: 1e6 }).map((c) => c / 100) }), { minLength: 1, maxLength: 60 }),
        (pts) => {
          const evs = pts.map((p, i) => ({ row: { amount: p.x }, now: MONDAY + p.h * HOUR + i }));
          const last = pts.at(-1)!;
          const same = pts.filter((p) => p.h === last.h).map((p) => p.x);
          const got = drive(seasonalDeviationOp, { field: "amount" }).push(...evs).read();
          if (same.length < 2) return assert.equal(got, null);
          const mean = same.reduce((a, b) => a + b, 0) / same.length;
          const ss = same.reduce((a, b) => a + (b - mean) ** 2, 0);
          if (ss < 1e-6) return; // all equal up to rounding: null or a rounding-sized number
          assertClose(got, (last.x - mean) / Math.sqrt(ss / (same.length - 1)), 1e-6);
        },
      ),
    );
  });
});

describe("event_type_mix", () => {
  it("validates categories and max_categories", () => {
    for (const categories of [[], "a", [1], Array.from({ length: 1025 }, (_, i) => `c${i}`)]) {
      assertCode(() => eventTypeMixOp.parse({ field: "device", categories }, ctx(), undefined), "invalid_registration");
    }
    for (const max_categories of [0, 1025, 2.5, "5"]) {
      assertCode(() => eventTypeMixOp.parse({ field: "device", max_categories }, ctx(), undefined), "invalid_registration");
    }
    assertCode(() => eventTypeMixOp.parse({}, ctx(), undefined), "aggregation_unknown_field");
  });

  it("gives shares whose denominator counts dropped categories", () => {
    const vals: Value[] = ["click", "click", "view", "buy", "buy", null, 7, true];
    const capped = drive(eventTypeMixOp, { field: "x", max_categories: 2 }).push(...series("x", vals)).read();
    assert.deepEqual(capped, { click: 2 / 7, view: 1 / 7 });
    const allow = drive(eventTypeMixOp, { field: "x", categories: ["buy", "7", "true"] }).push(...series("x", vals)).read();
    assert.deepEqual(allow, { buy: 2 / 7, "7": 1 / 7, true: 1 / 7 });
  });

  it("keeps a category named __proto__ as a key", () => {
    const out = drive(eventTypeMixOp, { field: "device" }).push(...series("device", ["__proto__"])).read() as Record<string, Value>;
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.keys(out), ["__proto__"]);
    assert.equal(JSON.stringify(out), '{"__proto__":1}');
  });
});
