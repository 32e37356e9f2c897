import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { trendOp, trendResidualOp } from "../../../src/engine/aggregate/ops/trend-ops.ts";
import { assertClose, assertCode, ctx, drive } from "./helpers.ts";
import type { Ev } from "./helpers.ts";

const T0 = 1_700_000_000_000;
const ev = (amount: number | null, now: number): Ev => ({ row: { amount }, now });

/** OLS on (t − t0, y) in two passes: exact enough to judge the streaming fit at epoch-ms scale. */
function ols(points: readonly { t: number; y: number }[]): { slope: number; intercept: number; at(t: number): number } | null {
  if (points.length < 2) return null;
  const t0 = points[0]!.t;
  const n = points.length;
  const mx = points.reduce((a, p) => a + (p.t - t0), 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    sxx += (p.t - t0 - mx) ** 2;
    sxy += (p.t - t0 - mx) * (p.y - my);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  // `at` predicts from the centred form: slope·t at epoch-ms scale would cancel away the residual.
  return { slope, intercept: my - slope * (mx + t0), at: (t: number) => my + slope * (t - t0 - mx) };
}

describe("trend / trend_residual", () => {
  it("need a known numeric field", () => {
    for (const def of [trendOp, trendResidualOp]) {
      assertCode(() => def.parse({}, ctx(), undefined), "aggregation_unknown_field");
      assertCode(() => def.parse({ field: "device" }, ctx(), undefined), "aggregation_unknown_field");
    }
  });

  it("fit a line per ms at epoch-ms timestamps", () => {
    // y = 3 + 0.002·(t − T0): the naive Σx² form loses this completely at x ≈ 1.7e12.
    const evs = [0, 1000, 2500, 4000].map((dt) => ev(3 + 0.002 * dt, T0 + dt));
    assertClose(drive(trendOp, { field: "amount" }).push(...evs).read(), 0.002, 1e-9);
    assertClose(drive(trendResidualOp, { field: "amount" }).push(...evs).read(), 0, 1e-9);
    evs.push(ev(100, T0 + 5000));
    const fit = ols(evs.map((e) => ({ t: e.now, y: e.row.amount as number })))!;
    assertClose(drive(trendResidualOp, { field: "amount" }).push(...evs).read(), 100 - (fit.intercept + fit.slope * (T0 + 5000)), 1e-6);
  });

  it("are null with fewer than two values or no spread in time", () => {
    assert.equal(drive(trendOp, { field: "amount" }).push(ev(1, T0), ev(null, T0 + 5)).read(), null);
    assert.equal(drive(trendOp, { field: "amount" }).push(ev(1, T0), ev(2, T0)).read(), null);
    assert.equal(drive(trendResidualOp, { field: "amount" }).push(ev(1, T0), ev(2, T0)).read(), null);
  });

  it("equal the OLS slope and last residual (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 86_400_000 }), y: fc.double({ min: -1e4, max: 1e4, noNaN: true }) }), { maxLength: 50 }),
        (steps) => {
          let t = T0;
          const pts = steps.map((s) => ({ t: (t += s.gap), y: s.y }));
          const evs = pts.map((p) => ev(p.y, p.t));
          const fit = ols(pts);
          const slope = drive(trendOp, { field: "amount" }).push(...evs).read();
          const resid = drive(trendResidualOp, { field: "amount" }).push(...evs).read();
          if (fit === null) {
            assert.equal(slope, null);
            assert.equal(resid, null);
            return;
          }
          const yScale = Math.max(1, ...pts.map((p) => Math.abs(p.y)));
          const tSpan = Math.max(1, pts.at(-1)!.t - pts[0]!.t);
          assert.ok(Math.abs((slope as number) - fit.slope) <= 1e-9 * (yScale / tSpan) * pts.length, `${slope} vs ${fit.slope}`);
          const last = pts.at(-1)!;
          const expected = last.y - fit.at(last.t);
          assert.ok(Math.abs((resid as number) - expected) <= 1e-6 * yScale, `${resid} vs ${expected}`);
        },
      ),
    );
  });
});
