import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { AggregationSpec } from "../../../src/engine/aggregate/catalogue.ts";
import { ACC_COUNT, ACC_MAX, ACC_MIN, ACC_MOMENTS, ACC_RATIO, ACC_SUM } from "../../../src/engine/state/accumulators.ts";
import { Entity } from "../../../src/engine/state/entity.ts";
import { compileGroupUpdate, compileHotPath } from "../../../src/engine/state/hot-path.ts";
import { LIFETIME_BASE, RING_CAP, RING_LEN } from "../../../src/engine/state/layout.ts";
import type { GroupLayout } from "../../../src/engine/state/layout.ts";
import { TableRuntime } from "../../../src/engine/state/table-runtime.ts";
import type { Row, Value } from "../../../src/engine/types.ts";
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

/** The bit pattern of each number (-0 and NaN included), for exact comparisons. */
const bits = (a: readonly number[]): string[] => a.map((x) => (Object.is(x, -0) ? "-0" : String(x)));

/** A table with a lifetime, a 1h window and a 1d / 1h tiled window only touched by `amt > 5`. */
function threeGroups(): AggregationSpec[] {
  return [compile("sum", { field: "amt" }), compile("std", { field: "amt", window: "1h" }), compile("count", { window: "1d", interval: "1h", where: "amt > 5" })];
}

function runtime(): TableRuntime {
  return new TableRuntime(threeGroups());
}

/**
 * One entity applied through a runtime with the compiled path and through one with the general
 * path only (`compiled: false`), their numbers compared bit for bit after every event.
 */
class Twin {
  readonly compiled: TableRuntime;
  readonly general: TableRuntime;
  private c!: Entity;
  private g!: Entity;

  constructor(specs: readonly AggregationSpec[], t0: number) {
    this.compiled = new TableRuntime(specs);
    this.general = new TableRuntime(specs, undefined, { compiled: false });
    this.reset(t0);
  }

  /** A new entity on both sides (the runtimes, and their object pools, are kept). */
  reset(t0: number): void {
    if (this.c !== undefined) {
      this.compiled.release(this.c.nums);
      this.general.release(this.g.nums);
    }
    this.c = this.compiled.cursor(this.compiled.newNums(t0));
    this.g = this.general.cursor(this.general.newNums(t0));
  }

  /** The compiled side's numbers. */
  get nums(): number[] {
    return this.c.nums;
  }

  apply(row: Row, t: number): void {
    this.compiled.apply(this.c, row, t);
    this.general.apply(this.g, row, t);
    assert.deepEqual(bits(this.c.nums), bits(this.g.nums), `after the event at ${t}`);
    this.c = this.compiled.cursor(this.c.nums);
    this.g = this.general.cursor(this.g.nums);
  }

  /** Every feature read at t on both sides, asserted equal (object states compared through what they serve). */
  reads(t: number): Value[] {
    this.compiled.beginRead();
    this.general.beginRead();
    const features = this.compiled.layout.features.map((_f, i) => i);
    const got = features.map((f) => this.compiled.read(this.c, f, t, undefined));
    assert.deepEqual(got, features.map((f) => this.general.read(this.g, f, t, undefined)), `reads at ${t}`);
    return got;
  }
}

/** Ring length of group gi. */
function ringLen(rt: TableRuntime, nums: readonly number[], gi: number): number {
  return nums[rt.layout.groups[gi]!.header + RING_LEN]!;
}

