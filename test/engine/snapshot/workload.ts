import assert from "node:assert/strict";
import fc from "fast-check";
import { Engine } from "../../../src/engine/index.ts";
import type { EngineSnapshot, Value } from "../../../src/engine/index.ts";
import { WINDOWED_OPS } from "../windowed-op-pool.ts";

/**
 * Registries, event streams and comparisons for the snapshot tests. The feature pool holds every
 * operator of the catalogue; windowed ones come in every window kind, some with a `where`, and
 * parameters that make sketches leave their exact modes on small streams where the op allows it.
 */

export const T0 = 1_700_000_000_000;
export const MIN = 60_000;
export const HOUR = 3_600_000;

/** The push event: a dedupe key, a cold-after TTL, every field type the ops read. */
export function txnEvent(coldAfterMs = 6 * HOUR): unknown {
  return {
    kind: "event",
    name: "txn",
    schema: {
      fields: { user: "str", merchant: "str", amt: "f64", n: "i64", s: "str", flag: "bool", j: "json", lat: "f64", lon: "f64", id: "str" },
      optional_fields: ["merchant", "amt", "n", "s", "flag", "j", "lat", "lon", "id"],
    },
    dedupe_key: "id",
    dedupe_window_ms: 30 * MIN,
    cold_after_ms: coldAfterMs,
  };
}

/** A second event without dedupe or TTL, feeding a global table. */
export const CLICK_EVENT = {
  kind: "event",
  name: "click",
  schema: { fields: { page: "str", ms: "f64" }, optional_fields: ["ms"] },
};

type Agg = { op: string; params?: Record<string, unknown> };

/** Lifetime-only ops. */
const LIFETIME: readonly Agg[] = [
  { op: "age" },
  { op: "bloom_member", params: { field: "s", capacity: 4 } },
  { op: "burst_count", params: { sub_window: "1m" } },
  { op: "decayed_count", params: { half_life: "10m" } },
  { op: "decayed_sum", params: { field: "amt", half_life: "1h" } },
  { op: "delta_from_prev", params: { field: "amt" } },
  { op: "distance_from_home", params: { samples: 3 } },
  { op: "dow_hour_histogram" },
  { op: "event_type_mix", params: { field: "s", max_categories: 3 } },
  { op: "ew_zscore", params: { field: "amt", half_life: "5m" } },
  { op: "ewma", params: { field: "amt", half_life: "5m" } },
  { op: "ewvar", params: { field: "amt", half_life: "5m" } },
  { op: "first", params: { field: "j" } },
  { op: "first_seen" },
  { op: "first_seen_in_window", params: { window: "1h" } },
  { op: "geo_distance" },
  { op: "geo_spread" },
  { op: "geo_velocity" },
  { op: "has_seen" },
  { op: "histogram", params: { field: "amt", buckets: [-10, 0, 2.5, 100] } },
  { op: "hour_of_day_histogram" },
  { op: "inter_arrival_stats" },
  { op: "lag", params: { field: "s", n: 2 } },
  { op: "last", params: { field: "j" } },
  { op: "last_seen" },
  { op: "max_streak" },
  { op: "most_recent_n", params: { field: "j", n: 3 } },
  { op: "negative_streak" },
  { op: "outlier_count", params: { field: "amt" } },
  { op: "rate_of_change", params: { field: "amt" } },
  { op: "reservoir_sample", params: { field: "n", samples: 3 } },
  { op: "seasonal_deviation", params: { field: "amt" } },
  { op: "streak" },
  { op: "time_since" },
  { op: "time_since_last_n", params: { n: 2 } },
  { op: "trend", params: { field: "amt" } },
  { op: "trend_residual", params: { field: "amt" } },
  { op: "twa", params: { field: "amt" } },
  { op: "value_change_count", params: { field: "s" } },
  { op: "z_score", params: { field: "amt" } },
];

const WINDOWS: readonly Record<string, unknown>[] = [{}, { window: "1h" }, { window: "20m" }, { window: "2h", interval: "10m" }, { window: "30m", interval: "5m" }];
const WHERES: readonly (string | undefined)[] = [undefined, "flag", "(amt > 10)", "(n < 5)"];

