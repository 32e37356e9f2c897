import type { Value } from "../../../src/engine/types.ts";

/** One raw event as the oracle keeps it. */
export interface RawEvent {
  readonly t: number;
  readonly v: Value;
  readonly matched: boolean;
}

const num = (v: Value): v is number => typeof v === "number" && !Number.isNaN(v);

function moments(xs: number[]): { n: number; mean: number; m2: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  return { n, mean, m2: xs.reduce((a, x) => a + (x - mean) ** 2, 0) };
}

function typeRank(v: Value): number {
  return typeof v === "string" ? 0 : typeof v === "number" ? 1 : 2;
}

/** Naive recomputation of a windowed core op over the events in its window (beava §2.3 semantics). */
export function oracle(op: string, events: readonly RawEvent[], params: { q?: number; k?: number } = {}): Value {
  const matched = events.filter((e) => e.matched);
  const values = matched.map((e) => e.v).filter((v) => v !== null && v !== undefined);
  const nums = values.filter(num);
  switch (op) {
    case "count":
      return matched.length;
    case "sum":
      return nums.length === 0 ? null : nums.reduce((a, b) => a + b, 0);
    case "mean":
      return nums.length === 0 ? null : nums.reduce((a, b) => a + b, 0) / nums.length;
    case "min":
    case "max": {
      let best: Value = null;
      for (const v of values) {
        if (best === null || (typeof v === typeof best && (op === "min" ? v < best : v > best))) best = v;
      }
      return best;
    }
    case "var":
    case "std":
    case "var_pop":
    case "std_pop": {
      const sample = op === "var" || op === "std";
      const m = moments(nums);
      const d = sample ? m.n - 1 : m.n;
      if (d < 1) return null;
      const v = m.m2 / d;
      return op.startsWith("std") ? Math.sqrt(v) : v;
    }
    case "ratio":
      return events.length === 0 ? null : matched.length / events.length;
    case "n_unique":
      return new Set(values.map((v) => JSON.stringify(v))).size;
    case "quantile": {
      const xs = nums.filter(Number.isFinite).sort((a, b) => a - b);
      if (xs.length === 0) return null;
      const r = (params.q ?? 0.5) * (xs.length - 1);
      const f = Math.floor(r);
      const t = r - f;
      return t === 0 ? xs[f]! : xs[f]! + t * (xs[f + 1]! - xs[f]!);
    }
    case "top_k": {
      const counts = new Map<string, { value: Value; count: number }>();
      for (const v of values) {
        const k = JSON.stringify(v);
        const c = counts.get(k);
        if (c) c.count++;
        else counts.set(k, { value: v, count: 1 });
      }
      return [...counts.values()]
        .sort((a, b) => b.count - a.count || typeRank(a.value) - typeRank(b.value) || (a.value! < b.value! ? -1 : a.value! > b.value! ? 1 : 0))
        .slice(0, params.k ?? 10);
    }
    case "entropy": {
      const counts = new Map<string, number>();
      for (const v of values) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
      let h = 0;
      for (const c of counts.values()) h -= (c / values.length) * Math.log2(c / values.length);
      return h + 0;
    }
    default:
      throw new Error(`no oracle for ${op}`);
  }
}

/** Events a continuous window of W (buckets of b) counts at time t: bucket start in (t − W, t]. */
export function inContinuous(events: readonly RawEvent[], t: number, w: number, b: number): RawEvent[] {
  return events.filter((e) => {
    const start = Math.floor(e.t / b) * b;
    return t - start >= 0 && t - start < w;
  });
}

/** Events a tiled window counts at time t: [end − W, end) with end = floor(t/I)*I. */
export function inTiled(events: readonly RawEvent[], t: number, w: number, i: number): RawEvent[] {
  const end = Math.floor(t / i) * i;
  return events.filter((e) => e.t >= end - w && e.t < end);
}

/** Events by pure time: (t − span, t]. */
export function inSpan(events: readonly RawEvent[], t: number, span: number): RawEvent[] {
  return events.filter((e) => e.t > t - span && e.t <= t);
}

/** Equal, with a relative tolerance for floats. */
export function close(a: Value, b: Value, rel = 1e-9): boolean {
  if (typeof a === "number" && typeof b === "number") return a === b || Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
  return JSON.stringify(a) === JSON.stringify(b);
}
