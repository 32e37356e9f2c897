import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  burstCountOp,
  deltaFromPrevOp,
  interArrivalStatsOp,
  outlierCountOp,
  rateOfChangeOp,
  valueChangeCountOp,
  zScoreOp,
} from "../../../src/engine/aggregate/ops/velocity-ops.ts";
import type { Value } from "../../../src/engine/types.ts";
import { assertClose, assertCode, ctx, drive, series } from "./helpers.ts";
import type { Ev } from "./helpers.ts";

const T0 = 1_700_000_000_000;
const ev = (amount: Value | undefined, now: number, matched = true): Ev => ({ row: amount === undefined ? {} : { amount }, now, matched });

const stepsArb = fc.array(
  fc.record({
    gap: fc.integer({ min: 0, max: 5000 }),
    // Cents rather than arbitrary doubles: subnormal values would underflow the oracles' squares.
    x: fc.oneof(fc.integer({ min: -1e8, max: 1e8 }).map((c) => c / 100), fc.constant(null), fc.constant("s")),
  }),
  { maxLength: 60 },
);

function toEvents(steps: readonly { gap: number; x: Value }[]): Ev[] {
  let t = T0;
  return steps.map((s) => ev(s.x, (t += s.gap)));
}

const numbersOf = (evs: readonly Ev[]) => evs.filter((e) => typeof e.row.amount === "number");

describe("velocity ops: params", () => {
  it("numeric ops need a known numeric field", () => {
    for (const def of [rateOfChangeOp, deltaFromPrevOp, outlierCountOp, zScoreOp]) {
      assertCode(() => def.parse({}, ctx(), undefined), "aggregation_unknown_field");
      assertCode(() => def.parse({ field: "device" }, ctx(), undefined), "aggregation_unknown_field");
    }
    // value_change_count keeps values of any type.
    assert.equal(valueChangeCountOp.parse({ field: "device" }, ctx(), undefined).field, "device");
  });

  it("burst_count needs a sub_window (invalid_registration)", () => {
    for (const sub_window of [undefined, "forever", "0s", "1 m", -1]) {
      assertCode(() => burstCountOp.parse({ sub_window }, ctx(), undefined), "invalid_registration");
    }
    assert.equal(burstCountOp.parse({ sub_window: "1m" }, ctx(), undefined).subWindowMs, 60_000);
  });

  it("outlier_count: sigma (alias threshold) must be positive, default 3", () => {
    assert.equal(outlierCountOp.parse({ field: "amount" }, ctx(), undefined).sigma, 3);
    assert.equal(outlierCountOp.parse({ field: "amount", threshold: 2 }, ctx(), undefined).sigma, 2);
    for (const sigma of [0, -1, "3", Infinity]) {
      assertCode(() => outlierCountOp.parse({ field: "amount", sigma }, ctx(), undefined), "invalid_registration");
    }
    assertCode(() => outlierCountOp.parse({ field: "amount", sigma: 2, threshold: 3 }, ctx(), undefined), "invalid_registration");
  });

  it("z_score does not take beava's ignored baseline_window", () => {
    assert.ok(!zScoreOp.params.includes("baseline_window"));
  });
});

describe("rate_of_change / delta_from_prev / inter_arrival_stats", () => {
  it("rate is per ms over the last two values with time advancing", () => {
    const d = drive(rateOfChangeOp, { field: "amount" }).push(ev(10, T0));
    assert.equal(d.read(), null);
    d.push(ev(20, T0 + 1000));
    assertClose(d.read(), 0.01);
    d.push(ev(50, T0 + 1000));
    assertClose(d.read(), 0.01, 1e-12, "dt = 0 keeps the previous rate");
    d.push(ev(40, T0 + 2000));
    assertClose(d.read(), -0.01);
  });

  it("delta_from_prev is f64, null until two values", () => {
    const d = drive(deltaFromPrevOp, { field: "qty" });
    assert.deepEqual(deltaFromPrevOp.outputType(d.p), { kind: "f64" });
    d.push(...series("qty", [5, null, 8]));
    assert.equal(d.read(), 3);
  });

  it("inter_arrival_stats is the mean gap between matched events", () => {
    const d = drive(interArrivalStatsOp, {}).push(ev(undefined, T0), ev(undefined, T0 + 50, false));
    assert.equal(d.read(), null);
    d.push(ev(undefined, T0 + 100), ev(undefined, T0 + 400));
    assert.equal(d.read(), 200);
  });

  it("match oracles over the numeric values (property)", () => {
    fc.assert(
      fc.property(stepsArb, (steps) => {
        const evs = toEvents(steps);
        const nums = numbersOf(evs);
        // rate: the last consecutive pair with dt > 0
        let rate: number | null = null;
        for (let i = 1; i < nums.length; i++) {
          const dt = nums[i]!.now - nums[i - 1]!.now;
          if (dt > 0) rate = ((nums[i]!.row.amount as number) - (nums[i - 1]!.row.amount as number)) / dt;
        }
        const gotRate = drive(rateOfChangeOp, { field: "amount" }).push(...evs).read();
        if (rate === null) assert.equal(gotRate, null);
        else assertClose(gotRate, rate, 1e-9);
        const delta = nums.length < 2 ? null : (nums.at(-1)!.row.amount as number) - (nums.at(-2)!.row.amount as number);
        assert.equal(drive(deltaFromPrevOp, { field: "amount" }).push(...evs).read(), delta);
        const gaps = evs.length < 2 ? null : (evs.at(-1)!.now - evs[0]!.now) / (evs.length - 1);
        const gotGaps = drive(interArrivalStatsOp, {}).push(...evs).read();
        if (gaps === null) assert.equal(gotGaps, null);
        else assertClose(gotGaps, gaps, 1e-9);
      }),
    );
  });
});