/** Every feature of the pool: name → definition. */
export const FEATURES: ReadonlyMap<string, Agg> = (() => {
  const m = new Map<string, Agg>();
  WINDOWED_OPS.forEach((a, i) => {
    WINDOWS.forEach((w, k) => {
      const where = WHERES[(i + k) % WHERES.length];
      m.set(`w${i}_${k}`, { op: a.op, params: { ...a.params, ...w, ...(where === undefined ? {} : { where }) } });
    });
  });
  LIFETIME.forEach((a, i) => {
    const where = i % 3 === 0 ? WHERES[1 + (i % 3)] : undefined;
    m.set(`l${i}`, { op: a.op, params: { ...a.params, ...(where === undefined ? {} : { where }) } });
  });
  return m;
})();

export const FEATURE_NAMES: readonly string[] = [...FEATURES.keys()];

/** The group_by key columns of the three tables: one key, composite, global. */
export const TABLES: readonly { name: string; prefix: string; keys: string[]; event: string }[] = [
  { name: "by_user", prefix: "u", keys: ["user"], event: "txn" },
  { name: "by_user_merchant", prefix: "um", keys: ["user", "merchant"], event: "txn" },
  { name: "by_page", prefix: "p", keys: [], event: "click" },
];

/** Which features each table has (names from FEATURE_NAMES). */
export type Selection = readonly (readonly string[])[];

function table(t: (typeof TABLES)[number], features: readonly string[]): unknown {
  // Feature names are unique across a registry.
  const agg = Object.fromEntries(features.map((f) => [`${t.prefix}_${f}`, FEATURES.get(f)!]));
  if (t.event === "click") {
    // The click event has no amt/n/s/...: its table counts and sums ms.
    return { kind: "derivation", name: t.name, output_kind: "table", upstreams: ["click"], table_primary_key: [], ops: [{ op: "group_by", keys: [], agg: { clicks: { op: "count" }, ms_1h: { op: "sum", params: { field: "ms", window: "1h" } }, pages: { op: "n_unique", params: { field: "page" } } } }] };
  }
  return { kind: "derivation", name: t.name, output_kind: "table", upstreams: [t.event], table_primary_key: t.keys, ops: [{ op: "group_by", keys: t.keys, agg }] };
}

export function nodes(sel: Selection, coldAfterMs?: number): unknown[] {
  return [txnEvent(coldAfterMs), CLICK_EVENT, ...TABLES.map((t, i) => table(t, sel[i] ?? []))];
}

/** Registers with force; returns the plan's response (or the dry run's). */
export function register(e: Engine, envelope: Record<string, unknown>, ws = "prod"): unknown {
  const plan = e.planRegister(ws, envelope);
  if (plan.kind === "apply") return e.applyRegister(ws, plan);
  return plan.response;
}

/** A selection of 1–`max` features per keyed table. */
export const selection = (max: number): fc.Arbitrary<Selection> =>
  fc.tuple(fc.uniqueArray(fc.constantFrom(...FEATURE_NAMES), { minLength: 1, maxLength: max }), fc.uniqueArray(fc.constantFrom(...FEATURE_NAMES), { minLength: 1, maxLength: max }), fc.constant([] as string[]));

export interface Push {
  readonly kind: "push";
  readonly dt: number;
  readonly event: string;
  readonly data: Record<string, Value>;
}
export type Action = Push | { readonly kind: "read"; readonly dt: number } | { readonly kind: "sweep"; readonly dt: number };

const txnData = fc.record(
  {
    user: fc.constantFrom("u0", "u1", "u2", "u3", "a|b", "%x"),
    merchant: fc.constantFrom("m0", "m1", "m2"),
    amt: fc.oneof(fc.integer({ min: -50, max: 500 }), fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.constant(-0)),
    n: fc.integer({ min: -5, max: 40 }),
    s: fc.constantFrom("a", "b", "c", "d", "e", "\ud800", "ü"),
    flag: fc.boolean(),
    j: fc.oneof(fc.constant(null), fc.integer(), fc.constantFrom("x", "y"), fc.constant({ a: [1, { b: "c" }] }), fc.constant([-0, 1.5])),
    lat: fc.double({ min: -80, max: 80, noNaN: true }),
    lon: fc.double({ min: -170, max: 170, noNaN: true }),
    id: fc.constantFrom("d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7"),
  },
  { requiredKeys: ["user"] },
) as fc.Arbitrary<Record<string, Value>>;

