import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LIFETIME_OPERATORS } from "../../../src/engine/aggregate/ops/lifetime-ops.ts";
import { WINDOWED_OPERATORS } from "../../../src/engine/aggregate/ops/windowed-ops.ts";
import { T } from "../../../src/engine/types.ts";
import type { Value, ValueType } from "../../../src/engine/types.ts";
import type { RawParams } from "../../../src/engine/aggregate/operator.ts";
import { ctx, roundTrip } from "./helpers.ts";
import type { AnyDef, Ev } from "./helpers.ts";

/** Catalogue-wide checks of every operator in LIFETIME_OPERATORS. */

const HOUR = 3_600_000;

interface Case {
  readonly params: RawParams;
  readonly windowMs?: number;
  readonly type: ValueType;
  readonly empty: Value;
}

const zeros = (n: number): number[] => new Array<number>(n).fill(0);
const dowZeros = (): Record<string, Value> => {
  const out: Record<string, Value> = {};
  for (const d of ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]) {
    for (let h = 0; h < 24; h++) out[`${d}-${String(h).padStart(2, "0")}`] = 0;
  }
  return out;
};

const CASES: Readonly<Record<string, Case>> = {
  first: { params: { field: "amount" }, type: T.f64, empty: null },
  last: { params: { field: "device" }, type: T.str, empty: null },
  first_n: { params: { field: "device", n: 3 }, type: T.array(T.str), empty: [] },
  last_n: { params: { field: "qty", n: 3 }, type: T.array(T.i64), empty: [] },
  first_distinct_n: { params: { field: "device", n: 3 }, type: T.array(T.str), empty: [] },
  last_distinct_n: { params: { field: "device", n: 3 }, type: T.array(T.str), empty: [] },
  lag: { params: { field: "qty", n: 1 }, type: T.i64, empty: null },
  most_recent_n: { params: { field: "device", n: 3 }, type: T.array(T.str), empty: [] },
  reservoir_sample: { params: { field: "amount", samples: 3 }, type: T.array(T.f64), empty: [] },
  first_seen: { params: {}, type: T.timestamp, empty: null },
  last_seen: { params: {}, type: T.timestamp, empty: null },
  age: { params: {}, type: T.i64, empty: null },
  has_seen: { params: {}, type: T.bool, empty: false },
  time_since: { params: {}, type: T.i64, empty: null },
  time_since_last_n: { params: { n: 2 }, type: T.i64, empty: null },
  first_seen_in_window: { params: { window: "1h" }, windowMs: HOUR, type: T.bool, empty: false },
  streak: { params: {}, type: T.i64, empty: 0 },
  max_streak: { params: {}, type: T.i64, empty: 0 },
  negative_streak: { params: {}, type: T.i64, empty: 0 },
  ewma: { params: { field: "amount", half_life: "1h" }, type: T.f64, empty: null },
  ewvar: { params: { field: "amount", half_life: "1h" }, type: T.f64, empty: null },
  ew_zscore: { params: { field: "amount", half_life: "1h" }, type: T.f64, empty: null },
  decayed_sum: { params: { field: "amount", half_life: "1h" }, type: T.f64, empty: null },
  decayed_count: { params: { half_life: "1h" }, type: T.f64, empty: null },
  twa: { params: { field: "amount" }, type: T.f64, empty: null },
  rate_of_change: { params: { field: "amount" }, type: T.f64, empty: null },
  inter_arrival_stats: { params: {}, type: T.f64, empty: null },
  burst_count: { params: { sub_window: "1m" }, type: T.i64, empty: 0 },
  delta_from_prev: { params: { field: "qty" }, type: T.f64, empty: null },
  trend: { params: { field: "amount" }, type: T.f64, empty: null },
  trend_residual: { params: { field: "amount" }, type: T.f64, empty: null },
  outlier_count: { params: { field: "amount" }, type: T.i64, empty: 0 },
  value_change_count: { params: { field: "device" }, type: T.i64, empty: 0 },
  z_score: { params: { field: "amount" }, type: T.f64, empty: null },
  histogram: { params: { field: "amount", buckets: [10, 20] }, type: T.map(T.i64), empty: { "<10": 0, "10-20": 0, ">=20": 0 } },
  hour_of_day_histogram: { params: {}, type: T.array(T.i64), empty: zeros(24) },
  dow_hour_histogram: { params: {}, type: T.map(T.i64), empty: dowZeros() },
  seasonal_deviation: { params: { field: "amount" }, type: T.f64, empty: null },
  event_type_mix: { params: { field: "device" }, type: T.map(T.f64), empty: {} },
  geo_velocity: { params: {}, type: T.f64, empty: null },
  geo_distance: { params: {}, type: T.f64, empty: 0 },
  geo_spread: { params: {}, type: T.f64, empty: null },
  distance_from_home: { params: {}, type: T.f64, empty: null },
  bloom_member: { params: { field: "device" }, type: T.bool, empty: false },
};

