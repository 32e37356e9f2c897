import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ACC_COUNT, ACC_MAX, ACC_MIN, ACC_MOMENTS, ACC_RATIO, ACC_SUM } from "../../../src/engine/state/accumulators.ts";
import { LAST_SEEN, LIFETIME_BASE } from "../../../src/engine/state/layout.ts";
import type { GroupLayout } from "../../../src/engine/state/layout.ts";
import { compileGroupUpdate, compileHotPath } from "../../../src/engine/state/hot-path.ts";
import { TableRuntime } from "../../../src/engine/state/table-runtime.ts";
import { compile, T0 } from "./helpers.ts";

/**
 * The reference the generated code is held to: one event applied to group g's accumulators in the
 * row at a[r..] by walking the layout's accumulator arrays (the interpreter the engine ran before the
 * updates were compiled). `xs` holds the event's inputs (NaN = absent), `ms` its `where` outcomes.
 */
function updateAccs(a: number[], r: number, g: GroupLayout, xs: Float64Array, ms: Uint8Array): void {
  const kinds = g.accKind;
  const offs = g.accOffset;
  const ins = g.accInput;
  const whs = g.accWhere;
  for (let i = 0; i < kinds.length; i++) {
    const o = r + offs[i]!;
    const w = whs[i]!;
    const kind = kinds[i]!;
    if (kind === ACC_RATIO) {
      a[o + 1]! += 1;
      if (w < 0 || ms[w] === 1) a[o]! += 1;
      continue;
    }
    if (w >= 0 && ms[w] !== 1) continue;
    if (kind === ACC_COUNT) {
      a[o]! += 1;
      continue;
    }
    const x = xs[ins[i]!]!;
    if (x !== x) continue;
    switch (kind) {
      case ACC_SUM:
        a[o]! += 1;
        a[o + 1]! += x;
        break;
      case ACC_MOMENTS: {
        // Welford's update, with the mean kept as Σx / n.
        const n0 = a[o]!;
        const s0 = a[o + 1]!;
        const d = n0 === 0 ? 0 : x - s0 / n0;
        const n = n0 + 1;
        const s = s0 + x;
        a[o] = n;
        a[o + 1] = s;
        a[o + 2]! += d * (x - s / n);
        break;
      }
      case ACC_MIN:
        // Also replaces the empty NaN (`x >= NaN` is false).
        if (!(x >= a[o]!)) a[o] = x;
        break;
      case ACC_MAX:
        if (!(x <= a[o]!)) a[o] = x;
        break;
    }
  }
}

const H = 3_600_000;
const B = H / 64;

/** A table with a lifetime, a 1h window and a 1h window only touched by `amt > 5`. */
function runtime(): TableRuntime {
  return new TableRuntime([
    compile("sum", { field: "amt" }),
    compile("std", { field: "amt", window: "1h" }),
    compile("count", { window: "1d", interval: "1h", where: "amt > 5" }),
  ]);
}

