import type { OperatorDef } from "../operator.ts";
import { numericField } from "../operator.ts";
import { T } from "../../types.ts";
import type { Value } from "../../types.ts";
import { MAX_N, fail, finite, requireField, setKey } from "./lifetime-support.ts";
import { numericFieldParam } from "./windowed-support.ts";

/**
 * Histogram-shaped operators (beava §2.3): histogram, hour_of_day_histogram, dow_hour_histogram,
 * seasonal_deviation, event_type_mix. Hours and weekdays are UTC of the processing time. Map keys
 * come out in bucket order (lowest bucket first; Mon-00 … Sun-23), not beava's sorted-string order.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** UTC hour of day 0..23 (euclidean, so times before 1970 still map correctly). */
export function hourOfDay(now: number): number {
  return ((Math.floor(now / HOUR_MS) % 24) + 24) % 24;
}

/** (weekday Mon=0..Sun=6) · 24 + UTC hour. 1970-01-01 was a Thursday (3). */
export function dowHourIndex(now: number): number {
  const dow = (((Math.floor(now / DAY_MS) + 3) % 7) + 7) % 7;
  return dow * 24 + hourOfDay(now);
}

interface HistogramParams {
  readonly field: string;
  readonly edges: readonly number[];
  /** Key of each cell: "<b0", "b0-b1", …, ">=bn". */
  readonly labels: readonly string[];
}