const WINDOWED = new Set(["first_n", "last_n", "first_distinct_n", "last_distinct_n"]);
const OBSERVES_UNMATCHED = new Set(["streak", "max_streak", "negative_streak"]);

/** A mixed stream touching every field the ops read, with some unmatched and some null values. */
const STREAM: Ev[] = Array.from({ length: 40 }, (_, i) => ({
  now: 1_700_000_000_000 + i * 97_000 + (i % 3) * 13,
  matched: i % 7 !== 3,
  row: {
    amount: i % 5 === 4 ? null : ((i * 37) % 23) + 0.5,
    qty: i % 11,
    device: `d${(i * 7) % 5}`,
    lat: 40 + ((i * 13) % 7) / 10,
    lon: -74 + ((i * 5) % 9) / 10,
  },
}));

function apply(def: AnyDef, p: unknown, s: unknown, events: readonly Ev[]): unknown {
  for (const e of events) {
    const matched = e.matched ?? true;
    if (matched || def.observesUnmatched === true) s = def.update(s, p, e.row, matched, e.now);
  }
  return s;
}

describe("LIFETIME_OPERATORS", () => {
  it("covers exactly the ops of the brief, each once", () => {
    assert.deepEqual(LIFETIME_OPERATORS.map((d) => d.op).sort(), Object.keys(CASES).sort());
  });

  it("shares no wire name (op or alias) with itself or the windowed core", () => {
    const names = [...LIFETIME_OPERATORS, ...WINDOWED_OPERATORS].flatMap((d) => [d.op, ...(d.aliases ?? [])]);
    assert.equal(new Set(names).size, names.length);
    assert.deepEqual(LIFETIME_OPERATORS.find((d) => d.op === "ewma")?.aliases, ["ema"]);
  });

  for (const def of LIFETIME_OPERATORS) {
    const c = CASES[def.op]!;
    describe(def.op, () => {
      it("declares its window support, merge and unmatched handling", () => {
        const expected = WINDOWED.has(def.op) ? "windowed" : def.op === "first_seen_in_window" ? "window_required" : "lifetime";
        assert.equal(def.windowSupport, expected);
        assert.equal(typeof def.merge === "function", WINDOWED.has(def.op));
        assert.equal(def.observesUnmatched === true, OBSERVES_UNMATCHED.has(def.op));
      });

      it("lists every param it is given", () => {
        for (const k of Object.keys(c.params)) if (k !== "window") assert.ok(def.params.includes(k), k);
      });

      it("has its output type and empty value", () => {
        const p = def.parse(c.params, ctx(), c.windowMs);
        assert.deepEqual(def.outputType(p), c.type);
        assert.deepEqual(def.read(def.create(p), p, 1_700_000_000_000), c.empty);
      });

      it("keeps plain-data state: a v8 round trip mid-stream changes nothing", () => {
        const p = def.parse(c.params, ctx(), c.windowMs);
        const direct = apply(def, p, def.create(p), STREAM);
        const half = apply(def, p, def.create(p), STREAM.slice(0, 20));
        const resumed = apply(def, p, roundTrip(half), STREAM.slice(20));
        const at = STREAM[STREAM.length - 1]!.now + 5000;
        assert.deepEqual(def.read(resumed, p, at), def.read(direct, p, at));
        assert.deepEqual(roundTrip(direct), direct);
      });

      it("reads without mutating the state", () => {
        const p = def.parse(c.params, ctx(), c.windowMs);
        const s = apply(def, p, def.create(p), STREAM);
        const before = roundTrip(s);
        const v = def.read(s, p, STREAM[STREAM.length - 1]!.now + 1);
        if (Array.isArray(v)) v.push("x");
        assert.deepEqual(s, before);
      });
    });
  }
});