describe("hot path (the usual event, compiled per layout)", () => {
  it("takes an event whose windows all land in their newest bucket, and refuses — changing nothing — when one would move", () => {
    const rt = runtime();
    const hot = compileHotPath(rt.layout);
    const xs = new Float64Array(rt.layout.inputs.length);
    const ms = new Uint8Array(rt.layout.wheres.length);
    const e = rt.cursor(rt.newNums(T0));
    // The first event of each window starts its bucket: general path only.
    xs[0] = 10;
    ms[0] = 1;
    assert.equal(hot(e.nums, xs, ms, T0), false);
    rt.apply(e, { amt: 10 }, T0);
    const nums = e.nums;
    // Same buckets: taken, and the accumulators moved.
    const before = [...nums];
    xs[0] = 20;
    assert.equal(hot(nums, xs, ms, T0 + 1), true);
    assert.notDeepEqual([...nums], before);
    // The 1h window's next bucket: refused, nothing written.
    const snapshot = [...nums];
    assert.equal(hot(nums, xs, ms, T0 + B), false);
    assert.deepEqual([...nums], snapshot);
  });

  it("does not wait for a window the event does not touch (its `where` unmatched)", () => {
    const rt = new TableRuntime([compile("sum", { field: "amt" }), compile("count", { window: "1d", interval: "1h", where: "amt > 5" })]);
    const hot = compileHotPath(rt.layout);
    const e = rt.cursor(rt.newNums(T0));
    rt.apply(e, { amt: 10 }, T0);
    // An hour later the tiled window's tile has moved on.
    assert.equal(hot(e.nums, Float64Array.of(1), Uint8Array.of(0), T0 + H + 1), true, "unmatched: the tile is not touched");
    const after = [...e.nums];
    assert.equal(hot(e.nums, Float64Array.of(10), Uint8Array.of(1), T0 + H + 1), false, "matched: the tile would move");
    assert.deepEqual([...e.nums], after);
  });

  it("hot path and per-group updates update exactly as the reference does, bit for bit, for random inputs and where outcomes", () => {
    const rt = new TableRuntime([
      compile("count"),
      compile("sum", { field: "amt" }),
      compile("min", { field: "amt", window: "1h" }),
      compile("max", { field: "amt", window: "1h", where: "amt > 5" }),
      compile("var", { field: "n", window: "1d" }),
      compile("sum", { field: "n", window: "1d", where: "b" }),
      compile("ratio", { window: "1d", interval: "1h", where: "b" }),
      compile("count", { window: "1d", interval: "1h", where: "amt > 5" }),
    ]);
    const L = rt.layout;
    const hot = compileHotPath(L);
    const update = compileGroupUpdate(L);
    const num = fc.oneof(fc.double(), fc.constantFrom(NaN, -0, 0, 1e308, -1e308, 5));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.array(num, { minLength: L.inputs.length, maxLength: L.inputs.length }), fc.array(fc.boolean(), { minLength: L.wheres.length, maxLength: L.wheres.length }), fc.constantFrom(0, 1, B / 2, B, H)), { minLength: 1, maxLength: 20 }), (events) => {
        // An entity whose every window has a current bucket at T0 (no `n` yet: its moments start at n = 0).
        const c = rt.cursor(rt.newNums(T0));
        rt.apply(c, { amt: 10, b: true }, T0);
        const viaHot = [...c.nums];
        const viaAccs = [...c.nums];
        const viaGroups = [...c.nums];
        const bits = (a: number[]): string[] => a.map((x) => (Object.is(x, -0) ? "-0" : String(x)));
        let t = T0;
        for (const [inputs, wheres, dt] of events) {
          t += dt;
          const xs = Float64Array.from(inputs);
          const ms = Uint8Array.from(wheres, (w) => (w ? 1 : 0));
          const touched = L.groups.map((g, gi) => gi === 0 || g.always || Array.from(g.wheres).some((w) => ms[w] === 1));
          // Taken exactly when every touched window's newest bucket is the event's; refused, nothing changes.
          const current = L.groups.every((g, gi) => gi === 0 || !touched[gi] || viaAccs[g.row] === Math.floor(t / g.width));
          const before = bits(viaHot);
          assert.equal(hot(viaHot, xs, ms, t), current);
          if (!current) {
            assert.deepEqual(bits(viaHot), before);
            continue;
          }
          viaAccs[LAST_SEEN] = t;
          viaGroups[LAST_SEEN] = t;
          L.groups.forEach((g, gi) => {
            if (!touched[gi]) return;
            updateAccs(viaAccs, gi === 0 ? LIFETIME_BASE : g.row, g, xs, ms);
            update(gi, viaGroups, gi === 0 ? LIFETIME_BASE : g.row, xs, ms);
          });
        }
        assert.deepEqual(bits(viaHot), bits(viaAccs));
        assert.deepEqual(bits(viaGroups), bits(viaAccs));
      }),
      { numRuns: 300 },
    );
  });
});
