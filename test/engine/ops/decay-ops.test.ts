import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  decayedCountOp,
  decayedSumOp,
  ewmaOp,
  ewvarOp,
  ewZscoreOp,
  twaOp,
} from "../../../src/engine/aggregate/ops/decay-ops.ts";
import { assertClose, assertCode, ctx, drive } from "./helpers.ts";
import type { AnyDef, Ev } from "./helpers.ts";

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const ev = (amount: unknown, now: number, matched = true): Ev => ({ row: { amount: amount as number }, now, matched });

/** Events with non-decreasing times: (gap ms, value) pairs from a start time. */
const streamArb = fc.array(
  fc.record({ gap: fc.integer({ min: 0, max: 3 * HOUR }), x: fc.double({ min: -1000, max: 1000, noNaN: true }) }),
  { maxLength: 40 },
);

function toEvents(steps: readonly { gap: number; x: number }[]): Ev[] {
  let t = T0;
  return steps.map((s) => ev(s.x, (t += s.gap)));
}

describe("decay ops: params", () => {
  const halfLifeOps: AnyDef[] = [ewmaOp, ewvarOp, ewZscoreOp, decayedSumOp];
  it("need a positive finite half_life (invalid_registration), checked before the field", () => {
    for (const def of [...halfLifeOps, decayedCountOp]) {
      for (const half_life of [undefined, "forever", "0s", "1.5h", "", 0, -5, Infinity, "10"]) {
        assertCode(() => def.parse({ field: "amount", half_life }, ctx(), undefined), "invalid_registration");
      }
      assert.equal(def.parse({ field: "amount", half_life: "1h" }, ctx(), undefined).halfLifeMs, HOUR);
      assert.equal(def.parse({ field: "amount", half_life: 1500 }, ctx(), undefined).halfLifeMs, 1500);
    }
    assertCode(() => ewmaOp.parse({ field: "nope" }, ctx(), undefined), "invalid_registration");
  });

  it("need a known numeric field", () => {
    for (const def of [...halfLifeOps, twaOp]) {
      assertCode(() => def.parse({ half_life: "1h" }, ctx(), undefined), "aggregation_unknown_field");
      assertCode(() => def.parse({ field: "nope", half_life: "1h" }, ctx(), undefined), "aggregation_unknown_field");
      assertCode(() => def.parse({ field: "device", half_life: "1h" }, ctx(), undefined), "aggregation_unknown_field");
    }
  });

  it("ema is an alias of ewma", () => {
    assert.deepEqual(ewmaOp.aliases, ["ema"]);
  });
});

describe("ewma / ewvar / ew_zscore", () => {
  it("ewma: the first value seeds it; after one half-life the new value weighs 1/2", () => {
    const d = drive(ewmaOp, { field: "amount", half_life: "1s" }).push(ev(0, T0));
    assert.equal(d.read(), 0);
    d.push(ev(100, T0 + 1000));
    assertClose(d.read(), 50);
    d.push(ev(0, T0 + 1000));
    assertClose(d.read(), 25, 1e-12, "dt = 0 averages");
  });

  it("skip null, missing, non-numeric values and unmatched events", () => {
    const d = drive(ewmaOp, { field: "amount", half_life: "1s" }).push(ev(10, T0), ev(null, T0 + 1), ev("7", T0 + 2), { row: {}, now: T0 + 3 }, ev(1e6, T0 + 4, false));
    assert.equal(d.read(), 10);
  });

  it("ewvar is 0 after one value and tracks a step; ew_zscore is null at zero variance", () => {
    const v = drive(ewvarOp, { field: "amount", half_life: "500ms" });
    const z = drive(ewZscoreOp, { field: "amount", half_life: "500ms" });
    for (let i = 0; i < 5; i++) {
      v.push(ev(1, T0 + i * 100));
      z.push(ev(1, T0 + i * 100));
    }
    assert.equal(v.read(), 0);
    assert.equal(z.read(), null);
    v.push(ev(100, T0 + 600));
    z.push(ev(100, T0 + 600));
    assert.ok((v.read() as number) > 100);
    assert.ok((z.read() as number) > 0);
  });

  it("ewvar / ew_zscore match the recurrence, and their mean is ewma (property)", () => {
    fc.assert(
      fc.property(streamArb, (steps) => {
        const evs = toEvents(steps);
        const hl = 1800_000;
        let mean = 0;
        let m2 = 0;
        let tLast = 0;
        evs.forEach((e, i) => {
          const x = e.row.amount as number;
          if (i === 0) {
            mean = x;
            tLast = e.now;
            return;
          }
          const dt = e.now - tLast;
          const a = dt > 0 ? 1 - Math.pow(2, -dt / hl) : 0.5;
          const d = x - mean;
          const next = mean + a * d;
          m2 = (1 - a) * m2 + a * d * (x - next);
          mean = next;
          if (dt > 0) tLast = e.now;
        });
        const params = { field: "amount", half_life: hl };
        if (evs.length === 0) return;
        assertClose(drive(ewmaOp, params).push(...evs).read(), mean, 1e-9);
        assertClose(drive(ewvarOp, params).push(...evs).read(), Math.max(0, m2), 1e-9);
        const last = evs.at(-1)!.row.amount as number;
        const z = drive(ewZscoreOp, params).push(...evs).read();
        if (m2 <= 0) assert.equal(z, null);
        else assertClose(z, (last - mean) / Math.sqrt(m2), 1e-6);
      }),
    );
  });
});

