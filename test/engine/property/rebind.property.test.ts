import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { AggregationSpec } from "../../../src/engine/aggregate/catalogue.ts";
import type { CompiledTable } from "../../../src/engine/registry/index.ts";
import { TableState } from "../../../src/engine/state/table-state.ts";
import type { Row } from "../../../src/engine/types.ts";
import { engineWith, push, register, table, TXN_EVENT } from "../core/engine-fixture.ts";
import { close } from "./oracle.ts";
import { ReferenceFeature } from "./reference.ts";

/**
 * Re-registrations that keep a table but change its features rewrite every entity into the new
 * layout (state/migrate.ts). Property: after any sequence of registrations, each feature reads what
 * the reference model gives when fed the events since the feature last appeared with its current
 * definition (or since its table was last dropped: the planner drops a table on any destructive
 * change, so through the engine only additions keep state; TableState.rebind handles any change). Kept features keep their whole history (including accumulators shared with removed
 * features, buckets, inline sketch numbers and spilled sketch states); new and changed ones start
 * empty, even when an equal accumulator already exists.
 */

const T0 = 1_700_000_000_000;
const H = 3_600_000;

type Agg = { op: string; params?: Record<string, unknown> };

/** Feature name → its possible definitions (the first is the usual one; others are "changes"). */
const POOL: Record<string, Agg[]> = {
  cnt: [{ op: "count" }, { op: "count", params: { where: "(amt > 100)" } }],
  cnt_1h: [{ op: "count", params: { window: "1h" } }, { op: "count", params: { window: "2h" } }],
  big_1h: [{ op: "count", params: { window: "1h", where: "(amt > 100)" } }],
  sum_1h: [{ op: "sum", params: { field: "amt", window: "1h" } }, { op: "sum", params: { field: "amt", window: "1h", where: "(amt > 100)" } }],
  mean_1h: [{ op: "mean", params: { field: "amt", window: "1h" } }],
  std_1h: [{ op: "std", params: { field: "amt", window: "1h" } }],
  max_1h: [{ op: "max", params: { field: "amt", window: "1h" } }],
  sum_n: [{ op: "sum", params: { field: "n" } }],
  var_n: [{ op: "var", params: { field: "n" } }],
  ratio_1d: [{ op: "ratio", params: { window: "1d", where: "ok" } }],
  cnt_tiled: [{ op: "count", params: { window: "1d", interval: "1h" } }],
  sum_tiled: [{ op: "sum", params: { field: "amt", window: "1d", interval: "1h" } }],
  uniq_1h: [{ op: "n_unique", params: { field: "merchant", window: "1h" } }, { op: "n_unique", params: { field: "merchant", window: "1d" } }],
  p50_1h: [{ op: "quantile", params: { field: "amt", window: "1h" } }],
  first_1h: [{ op: "first_n", params: { field: "merchant", n: 2, window: "1h" } }],
  uniq: [{ op: "n_unique", params: { field: "merchant" } }],
  last: [{ op: "last", params: { field: "merchant" } }],
};
const NAMES = Object.keys(POOL);

/** A registration: for each pool feature, absent (-1) or which definition. */
const registration = fc.array(fc.integer({ min: -1, max: 1 }), { minLength: NAMES.length, maxLength: NAMES.length });

const events = fc.array(
  fc.record({
    dt: fc.integer({ min: 0, max: 25 * 60_000 }),
    user: fc.constantFrom("u1", "u2"),
    amt: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.double({ min: 0, max: 300, noNaN: true })),
    n: fc.integer({ min: -3, max: 9 }),
    merchant: fc.constantFrom("m1", "m2", "m3", "m4"),
    ok: fc.boolean(),
  }),
  { maxLength: 40 },
);

function aggOf(reg: readonly number[]): Record<string, Agg> {
  const agg: Record<string, Agg> = {};
  reg.forEach((d, i) => {
    const defs = POOL[NAMES[i]!]!;
    if (d >= 0) agg[NAMES[i]!] = defs[Math.min(d, defs.length - 1)]!;
  });
  // A table needs a feature; `cnt` stands in for an empty choice.
  if (Object.keys(agg).length === 0) agg.cnt = POOL.cnt![0]!;
  return agg;
}