/** Number of edges ≤ x, i.e. the index of x's [lo, hi) cell. */
function cellIndex(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// JS prints whole numbers without a fraction ("10", not "10.0"), as beava's labels do.
const edgeLabel = (e: number): string => String(e);

export const histogramOp: OperatorDef<HistogramParams, number[]> = {
  op: "histogram",
  windowSupport: "lifetime",
  params: ["field", "buckets"],
  parse(params, ctx) {
    const { field } = numericFieldParam(params, ctx, "histogram");
    const b = params.buckets;
    if (
      !Array.isArray(b) ||
      b.length === 0 ||
      b.length > MAX_N ||
      !b.every((e, i) => typeof e === "number" && Number.isFinite(e) && (i === 0 || e > (b[i - 1] as number)))
    ) {
      fail(
        "invalid_registration",
        ctx,
        "histogram",
        `\`buckets\` must be a non-empty, strictly increasing list of at most ${MAX_N} finite numbers`,
      );
    }
    const edges = b as number[];
    const labels = [`<${edgeLabel(edges[0]!)}`];
    for (let i = 1; i < edges.length; i++) labels.push(`${edgeLabel(edges[i - 1]!)}-${edgeLabel(edges[i]!)}`);
    labels.push(`>=${edgeLabel(edges[edges.length - 1]!)}`);
    return { field, edges: edges.slice(), labels };
  },
  outputType: () => T.map(T.i64),
  fields: (p) => [p.field],
  create: (p) => new Array<number>(p.labels.length).fill(0),
  update(s, p, row) {
    const x = numericField(row, p.field);
    if (x !== undefined) s[cellIndex(p.edges, x)]!++;
    return s;
  },
  read(s, p) {
    const out: Record<string, Value> = {};
    for (let i = 0; i < s.length; i++) out[p.labels[i]!] = s[i]!;
    return out;
  },
};

type NoParams = Record<string, never>;

/** Counts per UTC hour, as a list of 24 (index = hour). */
export const hourOfDayHistogramOp: OperatorDef<NoParams, number[]> = {
  op: "hour_of_day_histogram",
  windowSupport: "lifetime",
  params: [],
  parse: () => ({}),
  outputType: () => T.array(T.i64),
  fields: () => [],
  create: () => new Array<number>(24).fill(0),
  update(s, _p, _row, _matched, now) {
    s[hourOfDay(now)]!++;
    return s;
  },
  read: (s) => s.slice(),
};

const DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const DOW_HOUR_LABELS = DAY_NAMES.flatMap((d) => Array.from({ length: 24 }, (_, h) => `${d}-${String(h).padStart(2, "0")}`));

/** Counts per (UTC weekday, hour): an object of 168 keys "Mon-00" … "Sun-23". */
export const dowHourHistogramOp: OperatorDef<NoParams, number[]> = {
  op: "dow_hour_histogram",
  windowSupport: "lifetime",
  params: [],
  parse: () => ({}),
  outputType: () => T.map(T.i64),
  fields: () => [],
  create: () => new Array<number>(168).fill(0),
  update(s, _p, _row, _matched, now) {
    s[dowHourIndex(now)]!++;
    return s;
  },
  read(s) {
    const out: Record<string, Value> = {};
    for (let i = 0; i < 168; i++) out[DOW_HOUR_LABELS[i]!] = s[i]!;
    return out;
  },
};

interface SeasonalState {
  /** Welford moments per UTC hour, flattened: [n, mean, m2] × 24. */
  m: number[];
  last: number;
  /** Hour of the last value; -1 before the first. */
  hour: number;
}

/**
 * z-score of the latest value against the sample mean and std of its UTC hour (the latest value
 * included). beava keeps Σx and Σx² per hour; Welford moments avoid their cancellation.
 */
export const seasonalDeviationOp: OperatorDef<{ readonly field: string }, SeasonalState> = {
  op: "seasonal_deviation",
  windowSupport: "lifetime",
  params: ["field"],
  parse: (params, ctx) => ({ field: numericFieldParam(params, ctx, "seasonal_deviation").field }),
  outputType: () => T.f64,
  fields: (p) => [p.field],
  create: () => ({ m: new Array<number>(72).fill(0), last: 0, hour: -1 }),
  update(s, p, row, _matched, now) {
    const x = numericField(row, p.field);
    if (x === undefined) return s;
    const h = hourOfDay(now);
    const i = h * 3;
    const n = ++s.m[i]!;
    const d = x - s.m[i + 1]!;
    s.m[i + 1]! += d / n;
    s.m[i + 2]! += d * (x - s.m[i + 1]!);
    s.last = x;
    s.hour = h;
    return s;
  },
  read(s) {
    if (s.hour < 0) return null;
    const i = s.hour * 3;
    const n = s.m[i]!;
    if (n < 2) return null;
    const v = s.m[i + 2]! / (n - 1);
    return v > 0 ? finite((s.last - s.m[i + 1]!) / Math.sqrt(v)) : null;
  },
};

interface MixParams {
  readonly field: string;
  /** Allowlist; when set, only these categories get a share. */
  readonly categories: ReadonlySet<string> | undefined;
  readonly maxCategories: number;
}

interface MixState {
  counts: Map<string, number>;
  /** Every matched event with a category, including ones dropped by the allowlist or the cap. */
  total: number;
}

/** Category of a value: strings as they are, numbers and booleans printed; others have none. */
function category(v: Value | undefined): string | undefined {
  switch (typeof v) {
    case "string":
      return v;
    case "number":
    case "boolean":
      return String(v);
    default:
      return undefined;
  }
}

/** Share of matched events per category; categories past the cap (or the allowlist) still count in the denominator. */
export const eventTypeMixOp: OperatorDef<MixParams, MixState> = {
  op: "event_type_mix",
  windowSupport: "lifetime",
  params: ["field", "categories", "max_categories"],
  parse(params, ctx) {
    const { field } = requireField(params, ctx, "event_type_mix");
    const c = params.categories;
    if (c !== undefined && (!Array.isArray(c) || c.length === 0 || c.length > MAX_N || !c.every((x) => typeof x === "string"))) {
      fail("invalid_registration", ctx, "event_type_mix", `\`categories\` must be a non-empty list of at most ${MAX_N} strings`);
    }
    const m = params.max_categories ?? 256;
    if (typeof m !== "number" || !Number.isInteger(m) || m < 1 || m > MAX_N) {
      fail("invalid_registration", ctx, "event_type_mix", `\`max_categories\` must be an integer in [1, ${MAX_N}]`);
    }
    return { field, categories: c === undefined ? undefined : new Set(c as string[]), maxCategories: m };
  },
  outputType: () => T.map(T.f64),
  fields: (p) => [p.field],
  create: () => ({ counts: new Map(), total: 0 }),
  update(s, p, row) {
    const cat = category(row[p.field]);
    if (cat === undefined) return s;
    s.total++;
    const c = s.counts.get(cat);
    if (c !== undefined) s.counts.set(cat, c + 1);
    else if (p.categories !== undefined ? p.categories.has(cat) : s.counts.size < p.maxCategories) s.counts.set(cat, 1);
    return s;
  },
  read(s) {
    const out: Record<string, Value> = {};
    for (const [k, c] of s.counts) setKey(out, k, c / s.total);
    return out;
  },
};