describe("burst_count", () => {
  it("is the most matched events in one aligned sub-window", () => {
    const d = drive(burstCountOp, { sub_window: "1m" });
    assert.equal(d.read(), 0);
    const base = Math.floor(T0 / 60_000) * 60_000;
    d.push(ev(undefined, base), ev(undefined, base + 59_999), ev(undefined, base + 60_000), ev(undefined, base + 61_000, false));
    assert.equal(d.read(), 2);
  });

  it("matches counting events per floor(t / sub_window) (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30_000 }), { maxLength: 80 }), fc.integer({ min: 1, max: 60_000 }), (gaps, sub) => {
        let t = T0;
        const times = gaps.map((g) => (t += g));
        const per = new Map<number, number>();
        for (const x of times) per.set(Math.floor(x / sub), (per.get(Math.floor(x / sub)) ?? 0) + 1);
        const expected = Math.max(0, ...per.values());
        assert.equal(drive(burstCountOp, { sub_window: sub }).push(...times.map((x) => ev(undefined, x))).read(), expected);
      }),
    );
  });
});

describe("outlier_count / z_score", () => {
  it("count outliers only after 5 baseline values, excluding the tested value", () => {
    const d = drive(outlierCountOp, { field: "amount" }).push(...series("amount", [10, 11, 9, 10]));
    d.push(...series("amount", [1000], T0 + 10_000));
    assert.equal(d.read(), 0, "4 baseline values are not enough");
    const e = drive(outlierCountOp, { field: "amount" }).push(...series("amount", [10, 11, 9, 10, 10, 1000, 10.5]));
    assert.equal(e.read(), 1);
  });

  it("z_score uses the sample std with the last value included; null for n < 2 or zero variance", () => {
    assert.equal(drive(zScoreOp, { field: "amount" }).push(...series("amount", [5])).read(), null);
    assert.equal(drive(zScoreOp, { field: "amount" }).push(...series("amount", [5, 5, 5])).read(), null);
    // values 2,4,4,4,5,5,7,9: mean 5, sample var 32/7
    assertClose(drive(zScoreOp, { field: "amount" }).push(...series("amount", [2, 4, 4, 4, 5, 5, 7, 9])).read(), 4 / Math.sqrt(32 / 7));
  });

  it("match a two-pass oracle (property)", () => {
    fc.assert(
      fc.property(stepsArb, fc.double({ min: 0.5, max: 4, noNaN: true }), (steps, sigma) => {
        const xs = numbersOf(toEvents(steps)).map((e) => e.row.amount as number);
        const stats = (v: readonly number[]) => {
          const mean = v.reduce((a, b) => a + b, 0) / v.length;
          const ss = v.reduce((a, b) => a + (b - mean) ** 2, 0);
          return { mean, sd: Math.sqrt(ss / (v.length - 1)), ss };
        };
        let outliers = 0;
        for (let i = 5; i < xs.length; i++) {
          const { mean, sd } = stats(xs.slice(0, i));
          // Skip values within rounding of the threshold: the streaming and two-pass moments differ in the last bits.
          const margin = Math.abs(Math.abs(xs[i]! - mean) - sigma * sd);
          if (margin < 1e-6 * (Math.abs(mean) + sd + 1)) return;
          if (sd > 0 && Math.abs(xs[i]! - mean) > sigma * sd) outliers++;
        }
        assert.equal(drive(outlierCountOp, { field: "amount", sigma }).push(...toEvents(steps)).read(), outliers);
        const z = drive(zScoreOp, { field: "amount" }).push(...toEvents(steps)).read();
        if (xs.length < 2) return assert.equal(z, null);
        const { mean, sd, ss } = stats(xs);
        const scale = xs.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
        if (ss <= 1e-9 * scale * scale * xs.length) return; // degenerate spread: rounding decides null vs a number
        assertClose(z, (xs.at(-1)! - mean) / sd, 1e-6);
      }),
    );
  });
});

describe("value_change_count", () => {
  it("counts changes with exact typed equality", () => {
    const d = drive(valueChangeCountOp, { field: "x" }).push(...series("x", [1, 1, "1", null, "1", 2, 2, true, { a: 1 }, { a: 1 }]));
    assert.equal(d.read(), 4);
  });

  it("matches an oracle over the non-null values (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constantFrom("0", "a"), fc.constant(null)), { maxLength: 60 }), (vals) => {
        const kept = vals.filter((v) => v !== null);
        let changes = 0;
        for (let i = 1; i < kept.length; i++) if (kept[i] !== kept[i - 1]) changes++;
        assert.equal(drive(valueChangeCountOp, { field: "x" }).push(...series("x", vals)).read(), changes);
      }),
    );
  });
});
