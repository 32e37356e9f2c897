import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { TableRuntime } from "../../../src/engine/state/table-runtime.ts";
import type { Row, Value } from "../../../src/engine/types.ts";
import { compile, schemaOf } from "../core/helpers.ts";
import { WINDOWED_OPS } from "../windowed-op-pool.ts";
import { close } from "./oracle.ts";
import { ReferenceFeature } from "./reference.ts";

/**
 * The table runtime (one bucket ring per window shared by its features, inline f64 accumulators,
 * inline sketch numbers, hot row + ring) against the reference model (reference.ts: every feature
 * on its own, object states per bucket, merged at read). They must agree exactly (floats up to
 * rounding), for every windowed op, in every window mode, including clocks that step back.
 */

const T0 = 1_700_000_000_000;
const W = 64_000;
const TILED_W = 60_000;
const I = 10_000;
const SCHEMA = schemaOf({ amt: "f64", n: "i64", s: "str", flag: "bool" }, ["amt", "n", "s", "flag"]);

type Mode = "lifetime" | "continuous" | "tiled";
const WINDOW: Record<Mode, Record<string, unknown>> = {
  lifetime: {},
  continuous: { window: `${W}ms` },
  tiled: { window: `${TILED_W}ms`, interval: `${I}ms` },
};

const event = fc.record({
  amt: fc.oneof(fc.integer({ min: -50, max: 50 }), fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.constant(null)),
  n: fc.oneof(fc.integer({ min: -5, max: 40 }), fc.constant(null)),
  s: fc.oneof(fc.constantFrom("a", "b", "c", "d", "e"), fc.constant(null)),
  flag: fc.boolean(),
});

type Action = { kind: "push"; dt: number; row: Row } | { kind: "read"; dt: number; end: number | undefined };

/** Pushes mostly move forward; `back` lets the clock step back (by up to two windows). */
const actions = (back: boolean) =>
  fc.array(
    fc.oneof(
      { weight: 5, arbitrary: fc.record({ kind: fc.constant("push" as const), dt: fc.integer({ min: back ? -2 * W : 0, max: 6_000 }), row: event as fc.Arbitrary<Row> }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("read" as const), dt: fc.integer({ min: -W, max: 90_000 }), end: fc.option(fc.integer({ min: -W, max: 0 }), { nil: undefined }) }) },
    ),
    { maxLength: 150 },
  );

function readBoth(rt: TableRuntime, nums: number[] | undefined, refs: readonly ReferenceFeature[], t: number, end: number | undefined, label: string): void {
  const entity = rt.cursor(nums ?? rt.newNums(t));
  rt.beginRead();
  refs.forEach((ref, f) => {
    const want = ref.read(t, end === undefined ? undefined : t + end);
    const got = rt.read(entity, f, t, end === undefined ? undefined : t + end);
    assert.ok(close(got, want), `${label} feature ${f} at +${t - T0}${end === undefined ? "" : ` end ${end}`}: got ${JSON.stringify(got)}, reference ${JSON.stringify(want)}`);
  });
}

/**
 * Runs the actions against both. With `fromWatermark`, reads never end before the latest event:
 * a window is then never read over buckets that a later event of the table already dropped as out
 * of every window (features of one window share their buckets, so one feature's event drops them
 * for all). The engine's reads end at `now` or at the table's watermark (LATEST_EVENT_TIME), so
 * this is every read it makes while time moves forward.
 */