describe("decayed_sum / decayed_count", () => {
  it("decay to read time", () => {
    const d = drive(decayedSumOp, { field: "amount", half_life: "1h" }).push(ev(100, T0));
    assertClose(d.read(T0), 100);
    assertClose(d.read(T0 + HOUR), 50);
    assertClose(d.read(T0 + 2 * HOUR), 25);
    d.push(ev(50, T0 + HOUR));
    assertClose(d.read(T0 + HOUR), 100);
    assertClose(d.read(T0 + 3 * HOUR), 25);
    // The read must not have moved the state.
    assertClose(d.read(T0 + HOUR), 100);
  });

  it("decayed_count counts matched events", () => {
    const d = drive(decayedCountOp, { half_life: "1s" }).push({ row: {}, now: T0 }, { row: {}, now: T0 + 1000 }, { row: {}, now: T0 + 1000, matched: false });
    assertClose(d.read(T0 + 1000), 1.5);
    assertClose(d.read(T0 + 2000), 0.75);
  });

  it("equal Σ x·2^(−(now−t)/half_life) over all values, for any read time (property)", () => {
    fc.assert(
      fc.property(streamArb, fc.integer({ min: 0, max: 10 * HOUR }), fc.integer({ min: 1, max: 5 * HOUR }), (steps, later, hl) => {
        const evs = toEvents(steps);
        if (evs.length === 0) return;
        const now = evs.at(-1)!.now + later;
        const sum = evs.reduce((acc, e) => acc + (e.row.amount as number) * Math.pow(2, -(now - e.now) / hl), 0);
        const count = evs.reduce((acc, e) => acc + Math.pow(2, -(now - e.now) / hl), 0);
        const scale = evs.reduce((acc, e) => acc + Math.abs(e.row.amount as number), 0);
        const got = drive(decayedSumOp, { field: "amount", half_life: hl }).push(...evs).read(now) as number;
        assert.ok(Math.abs(got - sum) <= 1e-9 * Math.max(1, scale), `${got} vs ${sum}`);
        assertClose(drive(decayedCountOp, { half_life: hl }).push(...evs).read(now), count, 1e-9);
      }),
    );
  });

  it("stay exact when the clock steps back", () => {
    const d = drive(decayedSumOp, { field: "amount", half_life: "1h" }).push(ev(8, T0 + HOUR), ev(8, T0));
    assertClose(d.read(T0 + 2 * HOUR), 4 + 2);
  });
});

describe("twa", () => {
  it("weights each value by the time until the next one", () => {
    const d = drive(twaOp, { field: "amount" }).push(ev(10, T0));
    assert.equal(d.read(), 10);
    d.push(ev(20, T0 + 100), ev(0, T0 + 300));
    assertClose(d.read(), (10 * 100 + 20 * 200) / 300);
  });

  it("matches Σ v_i·(t_{i+1} − t_i) / Σ(t_{i+1} − t_i) (property)", () => {
    fc.assert(
      fc.property(streamArb, (steps) => {
        const evs = toEvents(steps);
        if (evs.length === 0) return;
        let area = 0;
        let span = 0;
        for (let i = 1; i < evs.length; i++) {
          const dt = evs[i]!.now - evs[i - 1]!.now;
          area += (evs[i - 1]!.row.amount as number) * dt;
          span += dt;
        }
        const expected = span === 0 ? (evs.at(-1)!.row.amount as number) : area / span;
        assertClose(drive(twaOp, { field: "amount" }).push(...evs).read(), expected, 1e-9);
      }),
    );
  });
});