/** The compiled table `t` with the given features (registered in a scratch engine). */
function compiled(agg: Record<string, Agg>): CompiledTable<AggregationSpec> {
  const e = engineWith([TXN_EVENT, table("t", ["user"], agg)]);
  return e.registry("prod").tables.get("t")! as CompiledTable<AggregationSpec>;
}

type Phase = [readonly number[], readonly { dt: number; user: string; amt: number; n: number; merchant: string; ok: boolean }[]];

/**
 * Drives `phases` (a registration, then its events) and checks every feature against the
 * reference fed the events since it (last) appeared with its current definition. `register`
 * installs a registration and says whether the table's state was kept (false: everything restarts).
 */
function check(phases: readonly Phase[], register: (agg: Record<string, Agg>) => boolean, push: (row: Row, now: number) => void, read: (user: string, now: number) => readonly unknown[] | null, specsNow: () => readonly AggregationSpec[]): void {
  const seen: { row: Row; now: number }[] = [];
  /** Feature name → [spec key, index in `seen` of its first event]. */
  let since = new Map<string, [string, number]>();
  let t = T0;
  for (const [reg, evs] of phases) {
    const kept = register(aggOf(reg));
    const next = new Map<string, [string, number]>();
    for (const spec of specsNow()) {
      const prev = kept ? since.get(spec.feature) : undefined;
      next.set(spec.feature, prev !== undefined && prev[0] === spec.key ? prev : [spec.key, seen.length]);
    }
    since = next;
    for (const ev of evs) {
      t += ev.dt;
      const row: Row = { user: ev.user, amt: ev.amt, n: ev.n, merchant: ev.merchant, ok: ev.ok };
      push(row, t);
      seen.push({ row, now: t });
    }
  }
  for (const user of ["u1", "u2"]) {
    const got = read(user, t);
    const mine = seen.slice(Math.min(...[...since.values()].map(([, i]) => i))).filter((s) => s.row.user === user);
    if (got === null) {
      assert.equal(mine.length, 0, `${user} has events but reads as absent`);
      continue;
    }
    specsNow().forEach((spec, i) => {
      const ref = new ReferenceFeature(spec);
      for (const s of seen.slice(since.get(spec.feature)![1])) if (s.row.user === user) ref.push(s.row, s.now);
      const want = ref.read(t);
      assert.ok(close(got[i] as never, want), `${user}.${spec.feature}: got ${JSON.stringify(got[i])}, reference ${JSON.stringify(want)}`);
    });
  }
}

describe("re-registration keeps the state of kept features", () => {
  it("TableState.rebind, any change: kept features keep their history, new and changed ones start empty", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(registration, events), { minLength: 1, maxLength: 4 }), (phases) => {
        let state: TableState | undefined;
        check(
          phases,
          (agg) => {
            const c = compiled(agg);
            if (state === undefined) state = new TableState(c);
            else state.rebind(c);
            return true;
          },
          (row, now) => state!.apply(row, now),
          (user, now) => state!.read(user, state!.everyFeature, now, undefined)?.values ?? null,
          () => state!.compiled.aggregations,
        );
      }),
      { numRuns: 200 },
    );
  });

  it("through the engine: additions keep the table's state; a removal or change (forced) restarts it", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(registration, events), { minLength: 1, maxLength: 4 }), (phases) => {
        const e = engineWith([TXN_EVENT, table("t", ["user"], aggOf(phases[0]![0]))]);
        let previous: Record<string, Agg> | undefined;
        check(
          phases,
          (agg) => {
            register(e, [TXN_EVENT, table("t", ["user"], agg)]);
            const kept = previous === undefined || Object.entries(previous).every(([k, v]) => JSON.stringify(agg[k]) === JSON.stringify(v));
            previous = agg;
            return kept;
          },
          (row, now) => push(e, row, now),
          (user, now) => e.read("prod", "t", user, undefined, now)?.values ?? null,
          () => e.registry("prod").tables.get("t")!.aggregations as readonly AggregationSpec[],
        );
      }),
      { numRuns: 150 },
    );
  });
});