describe("hot path (the usual event, compiled per layout)", () => {
  it("takes an event whose windows stay in their newest bucket or start a newer one (growing a full ring first), and refuses — changing nothing — otherwise", () => {
    const rt = runtime();
    const hot = compileHotPath(rt.layout);
    const xs = Float64Array.of(10);
    const ms = Uint8Array.of(1);
    const e = rt.cursor(rt.newNums(T0));
    assert.equal(hot(e, xs, ms, T0), true, "each window's first bucket: nothing to retire");
    assert.equal(hot(e, xs, ms, T0 + 1), true, "same buckets");
    const first = e.nums;
    assert.equal(hot(e, xs, ms, T0 + B), true, "the 1h window's next bucket: its ring grows for the retired row");
    assert.notEqual(e.nums, first, "the entity's array was reallocated");
    assert.equal(ringLen(rt, e.nums, 1), 1);
    const grown = e.nums;
    assert.equal(hot(e, xs, ms, T0 + 2 * B), true, "next bucket, room in the ring");
    assert.equal(e.nums, grown, "no reallocation");
    assert.equal(ringLen(rt, e.nums, 1), 2);
    const before = bits(e.nums);
    assert.equal(hot(e, xs, ms, T0 + B), false, "a bucket older than the newest");
    assert.equal(e.nums, grown);
    assert.deepEqual(bits(e.nums), before, "nothing written");
    // Two hours on (the tiled window untouched: amt ≤ 5): every row of the 1h ring has expired and
    // is dropped, and so is the retired one.
    assert.equal(hot(e, Float64Array.of(1), Uint8Array.of(0), T0 + 2 * H + 2 * B), true);
    assert.equal(ringLen(rt, e.nums, 1), 0);
    assert.equal(e.nums, grown, "nothing readable to retire: no room needed");
  });

  it("drops exactly the rows no read can include any more: the boundary bucket stays", () => {
    const twin = new Twin(threeGroups(), T0);
    const hot = compileHotPath(twin.compiled.layout);
    for (const t of [T0, T0 + B, T0 + 2 * B]) twin.apply({ amt: 1 }, t);
    // The 1h ring holds the buckets of T0 and T0 + B. At t the first readable bucket is the second.
    const first = Math.floor(T0 / B);
    const t = first * B + H;
    assert.equal(Math.floor((t - H) / B) + 1, first + 1);
    const probe = new Entity([...twin.nums], null);
    assert.equal(hot(probe, Float64Array.of(1), Uint8Array.of(0), t), true);
    twin.apply({ amt: 1 }, t);
    assert.deepEqual(bits(probe.nums), bits(twin.nums));
    assert.equal(ringLen(twin.compiled, twin.nums, 1), 2, "T0 dropped, T0 + B kept, T0 + 2B retired into the ring");
  });

  it("does not wait for a window the event does not touch (its `where` unmatched)", () => {
    const rt = new TableRuntime([compile("sum", { field: "amt" }), compile("count", { window: "1d", interval: "1h", where: "amt > 5" })]);
    const hot = compileHotPath(rt.layout);
    const e = rt.cursor(rt.newNums(T0));
    rt.apply(e, { amt: 10 }, T0);
    rt.apply(e, { amt: 10 }, T0 + H);
    // Tiles of the last hour and this one: the ring holds one row, the tile moved on.
    const moved = [...e.nums];
    assert.equal(hot(e, Float64Array.of(1), Uint8Array.of(0), T0 + 2 * H), true, "unmatched: the tile is not touched");
    assert.equal(e.nums[rt.layout.groups[1]!.row], moved[rt.layout.groups[1]!.row], "its hot row stays");
  });

  it("moves a window's object states with its rows: to the ring, and out when they expire", () => {
    const twin = new Twin([compile("count", { window: "1h" }), compile("n_unique", { field: "s", window: "1h" })], T0);
    const L = twin.compiled.layout;
    const hot = compileHotPath(L);
    const xs = new Float64Array(L.inputs.length);
    const ms = new Uint8Array(L.wheres.length);
    // Three values per bucket, different in each: past the two inline numbers, so each bucket
    // holds an object state, and a read sees every bucket's own values.
    const times = [T0, T0 + B, T0 + 2 * B, T0 + H + B, T0 + 3 * H];
    const distinct: unknown[] = [];
    for (const t of times) {
      for (const s of ["a", "b", "c"].map((x) => `${x}${t}`)) {
        assert.equal(hot(new Entity([...twin.nums], null), xs, ms, t), true, `compiled at +${t - T0}`);
        twin.apply({ s }, t);
      }
      distinct.push(twin.reads(t)[1]);
    }
    // The first three buckets within the hour, then (T0 + H + B) the one of T0 + 2B and the new one.
    assert.deepEqual(distinct, [3, 6, 9, 6, 3]);
  });

  /** `times` (one row each) applied to a Twin of `specs`, which it returns. */
  function twinOf(specs: readonly AggregationSpec[], times: readonly number[], row: (i: number) => Row): Twin {
    const twin = new Twin(specs, times[0]!);
    times.forEach((t, i) => twin.apply(row(i), t));
    return twin;
  }

  it("counts events before 1970 (bucket −1 is a bucket like any other) and skips the windows of a NaN time, as the general path does", () => {
    const specs = [compile("count"), compile("count", { window: "1h" }), compile("sum", { field: "amt", window: "1d", interval: "1h" })];
    twinOf(specs, [-100_000, -1, -1, -B - 1, 1000, NaN, 2000], () => ({ amt: 1 }));
    twinOf(specs, [-1, -1, NaN, -1], () => ({ amt: 1 }));
  });

  it("grows rings up to their maximum and drops at the tiled boundary exactly as the general path does (dense streams)", () => {
    // 1h window: an event every half bucket for two hours fills the ring to its 63 rows; the 1d/1h
    // tiled window: an event every 20 minutes for 30 hours fills its ring to 24 tiles; each
    // starting on a bucket / tile boundary, so the oldest readable bucket sits exactly at minLive.
    const specs = [compile("count", { window: "1h" }), compile("sum", { field: "amt", window: "1d", interval: "1h" }), compile("max", { field: "amt", window: "1d" })];
    const start = Math.ceil(T0 / H) * H;
    const dense = twinOf(specs, Array.from({ length: 256 }, (_v, i) => start + (i * B) / 2), (i) => ({ amt: i }));
    const slow = twinOf(specs, Array.from({ length: 90 }, (_v, i) => start + i * 20 * 60_000), (i) => ({ amt: i % 7 }));
    const atMaximum = (twin: Twin, gi: number): void => {
      const g = twin.compiled.layout.groups[gi]!;
      assert.equal(twin.nums[g.header + RING_CAP], g.maxBuckets - 1, `group ${gi}'s ring reached its maximum`);
    };
    atMaximum(dense, 1);
    atMaximum(slow, 2);
  });

  it("applies every event exactly as the general path does, bit for bit, over random streams (rotations, drops, growth, clocks stepping back, one runtime across runs)", () => {
    const specs = [
      compile("count"),
      compile("sum", { field: "amt" }),
      compile("min", { field: "amt", window: "1h" }),
      compile("max", { field: "amt", window: "1h", where: "amt > 5" }),
      compile("var", { field: "n", window: "1d", where: "amt > 5" }),
      compile("sum", { field: "n", window: "1d", where: "b" }),
      compile("ratio", { window: "1d", interval: "1h", where: "b" }),
      compile("count", { window: "1d", interval: "1h", where: "amt > 5" }),
      // Object states (past two values per bucket), in a window not every event touches.
      compile("n_unique", { field: "s", window: "10m", where: "b" }),
      compile("quantile", { field: "amt", window: "1h" }),
    ];
    const twin = new Twin(specs, T0);
    const L = twin.compiled.layout;
    const hot = compileHotPath(L);
    const seen = { same: 0, rotated: 0, grown: 0, dropped: 0, refused: 0 };
    const num = fc.oneof(fc.double(), fc.constantFrom(NaN, -0, 0, 1e308, -1e308, 5, 6));
    const event = fc.record({
      amt: fc.oneof(num, fc.constant(null)),
      n: fc.oneof(fc.integer({ min: -5, max: 40 }), fc.constant(null)),
      b: fc.boolean(),
      s: fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h", null),
    });
    // Mostly the same or the next bucket; sometimes an hour or two on (rows expire), sometimes back.
    const dt = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0, 1, B / 2, B, 2 * B) }, { weight: 4, arbitrary: fc.integer({ min: H / 2, max: 3 * H }) }, { weight: 1, arbitrary: fc.integer({ min: -2 * H, max: 0 }) });
    fc.assert(
      fc.property(fc.array(fc.tuple(event, dt), { minLength: 1, maxLength: 60 }), (events) => {
        twin.reset(T0);
        let t = T0;
        for (const [row, d] of events) {
          t += d;
          // What the hot path does on its own: takes the event, or refuses it changing nothing.
          const probe = new Entity([...twin.nums], null);
          const array = probe.nums;
          const xs = Float64Array.from(L.inputs, (inp) => (typeof row[inp.field as keyof typeof row] === "number" ? (row[inp.field as keyof typeof row] as number) : NaN));
          const ms = Uint8Array.from(L.wheres, (w) => (w(row) === true ? 1 : 0));
          const lens = L.groups.map((gr, gi) => (gi === 0 ? 0 : array[gr.header + RING_LEN]!));
          const hots = L.groups.map((gr, gi) => (gi === 0 ? 0 : array[gr.row]!));
          if (hot(probe, xs, ms, t)) {
            const moved = L.groups.some((gr, gi) => gi > 0 && probe.nums[gr.row] !== hots[gi]);
            seen[moved ? "rotated" : "same"]++;
            if (probe.nums !== array) seen.grown++;
            if (L.groups.some((gr, gi) => gi > 0 && probe.nums[gr.header + RING_LEN]! < lens[gi]!)) seen.dropped++;
          } else {
            seen.refused++;
            assert.equal(probe.nums, array);
            assert.deepEqual(bits(array), bits(twin.nums));
          }
          twin.apply(row, t);
          // Read now and later, as older buckets leave the windows (a state left in the wrong row shows then).
          for (const later of [0, 6 * 60_000, 59 * 60_000]) twin.reads(t + later);
        }
      }),
      { numRuns: 600 },
    );
    // The property reached every case it is about.
    for (const [k, n] of Object.entries(seen)) assert.ok(n >= 20, `${k}: ${n} (${JSON.stringify(seen)})`);
  });

  it("per-group updates update exactly as the reference does, bit for bit, for random rows, inputs and where outcomes", () => {
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
    const update = compileGroupUpdate(L);
    const num = fc.oneof(fc.double(), fc.constantFrom(NaN, -0, 0, 1e308, -1e308, 5));
    const size = L.ringsBase;
    fc.assert(
      fc.property(
        fc.array(num, { minLength: size, maxLength: size }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: L.groups.length - 1 }), fc.array(num, { minLength: L.inputs.length, maxLength: L.inputs.length }), fc.array(fc.boolean(), { minLength: L.wheres.length, maxLength: L.wheres.length })), { minLength: 1, maxLength: 20 }),
        (start, events) => {
          const viaGroups = [...start];
          const viaAccs = [...start];
          for (const [gi, inputs, wheres] of events) {
            const xs = Float64Array.from(inputs);
            const ms = Uint8Array.from(wheres, (w) => (w ? 1 : 0));
            const r = gi === 0 ? LIFETIME_BASE : L.groups[gi]!.row;
            update(gi, viaGroups, r, xs, ms);
            updateAccs(viaAccs, r, L.groups[gi]!, xs, ms);
          }
          assert.deepEqual(bits(viaGroups), bits(viaAccs));
        },
      ),
      { numRuns: 300 },
    );
  });
});