const clickData = fc.record({ page: fc.constantFrom("/", "/a", "/b"), ms: fc.double({ min: 0, max: 1e4, noNaN: true }) }, { requiredKeys: ["page"] }) as fc.Arbitrary<Record<string, Value>>;

/** Time steps: mostly minutes forward, sometimes hours (windows slide, entities go cold), sometimes back. */
const dt = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 5 * MIN }) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 8 * HOUR }) }, { weight: 1, arbitrary: fc.integer({ min: -2 * HOUR, max: 0 }) });

export const push: fc.Arbitrary<Push> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("push" as const), dt, event: fc.constant("txn"), data: txnData }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("push" as const), dt, event: fc.constant("click"), data: clickData }) },
);

export const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 8, arbitrary: push },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("read" as const), dt }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("sweep" as const), dt }) },
);

/** Drives an engine with a clock and LSNs; twins built by the same calls stay identical. */
export class Driver {
  t = T0;
  lsn = 0;
  /** What each push (ack, replay: dedupe state shows here) and read answered. */
  readonly outcomes: unknown[] = [];
  constructor(readonly e: Engine) {}

  do(a: Action): void {
    this.t += a.dt;
    if (a.kind === "push") this.outcomes.push(this.push(a.event, a.data));
    else if (a.kind === "sweep") this.e.sweep(this.t);
    else for (const t of TABLES) for (const k of keysOf(t.keys)) this.outcomes.push(this.e.read("prod", t.name, k, undefined, this.t)?.values ?? null);
  }

  push(event: string, data: Record<string, Value>): { ack: number; replay: boolean } {
    const p = this.e.preparePush("prod", event, data, this.t);
    if (p.kind === "replay") return { ack: p.ackLsn, replay: true };
    const out = this.e.applyPush(p.command, ++this.lsn, this.t);
    return { ack: out.ackLsn, replay: out.replay };
  }
}

/** Every key the streams can produce for a table's key columns. */
export function keysOf(keys: readonly string[]): unknown[] {
  if (keys.length === 0) return [""];
  const users = ["u0", "u1", "u2", "u3", "a|b", "%x", "heavy"];
  // Raw segment values: "a|b" as a wire string would be two segments.
  if (keys.length === 1) return users.map((u) => [u]);
  return users.flatMap((u) => ["m0", "m1", "m2"].map((m) => [u, m]));
}

/** Drains a snapshot, doing `between(i)` after each next() call. */
export function drain(s: EngineSnapshot, budget: number, between: (i: number) => void = () => {}): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let i = 0; !s.done; i++) {
    chunks.push(...s.next(budget));
    if (!s.done) between(i);
    assert.ok(i < 1_000_000, "snapshot never ends");
  }
  return chunks;
}

/** Everything observable about an engine at time `t`: reads of every feature of every key, counters, registries. */
export function observe(e: Engine, t: number): unknown {
  const out: Record<string, unknown> = { stats: e.stats(), workspaces: e.listWorkspaces() };
  for (const w of e.listWorkspaces()) {
    const reg = e.registry(w.name);
    out[`${w.name}/registry`] = { version: reg.version, nodes: reg.nodes };
    for (const name of reg.tables.keys()) {
      const keys = keysOf(reg.tables.get(name)!.keyColumns.map((k) => k.name));
      out[`${w.name}/${name}/watermark`] = e.watermark(w.name, name);
      for (const k of keys) {
        const r = e.read(w.name, name, k, undefined, t);
        const tiled = e.read(w.name, name, k, undefined, t, { windowEnd: e.watermark(w.name, name) });
        out[`${w.name}/${name}/${JSON.stringify(k)}`] = r === null ? null : { values: r.values, eff: r.effectiveTimes, tiled: tiled?.values };
      }
    }
  }
  return out;
}

/** Asserts two engines observe alike at each of `times` (deepStrictEqual: -0 ≠ 0, NaN = NaN). */
export function assertSame(a: Engine, b: Engine, times: readonly number[], label: string): void {
  for (const t of times) assert.deepStrictEqual(observe(a, t), observe(b, t), `${label} at +${t - T0} ms`);
}