function run(paramsList: readonly Record<string, unknown>[], ops: readonly string[], acts: readonly Action[], label: string, fromWatermark = false): void {
  const specs = ops.map((op, i) => compile(op, paramsList[i]!, SCHEMA));
  const rt = new TableRuntime(specs);
  const refs = specs.map((s) => new ReferenceFeature(s));
  let nums: number[] | undefined;
  let t = T0;
  let watermark = -Infinity;
  for (const a of acts) {
    t += a.dt;
    if (a.kind === "push") {
      const e = rt.cursor(nums ?? rt.newNums(t));
      rt.apply(e, a.row, t);
      nums = e.nums;
      for (const r of refs) r.push(a.row, t);
      watermark = Math.max(watermark, t);
    } else if (!fromWatermark) {
      readBoth(rt, nums, refs, t, a.end, label);
    } else {
      const at = Math.max(t, watermark);
      readBoth(rt, nums, refs, at, a.end === undefined ? undefined : Math.max(a.end, watermark - at), label);
    }
  }
  readBoth(rt, nums, refs, fromWatermark ? Math.max(t, watermark) : t, undefined, label);
}

describe("table runtime matches the reference model", () => {
  for (const { op, params } of WINDOWED_OPS) {
    for (const mode of ["lifetime", "continuous", "tiled"] as Mode[]) {
      it(`${op}(${JSON.stringify(params ?? {})}) ${mode}, with where, clock stepping back`, () => {
        fc.assert(
          fc.property(actions(true), (acts) => run([{ ...params, ...WINDOW[mode], where: "flag" }], [op], acts, `${op}/${mode}`)),
          { numRuns: 25 },
        );
      });
    }
  }

  it("a table of many features (shared accumulators, wheres, three windows), reads from the watermark on", () => {
    // Several features per accumulator (sum/mean/std over amt share [n, Σx, M2]; two counts share),
    // features without the accumulator's `where`, and object features with inline numbers.
    const features: [string, Record<string, unknown>][] = [];
    for (const mode of ["lifetime", "continuous", "tiled"] as Mode[]) {
      const w = WINDOW[mode];
      features.push(
        ["count", { ...w }],
        ["count", { ...w }],
        ["count", { ...w, where: "flag" }],
        ["sum", { ...w, field: "amt" }],
        ["mean", { ...w, field: "amt" }],
        ["std", { ...w, field: "amt" }],
        ["sum", { ...w, field: "amt", where: "flag" }],
        ["var", { ...w, field: "amt", where: "flag" }],
        ["sum", { ...w, field: "n" }],
        ["mean", { ...w, field: "n" }],
        ["min", { ...w, field: "n" }],
        ["max", { ...w, field: "amt", where: "(amt > 0)" }],
        ["max", { ...w, field: "s" }],
        ["ratio", { ...w, where: "flag" }],
        ["ratio", { ...w }],
        ["n_unique", { ...w, field: "s", where: "flag" }],
        ["quantile", { ...w, field: "amt" }],
        ["top_k", { ...w, field: "s", k: 2 }],
        ["first_n", { ...w, field: "n", n: 2 }],
      );
    }
    fc.assert(
      fc.property(actions(false), (acts) =>
        run(
          features.map(([, p]) => p),
          features.map(([op]) => op),
          acts,
          "table",
          true,
        ),
      ),
      { numRuns: 60 },
    );
  });

  it("sketch states beyond their inline numbers and exact modes (hundreds of values per window)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.double({ min: -1e4, max: 1e4, noNaN: true })), { minLength: 200, maxLength: 900 }), (xs) => {
        const acts: Action[] = xs.map(([dt, amt]) => ({ kind: "push", dt, row: { amt, n: Math.round(amt), s: String(Math.round(amt) % 40), flag: true } }));
        acts.push({ kind: "read", dt: 1, end: undefined });
        const ops = ["quantile", "n_unique", "n_unique", "approx_count_distinct", "top_k"];
        const params = [{ field: "amt", q: 0.75 }, { field: "n" }, { field: "s" }, { field: "n", precision: 6 }, { field: "s", k: 3 }];
        for (const mode of ["lifetime", "continuous", "tiled"] as Mode[]) run(params.map((p) => ({ ...p, ...WINDOW[mode] })), ops, acts, `sketch/${mode}`);
      }),
      { numRuns: 12 },
    );
  });
});

/** Readable values for diagnostics. */
export function show(v: Value): string {
  return JSON.stringify(v);
}
